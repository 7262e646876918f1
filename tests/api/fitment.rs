//! Fitment a shopper can trust: "fits" only when certain; a part that fits some submodels or
//! engines asks which is the shopper's and saves the answer; the cart and checkout check fit
//! again, and checkout asks the shopper to confirm a part that may not fit.

use crate::checkout_pages::{cart_cookie, field_value, location, post_form};
use crate::helpers::{TestApp, spawn_app_with_catalog};

const CATALOG: &str = concat!(
    r#"{"sku":"STRUT-V6","title":"Front Strut Assembly","price_cents":8999,"stock":20,"category":"Suspension/Struts","part_numbers":["ST-6001"],"fitments":[{"year_from":2005,"year_to":2010,"make":"Ford","model":"Mustang","submodel":"V6"},{"year_from":2005,"year_to":2010,"make":"Ford","model":"Mustang","submodel":"GT","engine":"4.6L V8"}]}"#,
    "\n",
    r#"{"sku":"PADS-CIVIC","title":"Ceramic Front Brake Pads","price_cents":4999,"stock":20,"category":"Brakes/Pads","part_numbers":["BP-1"],"fitments":[{"year_from":2006,"year_to":2011,"make":"Honda","model":"Civic"}]}"#,
    "\n",
);

const MUSTANG: &str = "garage=year%3D2008%26make%3DFord%26model%3DMustang";

async fn page(app: &TestApp, path: &str, cookie: &str) -> String {
    app.client
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn set_cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_part_that_fits_some_mustangs_asks_which_and_the_answer_is_kept() {
    let app = spawn_app_with_catalog(CATALOG.as_bytes()).await;
    let html = page(&app, "/p/STRUT-V6", MUSTANG).await;
    assert!(!html.contains("✓ Fits"), "not certain, so no green tick");
    assert!(
        html.contains("Fits 2008 Ford Mustang V6 or GT 4.6L V8 only — which is yours?"),
        "{html}"
    );
    assert!(html.contains("Mine is a V6") && html.contains("Mine is a GT 4.6L V8"));

    let res = post_form(
        &app,
        "/garage",
        Some(MUSTANG),
        &[
            ("year", "2008"),
            ("make", "Ford"),
            ("model", "Mustang"),
            ("submodel", "V6"),
            ("next", "/p/STRUT-V6"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/p/STRUT-V6", "back to the part");
    let garage = set_cookie(&res, "garage");
    assert!(
        garage.contains("submodel%3DV6") || garage.contains("submodel=V6"),
        "{garage}"
    );
    assert!(
        page(&app, "/p/STRUT-V6", &garage)
            .await
            .contains("✓ Fits your 2008 Ford Mustang V6")
    );

    let gt = "garage=year%3D2008%26make%3DFord%26model%3DMustang%26submodel%3DGT%26engine%3D5.4L";
    assert!(
        page(&app, "/p/STRUT-V6", gt)
            .await
            .contains("✗ Does not fit your 2008 Ford Mustang GT 5.4L")
    );

    let away = post_form(
        &app,
        "/garage",
        None,
        &[
            ("year", "2008"),
            ("make", "Ford"),
            ("model", "Mustang"),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(location(&away), "/fits/2008-ford-mustang", "no redirect off the shop");
}

#[tokio::test]
async fn the_cart_flags_a_part_that_does_not_fit_and_checkout_asks_before_placing_it() {
    let app = spawn_app_with_catalog(CATALOG.as_bytes()).await;
    let res = post_form(
        &app,
        "/cart/add",
        Some(MUSTANG),
        &[("sku", "PADS-CIVIC"), ("quantity", "1")],
    )
    .await;
    let cookie = format!("{}; {MUSTANG}", cart_cookie(&res));
    assert!(
        page(&app, "/cart", &cookie)
            .await
            .contains("✗ Does not fit your 2008 Ford Mustang")
    );
    let form_page = page(&app, "/checkout", &cookie).await;
    assert!(form_page.contains("Check these parts against your 2008 Ford Mustang"));
    assert!(form_page.contains("Ceramic Front Brake Pads — does not fit"));
    let (token, total) = (
        field_value(&form_page, "form_token"),
        field_value(&form_page, "shown_total_cents"),
    );
    let mut form = vec![
        ("email", "sam@example.com"),
        ("name", "Sam Lee"),
        ("line1", "9 Oak Ave"),
        ("city", "Portland"),
        ("region", "OR"),
        ("postal_code", "97201"),
        ("country", "US"),
        ("shipping_method", "standard"),
        ("payment", "tok_visa"),
        ("form_token", token.as_str()),
        ("shown_total_cents", total.as_str()),
        ("action", "place"),
    ];
    let refused = post_form(&app, "/checkout", Some(&cookie), &form).await;
    assert_eq!(refused.status(), 422, "not placed until the shopper confirms");
    assert!(refused.text().await.unwrap().contains("may not fit your vehicle"));
    form.push(("fit_confirmed", "yes"));
    let placed = post_form(&app, "/checkout", Some(&cookie), &form).await;
    assert_eq!(placed.status(), 303);
    let order = page(&app, &location(&placed), "").await;
    assert!(
        order.contains("Bought for your 2008 Ford Mustang"),
        "the order keeps the vehicle"
    );
}

#[tokio::test]
async fn suggestions_survive_plurals_and_a_typo_and_tell_repeated_titles_apart() {
    let catalog = concat!(
        r#"{"sku":"PAD-1","title":"Ceramic Front Brake Pad Set","price_cents":4999,"stock":5,"category":"Brakes/Pads","part_numbers":["BP-100"]}"#,
        "\n",
        r#"{"sku":"PAD-2","title":"Ceramic Front Brake Pad Set","price_cents":5299,"stock":5,"category":"Brakes/Pads","part_numbers":["BP-200"]}"#,
        "\n",
        r#"{"sku":"OIL-1","title":"Premium Oil Filter","price_cents":899,"stock":5,"category":"Filters/Oil","part_numbers":["OF-1"]}"#,
        "\n",
    );
    let app = spawn_app_with_catalog(catalog.as_bytes()).await;
    let products = |q: &'static str| {
        let app = &app;
        async move {
            let (status, body) = app.get_json(&format!("/api/v1/suggest?q={q}")).await;
            assert_eq!(status, 200);
            body["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["kind"] == "product")
                .map(|s| s["text"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let expected = vec![
        "Ceramic Front Brake Pad Set · BP-100".to_owned(),
        "Ceramic Front Brake Pad Set · BP-200".to_owned(),
    ];
    for q in [
        "brake+pa",
        "brake+pad",
        "brake+pads",
        "brakes+pads",
        "brkae+pads",
        "ceramc+brake",
    ] {
        let mut got = products(q).await;
        got.sort();
        assert_eq!(got, expected, "q={q}");
    }
    assert_eq!(products("filters").await, vec!["Premium Oil Filter".to_owned()]);
}

#[tokio::test]
async fn suggestions_for_a_shopper_with_a_saved_vehicle_offer_the_parts_that_fit_it_first() {
    let catalog = concat!(
        r#"{"sku":"PAD-CIVIC","title":"Ceramic Brake Pad Set","price_cents":4999,"stock":5,"category":"Brakes/Pads","part_numbers":["BP-1"],"fitments":[{"year_from":2006,"year_to":2011,"make":"Honda","model":"Civic"}]}"#,
        "\n",
        r#"{"sku":"PAD-F150","title":"Severe Duty Brake Pad Set","price_cents":6999,"stock":5,"category":"Brakes/Pads","part_numbers":["BP-2"],"fitments":[{"year_from":2009,"year_to":2014,"make":"Ford","model":"F-150"}]}"#,
        "\n",
        r#"{"sku":"PAD-ANY","title":"Brake Pad Wear Sensor Clip","price_cents":299,"stock":5,"category":"Brakes/Pads","universal":true}"#,
        "\n",
        r#"{"sku":"SAUCE","title":"Brake Fluid Hot Sauce","price_cents":899,"stock":5,"category":"Hot Sauces"}"#,
        "\n",
    );
    let app = spawn_app_with_catalog(catalog.as_bytes()).await;
    let suggest = |q: &'static str, cookie: &'static str| {
        let app = &app;
        async move {
            let res = app
                .client
                .get(app.url(&format!("/api/v1/suggest?q={q}")))
                .header("Cookie", cookie)
                .send()
                .await
                .unwrap();
            let caching = res.headers()["cache-control"].to_str().unwrap().to_owned();
            let body: serde_json::Value = res.json().await.unwrap();
            let mut products: Vec<String> = body["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["kind"] == "product")
                .map(|s| s["text"].as_str().unwrap().to_owned())
                .collect();
            products.sort();
            (products, body["vehicle"].as_str().map(String::from), caching)
        }
    };
    let civic = "garage=year%3D2009%26make%3DHonda%26model%3DCivic";
    let (products, vehicle, caching) = suggest("brake+pad", civic).await;
    assert_eq!(products, ["Brake Pad Wear Sensor Clip", "Ceramic Brake Pad Set"]);
    assert_eq!(vehicle.as_deref(), Some("2009 Honda Civic"));
    assert!(caching.contains("private"), "narrowed for one shopper: {caching}");
    let (everyone, vehicle, caching) = suggest("brake+pad", "").await;
    assert_eq!(everyone.len(), 3, "{everyone:?}");
    assert_eq!(vehicle, None);
    assert!(caching.contains("public"), "{caching}");
    // Nothing that fits is no reason to offer nothing: the sauce is still found.
    let (sauce, vehicle, _) = suggest("hot+sau", civic).await;
    assert_eq!(sauce, ["Brake Fluid Hot Sauce"]);
    assert_eq!(vehicle, None);
}
