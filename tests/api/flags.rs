//! Feature flags through the front door: flips in force at once, rollouts that keep each visitor
//! in their bucket (checked against the bucket function for every visitor), bundles behind their
//! flag, and page views and orders reported by variant.

use serde_json::{Value, json};

use crate::checkout::{address, new_cart};
use crate::helpers::{TestApp, spawn_app_with_catalog};
use crate::mail::admin;

const SHOP: &str = concat!(
    r#"{"sku":"REAPER","title":"Ember Reaper Sauce","price_cents":1200,"stock":500,"category":"Hot Sauce"}"#,
    "\n",
    r#"{"sku":"VERDE","title":"Salsa Verde","price_cents":800,"stock":50,"category":"Hot Sauce"}"#,
    "\n",
    r#"{"sku":"TRIO","title":"The Holiday Trio","price_cents":1900,"category":"Gift Sets","bundle":[{"sku":"VERDE","quantity":1},{"sku":"REAPER","quantity":2}]}"#,
    "\n",
);

async fn set_flag(app: &TestApp, name: &str, body: Value) -> Value {
    let (status, flag) = admin(
        app,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/flags/{name}"),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{flag}");
    flag
}

/// A shop with a flash sale on REAPER running now.
async fn shop_with_sale() -> TestApp {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let now = storefront::domain::now_ms();
    let (status, sale) = admin(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/sales",
        Some(
            json!({"name": "Doorbusters", "starts": storefront::domain::format_utc(now - 1_000),
            "ends": storefront::domain::format_utc(now + 3_600_000),
            "items": [{"sku": "REAPER", "price_cents": 900, "quantity": 400}]}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{sale}");
    app
}

/// The product page as a visitor with bucket id `visitor` (or none) sees it.
async fn page_as(app: &TestApp, path: &str, visitor: Option<&str>) -> String {
    let mut req = app.client.get(app.url(path));
    if let Some(id) = visitor {
        req = req.header("Cookie", format!("sf_b={id}"));
    }
    req.send().await.unwrap().text().await.unwrap()
}

fn shows_banner(html: &str) -> bool {
    html.contains("Doorbusters") && html.contains("data-countdown")
}

fn visitor(i: usize) -> String {
    format!("v{i:015}")
}

#[tokio::test]
async fn a_flag_flip_is_in_force_on_the_next_page_and_is_audited() {
    let app = shop_with_sale().await;
    assert!(
        shows_banner(&page_as(&app, "/p/REAPER", None).await),
        "built-in flags start on"
    );
    let flag = set_flag(&app, "flash_sale_banner", json!({"enabled": false})).await;
    assert_eq!(
        (flag["enabled"].as_bool(), flag["percent"].as_u64()),
        (Some(false), Some(100))
    );
    assert!(
        !shows_banner(&page_as(&app, "/p/REAPER", None).await),
        "off at once, cached pages included"
    );
    assert!(!shows_banner(&page_as(&app, "/c/hot-sauce", None).await));
    set_flag(&app, "flash_sale_banner", json!({"enabled": true})).await;
    assert!(shows_banner(&page_as(&app, "/p/REAPER", None).await));
    let (_, audit) = admin(&app, reqwest::Method::GET, "/api/v1/admin/audit", None).await;
    let text = audit.to_string();
    assert!(
        text.contains("flag.set") && text.contains("enabled=false percent=100"),
        "{audit}"
    );
}

#[tokio::test]
async fn a_rollout_shows_each_visitor_the_side_of_their_bucket_every_time() {
    let app = shop_with_sale().await;
    set_flag(&app, "flash_sale_banner", json!({"enabled": true, "percent": 40})).await;
    let mut on = 0;
    for i in 0..120 {
        let id = visitor(i);
        let expected = storefront::flags::model::bucket("flash_sale_banner", &id) < 40;
        for _ in 0..2 {
            assert_eq!(
                shows_banner(&page_as(&app, "/p/REAPER", Some(&id)).await),
                expected,
                "visitor {id}"
            );
        }
        on += usize::from(expected);
    }
    assert!((30..=66).contains(&on), "about 40 % of 120 visitors: {on}");
    assert!(
        !shows_banner(&page_as(&app, "/p/REAPER", None).await),
        "a visitor without a bucket sees only what is on for everyone"
    );
}

#[tokio::test]
async fn bundles_stop_selling_when_their_flag_is_off() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cart = new_cart(&app, json!([{"sku":"TRIO","quantity":1}])).await;
    set_flag(
        &app,
        "bundles",
        json!({"enabled": false, "description": "Gift sets, from 1 December"}),
    )
    .await;
    let (status, err) = app
        .post_json(
            &format!("/api/v1/carts/{cart}/items"),
            &json!({"sku":"TRIO","quantity":1}),
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (422, Some("unknown_product")),
        "{err}"
    );
    assert!(
        err["error"]["message"].as_str().unwrap().contains("not available"),
        "{err}"
    );
    let (status, _) = app
        .post_json("/api/v1/carts", &json!({"items": [{"sku":"TRIO","quantity":1}]}))
        .await;
    assert_eq!(status, 422);
    assert!(page_as(&app, "/p/TRIO", None).await.contains("Not available yet"));
    let (_, flags) = admin(&app, reqwest::Method::GET, "/api/v1/admin/flags", None).await;
    let bundles = flags["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "bundles")
        .unwrap();
    assert_eq!(bundles["description"], "Gift sets, from 1 December");
}

#[tokio::test]
async fn page_views_and_orders_are_reported_by_the_side_each_visitor_was_on() {
    let app = shop_with_sale().await;
    set_flag(&app, "flash_sale_banner", json!({"enabled": true, "percent": 50})).await;
    let (mut views, mut orders) = ([0u64; 2], [0u64; 2]);
    for i in 0..30 {
        let id = visitor(i);
        let side = usize::from(storefront::flags::model::bucket("flash_sale_banner", &id) < 50);
        page_as(&app, "/p/REAPER", Some(&id)).await;
        views[side] += 1;
        if i % 3 == 0 {
            let cart = new_cart(&app, json!([{"sku":"REAPER","quantity":1}])).await;
            let res = app
                .client
                .post(app.url("/api/v1/checkout"))
                .header("Idempotency-Key", format!("flag-{i}"))
                .header("Cookie", format!("sf_b={id}"))
                .json(
                    &json!({"cart_id": cart, "email": format!("v{i}@example.com"), "shipping_address": address(),
                    "shipping_method": "standard", "payment": {"method": "test", "token": "tok_visa"}}),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            orders[side] += 1;
        }
    }
    let (_, flags) = admin(&app, reqwest::Method::GET, "/api/v1/admin/flags", None).await;
    let flag = flags["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "flash_sale_banner")
        .unwrap();
    assert_eq!(flag["on"]["page_views"], views[1], "{flag}");
    assert_eq!(flag["off"]["page_views"], views[0], "{flag}");
    assert_eq!(flag["on"]["orders"], orders[1], "{flag}");
    assert_eq!(flag["off"]["orders"], orders[0], "{flag}");
}

#[tokio::test]
async fn a_bucket_cookie_comes_with_private_pages_never_with_cacheable_ones() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let bucket_cookie = |res: &reqwest::Response| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("sf_b="))
    };
    let home = app.get("/").await;
    assert!(
        !bucket_cookie(&home),
        "a shared cache would not keep a page that sets a cookie"
    );
    let cart = app.get("/cart").await;
    assert!(bucket_cookie(&cart), "the cart page gives the visitor a bucket");
    let (status, err) = admin(
        &app,
        reqwest::Method::PUT,
        "/api/v1/admin/flags/Bad Name",
        Some(json!({"enabled": true})),
    )
    .await;
    assert!(status == 422 || status == 404, "{status} {err}");
    let (status, _) = admin(
        &app,
        reqwest::Method::PUT,
        "/api/v1/admin/flags/new_look",
        Some(json!({"enabled": true, "percent": 101})),
    )
    .await;
    assert_eq!(status, 422);
}
