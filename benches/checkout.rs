//! Checkout load benchmark: this process is the client, the built `storefront` binary the server,
//! over loopback. Carts are created first; then only `POST /api/v1/checkout` is timed.
//!
//! Five runs against fresh data dirs in one go, so their ratios are comparable on a noisy box:
//!   1. group commit, 256 concurrent buyers (each order writes its event job, and the job
//!      workers fan it out and keep its mails in the outbox while the storm goes on)
//!   2. the same with `[jobs] record_events = false`: no event jobs, no mail (as before jobs)
//!   3. the same as 1 with redb's quick repair forced on (`store.quick_repair = true`; unset, it
//!      is off below 1 GB, as here)
//!   4. one commit per order (`group_commit = false`), 256 concurrent buyers
//!   5. group commit, a single buyer (latency)
//!
//! `cargo bench --bench checkout` (set CHECKOUT_SECS, default 6, for the length of each run, and
//! CHECKOUT_ROWS=1,4 to run only some of them). To compare with another build side by side,
//! `CHECKOUT_BASELINE=/path/to/old/storefront CHECKOUT_ROUNDS=3`: each row then runs the
//! baseline and this build in turn, round after round, so both meet the same noise.

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
    // CHECKOUT_ROWS=1,3 runs only those rows (numbered from 1).
    let rows: Option<Vec<usize>> = std::env::var("CHECKOUT_ROWS")
        .ok()
        .map(|r| r.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    let rounds: usize = std::env::var("CHECKOUT_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut builds: Vec<(&str, &'static str)> = Vec::new();
    if let Ok(baseline) = std::env::var("CHECKOUT_BASELINE") {
        builds.push(("baseline", Box::leak(baseline.into_boxed_str())));
    }
    builds.push(("this build", env!("CARGO_BIN_EXE_storefront")));
    for (row, (label, group_commit, quick_repair, events, buyers)) in [
        ("group commit, 256 buyers", true, None, true, 256),
        (
            "group commit, 256 buyers, no event jobs (no mail)",
            true,
            None,
            false,
            256,
        ),
        ("group commit, 256 buyers, quick repair on", true, Some(true), true, 256),
        ("one commit per order, 256 buyers", false, None, true, 256),
        ("group commit, 1 buyer", true, None, true, 1),
    ]
    .into_iter()
    .enumerate()
    {
        if rows.as_ref().is_some_and(|r| !r.contains(&(row + 1))) {
            continue;
        }
        for round in 1..=rounds {
            for &(build, bin) in &builds {
                let setup = Setup {
                    group_commit,
                    quick_repair,
                    events,
                    bin,
                };
                let report = runtime.block_on(run(setup, buyers, Duration::from_secs(secs)));
                println!("\n== {label} ({build}, round {round})\n{report}");
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Setup {
    group_commit: bool,
    /// redb's quick repair: a second fsync and the allocator state saved at every commit, in
    /// exchange for opening in milliseconds after a crash. `None` leaves the server's default.
    quick_repair: Option<bool>,
    /// `[jobs] record_events`: off, an order writes no event job (and sends no mail).
    events: bool,
    /// The server binary.
    bin: &'static str,
}

struct Server {
    child: Child,
    addr: String,
    log: std::thread::JoinHandle<Vec<String>>,
}

fn start_server(dir: &Path, setup: Setup) -> Server {
    let data = dir.join("data");
    let catalog = dir.join("catalog.jsonl");
    let lines: String = (0..SKUS)
        .map(|i| {
            format!("{{\"sku\":\"LOAD-{i}\",\"title\":\"Load item {i}\",\"price_cents\":1999,\"stock\":100000000}}\n")
        })
        .collect();
    std::fs::write(&catalog, lines).unwrap();
    let status = Command::new(setup.bin)
        .args(["import", "--data-dir"])
        .arg(&data)
        .arg(&catalog)
        .env("STOREFRONT_LOG", "warn")
        .status()
        .unwrap();
    assert!(status.success());
    let config = dir.join("storefront.toml");
    let Setup {
        group_commit,
        quick_repair,
        events,
        ..
    } = setup;
    std::fs::write(
        &config,
        format!(
            "[checkout]\ngroup_commit = {group_commit}\n\n[jobs]\nrecord_events = {events}\n\n\
             # The buyers pay with the test card.\n[payments]\ntest_cards = true\n\n[store]\n{}\n\
             # One client address sends everything here.\n[limits]\nenabled = false\n",
            quick_repair.map_or(String::new(), |on| format!("quick_repair = {on}\n"))
        ),
    )
    .unwrap();
    let mut child = Command::new(setup.bin)
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

async fn run(setup: Setup, buyers: usize, length: Duration) -> String {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), setup);
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
    let before = commit_totals(&client, &server.addr).await;
    let written_before = bytes_written(server.child.id());
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
    let during = commit_totals(&client, &server.addr).await.since(before);
    let written = bytes_written(server.child.id()).saturating_sub(written_before);
    let writer = server.stop();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
    let ok = ok.load(Ordering::Relaxed);
    assert!(
        ok > 0,
        "no checkout was placed (every answer was an error): the bench measures nothing"
    );
    format!(
        "orders placed: {ok} in {elapsed:.1} s = {:.0} orders/s (not 201: {}, retried after a closed connection: {})\nlatency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}\ncommits while timed: {during}, writer busy {:.0} % of the time, {:.1} KB written to disk per order\ncarts created beforehand: {} in {create_secs:.1} s\nwriter, whole run: {writer}",
        ok as f64 / elapsed,
        failed.load(Ordering::Relaxed),
        retried.load(Ordering::Relaxed),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0),
        during.seconds * 100.0 / elapsed,
        written as f64 / 1024.0 / ok.max(1) as f64,
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

/// The writer's commit counters from `/metrics`, so the timed checkouts can be told apart from
/// the cart creation before them.
#[derive(Clone, Copy, Default)]
struct CommitTotals {
    commits: f64,
    jobs: f64,
    seconds: f64,
    /// Placed checkouts timed inside the server (request parsed to order committed).
    placed: f64,
    placed_seconds: f64,
    placed_within_50ms: f64,
}

impl CommitTotals {
    fn since(self, before: CommitTotals) -> CommitTotals {
        CommitTotals {
            commits: self.commits - before.commits,
            jobs: self.jobs - before.jobs,
            seconds: self.seconds - before.seconds,
            placed: self.placed - before.placed,
            placed_seconds: self.placed_seconds - before.placed_seconds,
            placed_within_50ms: self.placed_within_50ms - before.placed_within_50ms,
        }
    }
}

impl std::fmt::Display for CommitTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} commits, mean batch {:.1} jobs, mean apply + commit {:.2} ms; inside the server a checkout took {:.1} ms on average, {:.2} % within 50 ms",
            self.commits,
            self.jobs / self.commits.max(1.0),
            self.seconds * 1000.0 / self.commits.max(1.0),
            self.placed_seconds * 1000.0 / self.placed.max(1.0),
            self.placed_within_50ms * 100.0 / self.placed.max(1.0),
        )
    }
}

async fn commit_totals(client: &reqwest::Client, addr: &str) -> CommitTotals {
    let text = client
        .get(format!("{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    CommitTotals {
        commits: value("storefront_store_commit_batch_size_count"),
        jobs: value("storefront_store_commit_batch_size_sum"),
        seconds: value("storefront_store_commit_duration_seconds_sum"),
        placed: value("storefront_checkout_duration_seconds_count"),
        placed_seconds: value("storefront_checkout_duration_seconds_sum"),
        placed_within_50ms: value("storefront_checkout_duration_seconds_bucket{le=\"0.05\"}"),
    }
}

/// Bytes the server process has caused to be sent to storage (Linux `/proc/PID/io`), 0 elsewhere.
fn bytes_written(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("write_bytes:")?.trim().parse().ok())
        })
        .unwrap_or(0)
}
