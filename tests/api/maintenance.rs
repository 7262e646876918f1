//! Backup while the shop sells, restore, and verify, with the built binary.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use storefront::store::{Store, table_names};

use crate::checkout::address;
use crate::helpers::{Server, storefront, temp_path};

fn run(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    storefront().args(args).arg("--data-dir").arg(dir).output().unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_a_checkout_storm_restores_into_a_sound_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let catalog = temp_path(&dir, "catalog.jsonl");
    let lines: String = (0..4)
        .map(|i| format!("{{\"sku\":\"BK-{i}\",\"title\":\"Backup item {i}\",\"price_cents\":900,\"stock\":100000}}\n"))
        .collect();
    std::fs::write(&catalog, lines).unwrap();
    assert!(run(&["import", catalog.to_str().unwrap()], &data).status.success());
    let server = Server::start_unlimited(&data, &["--no-demo"]);

    let client = reqwest::Client::new();
    let stop = Arc::new(AtomicBool::new(false));
    let buyers: Vec<_> = (0..16)
        .map(|b| {
            let (client, addr, stop) = (client.clone(), server.addr.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut placed, mut slowest) = (0u64, Duration::ZERO);
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let cart: serde_json::Value = client
                        .post(format!("{addr}/api/v1/carts"))
                        .json(&json!({"items":[{"sku": format!("BK-{}", n % 4), "quantity": 1}]}))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    let started = Instant::now();
                    let res = client
                        .post(format!("{addr}/api/v1/checkout"))
                        .header("Idempotency-Key", format!("bk-{b}-{n}"))
                        .json(
                            &json!({"cart_id": cart["id"], "email":"b@example.com", "shipping_address": address(),
                            "shipping_method":"standard", "payment":{"method":"test","token":"tok_visa"}}),
                        )
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 201);
                    slowest = slowest.max(started.elapsed());
                    placed += 1;
                }
                (placed, slowest)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let backup_dir = temp_path(&dir, "backup");
    let out = tokio::task::spawn_blocking({
        let (data, backup_dir) = (data.clone(), backup_dir.clone());
        move || run(&["backup", backup_dir.to_str().unwrap()], &data)
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("by the running server"), "{}", text(&out));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let mut placed = 0;
    let mut slowest = Duration::ZERO;
    for b in buyers {
        let (p, s) = b.await.unwrap();
        placed += p;
        slowest = slowest.max(s);
    }
    eprintln!(
        "backup during the storm: {} | {placed} orders placed, slowest checkout {slowest:?}",
        text(&out).trim()
    );
    assert!(placed > 20);
    assert!(slowest < Duration::from_secs(1), "a checkout waited {slowest:?}");
    assert!(server.terminate());

    let restored = temp_path(&dir, "restored");
    let out = run(&["restore", backup_dir.to_str().unwrap()], &restored);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["restore", backup_dir.to_str().unwrap()], &restored);
    assert!(
        !out.status.success() && text(&out).contains("only into an empty data dir"),
        "{}",
        text(&out)
    );

    {
        let original = Store::open(&data, &Default::default()).unwrap();
        let copy = Store::open(&restored, &Default::default()).unwrap();
        assert_eq!(
            table_names(&copy).unwrap(),
            table_names(&original).unwrap(),
            "the backup has every table"
        );
        let orders = copy.read().unwrap().order_count().unwrap();
        assert!(orders > 0 && orders <= original.read().unwrap().order_count().unwrap());
    }
    // A restored store has no search index until its first start rebuilds it.
    let out = run(&["verify"], &restored);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("search index"), "{}", text(&out));
    let server = Server::start(&restored, &["--no-demo"]);
    assert!(server.terminate());
    let out = run(&["verify"], &restored);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("verdict:") && text(&out).contains("is sound"));
    let out = run(&["verify"], &data);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn verify_names_a_sku_whose_stock_disagrees_with_its_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let catalog = temp_path(&dir, "c.jsonl");
    std::fs::write(
        &catalog,
        "{\"sku\":\"V-1\",\"title\":\"Verify me\",\"price_cents\":100,\"stock\":5}\n",
    )
    .unwrap();
    assert!(run(&["import", catalog.to_str().unwrap()], &data).status.success());
    assert!(run(&["reindex"], &data).status.success());
    assert!(run(&["verify"], &data).status.success());
    {
        // Behind the inventory module's back: stock changes without a ledger entry.
        let store = Store::open(&data, &Default::default()).unwrap();
        store.write(|tx| tx.set_stock("V-1", 7)).unwrap();
    }
    let out = run(&["verify"], &data);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("V-1: stock is 7 but its ledger sums to 5"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_offline_backup_works_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let catalog = temp_path(&dir, "c.jsonl");
    std::fs::write(
        &catalog,
        "{\"sku\":\"O-1\",\"title\":\"Offline\",\"price_cents\":100,\"stock\":1}\n",
    )
    .unwrap();
    assert!(run(&["import", catalog.to_str().unwrap()], &data).status.success());
    let out = run(&["backup", temp_path(&dir, "b").to_str().unwrap()], &data);
    assert!(out.status.success() && text(&out).contains("offline"), "{}", text(&out));
    assert!(temp_path(&dir, "b").join("store.redb").is_file());
}
