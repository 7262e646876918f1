//! Drives virtual shoppers at a store over HTTP and records every answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Value, json};

use super::model::{Profile, Second, Step, StepFigures};

/// What the shoppers can ask for, learned from the store before the run.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// In-stock SKUs with their stock.
    pub skus: Vec<(String, u64)>,
    pub categories: Vec<String>,
    pub words: Vec<String>,
    pub years: Vec<String>,
    /// The flash sale's SKU, when the profile runs one.
    pub sale_sku: Option<String>,
    /// Price in minor units by SKU.
    pub prices: HashMap<String, i64>,
}

/// Reads up to 500 products: their SKUs, stock, category slugs and title words.
pub async fn learn_catalog(client: &reqwest::Client, base: &str) -> anyhow::Result<Catalog> {
    let mut catalog = Catalog::default();
    for page in 1..=5 {
        let body: Value = client
            .get(format!("{base}/api/v1/products?per_page=100&page={page}"))
            .send()
            .await?
            .json()
            .await?;
        let items = body["items"].as_array().cloned().unwrap_or_default();
        for p in &items {
            let (Some(sku), stock) = (p["sku"].as_str(), p["stock"].as_u64().unwrap_or(0)) else {
                continue;
            };
            // Bundles are left alone: their units come out of other SKUs' stock, which would blur
            // the stock check.
            if stock > 0 && p.get("bundle").is_none() {
                catalog.skus.push((sku.to_owned(), stock));
                catalog
                    .prices
                    .insert(sku.to_owned(), p["price_cents"].as_i64().unwrap_or(0));
            }
            if let Some(path) = p["category"]
                .as_str()
                .and_then(|c| crate::domain::CategoryPath::parse(c).ok())
            {
                let slug = path.slug();
                if !catalog.categories.contains(&slug) {
                    catalog.categories.push(slug);
                }
            }
            for word in p["title"].as_str().unwrap_or("").split_whitespace() {
                let w = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
                if w.len() >= 4 && !catalog.words.contains(&w) && catalog.words.len() < 200 {
                    catalog.words.push(w);
                }
            }
        }
        if items.len() < 100 {
            break;
        }
    }
    let years: Value = client
        .get(format!("{base}/api/v1/vehicles/years"))
        .send()
        .await?
        .json()
        .await?;
    catalog.years = years["values"]
        .as_array()
        .map(|v| v.iter().filter_map(|y| y.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if catalog.skus.is_empty() {
        anyhow::bail!("the store has no product in stock to buy: nothing to rehearse with");
    }
    Ok(catalog)
}

/// One step's latencies (ms) and answers by status.
type StepSamples = (Vec<f64>, BTreeMap<u16, u64>);

/// One second's requests, failed answers, orders and latencies (ms).
type SecondSamples = (u64, u64, u64, Vec<f64>);

/// Every answer, by step and by second.
pub struct Recorder {
    started: Instant,
    steps: Mutex<HashMap<Step, StepSamples>>,
    seconds: Mutex<Vec<SecondSamples>>,
    /// Units bought by SKU (from the answers: 201 only).
    pub sold: Mutex<BTreeMap<String, u64>>,
    pub requests: AtomicU64,
    pub orders: AtomicU64,
    pub errors: AtomicU64,
}

impl Default for Recorder {
    fn default() -> Recorder {
        Recorder::new()
    }
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            started: Instant::now(),
            steps: Mutex::default(),
            seconds: Mutex::default(),
            sold: Mutex::default(),
            requests: AtomicU64::new(0),
            orders: AtomicU64::new(0),
            errors: AtomicU64::new(0),
        }
    }

    fn record(&self, step: Step, status: u16, took: Duration) {
        let ms = took.as_secs_f64() * 1000.0;
        let failed = status == 0 || (status >= 500 && status != 503);
        self.requests.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        {
            let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
            let entry = steps.entry(step).or_default();
            entry.0.push(ms);
            *entry.1.entry(status).or_default() += 1;
        }
        let second = self.started.elapsed().as_secs() as usize;
        let mut seconds = self.seconds.lock().unwrap_or_else(|e| e.into_inner());
        if seconds.len() <= second {
            seconds.resize_with(second + 1, Default::default);
        }
        let s = &mut seconds[second];
        s.0 += 1;
        s.1 += u64::from(failed);
        s.2 += u64::from(step == Step::Checkout && status == 201);
        s.3.push(ms);
    }

    pub fn step_figures(&self) -> BTreeMap<Step, StepFigures> {
        let steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        steps
            .iter()
            .map(|(step, (lat, statuses))| (*step, StepFigures::from_samples(lat.clone(), statuses.clone())))
            .collect()
    }

    pub fn per_second(&self) -> Vec<Second> {
        let seconds = self.seconds.lock().unwrap_or_else(|e| e.into_inner());
        seconds
            .iter()
            .map(|(requests, errors, orders, lat)| {
                let mut lat = lat.clone();
                lat.sort_by(f64::total_cmp);
                Second {
                    requests: *requests,
                    errors: *errors,
                    orders: *orders,
                    p99_ms: super::model::quantile(&lat, 0.99),
                }
            })
            .collect()
    }
}

/// What every virtual shopper shares.
pub struct Ctx {
    pub client: reqwest::Client,
    pub base: String,
    pub profile: Profile,
    pub catalog: Catalog,
    pub recorder: Recorder,
    pub deadline: Instant,
    next_key: AtomicU64,
    run_id: u64,
}

impl Ctx {
    pub fn new(client: reqwest::Client, base: String, profile: Profile, catalog: Catalog, deadline: Instant) -> Ctx {
        Ctx {
            client,
            base,
            profile,
            catalog,
            recorder: Recorder::new(),
            deadline,
            next_key: AtomicU64::new(0),
            run_id: crate::domain::random_u64(),
        }
    }
}

/// One shopper's state between steps.
#[derive(Default)]
struct Shopper {
    cart: Option<(String, String)>,
    cookies: HashMap<String, String>,
}

/// A shopper who keeps going until the deadline (closed loop: `--users`).
pub async fn shop_until_deadline(ctx: Arc<Ctx>) {
    let mut me = Shopper::default();
    while Instant::now() < ctx.deadline {
        let roll = rand::rng().random_range(0..ctx.profile.total_weight().max(1));
        take_step(&ctx, &mut me, ctx.profile.pick(roll)).await;
    }
}

/// A shopper who arrives, takes a few steps and leaves (open loop: `--rate`).
pub async fn one_visit(ctx: Arc<Ctx>) {
    let mut me = Shopper::default();
    let steps = rand::rng().random_range(3..8);
    for _ in 0..steps {
        if Instant::now() >= ctx.deadline {
            return;
        }
        let roll = rand::rng().random_range(0..ctx.profile.total_weight().max(1));
        take_step(&ctx, &mut me, ctx.profile.pick(roll)).await;
    }
}

fn pick<T: Clone>(items: &[T]) -> Option<T> {
    (!items.is_empty()).then(|| items[rand::rng().random_range(0..items.len())].clone())
}

async fn take_step(ctx: &Ctx, me: &mut Shopper, step: Step) {
    let c = &ctx.catalog;
    match step {
        Step::Browse => {
            let path = match rand::rng().random_range(0..3) {
                0 => "/".to_owned(),
                1 => pick(&c.categories).map_or("/".into(), |s| format!("/c/{s}")),
                _ => pick(&c.skus).map_or("/".into(), |(s, _)| format!("/p/{}", encode(&s))),
            };
            get(ctx, step, &path).await;
        }
        Step::Search => {
            let word = pick(&c.words).unwrap_or_else(|| "sauce".into());
            get(ctx, step, &format!("/search?q={}", encode(&word))).await;
        }
        Step::Vehicle => {
            let t = Instant::now();
            let status = match pick(&c.years) {
                Some(year) => fetch(ctx, &format!("/api/v1/vehicles/makes?year={year}")).await,
                None => fetch(ctx, "/api/v1/vehicles/years").await,
            };
            ctx.recorder.record(step, status, t.elapsed());
        }
        Step::Cart => add_to_cart(ctx, me).await,
        Step::Checkout => {
            if me.cart.is_none() {
                add_to_cart(ctx, me).await;
            }
            checkout(ctx, me).await;
        }
    }
}

/// A SKU to buy: mostly the flash sale's, when one runs.
fn sku_to_buy(ctx: &Ctx) -> Option<String> {
    match &ctx.catalog.sale_sku {
        Some(sale) if rand::rng().random_bool(0.7) => Some(sale.clone()),
        _ => pick(&ctx.catalog.skus).map(|(s, _)| s),
    }
}

async fn add_to_cart(ctx: &Ctx, me: &mut Shopper) {
    let Some(sku) = sku_to_buy(ctx) else { return };
    let t = Instant::now();
    let res = ctx
        .client
        .post(format!("{}/api/v1/carts", ctx.base))
        .json(&json!({"items": [{"sku": sku, "quantity": 1}]}))
        .send()
        .await;
    let (status, body) = answer(res).await;
    ctx.recorder.record(Step::Cart, status, t.elapsed());
    if let (201, Some(id)) = (status, body["id"].as_str()) {
        me.cart = Some((id.to_owned(), sku));
    }
}

async fn checkout(ctx: &Ctx, me: &mut Shopper) {
    let Some((cart, sku)) = me.cart.clone() else { return };
    let n = ctx.next_key.fetch_add(1, Ordering::Relaxed);
    let key = format!("rehearse-{:x}-{n}", ctx.run_id);
    let body = json!({"cart_id": cart, "email": format!("rehearsal{n}@example.com"),
        "shipping_address": {"name":"Rehearsal Shopper","line1":"1 Rehearsal St","city":"Portland","region":"OR","postal_code":"97201","country":"US"},
        "shipping_method": "standard", "payment": {"method": "test", "token": "tok_visa"}});
    while Instant::now() < ctx.deadline {
        let cookie: Vec<String> = me.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let t = Instant::now();
        let res = ctx
            .client
            .post(format!("{}/api/v1/checkout", ctx.base))
            .header("Idempotency-Key", &key)
            .header("Cookie", cookie.join("; "))
            .json(&body)
            .send()
            .await;
        let retry_after = res
            .as_ref()
            .ok()
            .and_then(|r| r.headers().get("retry-after")?.to_str().ok()?.parse::<u64>().ok());
        if let Ok(r) = &res {
            for c in r.headers().get_all("set-cookie") {
                if let Some((k, v)) = c.to_str().ok().and_then(|t| t.split(';').next()?.split_once('=')) {
                    me.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let (status, body) = answer(res).await;
        ctx.recorder.record(Step::Checkout, status, t.elapsed());
        if status == 503 && body["error"]["code"] == "waiting_room" {
            // In line: come back when told, as a browser's page does.
            tokio::time::sleep(Duration::from_secs(retry_after.unwrap_or(1).clamp(1, 15))).await;
            continue;
        }
        if status == 201 {
            ctx.recorder.orders.fetch_add(1, Ordering::Relaxed);
            *ctx.recorder
                .sold
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(sku)
                .or_default() += 1;
        }
        break;
    }
    me.cart = None;
}

async fn get(ctx: &Ctx, step: Step, path: &str) {
    let t = Instant::now();
    let status = fetch(ctx, path).await;
    ctx.recorder.record(step, status, t.elapsed());
}

/// GETs `path` and reads the whole body; the status (0 for no answer).
async fn fetch(ctx: &Ctx, path: &str) -> u16 {
    match ctx.client.get(format!("{}{path}", ctx.base)).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let _ = res.bytes().await;
            status
        }
        Err(_) => 0,
    }
}

async fn answer(res: reqwest::Result<reqwest::Response>) -> (u16, Value) {
    match res {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
