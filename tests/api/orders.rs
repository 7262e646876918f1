//! After checkout: the status machine's side effects, and carts idling out.

use serde_json::json;
use storefront::cart::{self, Clock};
use storefront::domain::now_ms;
use storefront::orders::{Shipment, Status, Transition, TransitionError, transition};

use crate::checkout::{SHOP, checkout, checkout_body, new_cart};
use crate::helpers::spawn_app_with_catalog;

fn to(status: Status) -> Transition {
    Transition {
        to: status,
        actor: "admin:test".into(),
        note: String::new(),
        shipment: None,
    }
}

#[tokio::test]
async fn cancelling_returns_the_stock_once_and_a_paid_cancelled_order_can_be_refunded() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cart = new_cart(&app, json!([{"sku":"BRK-1","quantity":2}])).await;
    let (_, placed, _) = checkout(&app, "cancel-me", &checkout_body(&cart, "tok_visa")).await;
    let number = placed["order_number"].as_str().unwrap().to_owned();
    let stock = |app: &crate::helpers::TestApp| app.store.read().unwrap().stock("BRK-1").unwrap();
    assert_eq!(stock(&app), 3);

    let apply = |t: Transition| {
        let number = number.clone();
        app.store
            .write(move |tx| storefront::store::split(transition(tx, &number, t, now_ms())))
            .unwrap()
    };
    let cancelled = apply(to(Status::Cancelled)).unwrap();
    assert!(cancelled.restocked);
    assert_eq!(stock(&app), 5);
    assert_eq!(
        apply(to(Status::Paid)).unwrap_err(),
        TransitionError::NotAllowed {
            from: Status::Cancelled,
            to: Status::Paid
        }
    );
    let refunded = apply(to(Status::Refunded)).unwrap();
    assert_eq!(refunded.history.len(), 3);
    assert_eq!(stock(&app), 5, "the refund does not return the units a second time");
    let ledger = app.store.read().unwrap().ledger("BRK-1").unwrap();
    assert_eq!(ledger.iter().map(|e| e.delta).sum::<i64>(), 5);
    assert!(ledger.last().unwrap().reason.contains("cancelled"));

    let token = placed["token"].as_str().unwrap();
    let (_, order) = app.get_json(&format!("/api/v1/orders/{number}?token={token}")).await;
    assert_eq!(order["status"], "refunded");
}

#[tokio::test]
async fn shipping_needs_a_tracking_number_and_shipped_units_stay_sold_after_a_refund() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":4}])).await;
    let (_, placed, _) = checkout(&app, "ship-me", &checkout_body(&cart, "tok_visa")).await;
    let number = placed["order_number"].as_str().unwrap().to_owned();
    let apply = |t: Transition| {
        let number = number.clone();
        app.store
            .write(move |tx| storefront::store::split(transition(tx, &number, t, now_ms())))
            .unwrap()
    };
    apply(to(Status::Fulfilled)).unwrap();
    assert_eq!(
        apply(to(Status::Shipped)).unwrap_err(),
        TransitionError::ShipmentRequired
    );
    let shipped = apply(Transition {
        shipment: Some(Shipment {
            carrier: "UPS".into(),
            tracking_number: "1Z999AA10123456784".into(),
        }),
        ..to(Status::Shipped)
    })
    .unwrap();
    assert_eq!(shipped.shipment.unwrap().carrier, "UPS");
    apply(to(Status::Refunded)).unwrap();
    assert_eq!(app.store.read().unwrap().stock("SAUCE-5").unwrap(), 46);
}

#[tokio::test]
async fn idle_carts_are_swept_and_then_gone() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let ttl = 72 * 3_600_000;
    let later = Clock {
        now_ms: now_ms() + ttl + 1,
        ttl_ms: ttl,
    };
    let swept = app.store.write(|tx| cart::ops::sweep(tx, later, 100)).unwrap();
    assert_eq!(swept, 1);
    let (status, _) = app.get_json(&format!("/api/v1/carts/{id}")).await;
    assert_eq!(status, 404);
    let now = Clock {
        now_ms: now_ms(),
        ttl_ms: ttl,
    };
    assert_eq!(app.store.write(|tx| cart::ops::sweep(tx, now, 100)).unwrap(), 0);
}

#[tokio::test]
async fn a_checked_out_cart_is_gone_at_once_and_deleted_by_the_sweep_without_touching_open_carts() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let bought = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (status, _, _) = checkout(&app, "sweep-1", &checkout_body(&bought, "tok_visa")).await;
    assert_eq!(status, 201);
    let (status, _) = app.get_json(&format!("/api/v1/carts/{bought}")).await;
    assert_eq!(status, 404, "a cart that became an order reads as gone at once");
    let (status, again, _) = checkout(&app, "sweep-2", &checkout_body(&bought, "tok_visa")).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (404, Some("cart_not_found")),
        "{again}"
    );
    let ttl = 72 * 3_600_000;
    let later = Clock {
        now_ms: now_ms() + ttl + 1,
        ttl_ms: ttl,
    };
    // A cart changed just before the sweep is not idle yet, whatever rows lie around it.
    let open = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":2}])).await;
    app.store
        .write(|tx| {
            let mut cart = tx.cart(&open)?.expect("the open cart");
            let previous = cart.updated_ms;
            cart.updated_ms = later.now_ms;
            tx.put_cart(&cart, Some(previous))
        })
        .unwrap();
    let swept = app.store.write(|tx| cart::ops::sweep(tx, later, 100)).unwrap();
    assert_eq!(swept, 1, "the bought cart is deleted with the idle ones");
    let left = app.store.write(|tx| tx.stored_cart(&bought)).unwrap();
    assert!(left.is_none(), "the sweep deleted the bought cart itself");
    assert_eq!(app.store.write(|tx| cart::ops::sweep(tx, later, 100)).unwrap(), 0);
    let (status, cart) = app.get_json(&format!("/api/v1/carts/{open}")).await;
    assert_eq!(
        (status, cart["lines"].as_array().map(Vec::len)),
        (200, Some(1)),
        "{cart}"
    );
    let (status, _) = app.get_json(&format!("/api/v1/carts/{bought}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_sell_out_reaches_search_within_a_second_and_a_restock_brings_it_back() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let in_stock_brakes = "/api/v1/search?q=brake+pads&in_stock=true";
    let (_, before) = app.get_json(in_stock_brakes).await;
    assert_eq!(before["total"], 1);

    let cart = new_cart(&app, json!([{"sku":"BRK-1","quantity":5}])).await;
    let (status, placed, _) = checkout(&app, "sell-out", &checkout_body(&cart, "tok_visa")).await;
    assert_eq!(status, 201);
    let sold_at = std::time::Instant::now();
    assert_eq!(wait_for_total(&app, in_stock_brakes, 0).await, 0);
    assert!(
        sold_at.elapsed() < std::time::Duration::from_secs(1),
        "took {:?}",
        sold_at.elapsed()
    );

    let number = placed["order_number"].as_str().unwrap().to_owned();
    app.store
        .write(move |tx| transition(tx, &number, to(Status::Cancelled), now_ms()))
        .unwrap();
    assert_eq!(wait_for_total(&app, in_stock_brakes, 1).await, 1);
}

/// Polls a search until its total is `want` (or two seconds pass); returns the last total.
async fn wait_for_total(app: &crate::helpers::TestApp, path: &str, want: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let (_, body) = app.get_json(path).await;
        let total = body["total"].as_u64().unwrap();
        if total == want || std::time::Instant::now() > deadline {
            return total;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
