//! SIGKILL during a storm of concurrent checkouts, with the built binary: after a restart every
//! order that was answered 201 is there, retrying the unanswered ones resolves each exactly once,
//! for every SKU the stock plus the units sold equals the starting stock, and every order's
//! confirmation reaches the (real) SMTP server as one mail.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use storefront::store::Store;

use crate::checkout::address;
use crate::helpers::{Server, eventually, storefront, temp_path};
use crate::peers::{SmtpSink, free_port};

const SKUS: usize = 8;
const UNITS: u64 = 400;
const BUYERS: usize = 48;

static RESOLVED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[derive(Clone, Debug)]
struct Attempt {
    key: String,
    body: Value,
    sku: String,
    quantity: u64,
}

#[derive(Default)]
struct Ledger {
    /// Idempotency key -> (order number, sku, quantity) for every 201.
    acked: HashMap<String, (String, String, u64)>,
    /// Checkouts sent whose answer never came (the server died) or was a 5xx.
    unknown: Vec<Attempt>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_a_checkout_storm_loses_no_acknowledged_order_and_no_unit_of_stock() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let catalog = temp_path(&dir, "catalog.jsonl");
    let lines: String = (0..SKUS)
        .map(|i| {
            format!(
                "{{\"sku\":\"CRASH-{i}\",\"title\":\"Crash test item {i}\",\"price_cents\":500,\"stock\":{UNITS}}}\n"
            )
        })
        .collect();
    std::fs::write(&catalog, lines).unwrap();
    let out = storefront()
        .args(["import", "--data-dir"])
        .arg(&data)
        .arg(&catalog)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let sink = SmtpSink::start(free_port(), &temp_path(&dir, "mails.jsonl"));
    let mail_config = format!(
        "[mail]\nsmtp_url = \"{}\"\n[jobs]\nfirst_retry_seconds = 1\nmax_backoff_seconds = 2\n",
        sink.url()
    );
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for round in 0..3u64 {
        let server = Server::start_unlimited_with(&data, &mail_config, &["--no-demo"]);
        resolve_unknowns(&client, &server.addr, &ledger).await;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let buyers: Vec<_> = (0..BUYERS)
            .map(|b| {
                let (client, addr, ledger, stop) = (client.clone(), server.addr.clone(), ledger.clone(), stop.clone());
                tokio::spawn(async move { buy_until_stopped(&client, &addr, &ledger, &stop, round, b).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(600 + 300 * round)).await;
        drop(server); // SIGKILL: `Server`'s drop kills the process without warning.
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for buyer in buyers {
            buyer.await.unwrap();
        }
    }
    let server = Server::start_unlimited_with(&data, &mail_config, &["--no-demo"]);
    resolve_unknowns(&client, &server.addr, &ledger).await;
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    let acked: HashSet<String> = ledger.acked.values().map(|(number, _, _)| number.clone()).collect();
    let confirmed = |mails: &[Value]| -> HashSet<String> {
        mails
            .iter()
            .filter_map(|m| order_in(m["subject"].as_str()?, &acked))
            .collect()
    };
    let all_there = eventually(Duration::from_secs(60), || async {
        confirmed(&sink.mails()).len() == acked.len()
    })
    .await;
    let mails = sink.mails();
    assert!(
        all_there,
        "{} of {} orders have their confirmation",
        confirmed(&mails).len(),
        acked.len()
    );
    assert_every_order_has_one_confirmation(&mails, &acked);
    eprintln!(
        "crash test: {} orders acknowledged over 3 kills, {} unanswered checkouts resolved by retry",
        ledger.acked.len(),
        RESOLVED.load(std::sync::atomic::Ordering::SeqCst)
    );
    assert!(ledger.unknown.is_empty(), "every unanswered checkout resolves on retry");
    assert!(
        ledger.acked.len() > 50,
        "the storm placed only {} orders",
        ledger.acked.len()
    );
    assert!(server.terminate(), "the server stops cleanly");

    let store = Store::open(&data, &Default::default()).unwrap();
    let read = store.read().unwrap();
    let mut sold: HashMap<String, u64> = HashMap::new();
    let mut numbers = std::collections::HashSet::new();
    read.for_each_order(|order| {
        numbers.insert(order.number.clone());
        for line in &order.lines {
            *sold.entry(line.sku.to_string()).or_default() += u64::from(line.quantity);
        }
        true
    })
    .unwrap();
    for (key, (number, sku, quantity)) in &ledger.acked {
        let order = read
            .order(number)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged order {number} ({key}) is missing"));
        assert_eq!(
            (order.lines[0].sku.as_str(), u64::from(order.lines[0].quantity)),
            (sku.as_str(), *quantity)
        );
    }
    assert_eq!(
        numbers.len(),
        ledger.acked.len(),
        "no order exists that nobody was told about"
    );
    for i in 0..SKUS {
        let sku = format!("CRASH-{i}");
        let left = read.stock(&sku).unwrap();
        assert_eq!(
            left + sold.get(&sku).copied().unwrap_or(0),
            UNITS,
            "{sku}: stock + sold = start"
        );
        let ledger_sum: i64 = read.ledger(&sku).unwrap().iter().map(|e| e.delta).sum();
        assert_eq!(ledger_sum, left as i64, "{sku}: the ledger sums to the stock");
    }
}

/// The order number a confirmation's subject names.
fn order_in(subject: &str, numbers: &HashSet<String>) -> Option<String> {
    numbers.iter().find(|n| subject.contains(n.as_str())).cloned()
}

/// One confirmation per order, by Message-ID: a job cut short by the kill after the SMTP server
/// took its mail but before the store recorded it sends again with the same Message-ID, which
/// mail servers and clients collapse; two different mails for one order would be a bug.
fn assert_every_order_has_one_confirmation(mails: &[Value], acked: &HashSet<String>) {
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for mail in mails {
        let subject = mail["subject"].as_str().unwrap();
        let number = order_in(subject, acked).unwrap_or_else(|| panic!("a mail for no acknowledged order: {subject}"));
        ids.entry(number)
            .or_default()
            .insert(mail["message_id"].as_str().unwrap().to_owned());
    }
    let repeats = mails.len() - ids.len();
    eprintln!(
        "crash test: {} confirmations for {} orders ({repeats} resent after a kill with the same Message-ID)",
        mails.len(),
        acked.len()
    );
    for (number, ids) in &ids {
        assert_eq!(ids.len(), 1, "order {number} got different mails: {ids:?}");
    }
    assert!(
        repeats <= 3 * 16,
        "at most the jobs in flight at each of the three kills are resent ({repeats})"
    );
}

async fn buy_until_stopped(
    client: &reqwest::Client,
    addr: &str,
    ledger: &Mutex<Ledger>,
    stop: &std::sync::atomic::AtomicBool,
    round: u64,
    buyer: usize,
) {
    let mut n = 0u64;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        n += 1;
        let sku = format!("CRASH-{}", (buyer + n as usize) % SKUS);
        let quantity = 1 + (n % 3);
        let Ok(res) = client
            .post(format!("{addr}/api/v1/carts"))
            .json(&json!({"items":[{"sku": sku, "quantity": quantity}]}))
            .send()
            .await
        else {
            return;
        };
        if res.status() != 201 {
            continue; // sold out, or the server is going down
        }
        let Ok(cart) = res.json::<Value>().await else { return };
        let attempt = Attempt {
            key: format!("crash-{round}-{buyer}-{n}"),
            body: json!({
                "cart_id": cart["id"],
                "email": "crash@example.com",
                "shipping_address": address(),
                "shipping_method": "standard",
                "payment": {"method": "test", "token": "tok_visa"},
            }),
            sku,
            quantity,
        };
        record(ledger, &attempt, send(client, addr, &attempt).await);
    }
}

/// `Some(order number)` on 201, `None` for a definite refusal, `Err` when the outcome is unknown.
async fn send(client: &reqwest::Client, addr: &str, a: &Attempt) -> Result<Option<String>, ()> {
    let res = client
        .post(format!("{addr}/api/v1/checkout"))
        .header("Idempotency-Key", &a.key)
        .json(&a.body)
        .send()
        .await
        .map_err(drop)?;
    let status = res.status().as_u16();
    let body: Value = res.json().await.map_err(drop)?;
    match status {
        201 => Ok(Some(body["order_number"].as_str().unwrap().to_owned())),
        s if s >= 500 => Err(()),
        _ => Ok(None),
    }
}

fn record(ledger: &Mutex<Ledger>, a: &Attempt, outcome: Result<Option<String>, ()>) {
    let mut ledger = ledger.lock().unwrap();
    match outcome {
        Ok(Some(number)) => {
            let previous = ledger
                .acked
                .insert(a.key.clone(), (number.clone(), a.sku.clone(), a.quantity));
            assert!(previous.is_none_or(|p| p.0 == number), "key {} got two orders", a.key);
        }
        Ok(None) => {}
        Err(()) => ledger.unknown.push(a.clone()),
    }
}

/// Retries every checkout whose answer was lost, with its own key: the store either has the
/// order (replayed) or never saw it (placed now, or refused).
async fn resolve_unknowns(client: &reqwest::Client, addr: &str, ledger: &Mutex<Ledger>) {
    let unknown = std::mem::take(&mut ledger.lock().unwrap().unknown);
    RESOLVED.fetch_add(unknown.len(), std::sync::atomic::Ordering::SeqCst);
    for attempt in unknown {
        let outcome = send(client, addr, &attempt).await;
        assert!(
            outcome.is_ok(),
            "retrying {} on a healthy server gives an answer",
            attempt.key
        );
        record(ledger, &attempt, outcome);
    }
}
