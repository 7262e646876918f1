//! `storefront rehearse`: a spike rehearsal. Virtual shoppers browse, search, pick vehicles, fill
//! carts and check out with the test card, against a copy of the store made by an online backup
//! and served on a private port (never the live shop), or against a URL. It shows progress each
//! second and writes a report (HTML with charts drawn here, and JSON): throughput and latency per
//! step, errors by status, what saturated first and what to change, and an oversell check.
//! `model` holds the rules; `run` drives the shoppers; `report` draws the page.

pub mod model;
pub mod report;
pub mod run;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

use model::{Finding, Profile, Second, ServerFigures, StepFigures, StockCheck, findings};

/// What to rehearse against, with what, for how long.
pub struct Options {
    /// A running store's address; `None` rehearses against a copy of `data_dir`.
    pub url: Option<String>,
    pub data_dir: PathBuf,
    pub store: crate::store::StoreOptions,
    pub profile: Profile,
    pub duration: Duration,
    /// Concurrent shoppers, each going on until the end (closed loop).
    pub users: usize,
    /// Shoppers arriving per second instead, each for a few steps (open loop).
    pub rate: Option<f64>,
    /// A merchant token with the catalog scope, for the flash sale against a URL.
    pub token: Option<String>,
}

#[derive(Serialize)]
pub struct Report {
    pub profile: Profile,
    pub target: String,
    pub started: String,
    pub seconds: f64,
    pub users: usize,
    pub rate: Option<f64>,
    pub requests: u64,
    pub requests_per_second: f64,
    pub orders: u64,
    pub orders_per_second: f64,
    pub failed: u64,
    pub steps: std::collections::BTreeMap<model::Step, StepFigures>,
    pub per_second: Vec<Second>,
    /// The server's figures over the run, when its `/metrics` could be read.
    pub server: Option<ServerFigures>,
    pub findings: Vec<Finding>,
    pub stock: Vec<StockCheck>,
    pub oversold: bool,
    pub flash_sale: Option<Value>,
}

/// The store a rehearsal runs against, and how to end it.
struct Target {
    base: String,
    label: String,
    token: Option<String>,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // SAFETY: kill(2) with a valid signal on our own child process.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
    }
}

/// A copy of the store at `data_dir` (an online backup when its server runs), served by this
/// binary on a private loopback port with nothing reaching the outside: no mail, webhooks, card
/// gateway, purges or supplier feeds, and no rate limits (every shopper comes from here).
fn serve_copy(data_dir: &Path, store: &crate::store::StoreOptions) -> anyhow::Result<Target> {
    let dir = tempfile::tempdir()?;
    let backup = dir.path().join("backup");
    crate::maintenance::backup::backup(data_dir, store, &backup)
        .with_context(|| format!("cannot copy the store in {}", data_dir.display()))?;
    let copy = dir.path().join("data");
    crate::maintenance::backup::restore(&backup, &copy, store)?;
    let scopes = crate::staff::Scopes::parse("catalog,admin").map_err(|e| anyhow::anyhow!(e))?;
    let token = crate::maintenance::backup::create_token(&copy, store, scopes, "storefront rehearse")?;
    let config = dir.path().join("rehearse.toml");
    std::fs::write(
        &config,
        "[limits]\nenabled = false\n\n[payments]\nmethods = []\ntest_cards = true\n\n\
         [jobs]\nrecord_events = false\n",
    )?;
    let mut cmd = Command::new(std::env::current_exe()?);
    // The shop's own settings (its SMTP relay, Stripe keys) must not reach the copy.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("STOREFRONT_") {
            cmd.env_remove(&name);
        }
    }
    let mut child = cmd
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&copy)
        .args(["serve", "--no-demo", "--bind", "127.0.0.1:0"])
        .env("STOREFRONT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut out = BufReader::new(child.stdout.take().context("no stdout")?);
    let mut line = String::new();
    out.read_line(&mut line)?;
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .with_context(|| format!("the copy did not start: {line:?}"))?
        .to_owned();
    Ok(Target {
        label: format!("a copy of {} served at {base}", data_dir.display()),
        base,
        token: Some(token),
        child: Some(child),
        _dir: Some(dir),
    })
}

async fn server_figures(client: &reqwest::Client, base: &str) -> Option<ServerFigures> {
    let res = client.get(format!("{base}/metrics")).send().await.ok()?;
    if !res.status().is_success() {
        return None;
    }
    Some(ServerFigures::parse(&res.text().await.ok()?))
}

async fn stock_of(client: &reqwest::Client, base: &str, sku: &str) -> Option<u64> {
    let p: Value = client
        .get(format!("{base}/api/v1/products/{sku}"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    p["stock"].as_u64()
}

/// Creates the flash-sale profile's sale on the best-stocked item: half price, 100 units (or half
/// its stock), sold out when gone, for the length of the run and a minute more.
async fn start_flash_sale(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    catalog: &run::Catalog,
    length: Duration,
) -> anyhow::Result<(String, u64)> {
    let (sku, stock) = catalog
        .skus
        .iter()
        .max_by_key(|(_, s)| *s)
        .cloned()
        .context("no item in stock")?;
    let price = catalog.prices.get(&sku).copied().unwrap_or(200).max(2);
    let now = crate::domain::now_ms();
    let res = client
        .post(format!("{base}/api/v1/admin/sales"))
        .bearer_auth(token)
        .json(
            &json!({"name": "Rehearsal doorbusters", "starts": crate::domain::format_utc(now.saturating_sub(1000)),
            "ends": crate::domain::format_utc(now + length.as_millis() as u64 + 60_000), "then": "sold_out",
            "items": [{"sku": sku, "price_cents": price / 2, "quantity": (stock / 2).clamp(1, 100)}]}),
        )
        .send()
        .await?;
    let body: Value = res.json().await?;
    let id = body["id"]
        .as_u64()
        .with_context(|| format!("the flash sale was refused: {body}"))?;
    Ok((sku, id))
}

/// Runs a rehearsal; `progress` gets a line each second.
pub async fn rehearse(opts: Options, progress: impl Fn(String)) -> anyhow::Result<Report> {
    let target = match &opts.url {
        Some(url) => Target {
            base: url.trim_end_matches('/').to_owned(),
            label: url.clone(),
            token: opts.token.clone(),
            child: None,
            _dir: None,
        },
        None => {
            let (dir, store) = (opts.data_dir.clone(), opts.store.clone());
            tokio::task::spawn_blocking(move || serve_copy(&dir, &store)).await??
        }
    };
    let users = if opts.rate.is_some() { 0 } else { opts.users.max(1) };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(users.max(64))
        .timeout(Duration::from_secs(30))
        .build()?;
    let base = target.base.clone();
    let mut catalog = run::learn_catalog(&client, &base).await?;
    let mut sale = None;
    if opts.profile.flash_sale {
        match &target.token {
            Some(token) => {
                let (sku, id) = start_flash_sale(&client, &base, token, &catalog, opts.duration).await?;
                catalog.sale_sku = Some(sku);
                sale = Some(id);
            }
            None => progress("no --token: the flash-sale profile runs without a flash sale".into()),
        }
    }
    let before = server_figures(&client, &base).await;
    let started_utc = crate::domain::format_utc(crate::domain::now_ms());
    let started = Instant::now();
    let ctx = Arc::new(run::Ctx::new(
        client.clone(),
        base.clone(),
        opts.profile.clone(),
        catalog.clone(),
        started + opts.duration,
    ));
    let mut tasks = Vec::new();
    if let Some(rate) = opts.rate {
        let (ctx, gap) = (ctx.clone(), Duration::from_secs_f64(1.0 / rate.max(0.01)));
        tasks.push(tokio::spawn(async move {
            let mut visits = Vec::new();
            let mut tick = tokio::time::interval(gap);
            while Instant::now() < ctx.deadline {
                tick.tick().await;
                visits.push(tokio::spawn(run::one_visit(ctx.clone())));
            }
            for v in visits {
                let _ = v.await;
            }
        }));
    } else {
        for _ in 0..users {
            tasks.push(tokio::spawn(run::shop_until_deadline(ctx.clone())));
        }
    }
    let watcher = {
        let ctx = ctx.clone();
        async move {
            let mut last = 0;
            while Instant::now() < ctx.deadline {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let r = &ctx.recorder;
                let requests = r.requests.load(Ordering::Relaxed);
                progress(format!(
                    "{:>4} s  {:>6} req/s  {:>6} orders  {:>4} failed",
                    started.elapsed().as_secs(),
                    requests - last,
                    r.orders.load(Ordering::Relaxed),
                    r.errors.load(Ordering::Relaxed)
                ));
                last = requests;
            }
        }
    };
    watcher.await;
    for t in tasks {
        let _ = t.await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let after = server_figures(&client, &base).await;
    let flash_sale = match (sale, &target.token) {
        (Some(id), Some(token)) => {
            let url = format!("{base}/api/v1/admin/sales/{id}");
            // Ended, so product answers show the stock on the shelf again.
            let ended = client.delete(&url).bearer_auth(token).send().await?;
            Some(ended.json::<Value>().await?)
        }
        _ => None,
    };
    let sold = ctx.recorder.sold.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut stock = Vec::new();
    for (sku, units) in &sold {
        let before = catalog.skus.iter().find(|(s, _)| s == sku).map_or(0, |(_, n)| *n);
        let after = stock_of(&client, &base, sku).await.unwrap_or(u64::MAX);
        stock.push(StockCheck {
            sku: sku.clone(),
            before,
            sold: *units,
            after,
        });
    }
    let steps = ctx.recorder.step_figures();
    let server = before.zip(after).map(|(b, a)| a.since(&b));
    let cores = std::thread::available_parallelism().map_or(2.0, |n| n.get() as f64);
    let said = match &server {
        Some(s) => findings(s, seconds, cores, &steps),
        None => vec![Finding {
            what: "the server's /metrics could not be read, so only the client's figures are here".into(),
            advice: "rehearse against a copy (--data-dir), or from the store's own host".into(),
        }],
    };
    let (requests, orders) = (
        ctx.recorder.requests.load(Ordering::Relaxed),
        ctx.recorder.orders.load(Ordering::Relaxed),
    );
    Ok(Report {
        profile: opts.profile,
        target: target.label.clone(),
        started: started_utc,
        seconds,
        users,
        rate: opts.rate,
        requests,
        requests_per_second: requests as f64 / seconds.max(0.001),
        orders,
        orders_per_second: orders as f64 / seconds.max(0.001),
        failed: ctx.recorder.errors.load(Ordering::Relaxed),
        steps,
        per_second: ctx.recorder.per_second(),
        server,
        findings: said,
        oversold: stock.iter().any(|c| !c.holds()),
        stock,
        flash_sale,
    })
}

/// Writes `report.json` and `report.html` into `dir`.
pub fn write_report(report: &Report, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(report)?)?;
    std::fs::write(dir.join("report.html"), report::html(report))?;
    Ok(())
}

/// `60s`, `2m`, `90` (seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 60s or 2m"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{text:?} is not a duration such as 60s or 2m")),
    };
    (1..=24 * 3600)
        .contains(&secs)
        .then(|| Duration::from_secs(secs))
        .ok_or_else(|| "a duration is 1 s to 24 h".into())
}
