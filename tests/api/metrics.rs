//! `/metrics`: Prometheus text that promtool accepts, with the figures a merchant watches in a
//! spike (checkouts by outcome, group-commit batch sizes, request latency by route).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::checkout::{SHOP, checkout, checkout_body, new_cart};
use crate::helpers::spawn_app_with_catalog;

#[tokio::test]
async fn metrics_count_checkouts_commits_and_requests_and_pass_promtool() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let cart = new_cart(&app, json!([{"sku":"LIMITED","quantity":10}])).await;
    let (status, _, _) = checkout(&app, "metrics-1", &checkout_body(&cart, "tok_visa")).await;
    assert_eq!(status, 201);
    let cart = new_cart(&app, json!([{"sku":"SAUCE-5","quantity":1}])).await;
    let (status, _, _) = checkout(&app, "metrics-2", &checkout_body(&cart, "tok_declined")).await;
    assert_eq!(status, 402);
    app.get("/api/v1/search?q=zzzzqqq").await;

    // The search index commits the sell-out within a moment; wait for it to be measured.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let text = loop {
        let res = app.get("/metrics").await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        let text = res.text().await.unwrap();
        if text.contains("storefront_search_index_lag_seconds_count") || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    for expected in [
        "storefront_checkouts_total{outcome=\"placed\"}",
        "storefront_checkouts_total{outcome=\"payment_declined\"}",
        "storefront_stockouts_total",
        "storefront_carts_created_total",
        "storefront_store_commit_batch_size_bucket{le=\"1\"}",
        "storefront_store_commit_duration_seconds_count",
        "storefront_search_zero_results_total",
        "storefront_search_index_lag_seconds_count",
        "route=\"/api/v1/checkout\"",
        // The gauges are the process's; other tests' stores set them too, so only their presence
        // is certain here (the store's own mirror tests check the counts).
        "storefront_store_mirror_entries{mirror=\"idempotency_keys\"}",
        "storefront_store_mirror_entries{mirror=\"used_carts\"}",
        "# HELP storefront_checkouts_total",
        // What the shipped alert rules and a dashboard read (deploy/prometheus).
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "storefront_build_info{version=\"",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(
        !text.contains("route=\"/api/v1/search?"),
        "routes are patterns, never raw URLs"
    );

    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect(
            "promtool is missing: install Debian's prometheus package (`apt-get install prometheus`), as .ci/run does",
        );
    promtool.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = promtool.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn metrics_are_refused_to_remote_clients_without_the_token() {
    let app = crate::helpers::spawn_configured(|c| c.http.metrics_token = Some("s3cret".into()), |_| {}).await;
    assert_eq!(app.get("/metrics").await.status(), 403);
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Every metric the shipped dashboard and alert rules read is one the store serves: a renamed
/// metric would leave a panel blank or an alert silent.
#[test]
fn the_dashboard_and_the_alert_rules_read_only_metrics_the_store_serves() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(root.join("src/telemetry/metrics.rs")).unwrap();
    let declared: std::collections::HashSet<String> = source
        .split('"')
        .filter(|s| s.starts_with("storefront_") && s.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(String::from)
        .collect();
    // metrics-process's names (the Prometheus client convention) and Prometheus's own `up`.
    let others = [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "up",
    ];
    let read = |file: &str| std::fs::read_to_string(root.join(file)).unwrap();
    let mut checked = 0;
    for file in ["deploy/grafana/storefront.json", "deploy/prometheus/alerts.yml"] {
        let text = read(file);
        let names: std::collections::BTreeSet<String> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("storefront_") || w.starts_with("process_"))
            .map(|w| {
                w.trim_end_matches("_bucket")
                    .trim_end_matches("_count")
                    .trim_end_matches("_sum")
                    .to_owned()
            })
            .collect();
        for name in names {
            assert!(
                declared.contains(&name) || others.contains(&name.as_str()),
                "{file} reads {name}, which the store does not serve"
            );
            checked += 1;
        }
    }
    assert!(checked > 15, "the files name the metrics they read");
}
