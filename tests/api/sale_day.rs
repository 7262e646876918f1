//! Sale day through the front door: scheduled prices that start on time, flash sales that sell
//! exactly their quantity to many buyers at once, per-customer limits, and bundles that take
//! every component in one transaction.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::checkout::{address, checkout, join_all, new_cart};
use crate::helpers::{TestApp, catalog_lines, eventually, generated_catalog, spawn_app_with_catalog};
use crate::mail::admin;

const SHOP: &str = concat!(
    r#"{"sku":"REAPER","title":"Ember Reaper Sauce","price_cents":1200,"stock":60,"category":"Hot Sauce"}"#,
    "\n",
    r#"{"sku":"VERDE","title":"Salsa Verde","price_cents":800,"stock":5,"category":"Hot Sauce"}"#,
    "\n",
    r#"{"sku":"GHOST","title":"Ghost Pepper Flakes","price_cents":600,"stock":40,"category":"Hot Sauce"}"#,
    "\n",
    r#"{"sku":"TRIO","title":"The Holiday Trio","description":"Three sauces in a gift box.","price_cents":2400,"category":"Gift Sets","bundle":[{"sku":"VERDE","quantity":1},{"sku":"GHOST","quantity":2}]}"#,
    "\n",
);

async fn shop() -> TestApp {
    spawn_app_with_catalog(SHOP.as_bytes()).await
}

fn rfc3339_in(ms_from_now: i64) -> String {
    let at = storefront::domain::now_ms() as i64 + ms_from_now;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000).unwrap();
    at.format(&time::format_description::well_known::Rfc3339).unwrap()
}

async fn create_sale(app: &TestApp, body: Value) -> Value {
    let (status, sale) = admin(app, reqwest::Method::POST, "/api/v1/admin/sales", Some(body)).await;
    assert_eq!(status, 201, "{sale}");
    sale
}

/// A flash sale of `quantity` REAPER at $5, running now for ten minutes.
fn reaper_sale(quantity: u32, then: &str, limit: Option<u32>) -> Value {
    json!({
        "name": "Doorbusters",
        "starts": rfc3339_in(-1_000),
        "ends": rfc3339_in(600_000),
        "items": [{"sku": "REAPER", "price_cents": 500, "quantity": quantity}],
        "per_customer_limit": limit,
        "then": then,
    })
}

fn body_for(cart: &str, email: &str) -> Value {
    json!({
        "cart_id": cart,
        "email": email,
        "shipping_address": address(),
        "shipping_method": "standard",
        "payment": {"method": "test", "token": "tok_visa"},
    })
}

/// `buyers` shoppers, each with a cart of one REAPER and an email of their own, check out at once.
async fn buyers_at_once(app: &Arc<TestApp>, buyers: usize, name: &'static str) -> Vec<(u16, Value, bool)> {
    let mut carts = Vec::new();
    for _ in 0..buyers {
        carts.push(new_cart(app, json!([{"sku":"REAPER","quantity":1}])).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(carts.len()));
    let tasks = carts.into_iter().enumerate().map(|(i, cart)| {
        let (app, barrier) = (app.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            let body = body_for(&cart, &format!("{name}{i}@example.com"));
            checkout(&app, &format!("{name}-{i}"), &body).await
        })
    });
    join_all(tasks).await.into_iter().map(Result::unwrap).collect()
}

async fn product(app: &TestApp, sku: &str) -> Value {
    let (status, p) = app.get_json(&format!("/api/v1/products/{sku}")).await;
    assert_eq!(status, 200, "{p}");
    p
}

/// (unit price, quantity) of each line of the order a checkout answered with, cheapest first.
fn unit_prices(app: &TestApp, placed: &Value) -> Vec<(i64, u32)> {
    let number = placed["order_number"].as_str().expect("an order number");
    let order = app
        .store
        .read()
        .unwrap()
        .order(number)
        .unwrap()
        .expect("the order is stored");
    let mut lines: Vec<(i64, u32)> = order.lines.iter().map(|l| (l.unit_price.minor(), l.quantity)).collect();
    lines.sort();
    lines
}

/// Every order line of every order in the store: (SKU, unit price, quantity, email).
fn order_lines(app: &TestApp) -> Vec<(String, i64, u32, String)> {
    let mut out = Vec::new();
    let tx = app.store.read().unwrap();
    tx.for_each_order(|order| {
        for line in &order.lines {
            out.push((
                line.sku.to_string(),
                line.unit_price.minor(),
                line.quantity,
                order.email.clone(),
            ));
        }
        true
    })
    .unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_buyers_at_once_get_exactly_the_flash_sale_quantity_at_the_sale_price() {
    let app = Arc::new(shop().await);
    let sale = create_sale(&app, reaper_sale(10, "regular", None)).await;
    let p = product(&app, "REAPER").await;
    assert_eq!(p["current_price_cents"], 500, "{p}");
    assert_eq!(p["sale"]["remaining"], 10, "{p}");

    let results = buyers_at_once(&app, 200, "flash").await;
    let at_sale_price = results
        .iter()
        .filter(|(s, o, _)| *s == 201 && unit_prices(&app, o) == vec![(500, 1)])
        .count();
    assert_eq!(at_sale_price, 10, "exactly the sale's quantity sold at its price");
    for (status, body, _) in &results {
        // Priced at $5 but the units went to others first: told the cart changed; or the 60 on
        // the shelf are gone. Never a 5xx.
        let code = body["error"]["code"].as_str().unwrap_or("");
        assert!(
            *status == 201 || (*status == 409 && ["cart_changed", "out_of_stock"].contains(&code)),
            "{status} {body}"
        );
    }
    let placed = results.iter().filter(|r| r.0 == 201).count() as u64;
    assert_eq!(
        app.store.read().unwrap().stock("REAPER").unwrap(),
        60 - placed,
        "no oversell"
    );
    let (_, report) = admin(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/admin/sales/{}", sale["id"]),
        None,
    )
    .await;
    assert_eq!(report["items"][0]["sold"], 10, "{report}");
    assert_eq!(report["revenue_cents"], 5_000, "{report}");
    assert!(report["items"][0]["sold_out_at"].is_string(), "{report}");
    let sold_cheap: u32 = order_lines(&app)
        .iter()
        .filter(|l| l.0 == "REAPER" && l.1 == 500)
        .map(|l| l.2)
        .sum();
    assert_eq!(sold_cheap, 10);
    // Sold out at the sale price: it sells on at the regular price, as the merchant chose.
    let p = product(&app, "REAPER").await;
    assert_eq!(
        (p["current_price_cents"].as_i64(), p["sale"].is_null()),
        (Some(1200), true),
        "{p}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sale_that_ends_sold_out_sells_its_quantity_and_not_one_unit_more() {
    let app = Arc::new(shop().await);
    create_sale(&app, reaper_sale(7, "sold_out", None)).await;
    let results = buyers_at_once(&app, 60, "strict").await;
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 7, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert_eq!(
        app.store.read().unwrap().stock("REAPER").unwrap(),
        53,
        "7 units left the shelf"
    );
    let p = product(&app, "REAPER").await;
    assert_eq!(
        (p["stock"].as_u64(), p["in_stock"].as_bool()),
        (Some(0), Some(false)),
        "sold out until the sale ends: {p}"
    );
    let late = new_cart_status(&app, json!([{"sku":"REAPER","quantity":1}])).await;
    assert_eq!(late, 409, "a sold-out sale item cannot go into a cart");
}

async fn new_cart_status(app: &TestApp, items: Value) -> u16 {
    app.post_json("/api/v1/carts", &json!({ "items": items })).await.0
}

#[tokio::test]
async fn the_per_customer_limit_holds_across_carts_and_within_one_cart() {
    let app = shop().await;
    create_sale(&app, reaper_sale(50, "regular", Some(2))).await;
    // Three in one cart: two at the sale price, one at the regular price, as two order lines.
    let cart = new_cart(&app, json!([{"sku":"REAPER","quantity":3}])).await;
    let (_, quoted) = app.get_json(&format!("/api/v1/carts/{cart}")).await;
    assert_eq!(quoted["subtotal_cents"], 2 * 500 + 1200, "{quoted}");
    let (status, order, _) = checkout(&app, "limit-1", &body_for(&cart, "ana@example.com")).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(unit_prices(&app, &order), vec![(500, 2), (1200, 1)]);
    // A new cart does not reset the limit: the same email (in any case) pays the regular price.
    let cart = new_cart(&app, json!([{"sku":"REAPER","quantity":1}])).await;
    let (status, order, _) = checkout(&app, "limit-2", &body_for(&cart, " ANA@example.com")).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(unit_prices(&app, &order), vec![(1200, 1)]);
    // Another shopper still gets the sale price.
    let cart = new_cart(&app, json!([{"sku":"REAPER","quantity":1}])).await;
    let (_, order, _) = checkout(&app, "limit-3", &body_for(&cart, "bo@example.com")).await;
    assert_eq!(unit_prices(&app, &order), vec![(500, 1)]);
}

/// The cheapest sauce as search sorts them.
async fn cheapest(app: &TestApp) -> Option<String> {
    let (_, found) = app.get_json("/api/v1/search?q=sauce&sort=price_asc").await;
    found["hits"][0]["sku"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn a_scheduled_price_starts_and_ends_on_time_in_pages_search_and_listings() {
    let app = shop().await;
    let line = json!({"sku":"VERDE","title":"Salsa Verde","price_cents":800,"stock":5,"category":"Hot Sauce",
        "sale_price_cents":300,"sale_starts":rfc3339_in(1_500),"sale_ends":rfc3339_in(4_000)});
    assert_eq!(app.put_product(&line).await, 200);
    assert_eq!(product(&app, "VERDE").await["current_price_cents"], 800);
    assert_eq!(cheapest(&app).await.as_deref(), Some("GHOST"));
    let started = eventually(Duration::from_secs(3), || async {
        product(&app, "VERDE").await["current_price_cents"] == 300 && cheapest(&app).await.as_deref() == Some("VERDE")
    })
    .await;
    assert!(
        started,
        "the scheduled price is in force and search sorts by it, without a reindex by hand"
    );
    let (_, html) = app.get_html("/c/hot-sauce?sort=price_asc").await;
    let first = html.find("Salsa Verde").unwrap();
    assert!(
        first < html.find("Ghost Pepper").unwrap(),
        "the listing sorts by the price in force"
    );
    assert!(
        html.contains("$3.00") && html.contains("<s class=\"was\""),
        "the regular price is struck through"
    );
    let ended = eventually(Duration::from_secs(5), || async {
        product(&app, "VERDE").await["current_price_cents"] == 800 && cheapest(&app).await.as_deref() == Some("GHOST")
    })
    .await;
    assert!(ended, "the regular price is back when the sale ends");
}

#[tokio::test]
async fn search_price_facets_count_the_price_in_force_as_a_scan_does() {
    let catalog = generated_catalog(200, 5);
    let app = spawn_app_with_catalog(&catalog).await;
    let lines = catalog_lines(&catalog);
    // Half the catalog at a quarter of its price, starting now.
    for line in lines.iter().step_by(2).take(40) {
        let mut sale = line.clone();
        let price = line["price_cents"].as_i64().unwrap();
        sale["sale_price_cents"] = json!(price / 4);
        sale["sale_starts"] = json!(rfc3339_in(500));
        assert_eq!(app.put_product(&sale).await, 200, "{sale}");
    }
    let mut expected = std::collections::BTreeMap::<String, u64>::new();
    for (i, line) in lines.iter().enumerate() {
        let price = line["price_cents"].as_u64().unwrap();
        let now = if i % 2 == 0 && i < 80 {
            (price as i64 / 4) as u64
        } else {
            price
        };
        let label = storefront::search::PRICE_BUCKETS
            .iter()
            .find(|(upper, _)| now < *upper)
            .unwrap()
            .1;
        *expected.entry(label.to_owned()).or_default() += 1;
    }
    let matches = eventually(Duration::from_secs(5), || async {
        let (_, found) = app.get_json("/api/v1/search?per_page=1").await;
        let counted: std::collections::BTreeMap<String, u64> = found["facets"]["price"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["value"].as_str().unwrap().to_owned(), f["count"].as_u64().unwrap()))
            .collect();
        counted == expected
    })
    .await;
    assert!(matches, "price facets count what shoppers pay now: {expected:?}");
}

#[tokio::test]
async fn ending_a_sale_early_returns_the_regular_price_and_keeps_its_report() {
    let app = shop().await;
    let sale = create_sale(&app, reaper_sale(10, "regular", None)).await;
    let (status, ended) = admin(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/admin/sales/{}", sale["id"]),
        None,
    )
    .await;
    assert_eq!((status, ended["status"].as_str()), (200, Some("ended")), "{ended}");
    assert_eq!(product(&app, "REAPER").await["current_price_cents"], 1200);
    let (_, all) = admin(&app, reqwest::Method::GET, "/api/v1/admin/sales", None).await;
    assert_eq!(all["sales"][0]["id"], sale["id"], "{all}");
}

#[tokio::test]
async fn a_flash_sale_is_refused_with_a_clear_reason_when_it_cannot_run() {
    let app = shop().await;
    let cases = [
        (
            json!({"name":"x","starts":rfc3339_in(0),"ends":rfc3339_in(9_000),"items":[{"sku":"NOPE","price_cents":1,"quantity":1}]}),
            "NOPE",
        ),
        (
            json!({"name":"x","starts":rfc3339_in(9_000),"ends":rfc3339_in(0),"items":[{"sku":"REAPER","price_cents":1,"quantity":1}]}),
            "after",
        ),
        (
            json!({"name":"x","starts":"tomorrow","ends":rfc3339_in(0),"items":[{"sku":"REAPER","price_cents":1,"quantity":1}]}),
            "RFC 3339",
        ),
        (
            json!({"name":"x","starts":rfc3339_in(0),"ends":rfc3339_in(9_000),"items":[{"sku":"REAPER","price_cents":1,"quantity":0}]}),
            "quantity",
        ),
    ];
    for (body, says) in cases {
        let (status, err) = admin(&app, reqwest::Method::POST, "/api/v1/admin/sales", Some(body)).await;
        assert_eq!(status, 422, "{err}");
        assert!(err["error"]["message"].as_str().unwrap().contains(says), "{err}");
    }
    let res = app.client.get(app.url("/api/v1/admin/sales")).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bundle_is_as_available_as_its_components_and_a_sale_takes_them_all_at_once() {
    let app = Arc::new(shop().await);
    // VERDE 5, GHOST 40 (two per trio): five trios.
    let trio = product(&app, "TRIO").await;
    assert_eq!(
        (trio["stock"].as_u64(), trio["in_stock"].as_bool()),
        (Some(5), Some(true)),
        "{trio}"
    );
    let (_, html) = app.get_html("/p/TRIO").await;
    assert!(
        html.contains("Salsa Verde") && html.contains("Ghost Pepper Flakes"),
        "the bundle page lists its contents"
    );
    let (_, found) = app.get_json("/api/v1/search?q=trio").await;
    assert_eq!(found["hits"][0]["sku"], "TRIO", "search finds the bundle: {found}");

    // Twenty trio buyers and twenty Salsa Verde buyers at once, for five units of Salsa Verde.
    let mut carts = Vec::new();
    for i in 0..40 {
        let sku = if i % 2 == 0 { "TRIO" } else { "VERDE" };
        carts.push((sku, new_cart(&app, json!([{ "sku": sku, "quantity": 1 }])).await));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(carts.len()));
    let buyers = carts.into_iter().enumerate().map(|(i, (sku, cart))| {
        let (app, barrier) = (app.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            let (status, _, _) =
                checkout(&app, &format!("b-{i}"), &body_for(&cart, &format!("b{i}@example.com"))).await;
            (sku, status)
        })
    });
    let results: Vec<_> = join_all(buyers).await.into_iter().map(Result::unwrap).collect();
    let sold = |sku: &str| results.iter().filter(|(s, st)| *s == sku && *st == 201).count() as u64;
    assert!(results.iter().all(|(_, st)| *st == 201 || *st == 409), "{results:?}");
    assert_eq!(
        sold("TRIO") + sold("VERDE"),
        5,
        "five units of Salsa Verde, never more: {results:?}"
    );
    assert_eq!(product(&app, "VERDE").await["stock"], 0);
    assert_eq!(product(&app, "GHOST").await["stock"], 40 - 2 * sold("TRIO"));
    let trio = product(&app, "TRIO").await;
    assert_eq!(
        (trio["stock"].as_u64(), trio["in_stock"].as_bool()),
        (Some(0), Some(false)),
        "{trio}"
    );
}

/// `2026-12-05T09:00` (UTC) for a `datetime-local` field, `ms_from_now` from now.
fn form_time_in(ms_from_now: i64) -> String {
    rfc3339_in(ms_from_now)[..16].to_owned()
}

#[tokio::test]
async fn a_merchant_announces_a_flash_sale_in_the_back_office_and_watches_it_start_and_sell() {
    let app = shop().await;
    let (sid, csrf) = crate::admin_pages::staff_session(&app).await;
    // Minutes are the form's precision: the sale starts at the next minute, ends an hour later.
    let starts = form_time_in(60_000);
    let res = app
        .client
        .post(app.url("/admin/sales"))
        .header("Cookie", &sid)
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Holiday doorbusters"),
            ("starts", &starts),
            ("ends", &form_time_in(3_660_000)),
            ("items", "REAPER, 5.00, 3\nGHOST, 4.50, 2"),
            ("per_customer_limit", "1"),
            ("then", "regular"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let page = crate::admin_pages::get(&app, "/admin/sales", &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Holiday doorbusters") && page.contains("scheduled"),
        "{page}"
    );
    let (_, html) = app.get_html("/p/REAPER").await;
    assert!(
        !html.contains("Holiday doorbusters"),
        "no banner before the sale starts"
    );

    // The clock moves on: bring the start to now behind the server's back, as 09:00 arriving would.
    let (_, sales) = admin(&app, reqwest::Method::GET, "/api/v1/admin/sales", None).await;
    let id = sales["sales"][0]["id"].as_u64().unwrap();
    app.store
        .write(move |tx| {
            let mut sale = tx.flash_sale(id)?.unwrap();
            sale.starts_ms = storefront::domain::now_ms() - 1;
            tx.put_flash_sale(&sale)?;
            tx.schedule_price_change(sale.starts_ms, "REAPER")
        })
        .unwrap();
    let started = eventually(Duration::from_secs(3), || async {
        let (_, html) = app.get_html("/p/REAPER").await;
        html.contains("Holiday doorbusters") && html.contains("data-countdown") && html.contains("<s class=\"was\"")
    })
    .await;
    assert!(
        started,
        "the product page shows the sale, its countdown and the struck regular price"
    );
    let cart = new_cart(&app, json!([{"sku":"REAPER","quantity":1}])).await;
    let (status, _, _) = checkout(&app, "announced-1", &body_for(&cart, "cy@example.com")).await;
    assert_eq!(status, 201);
    let page = crate::admin_pages::get(&app, "/admin/sales", &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("running") && page.contains("<strong>1 / 3</strong>"),
        "{page}"
    );
    let (_, audit) = admin(&app, reqwest::Method::GET, "/api/v1/admin/audit", None).await;
    assert!(audit.to_string().contains("sale.create"), "{audit}");
    let report = crate::admin_pages::get(&app, "/admin/reports", &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("Holiday doorbusters") && report.contains("1 / 5"),
        "the report tells how it went: {report}"
    );
}

#[tokio::test]
async fn a_product_edited_during_a_flash_sale_keeps_its_sale_price_in_the_listing_order() {
    let app = shop().await;
    create_sale(&app, reaper_sale(10, "regular", None)).await;
    let first = |html: &str| {
        let at = html.find("class=\"card-link\" href=\"/p/").unwrap() + "class=\"card-link\" href=\"/p/".len();
        html[at..at + html[at..].find('"').unwrap()].to_owned()
    };
    let (_, html) = app.get_html("/c/hot-sauce?sort=price_asc").await;
    assert_eq!(first(&html), "REAPER", "at $5 it is the cheapest sauce");
    let line = json!({"sku":"REAPER","title":"Ember Reaper Sauce, new label","price_cents":1200,"stock":60,"category":"Hot Sauce"});
    assert_eq!(app.put_product(&line).await, 200);
    let (_, html) = app.get_html("/c/hot-sauce?sort=price_asc").await;
    assert_eq!(first(&html), "REAPER", "still sorted at the sale price after the edit");
}
