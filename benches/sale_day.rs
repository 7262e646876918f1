//! Sale-day crowd benchmark: 2,000 shoppers, each with a cart holding one unit of a flash-sale
//! item (100 units, sold out when gone), arrive at the same instant and check out through the
//! JSON API, as a browser would: on 503 `waiting_room` they wait `Retry-After` seconds with their
//! ticket cookie and try again. This process is the client, the built `storefront` binary the
//! server (2 workers), over loopback.
//!
//! Two runs side by side on fresh data dirs: the waiting room on (admitting SALE_ADMIT shoppers a
//! second, default 400), and off (everyone at once). Reported: 5xx answers (must be none), units
//! sold at the sale price (must be exactly 100), and the latency of the checkout request each
//! admitted shopper finally got an answer to (p50/p99/max), plus how long the crowd took to drain.
//!
//! `cargo bench --bench sale_day` (SALE_SHOPPERS, default 2000; SALE_ADMIT, default 400).

// Shared with the benches that generate catalogs; this one imports a single item.
#[allow(dead_code)]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const UNITS: u64 = 100;

fn main() {
    let shoppers: usize = env_or("SALE_SHOPPERS", 2000);
    let admit: u32 = env_or("SALE_ADMIT", 400);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "sale-day crowd: {shoppers} shoppers at once for {UNITS} flash-sale units; server = storefront serve --workers 2"
    );
    for (label, mode) in [("waiting room on", "on"), ("waiting room off", "off")] {
        let report = runtime.block_on(run(shoppers, mode, admit));
        println!("\n== {label} (admit_per_second = {admit})\n{report}");
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run(shoppers: usize, mode: &str, admit: u32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let catalog = dir.path().join("catalog.jsonl");
    std::fs::write(
        &catalog,
        "{\"sku\":\"DOOR-1\",\"title\":\"Doorbuster hot sauce\",\"price_cents\":1299,\"stock\":100000}\n",
    )
    .unwrap();
    let status = std::process::Command::new(common::BIN)
        .arg("--data-dir")
        .arg(&data)
        .arg("import")
        .arg(&catalog)
        .env("STOREFRONT_LOG", "warn")
        .status()
        .unwrap();
    assert!(status.success());
    let config = dir.path().join("storefront.toml");
    std::fs::write(
        &config,
        format!(
            "[payments]\ntest_cards = true\n\n# One client address sends everything.\n[limits]\nenabled = false\n\n\
             [waiting_room]\nmode = \"{mode}\"\nadmit_per_second = {admit}\npass_minutes = 10\n"
        ),
    )
    .unwrap();
    let (mut child, addr) = common::serve(&config, &data);
    let token = std::fs::read_to_string(data.join("first-start.txt"))
        .unwrap()
        .split_whitespace()
        .find(|w| w.starts_with("sf_"))
        .expect("the first start's admin token")
        .to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(shoppers)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let now = storefront::domain::now_ms();
    let sale = client
        .post(format!("{addr}/api/v1/admin/sales"))
        .bearer_auth(&token)
        .json(
            &json!({"name": "Doorbusters", "starts": storefront::domain::format_utc(now - 1_000),
            "ends": storefront::domain::format_utc(now + 3_600_000), "then": "sold_out",
            "items": [{"sku": "DOOR-1", "price_cents": 499, "quantity": UNITS}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(sale.status(), 201);
    let mut carts = Vec::with_capacity(shoppers);
    for _ in 0..shoppers {
        let res = client
            .post(format!("{addr}/api/v1/carts"))
            .json(&json!({"items": [{"sku": "DOOR-1", "quantity": 1}]}))
            .send()
            .await
            .unwrap();
        let cart: Value = res.json().await.unwrap();
        carts.push(cart["id"].as_str().unwrap().to_owned());
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(shoppers));
    let started = Instant::now();
    let tasks: Vec<_> = carts
        .into_iter()
        .enumerate()
        .map(|(i, cart)| {
            let (client, addr, barrier) = (client.clone(), addr.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                shopper(&client, &addr, i, &cart).await
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(shoppers);
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let drained = started.elapsed().as_secs_f64();
    // SAFETY: kill(2) on our own child with a valid signal.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap();
    summarize(&outcomes, drained)
}

struct Outcome {
    status: u16,
    /// The request that got the final answer.
    took: Duration,
    /// Answers of 503 `waiting_room` before it.
    waited: u32,
}

async fn shopper(client: &reqwest::Client, addr: &str, i: usize, cart: &str) -> Outcome {
    let body = json!({"cart_id": cart, "email": format!("fan{i}@example.com"),
        "shipping_address": {"name":"Sale Fan","line1":"1 Bench St","city":"Portland","region":"OR","postal_code":"97201","country":"US"},
        "shipping_method": "standard", "payment": {"method": "test", "token": "tok_visa"}});
    let mut cookies: HashMap<String, String> = HashMap::new();
    let mut waited = 0;
    loop {
        let header: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let t = Instant::now();
        let res = client
            .post(format!("{addr}/api/v1/checkout"))
            .header("Idempotency-Key", format!("sale-{i}"))
            .header("Cookie", header.join("; "))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        for c in res.headers().get_all("set-cookie") {
            let text = c.to_str().unwrap();
            if let Some((name, value)) = text.split(';').next().and_then(|p| p.split_once('=')) {
                cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let retry: u64 = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(1);
        let answer: Value = res.json().await.unwrap_or(Value::Null);
        let took = t.elapsed();
        if status == 503 && answer["error"]["code"] == "waiting_room" {
            waited += 1;
            tokio::time::sleep(Duration::from_secs(retry)).await;
            continue;
        }
        return Outcome { status, took, waited };
    }
}

fn summarize(outcomes: &[Outcome], drained: f64) -> String {
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let sold = count(&|o| o.status == 201);
    let errors = count(&|o| o.status >= 500);
    let mut took: Vec<f64> = outcomes.iter().map(|o| o.took.as_secs_f64() * 1000.0).collect();
    took.sort_by(f64::total_cmp);
    let pct = |p: f64| took[((took.len() as f64 - 1.0) * p) as usize];
    let waits = outcomes.iter().map(|o| o.waited).max().unwrap_or(0);
    assert_eq!(errors, 0, "a shopper got a 5xx");
    assert_eq!(sold as u64, UNITS, "the sale sold other than its quantity");
    format!(
        "sold: {sold} (exactly {UNITS}: yes), 5xx: {errors}, other answers: {} (409: sold out)\n\
         final checkout request, ms: p50 {:.1}  p99 {:.1}  max {:.1}\n\
         crowd drained in {drained:.1} s; the longest waiter was told to wait {waits} times",
        outcomes.len() - sold,
        pct(0.50),
        pct(0.99),
        pct(1.0),
    )
}
