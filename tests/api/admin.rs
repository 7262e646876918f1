//! The merchant API: every route refuses anonymous (401) and wrong-scope (403) callers, and the
//! changes it makes land in the catalog, the stock ledger, orders and the audit log.

use reqwest::Method;
use std::collections::HashMap;

use serde_json::{Value, json};

use crate::checkout::{SHOP, checkout, checkout_body, new_cart};
use crate::helpers::{TestApp, spawn_app_with_catalog};

async fn call(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn token_with(app: &TestApp, scopes: &str) -> String {
    let (status, body) = call(
        app,
        Method::POST,
        "/api/v1/admin/tokens",
        Some(&app.admin_token),
        Some(json!({"scopes": scopes, "label": "test"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// (method, path, scope it needs, a body that passes validation)
fn routes() -> Vec<(Method, &'static str, &'static str, Option<Value>)> {
    let line = json!({"sku":"NEW-1","title":"New thing","price_cents":500,"stock":3});
    vec![
        (Method::PUT, "/api/v1/admin/products/NEW-1", "catalog", Some(line)),
        (Method::DELETE, "/api/v1/admin/products/SAUCE-5", "catalog", None),
        (
            Method::POST,
            "/api/v1/admin/stock/BRK-1/adjust",
            "stock",
            Some(json!({"delta": 2, "reason": "found in back"})),
        ),
        (
            Method::PUT,
            "/api/v1/admin/stock/BRK-1",
            "stock",
            Some(json!({"quantity": 9, "reason": "count"})),
        ),
        (Method::GET, "/api/v1/admin/export", "catalog", None),
        (Method::GET, "/api/v1/admin/stock/BRK-1/ledger", "stock", None),
        (
            Method::PUT,
            "/api/v1/admin/stock/BRK-1/threshold",
            "stock",
            Some(json!({"low_stock": 2})),
        ),
        (Method::GET, "/api/v1/admin/low-stock", "stock", None),
        (Method::GET, "/api/v1/admin/orders", "orders", None),
        (Method::GET, "/api/v1/admin/tokens", "admin", None),
        (Method::GET, "/api/v1/admin/audit", "admin", None),
        (Method::GET, "/api/v1/admin/jobs?state=dead", "admin", None),
        (Method::GET, "/api/v1/admin/mail", "admin", None),
        (Method::GET, "/api/v1/admin/webhooks", "admin", None),
        (
            Method::POST,
            "/api/v1/admin/webhooks",
            "admin",
            Some(
                json!({"url": "http://127.0.0.1:9/hooks", "secret": "a-secret-of-16-chars", "events": ["order.created"]}),
            ),
        ),
        (Method::GET, "/api/v1/admin/webhooks/deliveries", "admin", None),
        (Method::GET, "/api/v1/admin/feeds", "admin", None),
        (Method::GET, "/api/v1/admin/sales", "catalog", None),
        (
            Method::POST,
            "/api/v1/admin/sales",
            "catalog",
            Some(
                json!({"name": "Doorbusters", "starts": "2026-01-01T09:00:00Z", "ends": "2099-01-01T09:00:00Z",
                "items": [{"sku": "BRK-1", "price_cents": 500, "quantity": 5}]}),
            ),
        ),
    ]
}

#[tokio::test]
async fn every_admin_route_refuses_missing_bad_revoked_and_wrong_scope_credentials() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let revoked = token_with(&app, "admin").await;
    let id = revoked.split('_').nth(1).unwrap().to_owned();
    let (status, _) = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/admin/tokens/{id}"),
        Some(&app.admin_token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    for (method, path, scope, body) in routes() {
        let (status, err) = call(&app, method.clone(), path, None, body.clone()).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (401, Some("unauthorized")),
            "{method} {path}"
        );
        for bad in ["sf_nope_nope", "garbage", revoked.as_str()] {
            let (status, _) = call(&app, method.clone(), path, Some(bad), body.clone()).await;
            assert_eq!(status, 401, "{method} {path} with {bad}");
        }
        let other = ["catalog", "orders", "stock"]
            .into_iter()
            .find(|s| *s != scope)
            .unwrap();
        let wrong = token_with(&app, other).await;
        let (status, err) = call(&app, method.clone(), path, Some(&wrong), body.clone()).await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (403, Some("forbidden")),
            "{method} {path}"
        );
        let right = token_with(&app, scope).await;
        let (status, body) = call(&app, method.clone(), path, Some(&right), body.clone()).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path} with the {scope} scope: {status} {body}"
        );
    }
}

#[tokio::test]
async fn a_product_put_through_the_api_is_live_and_audited() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let token = token_with(&app, "catalog").await;
    let line =
        json!({"sku":"NEW-2","title":"Smoked Chipotle Sauce","price_cents":899,"stock":12,"category":"Hot Sauce"});
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v1/admin/products/NEW-2",
        Some(&token),
        Some(line.clone()),
    )
    .await;
    assert_eq!((status, body["result"].as_str()), (201, Some("created")), "{body}");
    let (status, product) = app.get_json("/api/v1/products/NEW-2").await;
    assert_eq!((status, product["price_cents"].as_i64()), (200, Some(899)));

    let mut cheaper = line.clone();
    cheaper["price_cents"] = json!(799);
    let (status, body) = call(
        &app,
        Method::PUT,
        "/api/v1/admin/products/NEW-2",
        Some(&token),
        Some(cheaper),
    )
    .await;
    assert_eq!((status, body["result"].as_str()), (200, Some("updated")));
    let (status, _) = call(
        &app,
        Method::PUT,
        "/api/v1/admin/products/OTHER",
        Some(&token),
        Some(line),
    )
    .await;
    assert_eq!(status, 409, "the body's sku must match the URL");

    let (_, log) = call(
        &app,
        Method::GET,
        "/api/v1/admin/audit?subject=product:NEW-2",
        Some(&app.admin_token),
        None,
    )
    .await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "product.update");
    assert!(entries[0]["before"].as_str().unwrap().contains("899"));
    assert!(entries[0]["after"].as_str().unwrap().contains("799"));
    assert!(entries[0]["actor"].as_str().unwrap().starts_with("token:"));

    let (status, _) = call(&app, Method::DELETE, "/api/v1/admin/products/NEW-2", Some(&token), None).await;
    assert_eq!(status, 200);
    assert_eq!(app.get_json("/api/v1/products/NEW-2").await.0, 404);
}

#[tokio::test]
async fn stock_changes_carry_a_reason_into_the_ledger_and_never_go_below_zero() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let token = token_with(&app, "stock").await;
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/v1/admin/stock/BRK-1/adjust",
        Some(&token),
        Some(json!({"delta": -7, "reason": "damaged"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["details"][0]["available"], 5);
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/v1/admin/stock/BRK-1/adjust",
        Some(&token),
        Some(json!({"delta": -2, "reason": "damaged in transit"})),
    )
    .await;
    assert_eq!((status, body["stock"].as_u64()), (200, Some(3)));
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/admin/stock/BRK-1/adjust",
        Some(&token),
        Some(json!({"delta": 1, "reason": "  "})),
    )
    .await;
    assert_eq!(status, 422, "a reason is required");
    let (_, ledger) = call(
        &app,
        Method::GET,
        "/api/v1/admin/stock/BRK-1/ledger",
        Some(&token),
        None,
    )
    .await;
    let last = ledger["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["delta"], -2);
    assert_eq!(last["reason"], "damaged in transit");
    assert!(last["actor"].as_str().unwrap().starts_with("token:"));
    let (status, _) = call(
        &app,
        Method::POST,
        "/api/v1/admin/stock/NOPE/adjust",
        Some(&token),
        Some(json!({"delta": 1, "reason": "x"})),
    )
    .await;
    assert_eq!(status, 404);
}

/// The reorder list as a scan of the catalog says it should be: (sku, units, threshold), fewest
/// units first.
fn expected_low(stock: &[(&str, u64)], own: &[(&str, u64)], default: u64) -> Vec<(String, u64, u64)> {
    let mut low: Vec<(String, u64, u64)> = stock
        .iter()
        .map(|(sku, units)| {
            let threshold = own.iter().find(|(s, _)| s == sku).map_or(default, |(_, t)| *t);
            (sku.to_string(), *units, threshold)
        })
        .filter(|(_, units, threshold)| units <= threshold)
        .collect();
    low.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    low
}

async fn low_stock_list(app: &TestApp, token: &str) -> Vec<(String, u64, u64)> {
    let (status, body) = call(app, Method::GET, "/api/v1/admin/low-stock", Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["default_low_stock"], 5);
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["sku"].as_str().unwrap().to_owned(),
                i["stock"].as_u64().unwrap(),
                i["low_stock"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_sku_can_have_its_own_low_stock_threshold_and_the_reorder_list_follows_it() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let token = token_with(&app, "stock").await;
    let stock = [("SAUCE-5", 50), ("LIMITED", 10), ("BRK-1", 5)];
    assert_eq!(low_stock_list(&app, &token).await, expected_low(&stock, &[], 5));
    let threshold = |sku: &str, value: Value| {
        let path = format!("/api/v1/admin/stock/{sku}/threshold");
        let token = token.clone();
        let app = &app;
        async move { call(app, Method::PUT, &path, Some(&token), Some(json!({"low_stock": value}))).await }
    };
    let (status, body) = threshold("SAUCE-5", json!(60)).await;
    assert_eq!(
        (status, body["effective_low_stock"].as_u64()),
        (200, Some(60)),
        "{body}"
    );
    threshold("BRK-1", json!(0)).await;
    let own = [("SAUCE-5", 60), ("BRK-1", 0)];
    assert_eq!(low_stock_list(&app, &token).await, expected_low(&stock, &own, 5));
    // null returns a SKU to the shop's default.
    let (status, body) = threshold("BRK-1", Value::Null).await;
    assert_eq!((status, body["effective_low_stock"].as_u64()), (200, Some(5)), "{body}");
    let own = [("SAUCE-5", 60)];
    assert_eq!(low_stock_list(&app, &token).await, expected_low(&stock, &own, 5));
    assert_eq!(threshold("NOPE", json!(3)).await.0, 404);
    assert_eq!(threshold("BRK-1", json!(-1)).await.0, 422);
    let (_, audit) = call(
        &app,
        Method::GET,
        "/api/v1/admin/audit?subject=product:SAUCE-5",
        Some(&app.admin_token),
        None,
    )
    .await;
    let entries = audit["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "stock.threshold" && e["after"].as_str().unwrap().contains("60")),
        "{audit}"
    );
}

#[tokio::test]
async fn orders_move_through_their_statuses_and_a_cancel_restocks() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let token = token_with(&app, "orders").await;
    let cart = new_cart(&app, json!([{"sku":"BRK-1","quantity":2}])).await;
    let (_, placed, _) = checkout(&app, "admin-order", &checkout_body(&cart, "tok_visa")).await;
    let number = placed["order_number"].as_str().unwrap();

    let (status, list) = call(
        &app,
        Method::GET,
        "/api/v1/admin/orders?status=paid",
        Some(&token),
        None,
    )
    .await;
    assert_eq!((status, list["total"].as_u64()), (200, Some(1)));
    let (_, order) = call(
        &app,
        Method::GET,
        &format!("/api/v1/admin/orders/{}", number.to_lowercase()),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(order["next_statuses"], json!(["fulfilled", "cancelled", "refunded"]));

    let path = format!("/api/v1/admin/orders/{number}/transition");
    let (status, _) = call(&app, Method::POST, &path, Some(&token), Some(json!({"to": "shipped"}))).await;
    assert_eq!(status, 409, "paid cannot jump to shipped");
    let (status, body) = call(
        &app,
        Method::POST,
        &path,
        Some(&token),
        Some(json!({"to": "cancelled", "note": "customer called"})),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (200, Some("cancelled")), "{body}");
    let (_, product) = app.get_json("/api/v1/products/BRK-1").await;
    assert_eq!(product["stock"], 5, "cancelling returned the stock");
    let (status, _) = call(&app, Method::POST, &path, Some(&token), Some(json!({"to": "lost"}))).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn an_import_through_the_api_reports_each_rejected_line() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let token = token_with(&app, "catalog").await;
    let body = "{\"sku\":\"IMP-1\",\"title\":\"Imported\",\"price_cents\":100}\n{\"sku\":\"IMP-2\",\"title\":\"\",\"price_cents\":100}\nnot json\n";
    let res = app
        .client
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["created"], 1);
    let lines: Vec<u64> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 3]);
    assert_eq!(app.get_json("/api/v1/products/IMP-1").await.0, 200);
}

#[tokio::test]
async fn a_csv_import_of_several_batches_runs_beside_checkouts_and_one_audit_entry_counts_them_all() {
    let app = std::sync::Arc::new(spawn_app_with_catalog(SHOP.as_bytes()).await);
    let token = token_with(&app, "catalog").await;
    // 4,500 lines are three of the importer's CSV batches (2,000 lines each).
    let mut csv = String::from("sku,title,price_cents,stock\n");
    for i in 0..4_500 {
        csv.push_str(&format!("BULK-{i:05},Bulk part {i},{},3\n", 100 + i));
    }
    let import = app
        .client
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&token)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send();
    let buyers = (0..12).map(|i| {
        let app = app.clone();
        tokio::spawn(async move {
            let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
            checkout(&app, &format!("beside-import-{i}"), &checkout_body(&cart, "tok_visa"))
                .await
                .0
        })
    });
    let buyers = crate::checkout::join_all(buyers.collect::<Vec<_>>());
    let (imported, sold) = tokio::join!(import, buyers);
    let imported = imported.unwrap();
    assert_eq!(imported.status(), 200);
    let report: Value = imported.json().await.unwrap();
    assert_eq!(report["created"], 4_500, "{report}");
    let sold: Vec<u16> = sold.into_iter().map(Result::unwrap).collect();
    assert!(
        sold.iter().all(|&s| s == 201),
        "every checkout beside the import was placed: {sold:?}"
    );
    let (_, product) = app.get_json("/api/v1/products/BULK-04499").await;
    assert_eq!(product["price_cents"], 4_599);
    let (_, audit) = call(
        &app,
        Method::GET,
        "/api/v1/admin/audit?subject=catalog",
        Some(&app.admin_token),
        None,
    )
    .await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    let after: Value = serde_json::from_str(entries[0]["after"].as_str().unwrap()).unwrap();
    assert_eq!(after["created"], 4_500, "the entry counts every batch: {after}");
}

#[tokio::test]
async fn the_order_list_by_status_agrees_with_each_orders_own_status_page_by_page() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let token = token_with(&app, "orders").await;
    let mut numbers = Vec::new();
    for i in 0..7 {
        let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
        let (status, placed, _) = checkout(&app, &format!("list-{i}"), &checkout_body(&cart, "tok_visa")).await;
        assert_eq!(status, 201, "{placed}");
        numbers.push(placed["order_number"].as_str().unwrap().to_owned());
    }
    for (number, to) in [
        (&numbers[1], "fulfilled"),
        (&numbers[4], "fulfilled"),
        (&numbers[5], "cancelled"),
    ] {
        let path = format!("/api/v1/admin/orders/{number}/transition");
        let (status, body) = call(&app, Method::POST, &path, Some(&token), Some(json!({"to": to}))).await;
        assert_eq!(status, 200, "{body}");
    }
    // Brute force: each order's own status; newest first, as the list orders them.
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    for number in numbers.iter().rev() {
        let (_, order) = call(
            &app,
            Method::GET,
            &format!("/api/v1/admin/orders/{number}"),
            Some(&token),
            None,
        )
        .await;
        let status = order["status"].as_str().unwrap().to_owned();
        expected.entry(status).or_default().push(number.clone());
    }
    for status in ["pending", "paid", "fulfilled", "shipped", "cancelled", "refunded"] {
        let want = expected.get(status).cloned().unwrap_or_default();
        let mut got = Vec::new();
        for page in 1..=4 {
            let path = format!("/api/v1/admin/orders?status={status}&page={page}&per_page=2");
            let (code, list) = call(&app, Method::GET, &path, Some(&token), None).await;
            assert_eq!(code, 200, "{list}");
            assert_eq!(list["total"].as_u64(), Some(want.len() as u64), "{status}: {list}");
            got.extend(
                list["orders"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["order_number"].as_str().unwrap().to_owned()),
            );
        }
        assert_eq!(got, want, "{status}");
    }
    let (_, all) = call(
        &app,
        Method::GET,
        "/api/v1/admin/orders?per_page=3&page=2",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(all["total"], 7);
    let page: Vec<&str> = all["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_number"].as_str().unwrap())
        .collect();
    let newest_first: Vec<&str> = numbers.iter().rev().map(String::as_str).collect();
    assert_eq!(page, newest_first[3..6].to_vec());
}
