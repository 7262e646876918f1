//! Carts, checkout and orders through the JSON API: totals, stock checks, idempotency, declines,
//! and real concurrency (many buyers, few units).

use std::sync::Arc;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with_catalog, spawn_configured};

/// Awaits spawned tasks (they already run concurrently) in order.
pub async fn join_all<T>(
    tasks: impl IntoIterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::new();
    for task in tasks.into_iter().collect::<Vec<_>>() {
        out.push(task.await);
    }
    out
}

/// Two sauces and a brake part; `LIMITED` has 10 units.
pub const SHOP: &str = concat!(
    r#"{"sku":"SAUCE-5","title":"Ember Reaper Sauce 5 oz","price_cents":1299,"stock":50,"category":"Hot Sauce","attributes":{"weight_g":200}}"#,
    "\n",
    r#"{"sku":"LIMITED","title":"Flash Sale Habanero","price_cents":999,"stock":10,"category":"Hot Sauce"}"#,
    "\n",
    r#"{"sku":"BRK-1","title":"Ceramic Front Brake Pads","price_cents":4999,"stock":5,"category":"Brakes/Pads","part_numbers":["BP-1"]}"#,
    "\n",
);

/// Loads `SHOP` into a store before the app starts.
pub fn import_shop(store: &storefront::store::Store) {
    storefront::catalog::ops::import(
        store,
        SHOP.as_bytes(),
        storefront::catalog::import::Format::JsonLines,
        "test",
        &mut |_| {},
    )
    .unwrap();
}

pub fn address() -> Value {
    json!({"name":"Ana Díaz","line1":"1 Main St","city":"Los Angeles","region":"CA","postal_code":"90012","country":"US"})
}

pub fn checkout_body(cart_id: &str, token: &str) -> Value {
    json!({
        "cart_id": cart_id,
        "email": "ana@example.com",
        "shipping_address": address(),
        "shipping_method": "standard",
        "payment": {"method": "test", "token": token},
    })
}

pub async fn new_cart(app: &TestApp, items: Value) -> String {
    let (status, cart) = app.post_json("/api/v1/carts", &json!({ "items": items })).await;
    assert_eq!(status, 201, "{cart}");
    cart["id"].as_str().unwrap().to_owned()
}

pub async fn checkout(app: &TestApp, key: &str, body: &Value) -> (u16, Value, bool) {
    let res = app
        .client
        .post(app.url("/api/v1/checkout"))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("checkout is answered");
    let status = res.status().as_u16();
    let replayed = res.headers().contains_key("idempotent-replayed");
    (status, res.json().await.expect("JSON"), replayed)
}

async fn stock_of(app: &TestApp, sku: &str) -> u64 {
    let (_, p) = app.get_json(&format!("/api/v1/products/{sku}")).await;
    p["stock"].as_u64().unwrap()
}

async fn shop() -> TestApp {
    spawn_app_with_catalog(SHOP.as_bytes()).await
}

#[tokio::test]
async fn repeated_adds_merge_into_one_line_and_totals_come_out_of_one_quote() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (status, cart) = app
        .post_json(
            &format!("/api/v1/carts/{id}/items"),
            &json!({"sku":"SAUCE-5","quantity":2}),
        )
        .await;
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["lines"].as_array().unwrap().len(), 1);
    assert_eq!(cart["lines"][0]["quantity"], 3);
    assert_eq!(cart["subtotal_cents"], 3 * 1299);
    assert_eq!(cart["shipping_cents"], 599);
    assert_eq!(cart["tax_cents"], Value::Null);
    assert_eq!(cart["total_cents"], 3 * 1299 + 599);

    let (_, estimate) = app.get_json(&format!("/api/v1/carts/{id}?country=US&region=CA")).await;
    // 7.25 % of $38.97, rounded half up.
    assert_eq!(estimate["tax_cents"], 283);
    assert_eq!(estimate["total_cents"], 3 * 1299 + 599 + 283);

    let (status, cart) = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/carts/{id}/items/SAUCE-5"),
            &json!({"quantity":1}),
        )
        .await;
    assert_eq!((status, cart["units"].as_u64()), (200, Some(1)));
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/carts/{id}/items/SAUCE-5")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cart: Value = res.json().await.unwrap();
    assert_eq!(cart["lines"], json!([]));
}

#[tokio::test]
async fn adding_more_than_is_in_stock_is_refused_with_what_is_available() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"BRK-1","quantity":3}])).await;
    // The two adds of one SKU are checked against their sum: 3 + 3 > 5.
    let (status, err) = app
        .post_json(
            &format!("/api/v1/carts/{id}/items"),
            &json!({"sku":"BRK-1","quantity":3}),
        )
        .await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(err["error"]["code"], "out_of_stock");
    assert_eq!(
        err["error"]["details"],
        json!([{"sku":"BRK-1","requested":6,"available":5}])
    );
    let (_, cart) = app.get_json(&format!("/api/v1/carts/{id}")).await;
    assert_eq!(
        cart["lines"][0]["quantity"], 3,
        "a refused change leaves the cart as it was"
    );
}

#[tokio::test]
async fn bad_cart_input_gets_clear_errors_never_a_server_error() {
    let app = shop().await;
    let id = new_cart(&app, json!([])).await;
    let cases = [
        (json!({"sku":"SAUCE-5","quantity":0}), 422),
        (json!({"sku":"SAUCE-5","quantity":-1}), 422),
        (json!({"sku":"SAUCE-5","quantity":1u64 << 40}), 422),
        (json!({"sku":"NOPE","quantity":1}), 422),
        (json!({"sku":"SAUCE-5"}), 422),
        (json!({"sku":"SAUCE-5","quantity":1000}), 422),
        (json!("🌶"), 422),
    ];
    for (body, expected) in cases {
        let (status, err) = app.post_json(&format!("/api/v1/carts/{id}/items"), &body).await;
        assert_eq!(status, expected, "{body} -> {err}");
        assert!(err["error"]["code"].is_string());
    }
    let (status, err) = app.get_json("/api/v1/carts/does-not-exist").await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("cart_not_found")));
}

#[tokio::test]
async fn a_sku_no_product_could_have_is_refused_at_the_door_with_the_reason() {
    let app = shop().await;
    for (sku, why) in [
        ("SAUCE 5", "contains a space"),
        ("SAUCE-5\u{200B}", "invisible"),
        ("", "empty"),
    ] {
        let (status, err) = app
            .post_json("/api/v1/carts", &json!({"items": [{"sku": sku, "quantity": 1}]}))
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (422, Some("invalid_input")),
            "{sku:?}: {err}"
        );
        assert!(
            err["error"]["message"].as_str().unwrap().contains(why),
            "{sku:?}: {err}"
        );
    }
    // Surrounding spaces are trimmed, as the catalog's import trims them.
    let id = new_cart(&app, json!([{"sku": " SAUCE-5 ", "quantity": 1}])).await;
    let (_, cart) = app.get_json(&format!("/api/v1/carts/{id}")).await;
    assert_eq!(cart["lines"][0]["sku"], "SAUCE-5", "{cart}");
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/carts/{id}/items/SAUCE%205")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "a SKU no product could have is in no cart");
}

#[tokio::test]
async fn promo_codes_apply_or_say_why_not() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (status, err) = app
        .post_json(&format!("/api/v1/carts/{id}/promo"), &json!({"code":"welcome10"}))
        .await;
    assert_eq!(status, 409);
    assert_eq!(err["error"]["code"], "promo_unavailable");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("add $7.01 more"),
        "{err}"
    );
    let (status, err) = app
        .post_json(&format!("/api/v1/carts/{id}/promo"), &json!({"code":"BOGUS"}))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (409, Some("promo_unavailable"))
    );

    app.post_json(
        &format!("/api/v1/carts/{id}/items"),
        &json!({"sku":"SAUCE-5","quantity":1}),
    )
    .await;
    let (status, cart) = app
        .post_json(&format!("/api/v1/carts/{id}/promo"), &json!({"code":"welcome10"}))
        .await;
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["promo"], json!({"code":"WELCOME10","applied":true,"message":null}));
    assert_eq!(cart["discount_cents"], 259);
}

#[tokio::test]
async fn a_checkout_takes_the_stock_and_the_shopper_can_see_the_order_with_its_token() {
    let app = shop().await;
    let id = new_cart(
        &app,
        json!([{"sku":"SAUCE-5","quantity":2},{"sku":"BRK-1","quantity":1}]),
    )
    .await;
    let (status, placed, replayed) = checkout(&app, "k-1", &checkout_body(&id, "tok_visa")).await;
    assert_eq!(status, 201, "{placed}");
    assert!(!replayed);
    assert_eq!(placed["status"], "paid");
    assert_eq!(placed["currency"], "USD");
    // $25.98 + $49.99 = $75.97 ships free; 7.25 % CA tax on goods.
    assert_eq!(placed["total_cents"], 7597 + 551);
    assert_eq!(stock_of(&app, "SAUCE-5").await, 48);
    assert_eq!(stock_of(&app, "BRK-1").await, 4);

    let number = placed["order_number"].as_str().unwrap();
    let token = placed["token"].as_str().unwrap();
    let (status, order) = app.get_json(&format!("/api/v1/orders/{number}?token={token}")).await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["lines"][1]["title"], "Ceramic Front Brake Pads");
    assert_eq!(order["lines"][1]["part_number"], "BP-1");
    assert_eq!(order["shipping_address"]["postal_code"], "90012");
    assert_eq!(order["history"][0]["status"], "paid");
    let (status, _) = app.get_json(&format!("/api/v1/orders/{number}?token=wrong")).await;
    assert_eq!(status, 404);
    let (status, _) = app.get_json(&format!("/api/v1/carts/{id}")).await;
    assert_eq!(status, 404, "the cart is gone once it became an order");
}

#[tokio::test]
async fn an_order_keeps_its_prices_after_the_catalog_changes() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (_, placed, _) = checkout(&app, "k-price", &checkout_body(&id, "tok_visa")).await;
    let line = SHOP
        .lines()
        .next()
        .unwrap()
        .replace("1299", "9999")
        .replace("Ember Reaper", "Renamed");
    let report = storefront::catalog::ops::import(
        &app.store,
        line.as_bytes(),
        storefront::catalog::import::Format::JsonLines,
        "test",
        &mut |_| {},
    )
    .unwrap();
    assert!(report.rejected.is_empty());
    let path = format!(
        "/api/v1/orders/{}?token={}",
        placed["order_number"].as_str().unwrap(),
        placed["token"].as_str().unwrap()
    );
    let (_, order) = app.get_json(&path).await;
    assert_eq!(order["lines"][0]["unit_price_cents"], 1299);
    assert_eq!(order["lines"][0]["title"], "Ember Reaper Sauce 5 oz");
}

#[tokio::test]
async fn checkout_without_an_idempotency_key_is_refused_before_anything_happens() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (status, err) = app.post_json("/api/v1/checkout", &checkout_body(&id, "tok_visa")).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("idempotency_key_required"))
    );
    assert_eq!(stock_of(&app, "SAUCE-5").await, 50);
}

#[tokio::test]
async fn a_retried_checkout_returns_the_same_order_and_a_changed_one_is_refused() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let body = checkout_body(&id, "tok_visa");
    let (s1, first, r1) = checkout(&app, "retry-me", &body).await;
    let (s2, second, r2) = checkout(&app, "retry-me", &body).await;
    assert_eq!((s1, s2, r1, r2), (201, 201, false, true));
    assert_eq!(first, second);
    assert_eq!(stock_of(&app, "SAUCE-5").await, 49);

    let mut changed = body.clone();
    changed["shipping_address"]["line1"] = json!("2 Other St");
    let (status, err, _) = checkout(&app, "retry-me", &changed).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
}

#[tokio::test]
async fn a_declined_card_takes_no_stock_and_keeps_the_cart() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"BRK-1","quantity":2}])).await;
    let (status, err, _) = checkout(&app, "decline", &checkout_body(&id, "tok_declined")).await;
    assert_eq!((status, err["error"]["code"].as_str()), (402, Some("payment_declined")));
    assert_eq!(stock_of(&app, "BRK-1").await, 5);
    let (status, _) = app.get_json(&format!("/api/v1/carts/{id}")).await;
    assert_eq!(status, 200);
    // The shopper can then pay another way with a new key.
    let (status, placed, _) = checkout(&app, "decline-2", &checkout_body(&id, "tok_visa")).await;
    assert_eq!(status, 201, "{placed}");
}

#[tokio::test]
async fn pay_on_invoice_places_a_pending_order() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let mut body = checkout_body(&id, "");
    body["payment"] = json!({"method":"invoice"});
    let (status, placed, _) = checkout(&app, "invoice", &body).await;
    assert_eq!((status, placed["status"].as_str()), (201, Some("pending")), "{placed}");
}

#[tokio::test]
async fn a_bad_address_names_every_field_to_fix_and_takes_nothing() {
    let app = shop().await;
    let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let mut body = checkout_body(&id, "tok_visa");
    body["email"] = json!("ana at example");
    body["shipping_address"]["postal_code"] = json!("9001");
    body["shipping_address"]["city"] = json!("");
    let (status, err, _) = checkout(&app, "bad-address", &body).await;
    assert_eq!(status, 422, "{err}");
    let fields: Vec<&str> = err["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["email", "shipping_address.city", "shipping_address.postal_code"]
    );
    assert_eq!(stock_of(&app, "SAUCE-5").await, 50);
}

#[tokio::test]
async fn a_cart_emptied_by_others_gets_a_409_listing_each_short_line() {
    let app = shop().await;
    let mine = new_cart(
        &app,
        json!([{"sku":"BRK-1","quantity":4},{"sku":"SAUCE-5","quantity":1}]),
    )
    .await;
    let theirs = new_cart(&app, json!([{"sku":"BRK-1","quantity":3}])).await;
    let (status, _, _) = checkout(&app, "theirs", &checkout_body(&theirs, "tok_visa")).await;
    assert_eq!(status, 201);
    let (status, err, _) = checkout(&app, "mine", &checkout_body(&mine, "tok_visa")).await;
    assert_eq!(status, 409, "{err}");
    assert_eq!(
        err["error"]["details"],
        json!([{"sku":"BRK-1","requested":4,"available":2}])
    );
    assert_eq!(
        stock_of(&app, "SAUCE-5").await,
        50,
        "nothing is taken from the lines that were fine"
    );
}

/// Many buyers, one SKU, ten units: exactly ten orders, every other buyer a clean 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_buyers_for_ten_units_buy_exactly_ten() {
    let app = Arc::new(shop().await);
    let mut carts = Vec::new();
    for _ in 0..200 {
        carts.push(new_cart(&app, json!([{"sku":"LIMITED","quantity":1}])).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(carts.len()));
    let buyers = carts.into_iter().enumerate().map(|(i, cart)| {
        let (app, barrier) = (app.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            checkout(&app, &format!("buyer-{i}"), &checkout_body(&cart, "tok_visa")).await
        })
    });
    let results = join_all(buyers).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.as_ref().unwrap().0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 190, "{statuses:?}");
    assert_eq!(stock_of(&app, "LIMITED").await, 0);
    let orders = app.store.read().unwrap().order_count().unwrap();
    assert_eq!(orders, 10);
}

/// A double click, a retry storm: one key sent fifty times at once makes one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_sent_fifty_times_at_once_makes_one_order() {
    let app = Arc::new(shop().await);
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let body = Arc::new(checkout_body(&cart, "tok_visa"));
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let tries = (0..50).map(|_| {
        let (app, body, barrier) = (app.clone(), body.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            checkout(&app, "double-click", &body).await
        })
    });
    let results: Vec<_> = join_all(tries).await.into_iter().map(Result::unwrap).collect();
    for (status, placed, _) in &results {
        assert_eq!(*status, 201, "{placed}");
        assert_eq!(placed["order_number"], results[0].1["order_number"]);
    }
    assert_eq!(
        results.iter().filter(|r| !r.2).count(),
        1,
        "exactly one response is the original"
    );
    assert_eq!(app.store.read().unwrap().order_count().unwrap(), 1);
    assert_eq!(stock_of(&app, "SAUCE-5").await, 49);
}

/// A promo limited to three orders, wanted by twenty buyers at once, is used exactly three times.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_promo_usage_limit_holds_exactly_under_concurrency() {
    let app = spawn_configured(
        |config| {
            config.rules.promos.push(storefront::cart::rules::Promo {
                code: "FLASH3".into(),
                benefit: storefront::cart::rules::Benefit::Percent(50),
                min_subtotal: 0,
                starts_ms: None,
                ends_ms: None,
                usage_limit: Some(3),
            })
        },
        import_shop,
    )
    .await;
    let app = Arc::new(app);
    let mut carts = Vec::new();
    for _ in 0..20 {
        let id = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
        let (status, _) = app
            .post_json(&format!("/api/v1/carts/{id}/promo"), &json!({"code":"flash3"}))
            .await;
        assert_eq!(status, 200);
        carts.push(id);
    }
    let tries = carts.into_iter().enumerate().map(|(i, cart)| {
        let app = app.clone();
        tokio::spawn(async move { checkout(&app, &format!("promo-{i}"), &checkout_body(&cart, "tok_visa")).await })
    });
    let results: Vec<_> = join_all(tries).await.into_iter().map(Result::unwrap).collect();
    let placed = results.iter().filter(|r| r.0 == 201).count();
    let refused: Vec<_> = results
        .iter()
        .filter(|r| r.0 != 201)
        .map(|r| r.1["error"]["code"].clone())
        .collect();
    assert_eq!(placed, 3, "{refused:?}");
    assert!(
        refused.iter().all(|c| c == "promo_unavailable" || c == "cart_changed"),
        "{refused:?}"
    );
    assert_eq!(app.store.read().unwrap().promo_uses("FLASH3").unwrap(), 3);
}

#[tokio::test]
async fn idempotency_keys_are_forgotten_after_a_week_without_a_late_retry_making_a_second_order() {
    let app = shop().await;
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let body = checkout_body(&cart, "tok_visa");
    let (status, order, _) = checkout(&app, "week-old-key", &body).await;
    assert_eq!(status, 201, "{order}");
    let (_, _, replayed) = checkout(&app, "week-old-key", &body).await;
    assert!(replayed, "within the week the key replays the order");

    let now = storefront::domain::now_ms();
    let swept = app
        .store
        .write(|tx| storefront::orders::sweep_idempotency(tx, now + 6 * 24 * 3_600_000, 100))
        .unwrap();
    assert_eq!(swept, 0, "six days on, the key is kept");
    let swept = app
        .store
        .write(|tx| storefront::orders::sweep_idempotency(tx, now + 8 * 24 * 3_600_000, 100))
        .unwrap();
    assert_eq!(swept, 1, "eight days on, it is forgotten");

    let (status, answer, replayed) = checkout(&app, "week-old-key", &body).await;
    assert!(!replayed);
    assert_eq!(status, 404, "the cart was used up by the order: {answer}");
    assert_eq!(answer["error"]["code"], "cart_not_found");
    assert_eq!(stock_of(&app, "SAUCE-5").await, 49, "no second order took stock");
}

#[tokio::test]
async fn a_job_places_an_order_through_the_shop_without_any_http() {
    use std::sync::Arc;
    use storefront::orders::{Address, CheckoutInput, CheckoutRequest, PaymentInput, Payments};
    use storefront::shop::Shop;
    use storefront::store::{Store, Writer};
    let dir = tempfile::tempdir().unwrap();
    let config = storefront::config::Config::for_tests(dir.path());
    let store = Store::open(dir.path(), &config.store).unwrap();
    import_shop(&store);
    let writer = Arc::new(Writer::start(store.clone(), Default::default()));
    let shop = Shop::new(
        store.clone(),
        writer,
        Arc::new(Payments::new(false)),
        Arc::new(config.rules.clone()),
        3_600_000,
    );
    let lines = vec![storefront::cart::CartLine {
        sku: storefront::domain::Sku::parse("SAUCE-5").unwrap(),
        quantity: 2,
    }];
    let cart = shop
        .change_cart(move |tx, rules, clock| storefront::cart::ops::create(tx, rules, &lines, clock))
        .await
        .unwrap();
    let input = CheckoutInput {
        cart_id: cart.id,
        email: "job@example.com".into(),
        address: Address {
            name: "Jo B".into(),
            line1: "1 Main St".into(),
            city: "Austin".into(),
            region: "TX".into(),
            postal_code: "78701".into(),
            country: "US".into(),
            ..Address::default()
        },
        shipping_method: "standard".into(),
        payment: PaymentInput {
            method: "invoice".into(),
            token: None,
        },
        vehicle: None,
    };
    let request = CheckoutRequest::parse(input).expect("every field is good");
    let placed = shop.checkout(request, "job-1".into()).await.unwrap();
    assert!(!placed.replayed);
    assert_eq!(store.read().unwrap().stock("SAUCE-5").unwrap(), 48);
    let found = shop.find_order(&placed.order.number).await.unwrap();
    assert_eq!(found.map(|o| o.email), Some("job@example.com".to_owned()));
}
