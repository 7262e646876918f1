//! Mail: order and merchant mails go out through a real SMTP server (aiosmtpd) by durable jobs,
//! survive an SMTP outage during a checkout storm, and without SMTP wait in the outbox.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use storefront::config::Config;

use crate::admin_pages::{get, staff_session};
use crate::checkout::{checkout, checkout_body, import_shop, new_cart};
use crate::helpers::{TestApp, eventually, spawn_configured};
use crate::peers::{SmtpSink, free_port};

pub async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(&app.admin_token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Waits until no job is left (queued, running or failed): whatever the store was going to send
/// has been sent, so a test can assert nothing more comes.
pub async fn drained(app: &TestApp) {
    let empty = || async {
        let (_, jobs) = admin(app, Method::GET, "/api/v1/admin/jobs", None).await;
        jobs["items"].as_array().is_some_and(|items| items.is_empty())
    };
    assert!(eventually(Duration::from_secs(20), empty).await, "the job queue drains");
}

/// A shop over `SHOP` whose mail goes to `smtp_url` (the outbox when `None`), with retries
/// quick enough for a test.
pub async fn shop(smtp_url: Option<String>, configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_configured(
        |config| {
            config.mail.smtp_url = smtp_url;
            config.mail.from = "Redline & Ember <orders@example.com>".into();
            config.mail.merchant_to = Some("owner@example.com".into());
            config.jobs.backoff.first = Duration::from_secs(1);
            config.jobs.backoff.max = Duration::from_secs(2);
            configure(config);
        },
        import_shop,
    )
    .await
}

/// Places an order of `quantity` × `sku`; returns (order number, token).
pub async fn place(app: &TestApp, sku: &str, quantity: u32, key: &str) -> (String, String) {
    let cart = new_cart(app, json!([{"sku": sku, "quantity": quantity}])).await;
    let (status, order, _) = checkout(app, key, &checkout_body(&cart, "tok_visa")).await;
    assert_eq!(status, 201, "{order}");
    let token = order["token"]
        .as_str()
        .or(order["order_token"].as_str())
        .unwrap_or_default()
        .to_owned();
    (order["order_number"].as_str().unwrap().to_owned(), token)
}

fn subjects_to<'a>(mails: &'a [Value], to: &str) -> Vec<&'a str> {
    mails
        .iter()
        .filter(|m| m["to"].as_array().is_some_and(|t| t.iter().any(|a| a == to)) || m["to"] == to)
        .map(|m| m["subject"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_order_confirmation_arrives_over_smtp_with_the_order_number_and_link_and_the_merchant_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(free_port(), &dir.path().join("mails.jsonl"));
    let app = shop(Some(sink.url()), |_| {}).await;
    let (number, _) = place(&app, "SAUCE-5", 2, "mail-1").await;
    assert!(
        eventually(Duration::from_secs(10), || async { sink.mails().len() >= 2 }).await,
        "two mails arrive: {:?}",
        sink.mails()
    );
    let mails = sink.mails();
    let confirmation = mails
        .iter()
        .find(|m| m["to"][0] == "ana@example.com")
        .expect("the shopper's confirmation");
    assert!(confirmation["subject"].as_str().unwrap().contains(&number));
    assert_eq!(
        confirmation["multipart"], "multipart/alternative",
        "text and HTML parts"
    );
    let link = format!("{}/orders/{number}?token=", app.addr);
    for part in ["text", "html"] {
        let body = confirmation[part].as_str().unwrap();
        assert!(body.contains(&number) && body.contains(&link), "{part} part: {body}");
        assert!(body.contains("Ember Reaper Sauce 5 oz"), "{part} lists the lines");
    }
    assert!(confirmation["message_id"].as_str().unwrap().starts_with('<'));
    let notice = subjects_to(&mails, "owner@example.com");
    assert_eq!(notice.len(), 1, "{mails:?}");
    assert!(notice[0].starts_with(&format!("New order {number}")));
    assert_eq!(mails.len(), 2, "nothing else is sent: {mails:?}");

    let (status, log) = admin(&app, Method::GET, "/api/v1/admin/mail", None).await;
    assert_eq!(status, 200);
    assert_eq!(log["smtp"], true);
    assert!(log["items"].as_array().unwrap().iter().all(|m| m["sent"] == true));
}

#[tokio::test]
async fn with_smtp_down_during_a_storm_of_200_checkouts_every_confirmation_arrives_once_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let app = shop(Some(format!("smtp://127.0.0.1:{port}")), |c| c.mail.merchant_to = None).await;
    let app = std::sync::Arc::new(app);
    let mut numbers = HashSet::new();
    for wave in 0..10 {
        let buyers: Vec<_> = (0..20)
            .map(|i| {
                let app = app.clone();
                tokio::spawn(async move { place(&app, "SAUCE-5", 1, &format!("storm-{wave}-{i}")).await.0 })
            })
            .collect();
        for b in buyers {
            numbers.insert(b.await.unwrap());
        }
        // Stock for the next wave (the shop has 50).
        let (status, _) = admin(
            &app,
            Method::POST,
            "/api/v1/admin/stock/SAUCE-5/adjust",
            Some(json!({"delta": 20, "reason": "restock"})),
        )
        .await;
        assert_eq!(status, 200);
    }
    assert_eq!(numbers.len(), 200);
    let failing = || async {
        let (_, jobs) = admin(&app, Method::GET, "/api/v1/admin/jobs?state=failed&limit=500", None).await;
        jobs["items"].as_array().unwrap().len()
    };
    assert!(
        eventually(Duration::from_secs(20), || async { failing().await == 200 }).await,
        "with SMTP down, the 200 mails wait as failed jobs (saw {})",
        failing().await
    );
    let sink = SmtpSink::start(port, &dir.path().join("mails.jsonl"));
    assert!(
        eventually(Duration::from_secs(60), || async { sink.mails().len() >= 200 }).await,
        "all 200 arrive once SMTP is back (got {})",
        sink.mails().len()
    );
    drained(&app).await; // no job left that could send a repeat
    let mails = sink.mails();
    let mut per_order: HashMap<String, usize> = HashMap::new();
    for mail in &mails {
        let subject = mail["subject"].as_str().unwrap();
        let number = numbers
            .iter()
            .find(|n| subject.contains(n.as_str()))
            .expect("a confirmation of a placed order");
        *per_order.entry(number.clone()).or_default() += 1;
    }
    assert_eq!(per_order.len(), 200, "every order's confirmation arrived");
    assert!(per_order.values().all(|n| *n == 1), "none twice: {mails:?}");
    assert_eq!(failing().await, 0);
}

#[tokio::test]
async fn without_smtp_every_mail_is_kept_in_the_outbox_and_a_refused_checkout_sends_none() {
    let app = shop(None, |_| {}).await;
    let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 1}])).await;
    let (status, _, _) = checkout(&app, "declined", &checkout_body(&cart, "tok_declined")).await;
    assert_eq!(status, 402);
    let (number, _) = place(&app, "SAUCE-5", 1, "outbox-1").await;
    let outbox = || async { admin(&app, Method::GET, "/api/v1/admin/mail", None).await.1 };
    assert!(
        eventually(Duration::from_secs(10), || async {
            outbox().await["items"].as_array().unwrap().len() >= 2
        })
        .await
    );
    let mail = outbox().await;
    assert_eq!(mail["smtp"], false);
    let items = mail["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        2,
        "the confirmation and the notice, nothing for the refused checkout: {items:?}"
    );
    assert!(
        items
            .iter()
            .all(|m| m["sent"] == false && m["subject"].as_str().unwrap().contains(&number))
    );
    let (sid, _) = staff_session(&app).await;
    let page = get(&app, "/admin/mail", &sid).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Outbox") && html.contains(&number),
        "the back office shows the outbox"
    );
    for page in ["/admin/jobs", "/admin/jobs?state=dead", "/admin/webhooks"] {
        assert_eq!(get(&app, page, &sid).await.status(), 200, "{page}");
    }
}

#[tokio::test]
async fn shipping_cancelling_and_refunding_each_mail_the_shopper_once() {
    let app = shop(None, |c| c.mail.merchant_to = None).await;
    let (shipped, _) = place(&app, "SAUCE-5", 1, "life-1").await;
    let (cancelled, _) = place(&app, "SAUCE-5", 1, "life-2").await;
    let (refunded, _) = place(&app, "SAUCE-5", 1, "life-3").await;
    let path = |n: &str| format!("/api/v1/admin/orders/{n}/transition");
    let moves = [
        (&shipped, json!({"to": "fulfilled"})),
        (
            &shipped,
            json!({"to": "shipped", "carrier": "UPS", "tracking_number": "1Z999AA10123456784"}),
        ),
        (&cancelled, json!({"to": "cancelled"})),
        (&refunded, json!({"to": "refunded"})),
    ];
    for (number, body) in moves {
        let (status, answer) = admin(&app, Method::POST, &path(number), Some(body)).await;
        assert_eq!(status, 200, "{answer}");
    }
    let kinds = || async {
        let (_, mail) = admin(&app, Method::GET, "/api/v1/admin/mail?limit=200", None).await;
        mail["items"].as_array().unwrap().clone()
    };
    assert!(eventually(Duration::from_secs(10), || async { kinds().await.len() >= 6 }).await);
    drained(&app).await;
    let mails = kinds().await;
    let of = |kind: &str| -> Vec<Value> { mails.iter().filter(|m| m["kind"] == kind).cloned().collect() };
    assert_eq!(of("order-confirmation").len(), 3);
    let ship = of("order-shipped");
    assert_eq!(ship.len(), 1);
    assert!(ship[0]["subject"].as_str().unwrap().contains(shipped.as_str()));
    assert!(
        ship[0]["text"].as_str().unwrap().contains("1Z999AA10123456784")
            && ship[0]["text"].as_str().unwrap().contains("UPS")
    );
    assert!(
        of("order-cancelled")[0]["subject"]
            .as_str()
            .unwrap()
            .contains(cancelled.as_str())
    );
    assert!(
        of("order-refunded")[0]["subject"]
            .as_str()
            .unwrap()
            .contains(refunded.as_str())
    );
    assert_eq!(mails.len(), 6, "no mail for fulfilled, none twice");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for name in [
        "storefront_jobs{",
        "storefront_job_oldest_seconds{",
        "storefront_mails_total{",
    ] {
        assert!(metrics.contains(name), "/metrics has {name}");
    }
}

#[tokio::test]
async fn low_stock_alerts_the_merchant_once_per_crossing_not_per_sale() {
    // BRK-1 starts at 5 with the shop's threshold 5: raise it first, then sell down past it.
    let app = shop(None, |_| {}).await;
    let (status, _) = admin(
        &app,
        Method::PUT,
        "/api/v1/admin/stock/BRK-1",
        Some(json!({"quantity": 8, "reason": "count"})),
    )
    .await;
    assert_eq!(status, 200);
    for i in 0..5 {
        place(&app, "BRK-1", 1, &format!("low-{i}")).await; // 7, 6, 5 (crosses), 4, 3
    }
    let alerts = || async {
        let (_, mail) = admin(&app, Method::GET, "/api/v1/admin/mail?limit=200", None).await;
        mail["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "low-stock")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(eventually(Duration::from_secs(10), || async { alerts().await.len() == 1 }).await);
    drained(&app).await;
    let first = alerts().await;
    assert_eq!(first.len(), 1, "one alert for one crossing: {first:?}");
    assert_eq!(first[0]["to"], "owner@example.com");
    // The alert says the level when it is sent (sales after the crossing count too).
    assert!(
        first[0]["text"].as_str().unwrap().contains("(low-stock threshold 5)"),
        "{}",
        first[0]["text"]
    );
    admin(
        &app,
        Method::PUT,
        "/api/v1/admin/stock/BRK-1",
        Some(json!({"quantity": 9, "reason": "restock"})),
    )
    .await;
    for i in 0..4 {
        place(&app, "BRK-1", 1, &format!("low-again-{i}")).await; // 8, 7, 6, 5 (crosses again)
    }
    assert!(
        eventually(Duration::from_secs(10), || async { alerts().await.len() == 2 }).await,
        "a new crossing, a new alert"
    );
}
