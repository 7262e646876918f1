//! The built binary paying through a real Stripe-compatible server (localstripe) while it is
//! killed again and again at each step of a card checkout: after the hold and before the order
//! is written, after the order is written and before the answer, after the money is taken and
//! before that is recorded, and by SIGKILL at any moment. After the last restart the store puts
//! itself right with the gateway within a minute: every PaymentIntent that took money belongs to
//! exactly one paid order, every paid order to one PaymentIntent that took its total, and no
//! money is left held.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use storefront::orders::Status;
use storefront::store::Store;

use crate::checkout::address;
use crate::helpers::{Server, storefront, temp_path};
use crate::peers::LocalStripe;

const SKUS: usize = 4;
const UNITS: u64 = 100_000;
const BUYERS: usize = 8;

/// Each round's way to die: a crash point (aborting with this probability each time the step is
/// reached) or, with `None`, a SIGKILL from outside after a while.
const ROUNDS: [Option<&str>; 6] = [
    Some("payments.after_hold:0.05"),
    Some("checkout.after_write:0.05"),
    Some("payments.after_capture:0.1"),
    None,
    Some("payments.after_hold:0.05"),
    None,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_at_every_step_of_card_checkouts_no_charge_is_left_without_an_order_nor_a_paid_order_without_a_charge() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let catalog = temp_path(&dir, "catalog.jsonl");
    let lines: String = (0..SKUS)
        .map(|i| {
            format!("{{\"sku\":\"PAY-{i}\",\"title\":\"Card test item {i}\",\"price_cents\":1299,\"stock\":{UNITS}}}\n")
        })
        .collect();
    std::fs::write(&catalog, lines).unwrap();
    let out = storefront()
        .args(["import", "--data-dir"])
        .arg(&data)
        .arg(&catalog)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let stripe = LocalStripe::start();
    let config = format!(
        "[payments]\nmethods = [\"stripe\"]\ntest_cards = false\n[payments.stripe]\nsecret_key = \"sk_test_storefront\"\npublishable_key = \"pk_test_storefront\"\napi_base = \"{}\"\ntimeout_ms = 3000\n[jobs]\nfirst_retry_seconds = 1\nmax_backoff_seconds = 2\n",
        stripe.url()
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let placed = Arc::new(AtomicUsize::new(0));
    let crashes = Arc::new(AtomicUsize::new(0));
    for (round, crash) in ROUNDS.iter().enumerate() {
        let env: Vec<(&str, &str)> = crash.iter().map(|c| ("STOREFRONT_CRASH_POINTS", *c)).collect();
        let mut server = start(&data, &config, &env);
        let stop = Arc::new(AtomicBool::new(false));
        let buyers: Vec<_> = (0..BUYERS)
            .map(|b| {
                let (client, addr, stop, placed) = (client.clone(), server.addr.clone(), stop.clone(), placed.clone());
                tokio::spawn(async move { buy(&client, &addr, &stop, &placed, round, b).await })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_millis(2_500);
        while Instant::now() < deadline && server.child.try_wait().unwrap().is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if server.child.try_wait().unwrap().is_some() {
            crashes.fetch_add(1, Ordering::SeqCst);
        }
        drop(server); // SIGKILL if it is still up
        stop.store(true, Ordering::SeqCst);
        for b in buyers {
            b.await.unwrap();
        }
    }
    assert!(crashes.load(Ordering::SeqCst) >= 3, "the crash points fired");
    assert!(
        placed.load(Ordering::SeqCst) > 30,
        "the storm placed {} orders",
        placed.load(Ordering::SeqCst)
    );

    // The last start, left alone: it must put everything right by itself within a minute.
    let server = start(&data, &config, &[]);
    let started = Instant::now();
    let settled = loop {
        let held = stripe
            .intents()
            .into_iter()
            .filter(|i| i["status"] == "requires_capture")
            .count();
        if held == 0 {
            break Some(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(60) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let settled = settled.expect("within a minute of the restart no money is left held");
    // The settle jobs record what they did; give the last ones a moment, then stop cleanly.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(server.terminate(), "the server stops cleanly");

    let intents = stripe.intents();
    let store = Store::open(&data, &Default::default()).unwrap();
    let read = store.read().unwrap();
    let mut orders_by_intent: HashMap<String, Vec<(String, Status, i64)>> = HashMap::new();
    let mut paid_orders = 0;
    read.for_each_order(|order| {
        let reference = order
            .payment
            .reference
            .clone()
            .expect("a card order names its PaymentIntent");
        if matches!(order.status, Status::Paid | Status::Fulfilled | Status::Shipped) {
            paid_orders += 1;
        }
        orders_by_intent
            .entry(reference)
            .or_default()
            .push((order.number.clone(), order.status, order.total.minor()));
        true
    })
    .unwrap();
    let by_id: HashMap<&str, &Value> = intents.iter().map(|i| (i["id"].as_str().unwrap(), i)).collect();
    let refunded = |i: &Value| i["charges"]["data"][0]["amount_refunded"].as_i64().unwrap_or(0);
    let mut took_money = 0;
    for intent in &intents {
        let id = intent["id"].as_str().unwrap();
        let owners = orders_by_intent.get(id).cloned().unwrap_or_default();
        assert!(owners.len() <= 1, "{id} belongs to {owners:?}");
        if intent["status"] == "succeeded" && refunded(intent) < intent["amount"].as_i64().unwrap() {
            took_money += 1;
            let [(number, status, total)] = owners.as_slice() else {
                panic!("{id} took money and no order owns it: {intent}")
            };
            assert!(
                matches!(status, Status::Paid | Status::Fulfilled | Status::Shipped),
                "{number} is {status}"
            );
            assert_eq!(
                intent["amount"].as_i64(),
                Some(*total),
                "{number}: the intent took the order's total"
            );
        }
    }
    for (reference, owners) in &orders_by_intent {
        let (number, status, _) = &owners[0];
        if matches!(status, Status::Paid | Status::Fulfilled | Status::Shipped) {
            let intent = by_id
                .get(reference.as_str())
                .unwrap_or_else(|| panic!("{number}: {reference} unknown to Stripe"));
            assert_eq!(
                intent["status"], "succeeded",
                "paid order {number} has its money: {intent}"
            );
        }
    }
    assert_eq!(
        took_money, paid_orders,
        "one charge per paid order and one paid order per charge"
    );
    eprintln!(
        "payment crash test: {} rounds ({} by crash points), {} orders paid, {} PaymentIntents, settled {:.1} s after the restart",
        ROUNDS.len(),
        crashes.load(Ordering::SeqCst),
        paid_orders,
        intents.len(),
        settled.as_secs_f64()
    );
}

fn start(data: &std::path::Path, config: &str, env: &[(&str, &str)]) -> Server {
    let file = data.with_extension("payments.toml");
    std::fs::write(&file, format!("[limits]\nenabled = false\n{config}")).unwrap();
    Server::start_with_env(data, &["--config", file.to_str().unwrap(), "--no-demo"], env)
}

/// Card checkouts until told to stop. One left unanswered by a crash is abandoned, as a shopper
/// whose page died might: whatever it held at the gateway, the store must release by itself.
async fn buy(
    client: &reqwest::Client,
    addr: &str,
    stop: &AtomicBool,
    placed: &AtomicUsize,
    round: usize,
    buyer: usize,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let sku = format!("PAY-{}", (buyer + n) % SKUS);
        let Ok(res) = client
            .post(format!("{addr}/api/v1/carts"))
            .json(&json!({"items": [{"sku": sku, "quantity": 1}]}))
            .send()
            .await
        else {
            return;
        };
        let Ok(cart) = res.json::<Value>().await else { return };
        let body = json!({
            "cart_id": cart["id"],
            "email": "crash@example.com",
            "shipping_address": address(),
            "shipping_method": "standard",
            "payment": {"method": "stripe", "payment_method": "pm_card_visa"},
        });
        let sent = client
            .post(format!("{addr}/api/v1/checkout"))
            .header("Idempotency-Key", format!("pay-{round}-{buyer}-{n}"))
            .json(&body)
            .send()
            .await;
        if sent.is_ok_and(|res| res.status() == 201) {
            placed.fetch_add(1, Ordering::SeqCst);
        }
    }
}
