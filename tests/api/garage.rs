//! My Garage: choose a vehicle without JavaScript, then see fit notes and fitting parts everywhere.

use reqwest::header::{CACHE_CONTROL, COOKIE, LOCATION, SET_COOKIE};
use storefront::catalog::demo;

use crate::helpers::{TestApp, spawn_app_with};

async fn demo_app() -> TestApp {
    spawn_app_with(|store| {
        demo::seed(store).expect("demo seeds");
    })
    .await
}

const CIVIC: &str = "garage=year%3D2009%26make%3DHonda%26model%3DCivic";

async fn html_with_cookie(app: &TestApp, path: &str, cookie: &str) -> (reqwest::header::HeaderMap, String) {
    let res = app
        .client
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let headers = res.headers().clone();
    (headers, res.text().await.unwrap())
}

#[tokio::test]
async fn a_shopper_picks_year_make_and_model_step_by_step_and_lands_on_parts_that_fit() {
    let app = demo_app().await;
    let (_, years) = app.get_html("/garage").await;
    assert!(years.contains("name=\"year\"") && years.contains(">2009<"));
    let (_, makes) = app.get_html("/garage?year=2009").await;
    assert!(makes.contains("name=\"make\"") && makes.contains(">Honda<"));
    let (_, models) = app.get_html("/garage?year=2009&make=Honda").await;
    assert!(models.contains("name=\"model\"") && models.contains(">Civic<"));
    let (_, finish) = app.get_html("/garage?year=2009&make=Honda&model=Civic").await;
    assert!(
        finish.contains("Save my vehicle") && finish.contains(">EX<"),
        "submodels offered"
    );

    let res = app
        .client
        .post(app.url("/garage"))
        .form(&[
            ("year", "2009"),
            ("make", "Honda"),
            ("model", "Civic"),
            ("submodel", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()[LOCATION],
        "/fits/2009-honda-civic",
        "the Civic's own page"
    );
    let (_, landing) = app.get_html("/fits/2009-honda-civic").await;
    assert!(
        landing.contains("href=\"/fits/2009-honda-civic/brakes\"")
            && landing.contains("Brakes for your 2009 Honda Civic: <strong>"),
        "its parts by department: {landing}"
    );
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("garage=") && cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn with_a_vehicle_in_the_garage_pages_say_what_fits_and_stay_private() {
    let app = demo_app().await;
    let (headers, civic_pads) = html_with_cookie(&app, "/p/BRK-CIV8-F-AKE", CIVIC).await;
    assert!(civic_pads.contains("Fits your 2009 Honda Civic"));
    assert!(headers[CACHE_CONTROL].to_str().unwrap().starts_with("private"));
    let (_, accord_pads) = html_with_cookie(&app, "/p/BRK-ACC7-F-AKE", CIVIC).await;
    assert!(accord_pads.contains("Does not fit your 2009 Honda Civic"));
    let (_, sauce) = html_with_cookie(&app, "/p/HS-VERDE-FUEGO-5OZ", CIVIC).await;
    assert!(!sauce.contains("fit your"), "sauces are not vehicle parts");

    let (_, results) = html_with_cookie(&app, "/search?q=brake+pads", CIVIC).await;
    assert!(results.contains("Showing parts that fit your"));
    assert!(results.contains("all_vehicles=1"), "the shopper can see everything");
    assert!(!results.contains("BRK-ACC7"), "pads for other cars are filtered out");
    assert!(results.contains("BRK-CIV8-F-AKE"));

    let public = app.get("/p/BRK-CIV8-F-AKE").await;
    assert!(
        public.headers()[CACHE_CONTROL].to_str().unwrap().starts_with("public"),
        "no garage, shared cache"
    );
}

#[tokio::test]
async fn every_page_offers_the_years_that_parts_fit_and_the_choice_leads_to_the_makes() {
    let app = demo_app().await;
    let (_, json) = app.get_json("/api/v1/vehicles/years").await;
    let years: Vec<String> = json["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(!years.is_empty());
    for path in ["/", "/c/brakes", "/search?q=pads"] {
        let (_, html) = app.get_html(path).await;
        let form = html
            .split("<form class=\"vehicle-pick\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no selector on {path}"));
        let form = form.split("</form>").next().unwrap();
        for y in &years {
            assert!(form.contains(&format!("<option value=\"{y}\">")), "{path} lacks {y}");
        }
        assert!(form.contains("action=\"/garage\""));
    }
    let (status, step) = app.get_html(&format!("/garage?year={}", years[0])).await;
    assert_eq!(status, 200);
    assert!(step.contains("name=\"make\""), "the next step asks for the make");
    let (_, with_vehicle) = html_with_cookie(&app, "/", CIVIC).await;
    assert!(
        !with_vehicle.contains("class=\"vehicle-pick\""),
        "a chosen vehicle replaces the selector"
    );
}

#[tokio::test]
async fn the_header_picker_loads_its_script_which_posts_the_same_fields_the_garage_saves() {
    let app = demo_app().await;
    let (_, home) = app.get_html("/").await;
    assert!(
        home.contains(r#"<form class="vehicle-pick" method="get" action="/garage">"#),
        "{home}"
    );
    let src = home
        .split(r#"<script src=""#)
        .map(|s| &s[..s.find('"').unwrap()])
        .find(|s| s.contains("/js/vehicle."))
        .expect("the vehicle picker script is on every page");
    let script = app.get(src).await;
    assert_eq!(script.status(), 200);
    assert!(script.headers()[CACHE_CONTROL].to_str().unwrap().contains("immutable"));
    let script = script.text().await.unwrap();
    // The script fills `make` and `model` from the cascade and posts them with `year` to /garage.
    for needle in ["/api/v1/vehicles/", "\"make\"", "\"model\"", "\"post\""] {
        assert!(script.contains(needle), "{needle} in the script");
    }
    let saved = app
        .client
        .post(app.url("/garage"))
        .form(&[("year", "2009"), ("make", "Honda"), ("model", "Civic")])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    assert!(saved.headers()[SET_COOKIE].to_str().unwrap().starts_with("garage="));
}

/// The `name=value` pairs a response sets, as a Cookie header would send them back.
fn set_cookies(res: &reqwest::Response) -> Vec<(String, String)> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|c| {
            let (pair, _) = c.to_str().ok()?.split_once(';')?;
            let (name, value) = pair.split_once('=')?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

fn cookie_header(jar: &[(String, String)]) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn post_garage(app: &TestApp, path: &str, jar: &mut Vec<(String, String)>, form: &[(&str, &str)]) -> String {
    let res = app
        .client
        .post(app.url(path))
        .header(COOKIE, cookie_header(jar))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{path}");
    for (name, value) in set_cookies(&res) {
        jar.retain(|(k, _)| *k != name);
        jar.push((name, value));
    }
    res.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_garage_keeps_the_familys_second_car_and_the_shopper_switches_between_them() {
    let app = demo_app().await;
    let mut jar = Vec::new();
    post_garage(
        &app,
        "/garage",
        &mut jar,
        &[("year", "2009"), ("make", "Honda"), ("model", "Civic")],
    )
    .await;
    post_garage(
        &app,
        "/garage",
        &mut jar,
        &[("year", "2008"), ("make", "Ford"), ("model", "Mustang")],
    )
    .await;
    let (_, page) = html_with_cookie(&app, "/garage", &cookie_header(&jar)).await;
    assert!(
        page.contains("Your vehicle: <strong>2008 Ford Mustang</strong>"),
        "{page}"
    );
    assert!(
        page.contains("Your other vehicles") && page.contains("<strong>2009 Honda Civic</strong>"),
        "{page}"
    );

    let back = post_garage(&app, "/garage/switch", &mut jar, &[("v", "0")]).await;
    assert_eq!(back, "/search?year=2009&make=Honda&model=Civic");
    let (_, home) = html_with_cookie(&app, "/", &cookie_header(&jar)).await;
    assert!(home.contains("2009 Honda Civic"), "the whole shop follows the switch");
    let (_, page) = html_with_cookie(&app, "/garage", &cookie_header(&jar)).await;
    assert!(
        page.contains("<strong>2008 Ford Mustang</strong>"),
        "the Mustang waits in the garage: {page}"
    );

    post_garage(&app, "/garage/forget", &mut jar, &[("v", "0")]).await;
    let (_, page) = html_with_cookie(&app, "/garage", &cookie_header(&jar)).await;
    assert!(!page.contains("Your other vehicles"), "{page}");
    assert!(page.contains("Your vehicle: <strong>2009 Honda Civic</strong>"));
}
