//! A full disk while the shop sells: writes answer 503 with Retry-After, reads go on, nothing
//! acknowledged is lost, and the store recovers by itself when space returns.
//!
//! Two layers: the store pauses writes while free space is under `store.min_free_disk_mb`, so
//! redb never sees a failed write and every read works; and if a write fails anyway (a disk
//! filled faster than the check, a read-only remount), the store answers 503 and reopens itself
//! once writes work again. After such a failure redb fails reads that miss its page cache, so
//! that test checks only a read the cache holds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use storefront::store::FaultSwitch;

use crate::checkout::{checkout, checkout_body, import_shop, new_cart};
use crate::helpers::spawn_configured;

#[tokio::test]
async fn with_the_disk_full_writes_get_503_reads_work_and_service_returns_with_the_space() {
    let disk = Arc::new(FaultSwitch::default());
    let switch = disk.clone();
    let app = spawn_configured(move |config| config.store.faults = Some(switch), import_shop).await;
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (status, before, _) = checkout(&app, "before-full", &checkout_body(&cart, "tok_visa")).await;
    assert_eq!(status, 201);
    let waiting = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":2}])).await;

    disk.set_disk_full(true);
    for attempt in 0..3 {
        let res = app
            .client
            .post(app.url("/api/v1/checkout"))
            .header("Idempotency-Key", "during-full")
            .json(&checkout_body(&waiting, "tok_visa"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 503, "attempt {attempt}");
        assert!(res.headers().contains_key("retry-after"));
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "storage_unavailable");
    }
    let (status, product) = app.get_json("/api/v1/products/SAUCE-5").await;
    assert_eq!((status, product["stock"].as_u64()), (200, Some(49)), "reads go on");

    disk.set_disk_full(false);
    let deadline = Instant::now() + Duration::from_secs(5);
    let placed = loop {
        let (status, body, _) = checkout(&app, "during-full", &checkout_body(&waiting, "tok_visa")).await;
        if status == 201 || Instant::now() > deadline {
            break (status, body);
        }
        assert_eq!(status, 503, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(placed.0, 201, "service returns by itself: {}", placed.1);
    let path = format!(
        "/api/v1/orders/{}?token={}",
        before["order_number"].as_str().unwrap(),
        before["token"].as_str().unwrap()
    );
    assert_eq!(
        app.get_json(&path).await.0,
        200,
        "the order acknowledged before the fault is there"
    );
    let (_, product) = app.get_json("/api/v1/products/SAUCE-5").await;
    assert_eq!(product["stock"], 47);
    for (key, cart, order) in [("before-full", &cart, &before), ("during-full", &waiting, &placed.1)] {
        let (status, again, replayed) = checkout(&app, key, &checkout_body(cart, "tok_visa")).await;
        assert_eq!(status, 201, "{again}");
        assert!(replayed, "the reopened store still knows key {key}");
        assert_eq!(again["order_number"], order["order_number"]);
    }
}

#[tokio::test]
async fn with_the_disk_nearly_full_writes_pause_and_every_page_still_reads() {
    let disk = Arc::new(FaultSwitch::default());
    let switch = disk.clone();
    let app = spawn_configured(move |config| config.store.faults = Some(switch), import_shop).await;
    let waiting = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":2}])).await;

    disk.set_low_on_space(true);
    let (status, body, _) = checkout(&app, "while-low", &checkout_body(&waiting, "tok_visa")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "storage_unavailable");
    for path in [
        "/",
        "/p/SAUCE-5",
        "/p/LIMITED",
        "/search?q=sauce",
        "/c/hot-sauce",
        "/cart",
    ] {
        let (status, page) = app.get_html(path).await;
        assert_eq!(status, 200, "{path} reads on: {page}");
    }
    for path in [
        "/api/v1/products/SAUCE-5",
        "/api/v1/products?page=1",
        "/api/v1/search?q=habanero",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 200, "{path} reads on: {body}");
    }

    disk.set_low_on_space(false);
    let (status, body, _) = checkout(&app, "while-low", &checkout_body(&waiting, "tok_visa")).await;
    assert_eq!(status, 201, "writes resume at once: {body}");
    let (_, product) = app.get_json("/api/v1/products/SAUCE-5").await;
    assert_eq!(product["stock"], 48);
}
