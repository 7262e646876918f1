//! Findings of the hostile review (../shared/reviews/security.md) and the merchant walk-through,
//! each tried through the front door: a burst of guesses, a catalog-only clerk on the dashboard,
//! a cross-site import, a real shop's test card, staff who leave, numbers that would wrap.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::admin_pages::{get, hidden, set_cookie, sign_in_as, staff_session};
use crate::checkout::{SHOP, checkout, checkout_body, new_cart};
use crate::helpers::{TestApp, spawn_app_with_catalog, spawn_configured};

/// Creates a staff account with `scopes` through the staff page and gives it `password`; returns
/// a signed-in session cookie (`sid=…`) for it.
async fn clerk(app: &TestApp, admin: &(String, String), username: &str, scopes: &[&str], password: &str) -> String {
    let (sid, csrf) = admin;
    let mut body = format!("csrf={csrf}&username={username}");
    for scope in scopes {
        body.push_str(&format!("&scope={scope}"));
    }
    let res = app
        .client
        .post(app.url("/admin/staff"))
        .header("Cookie", sid)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let hash = storefront::staff::secrets::hash_password(password);
    let name = username.to_owned();
    app.store
        .write(move |tx| storefront::staff::ops::set_password(tx, &name, hash, "test", None))
        .unwrap();
    let res = sign_in_as(app, username, password).await;
    let cookie = set_cookie(&res, "sid").unwrap_or_else(|| panic!("{username} signs in"));
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_from_many_addresses_is_checked_no_more_than_the_account_allows() {
    let app = Arc::new(
        spawn_configured(
            |c| {
                c.limits.enabled = true;
                c.limits.login_per_minute = 10_000;
                c.limits.login_burst = 10_000;
                c.limits.login_failures_per_account = 5;
            },
            |_| {},
        )
        .await,
    );
    let form = app.get("/admin/login").await;
    let cookie = set_cookie(&form, "login_csrf").unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let csrf = hidden(&form.text().await.unwrap(), "csrf");
    let attempts: Vec<_> = (0..40)
        .map(|i| {
            let (app, cookie, csrf) = (app.clone(), cookie.clone(), csrf.clone());
            // The last guess is right: inside a burst it must not get through once the
            // account's attempts are spent.
            let password = if i == 39 {
                app.admin_password.clone()
            } else {
                format!("wrong guess {i}")
            };
            tokio::spawn(async move {
                app.client
                    .post(app.url("/admin/login"))
                    .header("Cookie", &cookie)
                    .form(&[("username", "admin"), ("password", &password), ("csrf", &csrf)])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut checked = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            303 => checked += 1,
            429 => {}
            other => panic!("unexpected answer {other}"),
        }
    }
    assert!(checked <= 5, "{checked} passwords were checked; the account allows 5");
    let late = app
        .client
        .post(app.url("/admin/login"))
        .header("Cookie", &cookie)
        .form(&[
            ("username", "admin"),
            ("password", app.admin_password.as_str()),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        late.status(),
        429,
        "the account stays locked, even for the right password"
    );
}

#[tokio::test]
async fn the_dashboard_shows_sales_and_customers_only_to_staff_who_may_see_orders() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    assert_eq!(checkout(&app, "dash-1", &checkout_body(&cart, "tok_visa")).await.0, 201);
    let admin = staff_session(&app).await;
    let cataloguer = clerk(&app, &admin, "cat1", &["catalog"], "catalog clerk password").await;
    let page = get(&app, "/admin", &cataloguer).await.text().await.unwrap();
    assert!(!page.contains("Ana Díaz"), "no customer names: {page}");
    assert!(!page.contains("revenue"), "no revenue: {page}");
    assert!(page.contains("Low stock"), "the rest of the dashboard is there");
    let page = get(&app, "/admin", &admin.0).await.text().await.unwrap();
    assert!(
        page.contains("Ana Díaz") && page.contains("revenue today (paid)"),
        "{page}"
    );
}

#[tokio::test]
async fn a_disabled_clerk_is_signed_out_and_cannot_sign_in_and_a_deleted_one_is_gone() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let admin = staff_session(&app).await;
    let sam = clerk(&app, &admin, "sam", &["orders"], "sams long password").await;
    assert_eq!(get(&app, "/admin/orders", &sam).await.status(), 200);
    let act = |action: &'static str, extra: &'static str| {
        app.client
            .post(app.url("/admin/staff/sam"))
            .header("Cookie", &admin.0)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("csrf={}&action={action}{extra}", admin.1))
            .send()
    };
    assert_eq!(act("disable", "").await.unwrap().status(), 200);
    assert_eq!(get(&app, "/admin/orders", &sam).await.status(), 303, "signed out");
    let again = sign_in_as(&app, "sam", "sams long password").await;
    assert_eq!(again.headers()["location"], "/admin/login?failed=1");

    assert_eq!(act("enable", "").await.unwrap().status(), 200);
    let back = sign_in_as(&app, "sam", "sams long password").await;
    let sam = set_cookie(&back, "sid").expect("enabled again");
    let sam = sam.split(';').next().unwrap().to_owned();
    assert_eq!(act("scopes", "&scope=stock").await.unwrap().status(), 200);
    assert_eq!(
        get(&app, "/admin/orders", &sam).await.status(),
        403,
        "re-scoped to stock"
    );
    assert_eq!(get(&app, "/admin/stock", &sam).await.status(), 200);

    let unconfirmed = act("delete", "").await.unwrap().text().await.unwrap();
    assert!(unconfirmed.contains("Tick the box"), "deleting asks first");
    assert!(app.store.read().unwrap().account("sam").unwrap().is_some());
    assert_eq!(act("delete", "&confirm=yes").await.unwrap().status(), 200);
    assert!(app.store.read().unwrap().account("sam").unwrap().is_none());
    assert_eq!(get(&app, "/admin/stock", &sam).await.status(), 303);
    let audit = get(&app, "/admin/audit", &admin.0).await.text().await.unwrap();
    for action in ["account.disable", "account.enable", "account.scopes", "account.delete"] {
        assert!(audit.contains(action), "{action} is audited");
    }
}

#[tokio::test]
async fn the_last_admin_cannot_be_disabled_and_no_admin_changes_their_own_account_this_way() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let admin = staff_session(&app).await;
    let other = clerk(&app, &admin, "boss2", &["admin"], "second admin password").await;
    let post = |cookie: &str, csrf: &str, path: &str, body: String| {
        app.client
            .post(app.url(path))
            .header("Cookie", cookie.to_owned())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}&{body}"))
            .send()
    };
    let own = post(&admin.0, &admin.1, "/admin/staff/admin", "action=disable".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(own.contains("your own account"), "{own}");
    // boss2 disables admin: allowed, boss2 remains; then admin cannot be the one to go.
    let csrf = hidden(&get(&app, "/admin/staff", &other).await.text().await.unwrap(), "csrf");
    let page = post(&other, &csrf, "/admin/staff/admin", "action=disable".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Saved"), "{page}");
    assert!(app.store.read().unwrap().is_account_disabled("admin").unwrap());
}

#[tokio::test]
async fn changing_the_password_signs_out_the_accounts_other_sessions_only() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let admin = staff_session(&app).await;
    let elsewhere = set_cookie(&sign_in_as(&app, "admin", "another long passphrase").await, "sid").unwrap();
    let elsewhere = elsewhere.split(';').next().unwrap().to_owned();
    assert_eq!(get(&app, "/admin", &elsewhere).await.status(), 200);
    let res = app
        .client
        .post(app.url("/admin/password"))
        .header("Cookie", &admin.0)
        .form(&[
            ("csrf", admin.1.as_str()),
            ("current", "another long passphrase"),
            ("new", "a third long passphrase"),
            ("again", "a third long passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let page = get(&app, &location, &admin.0).await.text().await.unwrap();
    assert!(page.contains("Password changed."), "the change is confirmed: {page}");
    assert_eq!(get(&app, "/admin", &admin.0).await.status(), 200, "this session stays");
    assert_eq!(
        get(&app, "/admin", &elsewhere).await.status(),
        303,
        "the other one ends"
    );
}

#[tokio::test]
async fn a_sign_in_whose_next_holds_a_line_break_lands_on_the_dashboard_not_a_500() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let form = app.get("/admin/login").await;
    let cookie = set_cookie(&form, "login_csrf").unwrap();
    let csrf = hidden(&form.text().await.unwrap(), "csrf");
    let res = app
        .client
        .post(app.url("/admin/login"))
        .header("Cookie", cookie.split(';').next().unwrap())
        .form(&[
            ("username", "admin"),
            ("password", app.admin_password.as_str()),
            ("csrf", &csrf),
            ("next", "/admin\r\nSet-Cookie: x=1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin");
}

#[tokio::test]
async fn a_cross_site_import_riding_the_admin_cookie_is_refused_and_a_bearer_token_still_works() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let (sid, _) = staff_session(&app).await;
    let line = r#"{"sku":"CSRF-1","title":"planted","price_cents":1,"stock":1}"#;
    for (origin, site) in [
        ("http://evil.example", "cross-site"),
        ("http://shop.example:8081", "same-site"),
    ] {
        let res = app
            .client
            .post(app.url("/api/v1/admin/import"))
            .header("Cookie", &sid)
            .header("Content-Type", "application/x-ndjson")
            .header("Origin", origin)
            .header("Sec-Fetch-Site", site)
            .body(line)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{site}");
    }
    let form_type = app
        .client
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/plain")
        .body(line)
        .send()
        .await
        .unwrap();
    assert_eq!(form_type.status(), 415, "a type an HTML form can send is refused");
    assert_eq!(app.get_json("/api/v1/products/CSRF-1").await.0, 404);
    let res = app
        .client
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/x-ndjson")
        .body(line)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_real_shop_offers_no_test_card_and_refuses_one_sent_to_the_api() {
    let app = spawn_configured(|c| c.payments.test_cards = None, crate::checkout::import_shop).await;
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (status, body, _) = checkout(&app, "free-goods", &checkout_body(&cart, "tok_visa")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(app.store.read().unwrap().order_count().unwrap(), 0);
    let mut invoice = checkout_body(&cart, "tok_visa");
    invoice["payment"] = json!({"method": "invoice"});
    let (status, body, _) = checkout(&app, "invoice", &invoice).await;
    assert_eq!((status, body["status"].as_str()), (201, Some("pending")), "{body}");
}

#[tokio::test]
async fn stock_beyond_a_billion_units_is_refused_at_import_with_its_line() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let body = "{\"sku\":\"BIG-1\",\"title\":\"big\",\"price_cents\":1,\"stock\":18446744073709551615}\n";
    let res = app
        .client
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&app.admin_token)
        .body(body)
        .send()
        .await
        .unwrap();
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["created"], 0, "{report}");
    assert_eq!(report["rejected"][0]["line"], 1, "{report}");
    let set = app
        .client
        .put(app.url("/api/v1/admin/stock/SAUCE-5"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"quantity": 1_000_000_001u64, "reason": "count"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 422);
}

#[tokio::test]
async fn a_product_imported_with_no_stock_is_on_the_low_stock_list() {
    let catalog = format!(
        "{SHOP}{}\n{}\n",
        r#"{"sku":"ZERO-1","title":"Sold out before it came","price_cents":100,"stock":0}"#,
        r#"{"sku":"NONE-1","title":"No stock given","price_cents":100}"#
    );
    let app = spawn_app_with_catalog(catalog.as_bytes()).await;
    let res = app
        .client
        .get(app.url("/api/v1/admin/low-stock"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let low: Value = res.json().await.unwrap();
    let skus: Vec<&str> = low
        .as_array()
        .or(low["items"].as_array())
        .expect("a list")
        .iter()
        .filter_map(|i| i["sku"].as_str())
        .collect();
    assert!(skus.contains(&"ZERO-1") && skus.contains(&"NONE-1"), "{low}");
}

#[tokio::test]
async fn new_product_with_a_sku_that_exists_changes_nothing_and_links_to_the_product() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let (sid, csrf) = staff_session(&app).await;
    let (_, before) = app.get_json("/api/v1/products/BRK-1").await;
    let res = app
        .client
        .post(app.url("/admin/products/save"))
        .header("Cookie", &sid)
        .form(&[
            ("csrf", csrf.as_str()),
            ("existing", ""),
            ("sku", "BRK-1"),
            ("title", "Overwrite test"),
            ("price", "1299.50"),
            ("stock", "3"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("already exists") && page.contains("/admin/products/BRK-1/edit"),
        "{page}"
    );
    let (_, after) = app.get_json("/api/v1/products/BRK-1").await;
    assert_eq!(before, after, "the product is untouched");
}

#[tokio::test]
async fn back_office_links_carry_skus_with_reserved_characters_intact() {
    let app = spawn_app_with_catalog(br#"{"sku":"A&B=1+1","title":"Odd SKU","price_cents":100,"stock":1}"#).await;
    let (sid, _) = staff_session(&app).await;
    let list = get(&app, "/admin/products", &sid).await.text().await.unwrap();
    assert!(list.contains("/admin/stock?sku=A%26B%3D1%2B1"), "{list}");
    let stock = get(&app, "/admin/stock?sku=A%26B%3D1%2B1", &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(stock.contains("Odd SKU") || stock.contains("1 in stock"), "{stock}");
}

#[tokio::test]
async fn metrics_are_not_served_to_a_request_a_same_host_proxy_forwarded() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    assert_eq!(app.get("/metrics").await.status(), 200, "a scraper on the host");
    let proxied = app
        .client
        .get(app.url("/metrics"))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), 403);
}

#[test]
fn the_data_dir_and_its_store_are_created_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let catalog = dir.path().join("c.jsonl");
    std::fs::write(&catalog, SHOP).unwrap();
    // SAFETY: umask(2) only sets this process's mask, inherited by the child.
    let previous = unsafe { libc::umask(0o022) };
    let out = crate::helpers::storefront()
        .args(["import", "--data-dir"])
        .arg(&data)
        .arg(&catalog)
        .output()
        .unwrap();
    unsafe { libc::umask(previous) };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("store.redb")), 0o600);
}

/// Every file under the data dir's `images/`, relative names.
fn photo_files(app: &TestApp) -> Vec<String> {
    let images = app.store.path().parent().unwrap().join("images");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&images).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            out.push(file.file_name().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn photo_uploads_leave_no_orphan_files_and_say_they_were_saved() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let (sid, csrf) = staff_session(&app).await;
    let png =
        |fill: u8| -> Vec<u8> { [&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[fill; 64][..]].concat() };
    let upload = |sku: &'static str, body: Vec<u8>| {
        app.client
            .post(app.url(&format!("/admin/products/{sku}/image")))
            .header("Cookie", &sid)
            .header("Content-Type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send()
    };
    let res = upload("NO-SUCH", crate::admin_pages::multipart("XyZ", &csrf, &png(1)))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(photo_files(&app).is_empty(), "nothing written for a missing product");

    let res = upload("BRK-1", crate::admin_pages::multipart("XyZ", &csrf, &png(2)))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let first = photo_files(&app);
    assert_eq!(first.len(), 1);
    let page = get(&app, &location, &sid).await.text().await.unwrap();
    assert!(page.contains("Photo saved."), "{page}");

    let res = upload("BRK-1", crate::admin_pages::multipart("XyZ", &csrf, &png(3)))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let second = photo_files(&app);
    assert_eq!(second.len(), 1, "the replaced photo is removed: {second:?}");
    assert_ne!(first, second);
    assert!(second.iter().all(|f| !f.ends_with(".partial")));
}

#[tokio::test]
async fn a_merchant_request_without_a_credential_is_refused_before_its_body_is_read() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let res = app
        .client
        .put(app.url("/api/v1/admin/stock/SAUCE-5"))
        .header("Content-Type", "application/json")
        .body(r#"{"stock":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "not 422 with the body's expected shape");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
}

#[tokio::test]
async fn the_merchant_can_page_through_more_orders_than_a_shopper_could_and_a_silly_page_is_a_page() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    for i in 0..3 {
        let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
        assert_eq!(
            checkout(&app, &format!("deep-{i}"), &checkout_body(&cart, "tok_visa"))
                .await
                .0,
            201
        );
    }
    // Page 10,001 of one order a page lies past the public 10,000-result cap.
    let deep = app
        .client
        .get(app.url("/api/v1/admin/orders?per_page=1&page=10001"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    let body: Value = deep.json().await.unwrap();
    assert_eq!(
        (body["page"].as_u64(), body["orders"].as_array().map(Vec::len)),
        (Some(10001), Some(0))
    );
    let last = app
        .client
        .get(app.url("/api/v1/admin/orders?per_page=1&page=3"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    let body: Value = last.json().await.unwrap();
    assert_eq!(body["orders"].as_array().map(Vec::len), Some(1), "{body}");
    let (sid, _) = staff_session(&app).await;
    let res = get(&app, "/admin/orders?page=99999999999999999999", &sid).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
}

#[test]
fn a_first_start_logged_to_a_file_keeps_its_password_and_token_out_of_the_log() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = crate::helpers::Server::start(&data, &["--no-demo", "--log", "debug"]);
    let client = reqwest::blocking::Client::new();
    // A cart id in a path and a token in a query, as a shopper's requests carry them.
    let cart = client
        .get(format!("{}/api/v1/carts/secretcartid0000000000000", server.addr))
        .send();
    assert_eq!(cart.unwrap().status(), 404);
    let order = client
        .get(format!("{}/orders/AAAA-BBBB?token=secrettoken", server.addr))
        .send();
    assert_eq!(order.unwrap().status(), 404);
    let saved = std::fs::read_to_string(data.join("first-start.txt")).expect("the credentials are saved");
    let password = saved
        .split("one-time password: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let token = saved.split("(shown once): ").nth(1).unwrap().trim().to_owned();
    let _ = server.child.kill();
    let mut log = String::new();
    server.child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    for secret in [password.as_str(), token.as_str(), "secretcartid", "secrettoken"] {
        assert!(!log.contains(secret), "{secret} is in the log:\n{log}");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(data.join("first-start.txt"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn the_back_office_order_page_adds_up_with_its_discount_and_names_the_payment() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":2}])).await;
    let (status, _) = app
        .post_json(&format!("/api/v1/carts/{cart}/promo"), &json!({"code":"WELCOME10"}))
        .await;
    assert_eq!(status, 200);
    let (status, placed, _) = checkout(&app, "discounted", &checkout_body(&cart, "tok_visa")).await;
    assert_eq!(status, 201, "{placed}");
    let (sid, _) = staff_session(&app).await;
    let number = placed["order_number"].as_str().unwrap();
    let page = get(&app, &format!("/admin/orders/{number}"), &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Discount (WELCOME10)"), "{page}");
    assert!(page.contains("Payment: Test card"), "{page}");
    assert!(page.contains("Subtotal"), "{page}");
}

#[tokio::test]
async fn the_us_state_is_chosen_from_a_list_and_required_while_elsewhere_it_is_optional_text() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let added = app
        .client
        .post(app.url("/cart/add"))
        .form(&[("sku", "SAUCE-5"), ("quantity", "1")])
        .send()
        .await
        .unwrap();
    let cart = set_cookie(&added, "cart")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = get(&app, "/checkout", &cart).await.text().await.unwrap();
    let field = page
        .split("<select id=\"region\"")
        .nth(1)
        .expect("a state list for the US")
        .split("</select>")
        .next()
        .unwrap();
    assert!(
        field.contains("required") && field.contains("<option value=\"NY\">New York</option>"),
        "{field}"
    );
    assert!(!page.contains("State / province / county"), "no free text for the US");
    let form = [
        ("email", "sam@example.com"),
        ("name", "Sam Lee"),
        ("line1", "1 High St"),
        ("city", "London"),
        ("postal_code", "SW1A 1AA"),
        ("country", "GB"),
        ("shipping_method", "standard"),
        ("payment", "tok_visa"),
        ("form_token", "AAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ("action", "update"),
    ];
    let res = app
        .client
        .post(app.url("/checkout"))
        .header("Cookie", &cart)
        .form(&form)
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(
        page.contains("State / province / county") && page.contains("(optional)"),
        "{page}"
    );
}

#[tokio::test]
async fn the_import_page_lists_the_columns_and_its_sample_csv_imports_cleanly() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let (sid, _) = staff_session(&app).await;
    let page = get(&app, "/admin/import", &sid).await.text().await.unwrap();
    assert!(
        page.contains("<code>image</code>") && page.contains("attr.NAME"),
        "{page}"
    );
    let sample = get(&app, "/admin/import/sample.csv", &sid).await.text().await.unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/csv")
        .body(sample)
        .send()
        .await
        .unwrap();
    let report: Value = res.json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_array().map(Vec::len)),
        (Some(3), Some(0)),
        "{report}"
    );
    let (_, sauce) = app.get_json("/api/v1/products/HS-REAPER-5OZ").await;
    assert_eq!(sauce["image"], "https://example.com/reaper.jpg", "{sauce}");
    assert_eq!(sauce["sale_price_cents"], 999, "{sauce}");
    let (_, duo) = app.get_json("/api/v1/products/GIFT-DUO").await;
    assert_eq!(duo["stock"], 20, "two of the sauce's 40 per gift set: {duo}");
}

#[tokio::test]
async fn a_made_up_http_method_does_not_make_a_metrics_series_of_its_own() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let method = reqwest::Method::from_bytes(b"BREWCOFFEE").unwrap();
    let res = app
        .client
        .request(method, app.url("/api/v1/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(!text.contains("BREWCOFFEE"), "the method became a label value");
    assert!(text.contains("method=\"other\""), "{text}");
}

#[tokio::test]
async fn an_import_by_page_or_api_is_audited_alike_with_what_it_changed() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let line = r#"{"sku":"AUD-1","title":"Audited","price_cents":100,"stock":1}"#;
    let res = app
        .client
        .post(app.url("/api/v1/admin/import"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "application/x-ndjson")
        .body(format!("{line}\n{line}\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (sid, csrf) = staff_session(&app).await;
    let res = app
        .client
        .post(app.url("/admin/import"))
        .header("Cookie", &sid)
        .form(&[("csrf", csrf.as_str()), ("format", "jsonl"), ("catalog", line)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let audit: Value = app
        .client
        .get(app.url("/api/v1/admin/audit?subject=catalog"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries: Vec<Value> = audit["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 2, "{audit}");
    for entry in &entries {
        assert_eq!(entry["action"], "catalog.import");
        let after: Value = serde_json::from_str(entry["after"].as_str().unwrap()).unwrap();
        assert!(
            after.get("unchanged").is_some(),
            "both record the same figures: {after}"
        );
    }
}
