//! The waiting room through the front door: first come first admitted, a refresh keeps the place,
//! a forged ticket gets none, the API answers 503 with the place, auto mode opens under load only
//! behind its flag, and a crowd arriving at once for a flash sale buys exactly its quantity.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::checkout::{address, join_all, new_cart};
use crate::helpers::{TestApp, spawn_app_with_catalog};
use crate::mail::admin;

const SHOP: &str = concat!(
    r#"{"sku":"REAPER","title":"Ember Reaper Sauce","price_cents":1200,"stock":1000,"category":"Hot Sauce"}"#,
    "\n",
);

async fn set_room(app: &TestApp, body: Value) -> Value {
    let (status, room) = admin(app, reqwest::Method::PUT, "/api/v1/admin/waiting-room", Some(body)).await;
    assert_eq!(status, 200, "{room}");
    room
}

/// A shopper's cookies (name -> value), kept as a browser would.
#[derive(Default, Clone)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for c in res.headers().get_all("set-cookie") {
            let text = c.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.0.remove(name);
            } else {
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

async fn visit(app: &TestApp, path: &str, jar: &mut Jar) -> (u16, String) {
    let res = app
        .client
        .get(app.url(path))
        .header("Cookie", jar.header())
        .send()
        .await
        .unwrap();
    jar.keep(&res);
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    let html = res.text().await.unwrap();
    if place(&html).is_some() {
        assert!(
            cache.is_some_and(|c| c.contains("no-store")),
            "no cache in front keeps a place in line"
        );
    }
    (status, html)
}

/// The place a waiting page shows, if it is one.
fn place(html: &str) -> Option<u64> {
    let at = html.find("Your place: <strong>")? + "Your place: <strong>".len();
    html[at..].split('<').next()?.replace(',', "").parse().ok()
}

#[tokio::test]
async fn shoppers_wait_in_arrival_order_keep_their_place_on_refresh_and_a_forged_ticket_goes_to_the_back() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    set_room(&app, json!({"mode": "on", "admit_per_second": 1})).await;
    let mut jars = vec![Jar::default(); 4];
    let mut places = Vec::new();
    for jar in &mut jars {
        let (status, html) = visit(&app, "/checkout", jar).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("http-equiv=\"refresh\""),
            "the page refreshes by itself without JavaScript"
        );
        places.push(place(&html).expect("a place in line"));
    }
    assert!(
        places.windows(2).all(|w| w[0] < w[1]),
        "first come, first in line: {places:?}"
    );
    let (_, again) = visit(&app, "/checkout", &mut jars[3]).await;
    assert!(place(&again).unwrap() <= places[3], "a refresh keeps the place");
    let mut forged = jars[3].clone();
    let ticket = forged.0.get_mut("sf_wr").unwrap();
    *ticket = ticket.replacen("t.", "t.1", 1);
    let (_, html) = visit(&app, "/checkout", &mut forged).await;
    assert!(
        place(&html).unwrap() > places[3],
        "a forged ticket gets no place but the last"
    );

    // The first in line is let in within about a second, and then checks out unhindered.
    let deadline = Instant::now() + Duration::from_secs(5);
    let first = &mut jars[0];
    loop {
        let (status, html) = visit(&app, "/checkout", first).await;
        if place(&html).is_none() {
            assert!(status == 200 || status == 303, "{status}");
            break;
        }
        assert!(Instant::now() < deadline, "never let in");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(first.0.contains_key("sf_pass"), "a pass comes with the turn");
    let (_, html) = visit(&app, "/checkout", first).await;
    assert!(place(&html).is_none(), "the pass holds");
    let (status, page) = visit(&app, "/p/REAPER", &mut Jar::default()).await;
    assert!(
        status == 200 && place(&page).is_none(),
        "with scope checkout, browsing is not held up"
    );
}

#[tokio::test]
async fn the_api_answers_503_with_the_place_and_retry_after() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    set_room(&app, json!({"mode": "on", "admit_per_second": 1})).await;
    for _ in 0..3 {
        app.client.get(app.url("/checkout")).send().await.unwrap();
    }
    let res = app
        .client
        .post(app.url("/api/v1/checkout"))
        .header("Idempotency-Key", "k")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("sf_wr="))
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "waiting_room", "{body}");
    assert!(body["error"]["details"]["position"].as_u64().unwrap() >= 3, "{body}");
    assert!(body["error"]["details"]["eta_seconds"].as_u64().unwrap() >= 1, "{body}");
    let (_, room) = admin(&app, reqwest::Method::GET, "/api/v1/admin/waiting-room", None).await;
    assert_eq!(
        (room["open"].as_bool(), room["mode"].as_str()),
        (Some(true), Some("on")),
        "{room}"
    );
    assert!(room["waiting"].as_u64().unwrap() >= 4, "{room}");
    set_room(&app, json!({"mode": "off"})).await;
    let (status, _) = app.post_json("/api/v1/checkout", &json!({})).await;
    assert_ne!(status, 503, "off lets everyone through at once");
    let (_, audit) = admin(&app, reqwest::Method::GET, "/api/v1/admin/audit", None).await;
    assert!(audit.to_string().contains("waiting_room.set"), "{audit}");
}

/// `buyers` shoppers arrive at once, each retrying as told until they have an answer that is
/// not the waiting room; returns each one's final status and, for those let in, how long their
/// checkout took.
async fn crowd(app: &Arc<TestApp>, buyers: usize, name: &'static str) -> Vec<(u16, Option<Duration>)> {
    let mut carts = Vec::new();
    for _ in 0..buyers {
        carts.push(new_cart(app, json!([{"sku":"REAPER","quantity":1}])).await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(buyers));
    let tasks = carts.into_iter().enumerate().map(|(i, cart)| {
        let (app, barrier) = (app.clone(), barrier.clone());
        tokio::spawn(async move {
            let mut jar = Jar::default();
            let body = json!({"cart_id": cart, "email": format!("fan{i}@example.com"), "shipping_address": address(),
                "shipping_method": "standard", "payment": {"method": "test", "token": "tok_visa"}});
            barrier.wait().await;
            loop {
                let started = Instant::now();
                let res = app
                    .client
                    .post(app.url("/api/v1/checkout"))
                    .header("Idempotency-Key", format!("{name}-{i}"))
                    .header("Cookie", jar.header())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let took = started.elapsed();
                jar.keep(&res);
                let status = res.status().as_u16();
                let answer: Value = res.json().await.unwrap_or(Value::Null);
                if status == 503 && answer["error"]["code"] == "waiting_room" {
                    let wait = answer["error"]["details"]["eta_seconds"].as_u64().unwrap_or(1).min(1);
                    tokio::time::sleep(Duration::from_millis(100 * wait.max(1))).await;
                    continue;
                }
                return (status, Some(took));
            }
        })
    });
    join_all(tasks).await.into_iter().map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crowd_arriving_at_once_for_a_flash_sale_gets_no_5xx_and_buys_exactly_its_quantity() {
    let app = Arc::new(spawn_app_with_catalog(SHOP.as_bytes()).await);
    let now = storefront::domain::now_ms();
    let (status, _) = admin(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/sales",
        Some(
            json!({"name": "Doorbusters", "starts": storefront::domain::format_utc(now - 1_000),
            "ends": storefront::domain::format_utc(now + 600_000), "then": "sold_out",
            "items": [{"sku": "REAPER", "price_cents": 500, "quantity": 100}]}),
        ),
    )
    .await;
    assert_eq!(status, 201);
    set_room(&app, json!({"mode": "on", "admit_per_second": 400, "pass_minutes": 5})).await;
    let results = crowd(&app, 300, "sale").await;
    let statuses: Vec<u16> = results.iter().map(|r| r.0).collect();
    assert!(statuses.iter().all(|s| *s < 500), "nobody gets a 5xx: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 100, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert_eq!(app.store.read().unwrap().stock("REAPER").unwrap(), 900);
    let (_, room) = admin(&app, reqwest::Method::GET, "/api/v1/admin/waiting-room", None).await;
    assert_eq!(room["waiting"], 0, "the line drained by itself: {room}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_mode_opens_when_checkout_is_over_capacity_and_only_behind_its_flag() {
    let app = Arc::new(spawn_app_with_catalog(SHOP.as_bytes()).await);
    set_room(&app, json!({"mode": "auto", "capacity": 1, "admit_per_second": 1000})).await;
    let (_, flag) = admin(
        &app,
        reqwest::Method::PUT,
        "/api/v1/admin/flags/waiting_room_auto",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(flag["enabled"], false);
    let (_, room) = admin(&app, reqwest::Method::GET, "/api/v1/admin/waiting-room", None).await;
    assert_eq!(room["open"], false);
    let results = crowd(&app, 40, "flag-off").await;
    assert!(results.iter().all(|r| r.0 == 201), "the flag off, nobody waits");
    let (_, room) = admin(&app, reqwest::Method::GET, "/api/v1/admin/waiting-room", None).await;
    assert_eq!(
        (room["open"].as_bool(), room["admitted"].as_u64()),
        (Some(false), Some(0)),
        "{room}"
    );

    admin(
        &app,
        reqwest::Method::PUT,
        "/api/v1/admin/flags/waiting_room_auto",
        Some(json!({"enabled": true})),
    )
    .await;
    let results = crowd(&app, 40, "flag-on").await;
    assert!(
        results.iter().all(|r| r.0 == 201),
        "everyone buys in the end: {results:?}"
    );
    let (_, room) = admin(&app, reqwest::Method::GET, "/api/v1/admin/waiting-room", None).await;
    assert!(
        room["admitted"].as_u64().unwrap() > 0,
        "at capacity, later shoppers took tickets: {room}"
    );
    assert_eq!(
        room["open"], true,
        "and the room stays open a little after the rush: {room}"
    );
}
