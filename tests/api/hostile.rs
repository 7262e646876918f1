//! Every route, fed malformed input: wrong methods, broken and oversized JSON, wrong types,
//! hostile path segments and query strings. Nothing may answer with a server error.

use reqwest::Method;

use crate::checkout::SHOP;
use crate::helpers::spawn_app_with_catalog;

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/c/{x}"),
    ("GET", "/p/{x}"),
    ("GET", "/search"),
    ("GET", "/garage"),
    ("POST", "/garage"),
    ("POST", "/garage/clear"),
    ("GET", "/cart"),
    ("POST", "/cart/add"),
    ("POST", "/cart/update"),
    ("POST", "/cart/remove"),
    ("POST", "/cart/promo"),
    ("GET", "/checkout"),
    ("POST", "/checkout"),
    ("GET", "/orders/{x}"),
    ("GET", "/admin"),
    ("POST", "/admin/login"),
    ("POST", "/admin/logout"),
    ("POST", "/admin/password"),
    ("GET", "/admin/orders/{x}"),
    ("POST", "/admin/orders/{x}/transition"),
    ("POST", "/admin/stock/adjust"),
    ("POST", "/admin/stock/threshold"),
    ("GET", "/api/v1/products"),
    ("GET", "/api/v1/products/{x}"),
    ("GET", "/api/v1/search"),
    ("GET", "/api/v1/suggest"),
    ("GET", "/api/v1/vehicles/makes"),
    ("GET", "/api/v1/vehicles/models"),
    ("GET", "/api/v1/vehicles/years"),
    ("GET", "/api/v1/vehicles/submodels"),
    ("GET", "/api/v1/vehicles/engines"),
    ("POST", "/api/v1/carts"),
    ("GET", "/api/v1/carts/{x}"),
    ("POST", "/api/v1/carts/{x}/items"),
    ("PATCH", "/api/v1/carts/{x}/items/{x}"),
    ("DELETE", "/api/v1/carts/{x}/items/{x}"),
    ("POST", "/api/v1/carts/{x}/promo"),
    ("POST", "/api/v1/checkout"),
    ("GET", "/api/v1/orders/{x}"),
    ("PUT", "/api/v1/admin/products/{x}"),
    ("DELETE", "/api/v1/admin/products/{x}"),
    ("POST", "/api/v1/admin/import"),
    ("GET", "/api/v1/admin/export"),
    ("PUT", "/api/v1/admin/stock/{x}/threshold"),
    ("GET", "/api/v1/admin/low-stock"),
    ("POST", "/api/v1/admin/stock/{x}/adjust"),
    ("PUT", "/api/v1/admin/stock/{x}"),
    ("GET", "/api/v1/admin/orders"),
    ("GET", "/api/v1/admin/orders/{x}"),
    ("GET", "/api/v1/admin/stock/{x}/ledger"),
    ("GET", "/api/v1/admin/tokens"),
    ("DELETE", "/api/v1/admin/tokens/{x}"),
    ("POST", "/api/v1/admin/orders/{x}/transition"),
    ("POST", "/api/v1/admin/tokens"),
    ("GET", "/api/v1/admin/audit"),
    ("GET", "/metrics"),
    ("GET", "/assets/{x}"),
];

const SEGMENTS: &[&str] = &[
    "BRK-1",
    "%00",
    "..%2f..%2fetc%2fpasswd",
    "%F0%9F%8C%B6",
    "a%20b",
    "%ff%fe",
    "'\"<>",
];

const QUERIES: &[&str] = &[
    "",
    "?q=%22unbalanced&page=-1&per_page=99999999999",
    "?year=abc&make=&model=%00&price_min=NaN&price_max=-5&sort=%3Cscript%3E",
    "?status=lost&page=0&token=&next=https%3A%2F%2Fevil.example&subject=%FF",
];

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("application/json", b"{".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        (
            "application/json",
            br#"{"sku":1,"quantity":"many","cart_id":null,"to":7,"delta":1e999}"#.to_vec(),
        ),
        (
            "application/json",
            format!("{{\"sku\":\"{}\",\"quantity\":1}}", "x".repeat(10_000)).into_bytes(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"sku=%FF&quantity=-1&code=%00&csrf=&to=lost".to_vec(),
        ),
        ("application/x-www-form-urlencoded", b"=&&==".to_vec()),
        ("text/plain", "🌶️".repeat(1000).into_bytes()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_answers_malformed_input_with_a_server_error() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let mut tried = 0;
    let mut failures = Vec::new();
    for (method, template) in ROUTES {
        for segment in SEGMENTS {
            let path = template.replace("{x}", segment);
            for query in QUERIES {
                let url = app.url(&format!("{path}{query}"));
                for method in [method.to_string(), "OPTIONS".to_owned()] {
                    let method = Method::from_bytes(method.as_bytes()).unwrap();
                    let sends_body = matches!(method.as_str(), "POST" | "PUT" | "PATCH");
                    let cases = if sends_body { bodies() } else { vec![("", Vec::new())] };
                    for (content_type, body) in cases {
                        let mut req = app.client.request(method.clone(), &url).bearer_auth(&app.admin_token);
                        if !content_type.is_empty() {
                            req = req.header("Content-Type", content_type).body(body);
                        }
                        let status = req.send().await.expect("answered").status();
                        tried += 1;
                        if status.is_server_error() {
                            failures.push(format!("{method} {path}{query} ({content_type}) -> {status}"));
                        }
                    }
                }
            }
        }
    }
    assert!(tried > 2000, "only {tried} requests");
    assert!(
        failures.is_empty(),
        "{} server errors:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
