//! Card payments through a real Stripe-compatible server (localstripe, from PyPI): the money is
//! held at checkout and taken once the order is written, declines take nothing, refunds and
//! releases go through the gateway, Stripe's events are verified, a gateway outage opens the
//! breaker while invoice checkouts go on, and holds without an order are released.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use storefront::config::{Config, StripeConfig};

use crate::checkout::{address, checkout, import_shop, new_cart};
use crate::helpers::{TestApp, eventually, spawn_configured};
use crate::mail::admin;
use crate::peers::{LocalStripe, free_port};

pub const WEBHOOK_SECRET: &str = "whsec_storefront_test";

pub fn stripe_config(api_base: String, timeout_ms: u64) -> StripeConfig {
    StripeConfig {
        secret_key: "sk_test_storefront".into(),
        publishable_key: "pk_test_storefront".into(),
        webhook_secret: Some(WEBHOOK_SECRET.into()),
        js_url: format!("{api_base}/js.stripe.com/v3/"),
        api_base,
        timeout: Duration::from_millis(timeout_ms),
    }
}

/// A shop that takes cards through the Stripe API at `api_base`.
pub async fn card_shop(api_base: String, configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_configured(
        |config| {
            config.payments.stripe = Some(stripe_config(api_base, 2_000));
            config.payments.methods = vec!["stripe".into(), "invoice".into()];
            config.jobs.backoff.first = Duration::from_millis(300);
            config.jobs.backoff.max = Duration::from_secs(1);
            configure(config);
        },
        import_shop,
    )
    .await
}

pub fn card_body(cart: &str, payment_method: &str) -> Value {
    json!({
        "cart_id": cart,
        "email": "ana@example.com",
        "shipping_address": address(),
        "shipping_method": "standard",
        "payment": {"method": "stripe", "payment_method": payment_method},
    })
}

async fn order(app: &TestApp, number: &str) -> Value {
    let (status, order) = admin(app, Method::GET, &format!("/api/v1/admin/orders/{number}"), None).await;
    assert_eq!(status, 200, "{order}");
    order
}

async fn stock_of(app: &TestApp, sku: &str) -> u64 {
    let (_, p) = app.get_json(&format!("/api/v1/products/{sku}")).await;
    p["stock"].as_u64().unwrap()
}

fn intent(stripe: &LocalStripe, id: &str) -> Value {
    stripe.get(&format!("/v1/payment_intents/{id}"))
}

/// Stripe's own signature over `body` at time `t`.
pub fn stripe_signature(secret: &str, t: u64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn post_event(app: &TestApp, body: &str, signature: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/payments/stripe/webhook"))
        .header("Stripe-Signature", signature)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_card_pays_the_order_is_paid_and_the_held_money_is_taken_once_with_the_order_noted() {
    let stripe = LocalStripe::start();
    let app = card_shop(stripe.url(), |_| {}).await;
    let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 2}])).await;
    let (status, placed, _) = checkout(&app, "card-1", &card_body(&cart, "pm_card_visa")).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["status"], "paid");
    let number = placed["order_number"].as_str().unwrap().to_owned();
    let pi = order(&app, &number).await["payment_reference"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(pi.starts_with("pi_"));
    let held = intent(&stripe, &pi);
    assert_eq!(
        held["amount"], placed["total_cents"],
        "the total, in cents, from the one quote"
    );
    assert!(held["metadata"]["storefront_checkout"].is_string());

    let captured = eventually(Duration::from_secs(10), || async {
        intent(&stripe, &pi)["status"] == "succeeded"
    })
    .await;
    assert!(captured, "the settle job takes the money: {}", intent(&stripe, &pi));
    assert_eq!(intent(&stripe, &pi)["metadata"]["order_number"], number.as_str());
    assert!(
        eventually(Duration::from_secs(5), || async {
            order(&app, &number).await["captured_at"].is_string()
        })
        .await
    );

    let (again, replay, replayed) = checkout(&app, "card-1", &card_body(&cart, "pm_card_visa")).await;
    assert_eq!((again, replayed), (201, true));
    assert_eq!(replay["order_number"], number.as_str());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let taken: Vec<_> = stripe
        .intents()
        .into_iter()
        .filter(|i| i["status"] == "succeeded" || i["status"] == "requires_capture")
        .collect();
    assert_eq!(taken.len(), 1, "a retry never charges twice: {taken:?}");
}

#[tokio::test]
async fn a_declined_card_answers_402_and_nothing_is_held_or_taken_from_stock() {
    let stripe = LocalStripe::start();
    let app = card_shop(stripe.url(), |_| {}).await;
    let before = stock_of(&app, "SAUCE-5").await;
    let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 1}])).await;
    // localstripe declines this one at the charge, as Stripe declines pm_card_visa_chargeDeclined
    // (localstripe 1.15 declines that one only when it is attached to a customer).
    let (status, body, _) = checkout(&app, "declined-1", &card_body(&cart, "pm_card_chargeCustomerFail")).await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["error"]["code"], "payment_declined");
    assert_eq!(stock_of(&app, "SAUCE-5").await, before);
    let kept: Vec<_> = stripe
        .intents()
        .into_iter()
        .filter(|i| i["status"] == "succeeded" || i["status"] == "requires_capture")
        .collect();
    assert!(kept.is_empty(), "nothing held: {kept:?}");
    let (status, body, _) = checkout(&app, "bad-pm", &card_body(&cart, "not a payment method")).await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn a_refund_in_part_then_the_rest_goes_through_stripe_and_the_order_and_audit_log_show_them() {
    let stripe = LocalStripe::start();
    let app = card_shop(stripe.url(), |_| {}).await;
    let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 2}])).await;
    let (status, placed, _) = checkout(&app, "refund-1", &card_body(&cart, "pm_card_visa")).await;
    assert_eq!(status, 201, "{placed}");
    let number = placed["order_number"].as_str().unwrap().to_owned();
    let total = placed["total_cents"].as_i64().unwrap();
    let pi = order(&app, &number).await["payment_reference"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        eventually(Duration::from_secs(10), || async {
            intent(&stripe, &pi)["status"] == "succeeded"
        })
        .await
    );

    let path = format!("/api/v1/admin/orders/{number}/refunds");
    let (status, refunded) = admin(
        &app,
        Method::POST,
        &path,
        Some(json!({"amount_cents": 500, "note": "one bottle leaked"})),
    )
    .await;
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(refunded["refunds"][0]["state"], "requested");
    assert_eq!(refunded["status"], "paid", "a part refund leaves the status");
    let charge = |stripe: &LocalStripe| {
        intent(stripe, &pi)["charges"]["data"][0]["amount_refunded"]
            .as_i64()
            .unwrap_or(0)
    };
    assert!(
        eventually(Duration::from_secs(10), || async { charge(&stripe) == 500 }).await,
        "{}",
        intent(&stripe, &pi)
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            order(&app, &number).await["refunds"][0]["state"] == "done"
        })
        .await
    );
    let (status, too_much) = admin(&app, Method::POST, &path, Some(json!({"amount_cents": total}))).await;
    assert_eq!(status, 409, "{too_much}");

    let (status, moved) = admin(
        &app,
        Method::POST,
        &format!("/api/v1/admin/orders/{number}/transition"),
        Some(json!({"to": "refunded", "note": "customer changed mind"})),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert!(
        eventually(Duration::from_secs(10), || async { charge(&stripe) == total }).await,
        "the rest is refunded"
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            let o = order(&app, &number).await;
            o["refunded_cents"] == total && o["refunds"].as_array().unwrap().iter().all(|r| r["state"] == "done")
        })
        .await,
        "{}",
        order(&app, &number).await
    );
    let (_, audit) = admin(&app, Method::GET, "/api/v1/admin/audit", None).await;
    assert!(audit.to_string().contains("order.refund"), "{audit}");
}

#[tokio::test]
async fn a_cancelled_card_order_keeps_no_money_whether_or_not_it_was_taken_yet() {
    let stripe = LocalStripe::start();
    let app = card_shop(stripe.url(), |_| {}).await;
    for (i, wait_for_capture) in [false, true].into_iter().enumerate() {
        let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 1}])).await;
        let (status, placed, _) = checkout(&app, &format!("cancel-{i}"), &card_body(&cart, "pm_card_visa")).await;
        assert_eq!(status, 201, "{placed}");
        let number = placed["order_number"].as_str().unwrap().to_owned();
        let pi = order(&app, &number).await["payment_reference"]
            .as_str()
            .unwrap()
            .to_owned();
        if wait_for_capture {
            assert!(
                eventually(Duration::from_secs(10), || async {
                    intent(&stripe, &pi)["status"] == "succeeded"
                })
                .await
            );
        }
        let (status, _) = admin(
            &app,
            Method::POST,
            &format!("/api/v1/admin/orders/{number}/transition"),
            Some(json!({"to": "cancelled"})),
        )
        .await;
        assert_eq!(status, 200);
        let kept_nothing = || async {
            let i = intent(&stripe, &pi);
            i["status"] == "canceled"
                || (i["status"] == "succeeded" && i["charges"]["data"][0]["amount_refunded"] == i["amount"])
        };
        assert!(
            eventually(Duration::from_secs(10), kept_nothing).await,
            "released or refunded in full: {}",
            intent(&stripe, &pi)
        );
        if wait_for_capture {
            assert_eq!(
                intent(&stripe, &pi)["status"],
                "succeeded",
                "taken money comes back as a refund"
            );
        }
    }
}

#[tokio::test]
async fn a_card_needing_3ds_makes_a_pending_order_that_a_signed_stripe_event_marks_paid_and_a_forged_one_cannot() {
    let stripe = LocalStripe::start();
    let app = card_shop(stripe.url(), |_| {}).await;
    // localstripe sends its own events, signed, to the store.
    stripe.post(
        "/_config/webhooks/store",
        &[
            ("url", &app.url("/api/v1/payments/stripe/webhook")),
            ("secret", WEBHOOK_SECRET),
        ],
    );
    let pm = stripe.post(
        "/v1/payment_methods",
        &[
            ("type", "card"),
            ("card[number]", "4000002500003155"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2034"),
            ("card[cvc]", "123"),
        ],
    );
    let pm = pm["id"].as_str().expect("a payment method").to_owned();
    let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 1}])).await;
    let (status, placed, _) = checkout(&app, "3ds-1", &card_body(&cart, &pm)).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(placed["status"], "pending");
    let secret = placed["next_action"]["client_secret"]
        .as_str()
        .expect("the secret for Stripe.js")
        .to_owned();
    let number = placed["order_number"].as_str().unwrap().to_owned();
    let pi = order(&app, &number).await["payment_reference"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(intent(&stripe, &pi)["status"], "requires_action");

    // The shopper confirms with the bank (what localstripe's Stripe.js does).
    let confirmed = stripe.post(
        &format!("/v1/payment_intents/{pi}/_authenticate"),
        &[
            ("client_secret", &secret),
            ("success", "true"),
            ("key", "pk_test_storefront"),
        ],
    );
    assert_eq!(confirmed["status"], "requires_capture", "{confirmed}");
    // Stripe then sends payment_intent.amount_capturable_updated (localstripe does not): the
    // event is the intent as localstripe now has it.
    let event = json!({
        "id": format!("evt_{pi}"),
        "type": "payment_intent.amount_capturable_updated",
        "created": 1,
        "data": {"object": intent(&stripe, &pi)},
    })
    .to_string();
    let now = storefront::domain::now_ms() / 1000;
    let (status, refused) = post_event(&app, &event, &stripe_signature("whsec_wrong", now, &event)).await;
    assert_eq!(status, 400, "a forged event is refused: {refused}");
    let (status, _) = post_event(&app, &event, &stripe_signature(WEBHOOK_SECRET, now - 3600, &event)).await;
    assert_eq!(status, 400, "a replayed old signature is refused");
    assert_eq!(order(&app, &number).await["status"], "pending");

    let (status, applied) = post_event(&app, &event, &stripe_signature(WEBHOOK_SECRET, now, &event)).await;
    assert_eq!(
        (status, applied["outcome"].as_str()),
        (200, Some("applied")),
        "{applied}"
    );
    assert_eq!(order(&app, &number).await["status"], "paid");
    let (status, again) = post_event(&app, &event, &stripe_signature(WEBHOOK_SECRET, now, &event)).await;
    assert_eq!((status, again["outcome"].as_str()), (200, Some("repeated")));
    assert!(
        eventually(Duration::from_secs(10), || async {
            intent(&stripe, &pi)["status"] == "succeeded"
        })
        .await,
        "the money is taken"
    );
    // An old event arriving now (the payment failing, from before it went through) changes
    // nothing: the store looks at the payment as it is.
    let mut stale = intent(&stripe, &pi);
    stale["status"] = json!("requires_payment_method");
    let late =
        json!({"id": "evt_late", "type": "payment_intent.payment_failed", "created": 1, "data": {"object": stale}})
            .to_string();
    let (status, _) = post_event(&app, &late, &stripe_signature(WEBHOOK_SECRET, now, &late)).await;
    assert_eq!(status, 200);
    // localstripe's own signed payment_intent.succeeded reaches the store and changes nothing.
    let metrics_say = || async {
        let text = app.get("/metrics").await.text().await.unwrap();
        text.lines()
            .any(|l| l.starts_with("storefront_payment_gateway_events_total{outcome=\"applied\"} 3"))
    };
    assert!(
        eventually(Duration::from_secs(10), metrics_say).await,
        "localstripe's event arrived and was applied"
    );
    assert_eq!(order(&app, &number).await["status"], "paid");
}

#[tokio::test]
async fn with_stripe_gone_mid_storm_card_checkouts_fail_fast_the_breaker_opens_invoices_go_on_and_a_probe_closes_it() {
    let port = free_port();
    let stripe = LocalStripe::start_on(port);
    let app = std::sync::Arc::new(card_shop(stripe.url(), |_| {}).await);
    let pay = |key: String, method: &'static str| {
        let app = app.clone();
        async move {
            let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 1}])).await;
            let body = match method {
                "stripe" => card_body(&cart, "pm_card_visa"),
                _ => json!({"cart_id": cart, "email": "ana@example.com", "shipping_address": address(),
                    "shipping_method": "standard", "payment": {"method": "invoice"}}),
            };
            let started = Instant::now();
            let (status, body, _) = checkout(&app, &key, &body).await;
            (method, status, body, started.elapsed())
        }
    };
    // A storm of card and invoice checkouts at once, in waves; localstripe stops between them.
    let storm = |wave: usize, cards: usize, invoices: usize| {
        let tasks: Vec<_> = (0..cards)
            .map(|i| tokio::spawn(pay(format!("w{wave}-card-{i}"), "stripe")))
            .chain((0..invoices).map(|i| tokio::spawn(pay(format!("w{wave}-invoice-{i}"), "invoice"))))
            .collect();
        async move {
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        }
    };
    for (method, status, body, _) in storm(0, 6, 6).await {
        assert_eq!(status, 201, "{method} before the outage: {body}");
    }
    stripe.stop();
    for (method, status, body, took) in storm(1, 12, 8).await {
        if method == "invoice" {
            assert_eq!(status, 201, "invoice checkouts go on: {body}");
            continue;
        }
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "payment_unavailable");
        assert_eq!(body["error"]["details"]["fallback_methods"], json!(["test", "invoice"]));
        assert!(took < Duration::from_millis(2_500), "at most timeout_ms: {took:?}");
    }
    let pay = |key: String, method: &'static str| {
        let run = pay(key, method);
        async move {
            let (_, status, body, took) = run.await;
            (status, body, took)
        }
    };
    let metric = || async { app.get("/metrics").await.text().await.unwrap() };
    assert!(
        metric()
            .await
            .contains("storefront_payment_breaker_open{provider=\"stripe\"} 1")
    );
    let (status, body, _) = pay("open-1".into(), "stripe").await;
    assert_eq!(status, 503);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("circuit breaker"),
        "refused at once while open: {body}"
    );
    for i in 0..3 {
        assert_eq!(
            pay(format!("invoice-{i}"), "invoice").await.0,
            201,
            "invoice checkouts go on"
        );
    }

    let _back = LocalStripe::start_on(port);
    tokio::time::sleep(Duration::from_millis(5_200)).await; // the breaker's pause
    let (status, body, _) = pay("probe-1".into(), "stripe").await;
    assert_eq!(
        status, 201,
        "the half-open probe goes through and closes the breaker: {body}"
    );
    assert!(
        metric()
            .await
            .contains("storefront_payment_breaker_open{provider=\"stripe\"} 0")
    );
    assert_eq!(pay("after-1".into(), "stripe").await.0, 201);
}

#[tokio::test]
async fn a_gateway_that_hangs_costs_a_checkout_at_most_the_timeout() {
    // Accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
        }
    });
    let app = spawn_configured(
        |config| {
            config.payments.stripe = Some(stripe_config(format!("http://127.0.0.1:{port}"), 500));
            config.payments.methods = vec!["stripe".into(), "invoice".into()];
        },
        import_shop,
    )
    .await;
    let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 1}])).await;
    let started = Instant::now();
    let (status, body, _) = checkout(&app, "hang-1", &card_body(&cart, "pm_card_visa")).await;
    let took = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(1_500),
        "{took:?}"
    );
}

#[tokio::test]
async fn holds_and_charges_that_no_order_owns_are_released_or_refunded_by_reconciliation() {
    let stripe = LocalStripe::start();
    // What a crash between the hold and the order's write leaves behind.
    let orphan = |capture: bool| {
        let pi = stripe.post(
            "/v1/payment_intents",
            &[
                ("amount", "1299"),
                ("currency", "usd"),
                ("payment_method", "pm_card_visa"),
                ("capture_method", "manual"),
                ("confirm", "true"),
                ("metadata[storefront_checkout]", "0123456789abcdef"),
            ],
        );
        let id = pi["id"].as_str().unwrap().to_owned();
        if capture {
            stripe.post(&format!("/v1/payment_intents/{id}/capture"), &[]);
        }
        id
    };
    let held = orphan(false);
    let taken = orphan(true);
    let foreign = stripe.post(
        "/v1/payment_intents",
        &[
            ("amount", "500"),
            ("currency", "usd"),
            ("payment_method", "pm_card_visa"),
            ("capture_method", "manual"),
            ("confirm", "true"),
        ],
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Made well before the store starts (its clock and the gateway's may differ by a second or two).
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let _app = card_shop(stripe.url(), |_| {}).await;
    let settled = || async {
        intent(&stripe, &held)["status"] == "canceled"
            && intent(&stripe, &taken)["charges"]["data"][0]["amount_refunded"] == 1299
    };
    assert!(
        eventually(Duration::from_secs(20), settled).await,
        "held: {}\ntaken: {}",
        intent(&stripe, &held),
        intent(&stripe, &taken)
    );
    assert_eq!(
        intent(&stripe, &foreign)["status"],
        "requires_capture",
        "another system's payment is left alone"
    );
}

#[tokio::test]
async fn the_checkout_page_collects_the_card_with_stripe_js_and_offers_the_other_methods_while_stripe_is_down() {
    use crate::checkout_pages::{cart_cookie, field_value, get_with_cookie, location, post_form};
    let port = free_port();
    let stripe = LocalStripe::start_on(port);
    let app = card_shop(stripe.url(), |c| c.payments.test_cards = Some(false)).await;
    let res = post_form(&app, "/cart/add", None, &[("sku", "SAUCE-5"), ("quantity", "1")]).await;
    let cookie = cart_cookie(&res);
    let page = app
        .client
        .get(app.url("/checkout"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let html = page.text().await.unwrap();
    assert!(
        policy.contains(&format!("script-src 'self' {}", stripe.url())),
        "{policy}"
    );
    assert!(
        html.contains(&format!("<script src=\"{}/js.stripe.com/v3/\">", stripe.url())),
        "Stripe.js is loaded"
    );
    assert!(html.contains("data-stripe-key=\"pk_test_storefront\""));
    assert!(
        html.contains("name=\"payment\" value=\"stripe\" checked"),
        "the card is the first choice"
    );
    assert!(!html.contains("tok_visa"), "no test cards in a real shop");

    // What card.js submits once Stripe.js has made the PaymentMethod.
    let (token, total) = (
        field_value(&html, "form_token"),
        field_value(&html, "shown_total_cents"),
    );
    let form = [
        ("email", "sam@example.com"),
        ("name", "Sam Lee"),
        ("line1", "9 Oak Ave"),
        ("city", "Portland"),
        ("region", "OR"),
        ("postal_code", "97201"),
        ("country", "US"),
        ("shipping_method", "standard"),
        ("payment", "stripe"),
        ("payment_method", "pm_card_visa"),
        ("form_token", token.as_str()),
        ("shown_total_cents", total.as_str()),
        ("action", "place"),
    ];
    let res = post_form(&app, "/checkout", Some(&cookie), &form).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let (status, order_page) = get_with_cookie(&app, &location(&res), "").await;
    assert_eq!(status, 200);
    assert!(order_page.contains("Paid, being prepared"), "{order_page}");

    stripe.stop();
    for i in 0..5 {
        let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 1}])).await;
        assert_eq!(
            checkout(&app, &format!("down-{i}"), &card_body(&cart, "pm_card_visa"))
                .await
                .0,
            503
        );
    }
    let res = post_form(&app, "/cart/add", None, &[("sku", "SAUCE-5"), ("quantity", "1")]).await;
    let (_, html) = get_with_cookie(&app, "/checkout", &cart_cookie(&res)).await;
    assert!(html.contains("Card payments are unavailable right now"), "{html}");
    assert!(
        html.contains("name=\"payment\" value=\"invoice\" checked"),
        "pay on invoice is offered instead"
    );
}

#[tokio::test]
async fn the_back_office_refunds_part_of_a_card_order_and_shows_the_refund_and_the_payment() {
    use crate::admin_pages::{get, staff_session};
    let stripe = LocalStripe::start();
    let app = card_shop(stripe.url(), |_| {}).await;
    let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 2}])).await;
    let (_, placed, _) = checkout(&app, "office-1", &card_body(&cart, "pm_card_visa")).await;
    let number = placed["order_number"].as_str().unwrap().to_owned();
    let pi = order(&app, &number).await["payment_reference"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        eventually(Duration::from_secs(10), || async {
            intent(&stripe, &pi)["status"] == "succeeded"
        })
        .await
    );
    let (sid, csrf) = staff_session(&app).await;
    let page = get(&app, &format!("/admin/orders/{number}"), &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&pi) && page.contains("taken "),
        "the payment and when it was taken"
    );
    assert!(page.contains("Refund this amount"));
    let refund = |amount: &'static str| {
        let (app, sid, csrf, number) = (&app, sid.clone(), csrf.clone(), number.clone());
        async move {
            app.client
                .post(app.url(&format!("/admin/orders/{number}/refund")))
                .header("Cookie", sid)
                .form(&[("csrf", csrf.as_str()), ("amount", amount), ("note", "dented lid")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(refund("not money").await, 422);
    assert_eq!(refund("2.50").await, 303);
    let charge = || {
        intent(&stripe, &pi)["charges"]["data"][0]["amount_refunded"]
            .as_i64()
            .unwrap_or(0)
    };
    assert!(eventually(Duration::from_secs(10), || async { charge() == 250 }).await);
    assert!(
        eventually(Duration::from_secs(5), || async {
            order(&app, &number).await["refunds"][0]["state"] == "done"
        })
        .await
    );
    let page = get(&app, &format!("/admin/orders/{number}"), &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("dented lid") && page.contains("$2.50"),
        "the refund is listed"
    );
    let shopper = get(&app, placed["status_url"].as_str().unwrap(), "")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        shopper.contains("Refunds") && shopper.contains("$2.50"),
        "the shopper sees it too"
    );
}
