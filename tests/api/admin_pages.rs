//! The HTML back office: sign-in with CSRF and throttling, the forced first password change,
//! sessions that end at sign-out, and order handling by form.

use serde_json::json;

use crate::checkout::{SHOP, checkout, checkout_body, new_cart};
use crate::helpers::{TestApp, spawn_app_with_catalog, spawn_configured};

pub(crate) fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Signs in as `admin`; the answer carries the session cookie (`sid=…`).
async fn sign_in(app: &TestApp, password: &str) -> reqwest::Response {
    sign_in_as(app, "admin", password).await
}

pub(crate) async fn sign_in_as(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    let form = app.get("/admin/login").await;
    let csrf_cookie = set_cookie(&form, "login_csrf").expect("a sign-in CSRF cookie");
    let html = form.text().await.unwrap();
    app.client
        .post(app.url("/admin/login"))
        .header("Cookie", csrf_cookie.split(';').next().unwrap())
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &hidden(&html, "csrf")),
            ("next", "/admin"),
        ])
        .send()
        .await
        .unwrap()
}

pub(crate) async fn get(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_signs_in_must_change_the_first_password_and_signs_out_for_good() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let res = app.get("/admin").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/admin/login?next=%2Fadmin");

    let wrong = sign_in(&app, "not the password").await;
    assert_eq!(
        (wrong.status().as_u16(), wrong.headers()["location"].to_str().unwrap()),
        (303, "/admin/login?failed=1")
    );
    assert!(set_cookie(&wrong, "sid").is_none());

    let res = sign_in(&app, &app.admin_password).await;
    assert_eq!(res.status(), 303);
    let sid = set_cookie(&res, "sid").expect("a session cookie");
    assert!(sid.contains("HttpOnly") && sid.contains("SameSite=Strict"), "{sid}");
    let sid = sid.split(';').next().unwrap().to_owned();

    let res = get(&app, "/admin", &sid).await;
    assert_eq!(
        (res.status().as_u16(), res.headers()["location"].to_str().unwrap()),
        (303, "/admin/password")
    );
    let page = get(&app, "/admin/password", &sid).await.text().await.unwrap();
    let csrf = hidden(&page, "csrf");
    let new_password = "a much longer passphrase";
    let res = app
        .client
        .post(app.url("/admin/password"))
        .header("Cookie", &sid)
        .form(&[
            ("csrf", csrf.as_str()),
            ("current", app.admin_password.as_str()),
            ("new", new_password),
            ("again", new_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let dashboard = get(&app, "/admin", &sid).await;
    assert_eq!(dashboard.status(), 200);
    assert!(dashboard.text().await.unwrap().contains("orders today"));

    let res = app
        .client
        .post(app.url("/admin/logout"))
        .header("Cookie", &sid)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "sign-out needs the form's token too");
    let res = app
        .client
        .post(app.url("/admin/logout"))
        .header("Cookie", &sid)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        get(&app, "/admin", &sid).await.status(),
        303,
        "the old cookie no longer works"
    );
    assert_eq!(
        sign_in(&app, &app.admin_password).await.headers()["location"],
        "/admin/login?failed=1"
    );
    assert_eq!(sign_in(&app, new_password).await.headers()["location"], "/admin");
}

#[tokio::test]
async fn sign_in_without_its_form_token_is_refused() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let res = app
        .client
        .post(app.url("/admin/login"))
        .form(&[
            ("username", "admin"),
            ("password", app.admin_password.as_str()),
            ("csrf", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(set_cookie(&res, "sid").is_none());
}

#[tokio::test]
async fn staff_mark_an_order_shipped_from_its_page() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (_, placed, _) = checkout(&app, "page-order", &checkout_body(&cart, "tok_visa")).await;
    let number = placed["order_number"].as_str().unwrap();
    let sid = set_cookie(&sign_in(&app, &app.admin_password).await, "sid").unwrap();
    let sid = sid.split(';').next().unwrap().to_owned();
    // Past the first-password page for this test: set one through the store.
    let hash = storefront::staff::secrets::hash_password("another long passphrase");
    let keep = sid.trim_start_matches("sid=").to_owned();
    app.store
        .write(move |tx| storefront::staff::ops::set_password(tx, "admin", hash, "test", Some(&keep)))
        .unwrap();

    let list = get(&app, "/admin/orders?status=paid", &sid).await.text().await.unwrap();
    assert!(list.contains(number), "{list}");
    let page = get(&app, &format!("/admin/orders/{number}"), &sid)
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let post = |to: &'static str, extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf.clone()), ("to", to.to_owned())];
        form.extend(extra.into_iter().map(|(k, v)| (k, v.to_owned())));
        app.client
            .post(app.url(&format!("/admin/orders/{number}/transition")))
            .header("Cookie", &sid)
            .form(&form)
            .send()
    };
    assert_eq!(post("fulfilled", vec![]).await.unwrap().status(), 303);
    assert_eq!(
        post("shipped", vec![]).await.unwrap().status(),
        422,
        "shipping needs a tracking number (as in the API)"
    );
    let res = post("shipped", vec![("carrier", "UPS"), ("tracking_number", "1Z999")])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (_, order) = app
        .get_json(&format!(
            "/api/v1/orders/{number}?token={}",
            placed["token"].as_str().unwrap()
        ))
        .await;
    assert_eq!(order["status"], "shipped");
    assert_eq!(order["shipment"]["tracking_number"], "1Z999");
    let page = get(&app, &format!("/admin/orders/{number}"), &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Yes, mark this order refunded"),
        "refunding asks first: {page}"
    );
    let unconfirmed = post("refunded", vec![]).await.unwrap();
    assert_eq!(unconfirmed.status(), 422, "refunding without the tick changes nothing");
}

#[tokio::test]
async fn sign_in_attempts_and_api_calls_beyond_the_limit_get_429_with_retry_after() {
    let app = spawn_configured(
        |c| {
            c.limits.enabled = true;
            c.limits.login_per_minute = 1;
            c.limits.login_burst = 3;
            c.limits.api_per_minute = 1;
            c.limits.api_burst = 5;
        },
        |_| {},
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let res = app
            .client
            .post(app.url("/admin/login"))
            .form(&[("username", "admin"), ("password", "x")])
            .send()
            .await
            .unwrap();
        if res.status() == 429 {
            assert!(res.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        }
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, vec![403, 403, 403, 429, 429]);
    assert_eq!(app.get("/").await.status(), 200, "the shop itself is not limited");

    let mut api = Vec::new();
    for _ in 0..7 {
        api.push(app.get("/api/v1/products").await.status().as_u16());
    }
    assert_eq!(api, vec![200, 200, 200, 200, 200, 429, 429]);
    let (status, body) = app.get_json("/api/v1/products").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_requests"))
    );
}

#[tokio::test]
async fn an_account_guessed_at_too_often_is_locked_even_against_the_right_password() {
    let app = spawn_configured(
        |c| {
            c.limits.enabled = true;
            c.limits.login_per_minute = 1_000;
            c.limits.login_burst = 1_000;
            c.limits.login_failures_per_account = 3;
        },
        |_| {},
    )
    .await;
    let failed = |res: &reqwest::Response| {
        res.status() == 303 && res.headers()["location"].to_str().unwrap().contains("failed=1")
    };
    // A success clears the count.
    for _ in 0..2 {
        assert!(failed(&sign_in_as(&app, "admin", "wrong").await));
    }
    assert_eq!(sign_in(&app, &app.admin_password).await.status(), 303);
    for _ in 0..3 {
        assert!(failed(&sign_in_as(&app, "ADMIN", "wrong").await));
    }
    let locked = sign_in(&app, &app.admin_password).await;
    assert_eq!(locked.status(), 429, "the account is locked");
    let wait: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&wait), "retry after {wait} s");
    assert!(locked.text().await.unwrap().contains("too many failed sign-ins"));
    assert!(
        failed(&sign_in_as(&app, "clerk", "wrong").await),
        "other accounts are not locked"
    );
    let (status, _) = app.get_json("/api/v1/admin/orders").await;
    assert_eq!(status, 401, "the API is unaffected by the lock");
    let res = app
        .client
        .get(app.url("/api/v1/admin/orders"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "API tokens keep working while the account is locked");
}

/// A signed-in session past the first-password page.
pub(crate) async fn staff_session(app: &TestApp) -> (String, String) {
    let sid = set_cookie(&sign_in(app, &app.admin_password).await, "sid").unwrap();
    let sid = sid.split(';').next().unwrap().to_owned();
    let hash = storefront::staff::secrets::hash_password("another long passphrase");
    let keep = sid.trim_start_matches("sid=").to_owned();
    app.store
        .write(move |tx| storefront::staff::ops::set_password(tx, "admin", hash, "test", Some(&keep)))
        .unwrap();
    let page = get(app, "/admin", &sid).await.text().await.unwrap();
    (sid, hidden(&page, "csrf"))
}

#[tokio::test]
async fn stock_tokens_import_export_and_the_audit_log_work_from_their_pages() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let (sid, csrf) = staff_session(&app).await;
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        app.client.post(app.url(path)).header("Cookie", &sid).form(&form).send()
    };

    let res = post(
        "/admin/stock/adjust",
        vec![
            ("csrf", csrf.clone()),
            ("sku", "BRK-1".into()),
            ("delta", "-2".into()),
            ("reason", "shelf count".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let page = get(&app, "/admin/stock?sku=BRK-1", &sid).await.text().await.unwrap();
    assert!(page.contains("3 in stock") && page.contains("shelf count"), "{page}");
    let res = post(
        "/admin/stock/adjust",
        vec![
            ("csrf", csrf.clone()),
            ("sku", "BRK-1".into()),
            ("delta", "-9".into()),
            ("reason", "x".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 409, "stock never goes below zero");
    let refused = res.text().await.unwrap();
    assert!(
        refused.contains("Back office") && refused.contains("Not changed: stock of BRK-1 is 3, cannot take 9"),
        "the refusal stays in the back office with its reason: {refused}"
    );
    assert!(refused.contains("value=\"-9\""), "with the merchant's input kept");

    // SAUCE-5 (50 units) is far above the shop's default of 5 until it gets its own threshold.
    let dashboard = get(&app, "/admin", &sid).await.text().await.unwrap();
    assert!(!dashboard.contains("SAUCE-5: 50 left"), "{dashboard}");
    let res = post(
        "/admin/stock/threshold",
        vec![
            ("csrf", csrf.clone()),
            ("sku", "SAUCE-5".into()),
            ("low_stock", "60".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let dashboard = get(&app, "/admin", &sid).await.text().await.unwrap();
    assert!(dashboard.contains("SAUCE-5</a>: 50 left (threshold 60)"), "{dashboard}");
    let page = get(&app, "/admin/stock?sku=SAUCE-5", &sid).await.text().await.unwrap();
    assert!(
        page.contains(r#"name="low_stock" type="number" min="0" value="60""#),
        "{page}"
    );
    let res = post(
        "/admin/stock/threshold",
        vec![
            ("csrf", csrf.clone()),
            ("sku", "SAUCE-5".into()),
            ("low_stock", "lots".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422, "a threshold is a number");
    let res = post(
        "/admin/stock/threshold",
        vec![
            ("csrf", "forged".into()),
            ("sku", "SAUCE-5".into()),
            ("low_stock", "".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 403, "the form token is checked");

    let res = app
        .client
        .post(app.url("/admin/tokens"))
        .header("Cookie", &sid)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&scope=stock&scope=orders&label=warehouse"))
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    let token = page
        .split("<code class=\"token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .get(app.url("/api/v1/admin/stock/BRK-1/ledger"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the token made on the page works");
    let res = app
        .client
        .get(app.url("/api/v1/admin/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "and only for its scopes");

    let catalog = "{\"sku\":\"PASTE-1\",\"title\":\"Pasted\",\"price_cents\":250}\n{\"sku\":\"\",\"title\":\"x\"}\n";
    let page = post(
        "/admin/import",
        vec![
            ("csrf", csrf.clone()),
            ("format", "jsonl".into()),
            ("catalog", catalog.into()),
        ],
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(page.contains("1 created") && page.contains("1 rejected"), "{page}");
    let csv = "sku,title,price_cents,stock\nCSV-1,From a file,300,2\nCSV-2,,300,1\n";
    let body = format!(
        "--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--B\r\nContent-Disposition: form-data; name=\"catalog\"; filename=\"parts.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--B--\r\n"
    );
    let page = app
        .client
        .post(app.url("/admin/import/file"))
        .header("Cookie", &sid)
        .header("Content-Type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("1 created") && page.contains("1 rejected"), "{page}");
    let export = get(&app, "/admin/export", &sid).await;
    assert_eq!(export.headers()["content-type"], "application/x-ndjson; charset=utf-8");
    let lines = export.text().await.unwrap().lines().count();
    assert_eq!(lines, 5, "three shop products, the pasted one and the uploaded one");

    let log = get(&app, "/admin/audit?subject=product:BRK-1", &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(log.contains("stock.change") && log.contains("admin:admin"), "{log}");
    let log = get(&app, "/admin/audit", &sid).await.text().await.unwrap();
    assert!(log.contains("token.create") && log.contains("catalog.import"));
}

#[tokio::test]
async fn the_sales_report_adds_up_the_orders_and_downloads_as_csv() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let mut expected = 0i64;
    for (i, qty) in [1, 2, 3].into_iter().enumerate() {
        let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":qty}])).await;
        let (_, placed, _) = checkout(&app, &format!("report-{i}"), &checkout_body(&cart, "tok_visa")).await;
        expected += placed["total_cents"].as_i64().unwrap();
    }
    let cart = new_cart(&app, json!([{"sku":"LIMITED","quantity":10}])).await;
    let (_, placed, _) = checkout(&app, "report-sellout", &checkout_body(&cart, "tok_visa")).await;
    expected += placed["total_cents"].as_i64().unwrap();
    let (sid, _) = staff_session(&app).await;
    for _ in 0..3 {
        assert_eq!(app.get_html("/p/SAUCE-5").await.0, 200);
    }

    let page = get(&app, "/admin/reports?by=hour", &sid).await.text().await.unwrap();
    assert!(page.contains("<strong>3</strong> product page views"), "{page}");
    assert!(page.contains("<strong>4</strong> carts created"));
    assert!(page.contains("<strong>4</strong> orders (100.0 % of carts)"));
    assert!(
        page.contains("<svg class=\"sales-chart\""),
        "the chart is drawn on the server"
    );
    assert!(page.contains("LIMITED"), "the sell-out is listed: {page}");
    let csv = get(&app, "/admin/reports.csv?by=hour", &sid)
        .await
        .text()
        .await
        .unwrap();
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("period_start_utc,product_views,carts,orders,units,revenue_minor,unpaid_orders,unpaid_minor,currency")
    );
    let (mut orders, mut revenue, mut periods) = (0u64, 0i64, 0);
    for row in rows {
        let cells: Vec<&str> = row.split(',').collect();
        orders += cells[3].parse::<u64>().unwrap();
        revenue += cells[5].parse::<i64>().unwrap();
        periods += 1;
    }
    assert_eq!((orders, revenue), (4, expected));
    assert_eq!(
        periods,
        7 * 24,
        "every hour of the default seven days, empty ones included"
    );
}

#[tokio::test]
async fn a_product_is_created_edited_and_deleted_from_its_form_keeping_fields_the_form_does_not_show() {
    let line = r#"{"sku":"FORM-1","title":"Form pads","price_cents":1000,"stock":4,"bin":"A7"}"#;
    let app = spawn_app_with_catalog(format!("{line}\n").as_bytes()).await;
    let (sid, csrf) = staff_session(&app).await;
    let save = |fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf.clone())];
        form.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
        app.client
            .post(app.url("/admin/products/save"))
            .header("Cookie", &sid)
            .form(&form)
            .send()
    };
    let res = save(vec![
        ("sku", "FORM-2"),
        ("title", "Ceramic pads"),
        ("price", "49.99"),
        ("currency", "USD"),
        ("stock", "7"),
        ("brand", "StopTech"),
        ("category", "Brakes/Pads"),
        ("part_numbers", "BP-2\n45022-SDA"),
        ("attributes", "position: Front\nwarranty_years: 2"),
        ("fitments", "2003-2007|Honda|Accord|EX|2.4L\n2009|Honda|Civic"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let (_, p) = app.get_json("/api/v1/products/FORM-2").await;
    assert_eq!((p["price_cents"].as_i64(), p["stock"].as_u64()), (Some(4999), Some(7)));
    assert_eq!(p["attributes"]["warranty_years"], 2);
    assert_eq!(p["fitments"].as_array().unwrap().len(), 2);
    assert_eq!(p["part_numbers"][1], "45022-SDA");

    let res = save(vec![
        ("existing", "FORM-1"),
        ("title", "Form pads, renamed"),
        ("price", "12.50"),
        ("fitments", "Honda Civic"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 422, "a bad fitment line is shown back, not saved");
    assert!(res.text().await.unwrap().contains("fitment line 1"));
    let edit = get(&app, "/admin/products/FORM-1/edit", &sid)
        .await
        .text()
        .await
        .unwrap();
    assert!(edit.contains("Form pads"), "{edit}");
    let res = save(vec![
        ("existing", "FORM-1"),
        ("title", "Form pads, renamed"),
        ("price", "12.50"),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let (_, p) = app.get_json("/api/v1/products/FORM-1").await;
    assert_eq!(
        (p["title"].as_str(), p["price_cents"].as_i64()),
        (Some("Form pads, renamed"), Some(1250))
    );
    assert_eq!(
        (p["bin"].as_str(), p["stock"].as_u64()),
        (Some("A7"), Some(4)),
        "unknown fields and stock survive an edit"
    );

    // Search sees the new product within a moment (the index is updated in the background).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let list = loop {
        let list = get(&app, "/admin/products?q=ceramic", &sid).await.text().await.unwrap();
        if list.contains("FORM-2") || std::time::Instant::now() > deadline {
            break list;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(list.contains("FORM-2"), "{list}");
    let delete = |confirm: &'static str| {
        app.client
            .post(app.url("/admin/products/FORM-2/delete"))
            .header("Cookie", &sid)
            .form(&[("csrf", csrf.as_str()), ("confirm", confirm)])
            .send()
    };
    assert_eq!(
        delete("").await.unwrap().status(),
        422,
        "deleting asks for the tick first"
    );
    assert_eq!(app.get_json("/api/v1/products/FORM-2").await.0, 200);
    assert_eq!(delete("yes").await.unwrap().status(), 303);
    assert_eq!(app.get_json("/api/v1/products/FORM-2").await.0, 404);
}

#[tokio::test]
async fn an_admin_adds_a_clerk_who_may_handle_orders_but_not_tokens_and_prints_slips() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cart = new_cart(&app, json!([{"sku":"BRK-1","quantity":1}])).await;
    let (_, placed, _) = checkout(&app, "slip", &checkout_body(&cart, "tok_visa")).await;
    let number = placed["order_number"].as_str().unwrap();
    let (sid, csrf) = staff_session(&app).await;
    let page = app
        .client
        .post(app.url("/admin/staff"))
        .header("Cookie", &sid)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&username=sam&scope=orders&scope=stock"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let password = page
        .split("<code class=\"token\">")
        .nth(1)
        .expect(&page)
        .split('<')
        .next()
        .unwrap()
        .to_owned();

    // Sam signs in with the first password and must change it first.
    let form = app.get("/admin/login").await;
    let csrf_cookie = set_cookie(&form, "login_csrf").unwrap();
    let html = form.text().await.unwrap();
    let res = app
        .client
        .post(app.url("/admin/login"))
        .header("Cookie", csrf_cookie.split(';').next().unwrap())
        .form(&[
            ("username", "sam"),
            ("password", password.as_str()),
            ("csrf", &hidden(&html, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    let sam = set_cookie(&res, "sid").expect("sam is signed in");
    let sam = sam.split(';').next().unwrap().to_owned();
    assert_eq!(
        get(&app, "/admin/orders", &sam).await.headers()["location"],
        "/admin/password"
    );
    let hash = storefront::staff::secrets::hash_password("sams own long password");
    let keep = sam.trim_start_matches("sid=").to_owned();
    app.store
        .write(move |tx| storefront::staff::ops::set_password(tx, "sam", hash, "test", Some(&keep)))
        .unwrap();
    assert_eq!(get(&app, "/admin/orders", &sam).await.status(), 200);
    assert_eq!(get(&app, "/admin/tokens", &sam).await.status(), 403, "no admin scope");
    assert_eq!(
        get(&app, "/admin/products", &sam).await.status(),
        403,
        "no catalog scope"
    );

    let slip = get(&app, &format!("/admin/orders/{number}/slip"), &sam)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        slip.contains("Packing slip") && slip.contains("BP-1") && !slip.contains("$49.99"),
        "{slip}"
    );
    let invoice = get(&app, &format!("/admin/orders/{number}/invoice"), &sam)
        .await
        .text()
        .await
        .unwrap();
    assert!(invoice.contains("Invoice") && invoice.contains("$49.99"));
}

pub(crate) fn multipart(boundary: &str, csrf: &str, file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"pads.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test]
async fn an_uploaded_photo_shows_on_the_product_page_and_is_served_immutable() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let (sid, csrf) = staff_session(&app).await;
    let png: Vec<u8> = [&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[7u8; 64][..]].concat();
    let upload = |body: Vec<u8>| {
        app.client
            .post(app.url("/admin/products/BRK-1/image"))
            .header("Cookie", &sid)
            .header("Content-Type", "multipart/form-data; boundary=XyZ")
            .body(body)
            .send()
    };
    let res = upload(multipart("XyZ", &csrf, b"<script>not an image</script>"))
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "only real images are taken");
    let res = upload(multipart("XyZ", "wrong", &png)).await.unwrap();
    assert_eq!(res.status(), 403);
    let res = upload(multipart("XyZ", &csrf, &png)).await.unwrap();
    assert_eq!(res.status(), 303);

    let (_, page) = app.get_html("/p/BRK-1").await;
    let src = page
        .split("<img class=\"photo\" src=\"")
        .nth(1)
        .expect("a photo on the page")
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(src.starts_with("/images/") && src.ends_with(".png"), "{src}");
    let res = app.get(&src).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
    let (_, product) = app.get_json("/api/v1/products/BRK-1").await;
    assert_eq!(product["image"], src.as_str(), "the export format carries the photo");
    assert_eq!(app.get("/images/../../store.redb").await.status(), 404);
    assert_eq!(
        app.get("/images/0000000000000000/..%2f..%2fstore.redb").await.status(),
        404
    );
}
