//! Checkout load benchmark: this process is the client, the built `storefront` binary the server,
//! over loopback. Carts are created first; then only `POST /api/v1/checkout` is timed.
//!
//! Three runs against fresh data dirs in one go, so their ratios are comparable on a noisy box:
//!   1. group commit, 256 concurrent buyers
//!   2. one commit per order (`group_commit = false`), 256 concurrent buyers
//!   3. group commit, a single buyer (latency)
//!
//! `cargo bench --bench checkout` (set CHECKOUT_SECS, default 6, for the length of each run).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const SKUS: usize = 50;

fn main() {
    let secs: u64 = std::env::var("CHECKOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("checkout benchmark: {secs} s per run, server = storefront serve --workers 2, client in this process");
    for (label, group_commit, buyers) in [
        ("group commit, 256 buyers", true, 256),
        ("one commit per order, 256 buyers", false, 256),
        ("group commit, 1 buyer", true, 1),
    ] {
        let report = runtime.block_on(run(group_commit, buyers, Duration::from_secs(secs)));
        println!("\n== {label}\n{report}");
    }
}

struct Server {
    child: Child,
    addr: String,
    log: std::thread::JoinHandle<Vec<String>>,
}

fn start_server(dir: &Path, group_commit: bool) -> Server {
    let data = dir.join("data");
    let catalog = dir.join("catalog.jsonl");
    let lines: String = (0..SKUS)
        .map(|i| {
            format!("{{\"sku\":\"LOAD-{i}\",\"title\":\"Load item {i}\",\"price_cents\":1999,\"stock\":100000000}}\n")
        })
        .collect();
    std::fs::write(&catalog, lines).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_storefront"))
        .args(["import", "--data-dir"])
        .arg(&data)
        .arg(&catalog)
        .env("STOREFRONT_LOG", "warn")
        .status()
        .unwrap();
    assert!(status.success());
    let config = dir.join("storefront.toml");
    std::fs::write(&config, format!("[checkout]\ngroup_commit = {group_commit}\n\n# One client address sends everything here.\n[limits]\nenabled = false\n")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_storefront"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--no-demo", "--bind", "127.0.0.1:0", "--workers", "2"])
        .env("STOREFRONT_LOG", "warn,storefront::store=info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("address")
        .to_owned();
    let stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || BufReader::new(stderr).lines().map_while(Result::ok).collect());
    Server { child, addr, log }
}

impl Server {
    /// SIGTERM, then the writer's summary line from the log.
    fn stop(mut self) -> String {
        // SAFETY: kill(2) on our own child with a valid signal.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        self.child.wait().unwrap();
        let log = self.log.join().unwrap();
        match log.iter().find(|l| l.contains("store writer stopped")) {
            Some(l) => l[l.find("commits=").unwrap_or(0)..].to_owned(),
            None => format!(
                "(no writer summary in the log; it ends: {:?})",
                &log[log.len().saturating_sub(3)..]
            ),
        }
    }
}

async fn run(group_commit: bool, buyers: usize, length: Duration) -> String {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), group_commit);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(buyers)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    // Enough carts for the fastest rate we hope to see, created with the same concurrency.
    let per_buyer = if buyers == 1 {
        2_000
    } else {
        (15_000 * length.as_secs() as usize / buyers).max(20)
    };
    let created = Instant::now();
    let carts = create_carts(&client, &server.addr, buyers, per_buyer).await;
    let create_secs = created.elapsed().as_secs_f64();
    // Bodies are serialized before the clock starts: the client's own work competes with the
    // server for the same two cores.
    let carts: Vec<Vec<actix_web::web::Bytes>> = carts
        .iter()
        .map(|mine| {
            mine.iter()
                .map(|c| serde_json::to_vec(&body(c)).unwrap().into())
                .collect()
        })
        .collect();
    let deadline = Instant::now() + length;
    let started = Instant::now();
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let retried = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = carts
        .into_iter()
        .enumerate()
        .map(|(b, mine)| {
            let (client, addr, ok, failed, retried) = (
                client.clone(),
                server.addr.clone(),
                ok.clone(),
                failed.clone(),
                retried.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(mine.len());
                for (n, body) in mine.into_iter().enumerate() {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let t = Instant::now();
                    // A pooled connection the server has just closed fails the request; like
                    // any client, retry it: the Idempotency-Key makes that safe.
                    let mut res = None;
                    for _ in 0..3 {
                        let sent = client
                            .post(format!("{addr}/api/v1/checkout"))
                            .header("Idempotency-Key", format!("bench-{b}-{n}"))
                            .header("Content-Type", "application/json")
                            .body(body.clone())
                            .send()
                            .await;
                        let again = matches!(&sent, Err(e) if e.is_request() || e.is_connect());
                        res = Some(sent);
                        if !again {
                            break;
                        }
                        retried.fetch_add(1, Ordering::Relaxed);
                    }
                    let res = res.expect("at least one attempt");
                    let good = matches!(&res, Ok(r) if r.status() == 201);
                    if let Ok(r) = res {
                        let _ = r.bytes().await;
                    }
                    latencies.push(t.elapsed());
                    if good { &ok } else { &failed }.fetch_add(1, Ordering::Relaxed);
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    let writer = server.stop();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
    let ok = ok.load(Ordering::Relaxed);
    format!(
        "orders placed: {ok} in {elapsed:.1} s = {:.0} orders/s (not 201: {}, retried after a closed connection: {})\nlatency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}\ncarts created beforehand: {} in {create_secs:.1} s\nwriter: {writer}",
        ok as f64 / elapsed,
        failed.load(Ordering::Relaxed),
        retried.load(Ordering::Relaxed),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
        buyers * per_buyer,
    )
}

fn body(cart: &str) -> Value {
    json!({
        "cart_id": cart,
        "email": "load@example.com",
        "shipping_address": {"name":"Load Test","line1":"1 Bench St","city":"Portland","region":"OR","postal_code":"97201","country":"US"},
        "shipping_method": "standard",
        "payment": {"method":"test","token":"tok_visa"},
    })
}

async fn create_carts(client: &reqwest::Client, addr: &str, buyers: usize, per_buyer: usize) -> Vec<Vec<String>> {
    let tasks: Vec<_> = (0..buyers)
        .map(|b| {
            let (client, addr) = (client.clone(), addr.to_owned());
            tokio::spawn(async move {
                let mut carts = Vec::with_capacity(per_buyer);
                for n in 0..per_buyer {
                    let sku = format!("LOAD-{}", (b * 7 + n) % SKUS);
                    let body = json!({"items":[{"sku": sku, "quantity": 1 + n % 3}]});
                    let mut attempts = 0;
                    let res = loop {
                        attempts += 1;
                        match client.post(format!("{addr}/api/v1/carts")).json(&body).send().await {
                            // A closed pooled connection; a retried create at worst leaves a spare cart.
                            Err(e) if attempts < 3 && (e.is_request() || e.is_connect()) => continue,
                            other => break other.unwrap(),
                        }
                    };
                    let cart: Value = res.json().await.unwrap();
                    carts.push(cart["id"].as_str().expect("cart id").to_owned());
                }
                carts
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.push(t.await.unwrap());
    }
    all
}
