//! The HTML shopping flow without JavaScript: product page → cart → checkout → order page.

use crate::checkout::SHOP;
use crate::helpers::{TestApp, spawn_app_with_catalog};

pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).form(form);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    req.send().await.expect("answered")
}

pub(crate) async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> (u16, String) {
    let res = app
        .client
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

pub(crate) fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

pub(crate) fn cart_cookie(res: &reqwest::Response) -> String {
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("cart="))
        .expect("a cart cookie is set");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

/// The value of `name="…" value="…"` in a page.
pub(crate) fn field_value(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no field {name}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn address<'a>(token: &'a str, total: &'a str, region: &'a str, postal: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("email", "sam@example.com"),
        ("name", "Sam Lee"),
        ("line1", "9 Oak Ave"),
        ("city", "Portland"),
        ("region", region),
        ("postal_code", postal),
        ("country", "US"),
        ("shipping_method", "standard"),
        ("payment", "tok_visa"),
        ("form_token", token),
        ("shown_total_cents", total),
        ("action", "place"),
    ]
}

#[tokio::test]
async fn a_shopper_buys_without_javascript_and_a_double_submit_finds_the_same_order() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let (_, product) = app.get_html("/p/SAUCE-5").await;
    assert!(
        product.contains("action=\"/cart/add\""),
        "the product page has an add-to-cart form"
    );

    let res = post_form(&app, "/cart/add", None, &[("sku", "SAUCE-5"), ("quantity", "2")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/cart?added=SAUCE-5");
    let cookie = cart_cookie(&res);

    let (status, cart) = get_with_cookie(&app, "/cart", &cookie).await;
    assert_eq!(status, 200);
    assert!(
        cart.contains("Ember Reaper Sauce 5 oz") && cart.contains("$25.98"),
        "{cart}"
    );
    assert!(cart.contains("class=\"count\">2<"), "the mini-cart shows two units");

    let (status, form) = get_with_cookie(&app, "/checkout", &cookie).await;
    assert_eq!(status, 200);
    let token = field_value(&form, "form_token");
    let total = field_value(&form, "shown_total_cents");
    assert_eq!(total, "3197", "$25.98 + $5.99 shipping, no tax yet");

    // Oregon has no sales tax here, so the shown total holds and one click places the order.
    let fields = address(&token, &total, "OR", "97201");
    let placed = post_form(&app, "/checkout", Some(&cookie), &fields).await;
    assert_eq!(placed.status(), 303, "{}", placed.text().await.unwrap());
    let order_url = location(&placed);
    assert!(
        order_url.starts_with("/orders/") && order_url.ends_with("&placed=1"),
        "{order_url}"
    );
    assert!(
        placed
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("cart=;"))
    );

    let placed_cart = placed
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("placed_cart="))
        .expect("the browser keeps a note of the spent cart")
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let again = post_form(&app, "/checkout", Some(&cookie), &fields).await;
    assert_eq!((again.status().as_u16(), location(&again)), (303, order_url.clone()));
    let refreshed = post_form(&app, "/checkout", Some(&placed_cart), &fields).await;
    assert_eq!(
        location(&refreshed),
        order_url,
        "a refresh after the cart cookie is gone finds the order too"
    );
    let stranger = post_form(&app, "/checkout", None, &fields).await;
    assert_eq!(
        location(&stranger),
        "/cart",
        "another client replaying the form token learns nothing of the order"
    );
    assert_eq!(app.store.read().unwrap().order_count().unwrap(), 1);

    let (status, page) = app.get_html(&order_url).await;
    assert_eq!(status, 200);
    assert!(page.contains("Thank you") && page.contains("$31.97"), "{page}");
}

#[tokio::test]
async fn a_taxed_address_shows_the_new_total_before_the_order_is_placed() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let res = post_form(&app, "/cart/add", None, &[("sku", "BRK-1")]).await;
    let cookie = cart_cookie(&res);
    let (_, form) = get_with_cookie(&app, "/checkout", &cookie).await;
    let token = field_value(&form, "form_token");
    let total = field_value(&form, "shown_total_cents");

    let first = post_form(
        &app,
        "/checkout",
        Some(&cookie),
        &address(&token, &total, "CA", "90012"),
    )
    .await;
    assert_eq!(first.status(), 200, "no order yet: the total changed");
    let page = first.text().await.unwrap();
    assert!(page.contains("Your total for this address is $59.60"), "{page}");
    assert_eq!(app.store.read().unwrap().order_count().unwrap(), 0);

    let new_total = field_value(&page, "shown_total_cents");
    let second = post_form(
        &app,
        "/checkout",
        Some(&cookie),
        &address(&token, &new_total, "CA", "90012"),
    )
    .await;
    assert_eq!(second.status(), 303);
    assert_eq!(app.store.read().unwrap().order_count().unwrap(), 1);
}

#[tokio::test]
async fn checkout_form_errors_are_shown_next_to_their_fields() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cookie = cart_cookie(&post_form(&app, "/cart/add", None, &[("sku", "SAUCE-5")]).await);
    let (_, form) = get_with_cookie(&app, "/checkout", &cookie).await;
    let token = field_value(&form, "form_token");
    let mut fields = address(&token, "0", "OR", "no-zip");
    fields[0] = ("email", "<script>alert(1)</script>");
    let res = post_form(&app, "/checkout", Some(&cookie), &fields).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("id=\"postal_code-error\""),
        "the ZIP error sits by its field"
    );
    assert!(page.contains("id=\"email-error\""));
    assert!(!page.contains("<script>alert(1)"), "what was typed is escaped");
    assert!(page.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn adding_more_than_the_stock_shows_the_cart_with_the_reason() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let res = post_form(&app, "/cart/add", None, &[("sku", "BRK-1"), ("quantity", "6")]).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("only 5 of BRK-1 in stock"));
    let res = post_form(&app, "/cart/add", None, &[("sku", "BRK-1"), ("quantity", "lots")]).await;
    assert_eq!(res.status(), 422);
}

/// Units of `sku` in the cart the cookie holds, read through the API.
async fn units_in_cart(app: &TestApp, cookie: &str, sku: &str) -> u64 {
    let id = cookie.trim_start_matches("cart=");
    let (status, cart) = app.get_json(&format!("/api/v1/carts/{id}")).await;
    assert_eq!(status, 200, "{cart}");
    cart["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == sku)
        .map_or(0, |l| l["quantity"].as_u64().unwrap())
}

#[tokio::test]
async fn a_cart_form_without_its_token_cannot_change_a_visitors_cart() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cookie = cart_cookie(&post_form(&app, "/cart/add", None, &[("sku", "SAUCE-5")]).await);
    let (_, page) = get_with_cookie(&app, "/cart", &cookie).await;
    let token = field_value(&page, "cart_token");
    let (_, product) = get_with_cookie(&app, "/p/SAUCE-5", &cookie).await;
    assert_eq!(
        field_value(&product, "cart_token"),
        token,
        "the add form carries it too"
    );

    // What another site could send: the cookie rides along, but no token and no Fetch Metadata.
    let forged = post_form(
        &app,
        "/cart/update",
        Some(&cookie),
        &[("sku", "SAUCE-5"), ("quantity", "9")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    let forged = post_form(
        &app,
        "/cart/remove",
        Some(&cookie),
        &[("sku", "SAUCE-5"), ("cart_token", "0123456789abcdef0123456789abcdef")],
    )
    .await;
    assert_eq!(forged.status(), 403);
    let forged = post_form(&app, "/cart/add", Some(&cookie), &[("sku", "BRK-1")]).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(units_in_cart(&app, &cookie, "SAUCE-5").await, 1, "nothing changed");
    assert_eq!(units_in_cart(&app, &cookie, "BRK-1").await, 0);

    let res = post_form(
        &app,
        "/cart/update",
        Some(&cookie),
        &[("sku", "SAUCE-5"), ("quantity", "3"), ("cart_token", &token)],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(units_in_cart(&app, &cookie, "SAUCE-5").await, 3);
    // A page served from a shared cache has no token; the browser vouches for it instead.
    let res = app
        .client
        .post(app.url("/cart/add"))
        .header("Cookie", &cookie)
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("sku", "BRK-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(units_in_cart(&app, &cookie, "BRK-1").await, 1);
}
