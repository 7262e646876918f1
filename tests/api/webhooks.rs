//! Outgoing webhooks against a real HTTP receiver that checks each signature itself; the job
//! queue's dead jobs, retry and discard; supplier stock feeds, pushed and pulled.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use storefront::webhooks::Endpoint;

use crate::helpers::eventually;
use crate::mail::{admin, drained, place, shop};
use crate::peers::{Mode, Receiver, sign};

const SECRET: &str = "whsec-test-secret-0123";

fn endpoint(url: &str, events: &[&str]) -> Endpoint {
    Endpoint {
        id: "config:0".into(),
        url: url.to_owned(),
        secret: SECRET.into(),
        events: events.iter().map(|e| e.to_string()).collect(),
        created_ms: 0,
    }
}

async fn ship(app: &crate::helpers::TestApp, number: &str) {
    let path = format!("/api/v1/admin/orders/{number}/transition");
    for body in [
        json!({"to": "fulfilled"}),
        json!({"to": "shipped", "carrier": "UPS", "tracking_number": "1Z999"}),
    ] {
        let (status, answer) = admin(app, Method::POST, &path, Some(body)).await;
        assert_eq!(status, 200, "{answer}");
    }
}

fn types_for(got: &[crate::peers::Received], subject: &str) -> Vec<String> {
    got.iter()
        .filter(|r| r.answered == 204 && r.body["data"]["order_number"] == subject)
        .map(|r| r.body["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn webhooks_are_signed_retried_after_failures_and_arrive_in_order_per_order() {
    let receiver = Receiver::start(SECRET, Mode::FailFirst(3));
    let url = receiver.url.clone();
    let app = shop(None, move |c| c.webhooks = vec![endpoint(&url, &[])]).await;
    let (number, _) = place(&app, "SAUCE-5", 1, "hook-1").await;
    ship(&app, &number).await;
    assert!(
        eventually(Duration::from_secs(20), || async {
            types_for(&receiver.received(), &number).len() >= 3
        })
        .await,
        "got {:?}",
        receiver.received()
    );
    let got = receiver.received();
    assert!(
        got.iter().all(|r| r.signature_ok),
        "every delivery is signed with the secret"
    );
    assert_eq!(
        types_for(&got, &number),
        ["order.created", "order.paid", "order.shipped"],
        "in order per order"
    );
    assert_eq!(
        got.iter().filter(|r| r.answered == 500).count(),
        3,
        "the first three were refused and retried"
    );
    let first = &got[0];
    assert!(first.event_id.starts_with("evt_") && first.body["id"] == first.event_id.as_str());
    assert!(first.body["created"].as_u64().unwrap() > 1_700_000_000);
    let delivered: std::collections::HashSet<&str> = got
        .iter()
        .filter(|r| r.answered == 204)
        .map(|r| r.event_id.as_str())
        .collect();
    assert_eq!(delivered.len(), 3, "each event delivered once after it succeeded");

    // A try is logged in the commit after the receiver answered it.
    let log = || async {
        admin(&app, Method::GET, "/api/v1/admin/webhooks/deliveries", None)
            .await
            .1["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(
        eventually(Duration::from_secs(5), || async { log().await.len() == got.len() }).await,
        "every try is in the delivery log"
    );
    let log = log().await;
    assert_eq!(log.iter().filter(|d| d["ok"] == false && d["status"] == 500).count(), 3);
}

#[tokio::test]
async fn a_receiver_that_never_answers_slows_neither_checkout_nor_the_other_receivers() {
    let hanging = Receiver::start(SECRET, Mode::Hang);
    let good = Receiver::start(SECRET, Mode::Accept);
    let (h, g) = (hanging.url.clone(), good.url.clone());
    let app = shop(None, move |c| {
        c.webhooks = vec![
            endpoint(&h, &["order.created"]),
            Endpoint {
                id: "config:1".into(),
                ..endpoint(&g, &["order.created"])
            },
        ]
    })
    .await;
    let started = Instant::now();
    let mut numbers = Vec::new();
    for i in 0..10 {
        numbers.push(place(&app, "SAUCE-5", 1, &format!("slow-{i}")).await.0);
    }
    assert!(
        eventually(Duration::from_secs(8), || async { good.received().len() >= 10 }).await,
        "the good receiver has every order before the hanging one's first timeout (10 s): {:?}",
        good.received().len()
    );
    assert!(started.elapsed() < Duration::from_secs(9));
    assert!(good.received().iter().all(|r| r.signature_ok));
    assert!(hanging.received().is_empty());
}

#[tokio::test]
async fn a_job_that_keeps_failing_is_kept_as_dead_and_can_be_retried_or_discarded() {
    // A port with nobody listening, taken over later by a receiver.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    drop(listener);
    let hook_url = url.clone();
    let app = shop(None, move |c| {
        c.webhooks = vec![endpoint(&hook_url, &["order.created"])];
        c.jobs.backoff.max_attempts = 2;
    })
    .await;
    let (first, _) = place(&app, "SAUCE-5", 1, "dead-1").await;
    let (second, _) = place(&app, "SAUCE-5", 1, "dead-2").await;
    let dead = || async {
        admin(&app, Method::GET, "/api/v1/admin/jobs?state=dead", None).await.1["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(
        eventually(Duration::from_secs(15), || async { dead().await.len() == 2 }).await,
        "{:?}",
        dead().await
    );
    let jobs = dead().await;
    assert!(
        jobs.iter()
            .all(|j| j["kind"] == "webhook" && j["attempts"] == 2 && j["last_error"].is_string())
    );
    let id_of = |number: &str| {
        let job = jobs.iter().find(|j| j["subject"] == number);
        job.unwrap_or_else(|| panic!("no dead job for {number} in {jobs:?}"))["id"]
            .as_u64()
            .unwrap()
    };

    let receiver = Receiver::start_on(
        TcpListener::bind(url.trim_start_matches("http://").trim_end_matches("/hooks")).unwrap(),
        SECRET,
        Mode::Accept,
    );
    let (status, _) = admin(
        &app,
        Method::POST,
        &format!("/api/v1/admin/jobs/{}/retry", id_of(&first)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(eventually(Duration::from_secs(10), || async { receiver.received().len() == 1 }).await);
    assert_eq!(receiver.received()[0].body["data"]["order_number"], first.as_str());
    let (status, _) = admin(
        &app,
        Method::DELETE,
        &format!("/api/v1/admin/jobs/{}", id_of(&second)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = admin(
        &app,
        Method::DELETE,
        &format!("/api/v1/admin/jobs/{}", id_of(&second)),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(eventually(Duration::from_secs(5), || async { dead().await.is_empty() }).await);
    let (_, all) = admin(&app, Method::GET, "/api/v1/admin/jobs", None).await;
    assert!(all["items"].as_array().unwrap().is_empty(), "{all}");
    let (status, _) = admin(&app, Method::GET, "/api/v1/admin/jobs?state=sleeping", None).await;
    assert_eq!(status, 400);
    let (_, audit) = admin(&app, Method::GET, "/api/v1/admin/audit", None).await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"job.retry") && actions.contains(&"job.discard"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn webhook_endpoints_added_through_the_api_hear_the_events_they_chose() {
    let receiver = Receiver::start(SECRET, Mode::Accept);
    let app = shop(None, |_| {}).await;
    let (status, made) = admin(
        &app,
        Method::POST,
        "/api/v1/admin/webhooks",
        Some(json!({"url": receiver.url, "secret": SECRET, "events": ["order.shipped"]})),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let (status, _) = admin(
        &app,
        Method::POST,
        "/api/v1/admin/webhooks",
        Some(json!({"url": "ftp://x", "secret": SECRET})),
    )
    .await;
    assert_eq!(status, 422);
    let (number, _) = place(&app, "SAUCE-5", 1, "api-hook").await;
    ship(&app, &number).await;
    assert!(eventually(Duration::from_secs(10), || async { !receiver.received().is_empty() }).await);
    drained(&app).await;
    assert_eq!(
        types_for(&receiver.received(), &number),
        ["order.shipped"],
        "only the chosen event"
    );
    let id = made["id"].as_str().unwrap();
    let (status, _) = admin(&app, Method::DELETE, &format!("/api/v1/admin/webhooks/{id}"), None).await;
    assert_eq!(status, 200);
    let (_, list) = admin(&app, Method::GET, "/api/v1/admin/webhooks", None).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}

async fn push(
    app: &crate::helpers::TestApp,
    body: &str,
    signature: Option<String>,
    key: Option<&str>,
    content_type: &str,
) -> (u16, Value) {
    let mut req = app
        .client
        .post(app.url("/api/v1/supplier/acme/stock"))
        .header("Content-Type", content_type)
        .body(body.to_owned());
    if let Some(s) = signature {
        req = req.header("Storefront-Signature", s);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_signed_stock_push_sets_stock_through_the_ledger_once_per_key_and_reports_what_it_skipped() {
    let app = shop(None, |c| {
        c.supplier_feeds = vec![storefront::config::FeedConfig {
            name: "acme".into(),
            secret: Some(SECRET.into()),
            url: None,
            every: Duration::from_secs(900),
        }]
    })
    .await;
    let body = r#"{"items":[{"sku":"SAUCE-5","quantity":80},{"sku":"NOPE-1","quantity":3},{"sku":"BRK-1"},{"sku":"LIMITED","quantity":2}]}"#;
    let (status, _) = push(&app, body, None, None, "application/json").await;
    assert_eq!(status, 401, "unsigned");
    let (status, _) = push(
        &app,
        body,
        Some(sign("wrong-secret-0123456", body.as_bytes())),
        None,
        "application/json",
    )
    .await;
    assert_eq!(status, 401, "signed with another secret");
    let (status, run) = push(
        &app,
        body,
        Some(sign(SECRET, body.as_bytes())),
        Some("push-1"),
        "application/json",
    )
    .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(
        (
            run["applied"].as_u64(),
            run["unknown_count"].as_u64(),
            run["bad_count"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{run}"
    );
    assert_eq!(run["unknown"], json!(["NOPE-1"]));
    let (_, product) = app.get_json("/api/v1/products/SAUCE-5").await;
    assert_eq!(product["stock"], 80);
    let (_, ledger) = admin(&app, Method::GET, "/api/v1/admin/stock/SAUCE-5/ledger", None).await;
    let last = ledger["entries"]
        .as_array()
        .or(ledger["items"].as_array())
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["reason"], "supplier:acme", "{ledger}");

    // The same push again (a retry): applied once.
    place(&app, "SAUCE-5", 1, "after-push").await;
    let (status, again) = push(
        &app,
        body,
        Some(sign(SECRET, body.as_bytes())),
        Some("push-1"),
        "application/json",
    )
    .await;
    assert_eq!((status, &again["replayed"]), (200, &json!(true)));
    assert_eq!(
        app.get_json("/api/v1/products/SAUCE-5").await.1["stock"],
        79,
        "not reset to 80 by the replay"
    );

    let csv = "sku,quantity\nSAUCE-5,2\nLIMITED,lots\n";
    let (status, run) = push(&app, csv, Some(sign(SECRET, csv.as_bytes())), None, "text/csv").await;
    assert_eq!(
        (status, run["applied"].as_u64(), run["bad_count"].as_u64()),
        (200, Some(1), Some(1)),
        "{run}"
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            let (_, mail) = admin(&app, Method::GET, "/api/v1/admin/mail", None).await;
            mail["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["kind"] == "low-stock" && m["subject"].as_str().unwrap().contains("Ember Reaper"))
        })
        .await,
        "a feed that leaves stock low alerts the merchant"
    );
    let (_, feeds) = admin(&app, Method::GET, "/api/v1/admin/feeds", None).await;
    assert_eq!(feeds["items"][0]["last_run"]["source"], "push");
    let (status, _) = push(
        &app,
        body,
        Some(sign(SECRET, body.as_bytes())),
        None,
        "application/json",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .post_json("/api/v1/supplier/nobody/stock", &json!({"items": []}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_feed_pulled_over_http_is_applied_at_start() {
    let url = crate::peers::serve_text("sku,quantity\nSAUCE-5,21\n");
    let app = shop(None, move |c| {
        c.supplier_feeds = vec![storefront::config::FeedConfig {
            name: "acme".into(),
            secret: None,
            url: Some(url),
            every: Duration::from_secs(60),
        }]
    })
    .await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.get_json("/api/v1/products/SAUCE-5").await.1["stock"] == 21
        })
        .await,
        "the pulled level is applied"
    );
}

#[tokio::test]
async fn a_pulled_feed_file_is_applied_on_its_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acme.csv");
    std::fs::write(&file, "SAUCE-5,33\nLIMITED,4\nGONE-9,1\n").unwrap();
    let url = format!("file://{}", file.display());
    let app = shop(None, move |c| {
        c.supplier_feeds = vec![storefront::config::FeedConfig {
            name: "acme".into(),
            secret: None,
            url: Some(url),
            every: Duration::from_secs(60),
        }]
    })
    .await;
    assert!(
        eventually(Duration::from_secs(10), || async {
            app.get_json("/api/v1/products/SAUCE-5").await.1["stock"] == 33
        })
        .await,
        "the first pull runs at start"
    );
    assert_eq!(app.get_json("/api/v1/products/LIMITED").await.1["stock"], 4);
    let (_, feeds) = admin(&app, Method::GET, "/api/v1/admin/feeds", None).await;
    let run = &feeds["items"][0]["last_run"];
    assert_eq!(
        (run["source"].as_str(), run["applied"].as_u64(), run["unknown"].clone()),
        (Some("pull"), Some(2), json!(["GONE-9"]))
    );
}

#[tokio::test]
async fn a_sale_that_crosses_the_low_stock_threshold_sends_one_stock_low_webhook() {
    let receiver = Receiver::start(SECRET, Mode::Accept);
    let url = receiver.url.clone();
    let app = shop(None, move |c| c.webhooks = vec![endpoint(&url, &["stock.low"])]).await;
    let (status, _) = admin(
        &app,
        Method::PUT,
        "/api/v1/admin/stock/BRK-1",
        Some(json!({"quantity": 7, "reason": "count"})),
    )
    .await;
    assert_eq!(status, 200);
    for i in 0..4 {
        place(&app, "BRK-1", 1, &format!("low-hook-{i}")).await; // 6, 5 (crosses), 4, 3
    }
    assert!(eventually(Duration::from_secs(10), || async { !receiver.received().is_empty() }).await);
    drained(&app).await;
    let got = receiver.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body["type"], "stock.low");
    assert_eq!(
        (
            got[0].body["data"]["sku"].as_str(),
            got[0].body["data"]["low_stock"].as_u64()
        ),
        (Some("BRK-1"), Some(5))
    );
    assert!(got[0].signature_ok);
}
