//! Catalog pages from memory: a shared page is served again without rendering, and is never
//! stale: a price change, a stock level crossing what the page shows, or a sell-out is on the
//! very next request; a shopper with a cart cookie gets their own page.

use reqwest::Method;
use serde_json::json;

use crate::checkout::{SHOP, checkout, checkout_body, new_cart};
use crate::helpers::{TestApp, spawn_app_with_catalog};
use crate::mail::admin;

async fn page(app: &TestApp, path: &str) -> String {
    page_and_cache(app, path).await.0
}

/// The page, and whether it came from the page cache.
async fn page_and_cache(app: &TestApp, path: &str) -> (String, bool) {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200);
    let hit = res.headers().get("x-page-cache").is_some_and(|v| v == "hit");
    (res.text().await.unwrap(), hit)
}

async fn buy(app: &TestApp, sku: &str, quantity: u32, key: &str) {
    let cart = new_cart(app, json!([{"sku": sku, "quantity": quantity}])).await;
    let (status, body, _) = checkout(app, key, &checkout_body(&cart, "tok_visa")).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_shared_page_comes_from_memory_until_what_it_shows_changes_and_then_at_once() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let (first, hit) = page_and_cache(&app, "/p/LIMITED").await;
    assert!(!hit);
    let (again, hit) = page_and_cache(&app, "/p/LIMITED").await;
    assert_eq!(first, again);
    assert!(hit, "the second request is a hit");
    assert!(first.contains("$9.99") && first.contains("In stock"));

    // Sales that change nothing the page shows keep the copy (10 -> 7 units: still "In stock").
    buy(&app, "LIMITED", 3, "pc-1").await;
    let (still, hit) = page_and_cache(&app, "/p/LIMITED").await;
    assert!(still.contains("In stock"));
    assert!(hit, "still the same page");

    // 7 -> 4: "Only 4 left", on the next request.
    buy(&app, "LIMITED", 3, "pc-2").await;
    assert!(page(&app, "/p/LIMITED").await.contains("Only 4 left"));
    buy(&app, "LIMITED", 1, "pc-3").await;
    assert!(page(&app, "/p/LIMITED").await.contains("Only 3 left"));
    buy(&app, "LIMITED", 3, "pc-4").await;
    let sold_out = page(&app, "/p/LIMITED").await;
    assert!(sold_out.contains("Out of stock"), "a sell-out shows at once");
    assert!(
        page(&app, "/c/hot-sauce").await.contains("Out of stock"),
        "on the category page too"
    );

    // A price change is on the next request, on the product and category pages.
    let (status, _) = admin(
        &app,
        Method::PUT,
        "/api/v1/admin/products/SAUCE-5",
        Some(json!({"sku":"SAUCE-5","title":"Ember Reaper Sauce 5 oz","price_cents":1099,"stock":50,"category":"Hot Sauce"})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(page(&app, "/p/SAUCE-5").await.contains("$10.99"));
    assert!(page(&app, "/c/hot-sauce").await.contains("$10.99"));
    assert!(page(&app, "/search?q=reaper").await.contains("$10.99"));
}

#[tokio::test]
async fn a_shopper_with_a_cart_gets_their_own_page_and_a_copy_answers_304_and_in_brotli() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let shared = page(&app, "/p/SAUCE-5").await;
    assert!(
        !shared.contains("class=\"count\""),
        "no mini-cart count on the shared page"
    );
    let cart = new_cart(&app, json!([{"sku": "SAUCE-5", "quantity": 2}])).await;
    let own = app
        .client
        .get(app.url("/p/SAUCE-5"))
        .header("Cookie", format!("cart={cart}"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.headers()["cache-control"], "private, no-cache");
    let own = own.text().await.unwrap();
    assert!(own.contains("<span class=\"count\">2</span>"), "their cart count");
    let again = page(&app, "/p/SAUCE-5").await;
    assert!(!again.contains("class=\"count\""), "and the shared copy is untouched");

    let raw = reqwest::Client::builder().no_brotli().no_gzip().build().unwrap();
    let res = raw
        .get(app.url("/p/SAUCE-5"))
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(
        res.headers()["surrogate-key"],
        "p-SAUCE-5 catalog",
        "the keys a purge drops it by"
    );
    assert_eq!(
        res.headers()["vary"],
        "Accept-Encoding, Cookie",
        "a browser asks again once it holds a cart or garage cookie"
    );
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = raw
        .get(app.url("/p/SAUCE-5"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let plain = raw.get(app.url("/p/SAUCE-5")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), shared);
}
