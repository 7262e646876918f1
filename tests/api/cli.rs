//! The built binary: import, export, gen, serve, restart and refusal messages.

use std::process::Output;

use crate::helpers::{Server, storefront, temp_path};

fn run(args: &[&str]) -> Output {
    storefront().args(args).output().expect("storefront runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(path: &std::path::Path, contents: &str) {
    std::fs::write(path, contents).expect("write fixture");
}

const GOOD: &str = r#"{"sku":"A-1","title":"Alpha","price_cents":100,"stock":5}"#;

#[test]
fn import_keeps_good_lines_reports_each_bad_line_with_its_number_and_exits_nonzero() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_path(&dir, "catalog.jsonl");
    let lines = [
        GOOD,
        r#"{"sku":"B-1","title":"Bravo""#,
        r#"{"title":"No sku","price_cents":1}"#,
        r#"{"sku":"C-1","title":"Charlie","price_cents":-5}"#,
        "",
        r#"{"sku":"D-1","title":"Delta","price_cents":700,"fitments":[{"year_from":2009,"year_to":2003,"make":"Honda","model":"Civic"}]}"#,
        r#"{"sku":"E-1","title":"Echo","price_cents":250,"stock":-1}"#,
        r#"{"sku":"F-1","title":"Foxtrot","price_cents":"12.50"}"#,
        r#"{"sku":"G-1","title":"Golf","price_cents":999,"future_field":{"x":1}}"#,
    ];
    write(&file, &lines.join("\n"));
    let data = temp_path(&dir, "data");
    let out = run(&["--data-dir", data.to_str().unwrap(), "import", file.to_str().unwrap()]);

    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {} stderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("imported 2 products"),
        "{}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    for expected in [
        "line 2: malformed JSON",
        "line 3: missing sku",
        "line 4: price_cents is negative (-5)",
        "line 6: fitment 1: years run backwards: year_from 2009 is after year_to 2003",
        "line 7: stock is negative (-1)",
        "line 8: price_cents must be a whole number",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let export = run(&["--data-dir", data.to_str().unwrap(), "export"]);
    let exported = text(&export.stdout);
    assert!(exported.contains("\"sku\":\"A-1\"") && exported.contains("\"sku\":\"G-1\""));
    assert!(
        exported.contains("\"future_field\":{\"x\":1}"),
        "unknown fields survive: {exported}"
    );
}

#[test]
fn an_import_with_nothing_rejected_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_path(&dir, "ok.jsonl");
    write(&file, GOOD);
    let out = run(&[
        "--data-dir",
        temp_path(&dir, "data").to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn export_then_import_then_export_is_lossless() {
    let dir = tempfile::tempdir().unwrap();
    let generated = temp_path(&dir, "gen.jsonl");
    assert!(
        run(&[
            "gen",
            "--products",
            "300",
            "--seed",
            "5",
            "-o",
            generated.to_str().unwrap()
        ])
        .status
        .success()
    );
    let first_dir = temp_path(&dir, "first");
    assert!(
        run(&[
            "--data-dir",
            first_dir.to_str().unwrap(),
            "import",
            generated.to_str().unwrap()
        ])
        .status
        .success()
    );
    let first = run(&["--data-dir", first_dir.to_str().unwrap(), "export"]).stdout;

    let exported = temp_path(&dir, "export.jsonl");
    std::fs::write(&exported, &first).unwrap();
    let second_dir = temp_path(&dir, "second");
    assert!(
        run(&[
            "--data-dir",
            second_dir.to_str().unwrap(),
            "import",
            exported.to_str().unwrap()
        ])
        .status
        .success()
    );
    let second = run(&["--data-dir", second_dir.to_str().unwrap(), "export"]).stdout;

    assert_eq!(first.iter().filter(|b| **b == b'\n').count(), 300);
    assert_eq!(text(&first), text(&second));
}

#[test]
fn csv_import_carries_the_same_fields_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let csv = temp_path(&dir, "catalog.csv");
    write(
        &csv,
        "sku,title,brand,category,price_cents,stock,part_numbers,fitments,attr.position,option.size\n\
         BRK-9,Front Pads,StopTech,Brakes/Pads,4999,7,BP-9;45022-X,2006-2011|Honda|Civic|EX;2012|Acura|ILX,Front,\n\
         BAD-9,No price,,,,,,,,\n",
    );
    let data = temp_path(&dir, "data");
    let out = run(&["--data-dir", data.to_str().unwrap(), "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 3: missing price_cents"),
        "{}",
        text(&out.stderr)
    );
    let exported: serde_json::Value =
        serde_json::from_slice(&run(&["--data-dir", data.to_str().unwrap(), "export"]).stdout).unwrap();
    assert_eq!(exported["stock"], 7);
    assert_eq!(exported["part_numbers"], serde_json::json!(["BP-9", "45022-X"]));
    assert_eq!(exported["fitments"][0]["year_to"], 2011);
    assert_eq!(exported["fitments"][1]["make"], "Acura");
    assert_eq!(exported["attributes"]["position"], "Front");
}

#[test]
fn gen_is_deterministic_per_seed() {
    let a = run(&["gen", "--products", "50", "--seed", "9"]).stdout;
    let b = run(&["gen", "--products", "50", "--seed", "9"]).stdout;
    let c = run(&["gen", "--products", "50", "--seed", "10"]).stdout;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 50);
}

#[tokio::test]
async fn an_empty_data_dir_is_seeded_with_the_demo_catalog_and_a_restart_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let server = Server::start(&data, &[]);
    let total = |addr: String| async move {
        let body: serde_json::Value = reqwest::get(format!("{addr}/api/v1/products"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["total"].as_u64().unwrap()
    };
    let seeded = total(server.addr.clone()).await;
    assert!(seeded > 200, "demo catalog has a few hundred items, got {seeded}");
    assert!(server.terminate(), "SIGTERM ends the server cleanly");

    let file = temp_path(&dir, "more.jsonl");
    write(&file, GOOD);
    assert!(
        run(&["--data-dir", data.to_str().unwrap(), "import", file.to_str().unwrap()])
            .status
            .success()
    );

    let restarted = Server::start(&data, &[]);
    assert_eq!(
        total(restarted.addr.clone()).await,
        seeded + 1,
        "nothing lost, nothing seeded twice"
    );
}

#[tokio::test]
async fn no_demo_leaves_an_empty_store_empty() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&temp_path(&dir, "data"), &["--no-demo"]);
    let body: serde_json::Value = reqwest::get(format!("{}/api/v1/products", server.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["total"], 0);
}

#[test]
fn a_data_dir_held_by_a_running_server_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let _server = Server::start(&data, &["--no-demo"]);
    let out = run(&["--data-dir", data.to_str().unwrap(), "export"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("in use by another storefront process; stop it first"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_store_written_by_a_newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    {
        let store = storefront::store::Store::open(&data, &Default::default()).unwrap();
        storefront::store::force_schema_version(&store, storefront::store::SCHEMA_VERSION + 1).unwrap();
    }
    let out = run(&["--data-dir", data.to_str().unwrap(), "export"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("written by a newer storefront"), "{err}");
}

/// A data dir holding the `GOOD` catalog, imported with the built binary.
fn data_dir_with_good_catalog(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let data = temp_path(dir, "data");
    let catalog = temp_path(dir, "catalog.jsonl");
    write(&catalog, GOOD);
    let imported = run(&[
        "--data-dir",
        data.to_str().unwrap(),
        "import",
        catalog.to_str().unwrap(),
    ]);
    assert!(imported.status.success(), "{}", text(&imported.stderr));
    data
}

/// Opens a cart of `quantity` A-1 on a running server; returns its id.
async fn open_cart(addr: &str, quantity: u32) -> String {
    let cart: serde_json::Value = reqwest::Client::new()
        .post(format!("{addr}/api/v1/carts"))
        .json(&serde_json::json!({"items": [{"sku": "A-1", "quantity": quantity}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    cart["id"].as_str().unwrap().to_owned()
}

/// Checks a cart out by card with an Idempotency-Key; returns the status and the JSON answer.
/// The shopper's status URL of an order as checkout answered it (number and token).
fn order_status_url(addr: &str, placed: &serde_json::Value) -> String {
    format!(
        "{addr}/api/v1/orders/{}?token={}",
        placed["order_number"].as_str().unwrap(),
        placed["token"].as_str().unwrap()
    )
}

async fn check_out(addr: &str, cart: &str, key: &str) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .post(format!("{addr}/api/v1/checkout"))
        .header("Idempotency-Key", key)
        .json(&crate::checkout::checkout_body(cart, "tok_visa"))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn an_order_filed_under_another_orders_number_is_refused_as_corruption_never_shown() {
    use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
    use storefront::store::{STORE_FILE, Store, StoreError};
    const ORDERS: TableDefinition<u64, &[u8]> = TableDefinition::new("orders_by_sequence");

    let dir = tempfile::tempdir().unwrap();
    let data = data_dir_with_good_catalog(&dir);
    let server = Server::start_unlimited(&data, &["--no-demo"]);
    let mut placed = Vec::new();
    for key in ["swap-1", "swap-2"] {
        let cart = open_cart(&server.addr, 1).await;
        let (status, order) = check_out(&server.addr, &cart, key).await;
        assert_eq!(status, 201, "{order}");
        placed.push(order);
    }
    assert!(server.terminate());

    // Swap the two stored orders, as a store pieced together with a wrong numbering key would
    // leave them: each sequence now holds the other order.
    {
        let db = redb::Database::open(data.join(STORE_FILE)).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut table = tx.open_table(ORDERS).unwrap();
            let rows: Vec<(u64, Vec<u8>)> = table
                .iter()
                .unwrap()
                .map(|row| {
                    let (k, v) = row.unwrap();
                    (k.value(), v.value().to_vec())
                })
                .collect();
            assert_eq!(rows.len(), 2);
            table.insert(rows[0].0, rows[1].1.as_slice()).unwrap();
            table.insert(rows[1].0, rows[0].1.as_slice()).unwrap();
        }
        tx.commit().unwrap();
        assert_eq!(db.begin_read().unwrap().open_table(ORDERS).unwrap().len().unwrap(), 2);
    }

    let store = Store::open(&data, &Default::default()).unwrap();
    for order in &placed {
        let number = order["order_number"].as_str().unwrap();
        match store.read().unwrap().order(number) {
            Err(StoreError::Corrupt(message)) => assert!(message.contains("numbering key"), "{message}"),
            other => panic!("order {number} read as {other:?}"),
        }
    }
    drop(store);
    let server = Server::start_unlimited(&data, &["--no-demo"]);
    let first = &placed[0];
    let res = reqwest::get(order_status_url(&server.addr, first)).await.unwrap();
    let status = res.status().as_u16();
    let body = res.text().await.unwrap();
    assert!(status >= 500, "{status} {body}");
    assert!(!body.contains(placed[1]["order_number"].as_str().unwrap()), "{body}");
    assert!(server.terminate());
}

#[tokio::test]
async fn a_store_from_schema_version_1_is_upgraded_so_its_orders_are_found_and_listed_by_status_and_its_keys_replay_and_expire()
 {
    use storefront::orders::Status;
    use storefront::store::{SCHEMA_VERSION, Store};

    let dir = tempfile::tempdir().unwrap();
    let data = data_dir_with_good_catalog(&dir);
    let server = Server::start_unlimited(&data, &["--no-demo"]);
    let cart = open_cart(&server.addr, 2).await;
    let (status, old) = check_out(&server.addr, &cart, "upgrade-1").await;
    assert_eq!(status, 201);
    assert!(server.terminate());

    let paid = |store: &Store| {
        store
            .read()
            .unwrap()
            .orders_newest_first(Some(Status::Paid), 0, 10)
            .unwrap()
            .1
    };
    {
        let store = Store::open(&data, &Default::default()).unwrap();
        storefront::store::age_to_schema_version_1(&store).unwrap();
    }
    let store = Store::open(&data, &Default::default()).unwrap();
    assert_eq!(paid(&store), 1, "the upgrade filed the order under its status");
    let record = store.read().unwrap().idempotency("api:upgrade-1").unwrap();
    let number = record.expect("the upgrade kept the idempotency key").order;
    assert!(store.read().unwrap().order(&number).unwrap().is_some());
    let far_future = u64::MAX / 2;
    let swept = store
        .write(|tx| storefront::orders::sweep_idempotency(tx, far_future, 100))
        .unwrap();
    assert_eq!(swept, 1, "the upgrade filed the idempotency key by time, so it expires");
    drop(store);
    let store = Store::open(&data, &Default::default()).unwrap();
    assert_eq!(paid(&store), 1, "opening an upgraded store again changes nothing");
    drop(store);

    let server = Server::start_unlimited(&data, &["--no-demo"]);
    let cart = open_cart(&server.addr, 1).await;
    let (status, new) = check_out(&server.addr, &cart, "upgrade-2").await;
    assert_eq!(status, 201, "{new}");
    assert_ne!(new["order_number"], old["order_number"]);
    for placed in [&old, &new] {
        let res = reqwest::get(order_status_url(&server.addr, placed)).await.unwrap();
        assert_eq!(
            res.status(),
            200,
            "order {} is found by its number",
            placed["order_number"]
        );
    }
    assert!(server.terminate());
    let store = Store::open(&data, &Default::default()).unwrap();
    assert_eq!(paid(&store), 2);
    drop(store);
    let newer = Store::open(&data, &Default::default()).unwrap();
    storefront::store::force_schema_version(&newer, SCHEMA_VERSION - 1).unwrap();
    drop(newer);
    let out = run(&["--data-dir", data.to_str().unwrap(), "export"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn a_store_from_schema_version_3_loses_its_best_seller_table_and_shows_best_sellers_from_the_index() {
    use storefront::store::{Store, table_names};

    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let catalog = temp_path(&dir, "catalog.jsonl");
    let line = |sku: &str, popularity: u32| {
        format!(r#"{{"sku":"{sku}","title":"Sauce {sku}","price_cents":100,"stock":5,"popularity":{popularity}}}"#)
    };
    write(&catalog, &[line("S-1", 3), line("S-2", 90), line("S-3", 0)].join("\n"));
    let data_arg = data.to_str().unwrap();
    assert!(
        run(&["--data-dir", data_arg, "import", catalog.to_str().unwrap()])
            .status
            .success()
    );
    let before = run(&["--data-dir", data_arg, "export"]);
    {
        let store = Store::open(&data, &Default::default()).unwrap();
        storefront::store::age_to_schema_version_3(&store).unwrap();
        assert!(table_names(&store).unwrap().contains(&"popularity".to_owned()));
    }
    let store = Store::open(&data, &Default::default()).unwrap();
    let tables = table_names(&store).unwrap();
    assert!(!tables.contains(&"popularity".to_owned()), "{tables:?}");
    drop(store);
    let after = run(&["--data-dir", data_arg, "export"]);
    assert_eq!(text(&before.stdout), text(&after.stdout), "the catalog is as it was");

    let server = Server::start_unlimited(&data, &["--no-demo"]);
    let html = reqwest::get(format!("{}/", server.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(server.terminate());
    let best = &html[html.find("Best sellers").expect("a best sellers section")..];
    let (s2, s1) = (best.find("/p/S-2").unwrap(), best.find("/p/S-1").unwrap());
    assert!(s2 < s1, "most popular first");
    assert!(!best.contains("/p/S-3"), "popularity 0 is no best seller");
}

#[tokio::test]
async fn a_cart_that_became_an_order_stays_spent_after_a_restart_and_in_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir_with_good_catalog(&dir);
    let server = Server::start_unlimited(&data, &["--no-demo"]);
    let cart = open_cart(&server.addr, 1).await;
    assert_eq!(check_out(&server.addr, &cart, "spent-1").await.0, 201);
    assert!(server.terminate());

    let backup = temp_path(&dir, "backup");
    let backed_up = run(&["--data-dir", data.to_str().unwrap(), "backup", backup.to_str().unwrap()]);
    assert!(backed_up.status.success());
    let restored = temp_path(&dir, "restored");
    let restore = run(&[
        "--data-dir",
        restored.to_str().unwrap(),
        "restore",
        backup.to_str().unwrap(),
    ]);
    assert!(restore.status.success());
    for data in [&data, &restored] {
        let server = Server::start_unlimited(data, &["--no-demo"]);
        let (status, body) = check_out(&server.addr, &cart, "spent-2").await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("cart_not_found")),
            "{body}"
        );
        let (status, body) = check_out(&server.addr, &cart, "spent-1").await;
        assert_eq!(status, 201, "the first key still answers with its order: {body}");
        assert!(server.terminate());
    }
}

#[test]
fn a_data_dir_that_cannot_be_created_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = temp_path(&dir, "a-file");
    write(&file, "not a directory");
    let out = run(&["--data-dir", file.join("data").to_str().unwrap(), "export"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not writable"), "{}", text(&out.stderr));
}

#[tokio::test]
async fn demo_serves_a_throwaway_store_and_deletes_its_data_dir_on_exit() {
    use std::io::{BufRead, BufReader};
    let mut child = storefront()
        .args(["demo", "--products", "60", "--seed", "3"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("demo starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let mut url = None;
    let mut data_dir = None;
    for line in lines.by_ref().take(3) {
        if let Some(rest) = line.strip_prefix("demo store at ") {
            url = Some(rest.trim().to_owned());
        }
        if let Some(rest) = line.strip_prefix("data dir ") {
            data_dir = rest.split_whitespace().next().map(std::path::PathBuf::from);
        }
    }
    let (url, data_dir) = (
        url.expect("demo prints its URL"),
        data_dir.expect("demo prints its data dir"),
    );
    let body: serde_json::Value = reqwest::get(format!("{url}/api/v1/products"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["total"], 60);
    assert!(data_dir.exists());

    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    assert!(child.wait().unwrap().success());
    assert!(!data_dir.exists(), "the throwaway data dir is gone");
}

#[test]
fn import_reads_stdin_and_settings_come_from_flags_then_env_then_the_config_file() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let from_file = temp_path(&dir, "from-file");
    let from_env = temp_path(&dir, "from-env");
    let config = temp_path(&dir, "storefront.toml");
    write(&config, &format!("data_dir = {:?}\n", from_file.to_str().unwrap()));

    let mut child = storefront()
        .args(["--config", config.to_str().unwrap(), "import", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(GOOD.as_bytes()).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    assert!(
        from_file.join("store.redb").exists(),
        "the config file chose the data dir"
    );

    let out = storefront()
        .env("STOREFRONT_DATA_DIR", &from_env)
        .args(["--config", config.to_str().unwrap(), "export"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stdout.is_empty(),
        "the env var beat the config file: a new, empty store"
    );
    assert!(from_env.join("store.redb").exists());

    let out = storefront()
        .env("STOREFRONT_DATA_DIR", &from_env)
        .args([
            "--config",
            config.to_str().unwrap(),
            "--data-dir",
            from_file.to_str().unwrap(),
            "export",
        ])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("\"sku\":\"A-1\""),
        "the flag beat the env var"
    );
}

#[test]
fn a_config_file_with_a_typo_is_refused_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = temp_path(&dir, "bad.toml");
    write(&config, "bnid = \"0.0.0.0:80\"\n");
    let out = run(&["--config", config.to_str().unwrap(), "export"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("bnid"), "{}", text(&out.stderr));
}

#[test]
fn version_and_help_describe_the_binary() {
    let out = run(&["--version"]);
    assert!(text(&out.stdout).starts_with("storefront "));
    let help = text(&run(&["--help"]).stdout);
    for command in ["serve", "demo", "import", "export", "gen"] {
        assert!(help.contains(command), "{command} in --help");
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly_with_its_own_status() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir_with_good_catalog(&dir);
    for args in [
        vec!["config", "--example"],
        vec!["--data-dir", data.to_str().unwrap(), "verify"],
    ] {
        // `storefront … | head -0`: the reading end is closed before anything is written.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = storefront().args(&args).stdout(writer).output().unwrap();
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
        let read_to_the_end = run(&args);
        assert_eq!(out.status.code(), read_to_the_end.status.code(), "{args:?}");
    }
}

#[tokio::test]
async fn the_search_index_is_rebuilt_from_the_store_when_missing_damaged_or_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    let catalog = temp_path(&dir, "gen.jsonl");
    assert!(
        run(&[
            "gen",
            "--products",
            "80",
            "--seed",
            "4",
            "-o",
            catalog.to_str().unwrap()
        ])
        .status
        .success()
    );
    assert!(
        run(&[
            "--data-dir",
            data.to_str().unwrap(),
            "import",
            catalog.to_str().unwrap()
        ])
        .status
        .success()
    );
    let total = |addr: String| async move {
        let body: serde_json::Value = reqwest::get(format!("{addr}/api/v1/search"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["total"].as_u64().unwrap()
    };

    let server = Server::start(&data, &["--no-demo"]);
    assert_eq!(total(server.addr.clone()).await, 80, "a fresh index is built at start");
    assert!(server.terminate());

    std::fs::write(data.join("index").join("meta.json"), b"{ not json").unwrap();
    let server = Server::start(&data, &["--no-demo"]);
    assert_eq!(
        total(server.addr.clone()).await,
        80,
        "a damaged index is set aside and rebuilt"
    );
    assert!(server.terminate());

    let more = temp_path(&dir, "more.jsonl");
    write(&more, GOOD);
    assert!(
        run(&["--data-dir", data.to_str().unwrap(), "import", more.to_str().unwrap()])
            .status
            .success()
    );
    let server = Server::start(&data, &["--no-demo"]);
    assert_eq!(
        total(server.addr.clone()).await,
        81,
        "an index behind the store catches up at start"
    );
    assert!(server.terminate());

    // A document lost while the recorded catalog version still matches (as after a commit that
    // half failed): the count tells, and the index is rebuilt.
    lose_one_document_keeping_the_version(&data.join("index"));
    let server = Server::start(&data, &["--no-demo"]);
    assert_eq!(
        total(server.addr.clone()).await,
        81,
        "an index missing a document is rebuilt, though its version matches"
    );
    assert!(server.terminate());

    std::fs::remove_dir_all(data.join("index")).unwrap();
    let out = run(&["--data-dir", data.to_str().unwrap(), "reindex"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("indexed 81 products"),
        "{}",
        text(&out.stdout)
    );
}

/// Deletes one product's document from a stopped store's index, committing with the payload it
/// had, so the index still claims the store's catalog version.
fn lose_one_document_keeping_the_version(dir: &std::path::Path) {
    use tantivy::schema::Value;
    let index = tantivy::Index::open_in_dir(dir).unwrap();
    let payload = index.load_metas().unwrap().payload.unwrap();
    let sku = index.schema().get_field("sku").unwrap();
    let searcher = index.reader().unwrap().searcher();
    let doc: tantivy::TantivyDocument = searcher.doc(tantivy::DocAddress::new(0, 0)).unwrap();
    let victim = doc.get_first(sku).and_then(|v| v.as_str()).unwrap().to_owned();
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
    writer.delete_term(tantivy::Term::from_field_text(sku, &victim));
    let mut commit = writer.prepare_commit().unwrap();
    commit.set_payload(&payload);
    commit.commit().unwrap();
    writer.wait_merging_threads().unwrap();
}

#[test]
fn health_exits_zero_for_a_ready_store_and_nonzero_for_none() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &["--no-demo"]);
    let ready = run(&["health", "--url", &server.addr]);
    assert!(ready.status.success(), "{}", text(&ready.stdout));
    assert!(text(&ready.stdout).contains("ready"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let none = run(&["health", "--url", &format!("http://127.0.0.1:{port}")]);
    assert!(!none.status.success(), "nothing listens there");
    assert!(server.terminate());
}

#[test]
fn the_access_log_is_off_by_default_and_when_on_writes_json_lines_with_secrets_masked() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("storefront.toml");
    write(
        &config,
        "[log]\naccess = true\nformat = \"json\"\n[limits]\nenabled = false\n",
    );
    let mut child = storefront()
        .args(["--config", config.to_str().unwrap(), "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["serve", "--no-demo", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || BufReader::new(stderr).lines().map_while(Result::ok).collect::<Vec<_>>());
    let res = reqwest::blocking::Client::new()
        .get(format!("{addr}/orders/1001?token=s3cret-order-token"))
        .header("User-Agent", "access-log-test")
        .send()
        .unwrap();
    assert_eq!(res.status(), 404);
    // SAFETY: kill(2) with a valid signal on our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap();
    let logs = logs.join().unwrap();
    let access: Vec<serde_json::Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["target"] == "storefront::access")
        .collect();
    let line = access
        .iter()
        .find(|v| v["user_agent"] == "access-log-test")
        .unwrap_or_else(|| panic!("no access line in {logs:?}"));
    assert_eq!(line["path"], "/orders/1001?token=***", "{line}");
    assert_eq!(line["status"], 404, "{line}");
    assert!(
        line["duration_ms"].is_number() && line["client"] == "127.0.0.1",
        "{line}"
    );
    assert!(
        !logs.iter().any(|l| l.contains("s3cret-order-token")),
        "the token is in no log line"
    );

    let quiet = run(&["--data-dir", dir.path().join("other").to_str().unwrap(), "config"]);
    assert!(text(&quiet.stdout).contains("access: false"), "off by default");
}

#[test]
fn rehearse_runs_shoppers_against_a_copy_of_a_running_store_and_never_touches_the_live_shop() {
    let dir = tempfile::tempdir().unwrap();
    let (data, catalog, report) = (
        dir.path().join("data"),
        dir.path().join("c.jsonl"),
        dir.path().join("report"),
    );
    let generated = run(&[
        "gen",
        "--products",
        "150",
        "--seed",
        "4",
        "-o",
        catalog.to_str().unwrap(),
    ]);
    assert!(generated.status.success());
    let import = run(&[
        "--data-dir",
        data.to_str().unwrap(),
        "import",
        catalog.to_str().unwrap(),
    ]);
    assert!(import.status.success(), "{}", text(&import.stderr));
    let live = Server::start_unlimited(&data, &["--no-demo"]);
    let orders_live = || {
        let metrics = reqwest::blocking::get(format!("{}/metrics", live.addr))
            .unwrap()
            .text()
            .unwrap();
        metrics
            .lines()
            .filter(|l| l.starts_with("storefront_checkouts_total") && l.contains("outcome=\"placed\""))
            .count()
    };
    let rehearsal = run(&[
        "--data-dir",
        data.to_str().unwrap(),
        "rehearse",
        "--profile",
        "flash-sale",
        "--duration",
        "3s",
        "--users",
        "8",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(
        rehearsal.status.success(),
        "{}\n{}",
        text(&rehearsal.stdout),
        text(&rehearsal.stderr)
    );
    assert!(text(&rehearsal.stderr).contains("req/s"), "live progress each second");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap()).unwrap();
    assert!(r["orders"].as_u64().unwrap() > 0, "{r}");
    assert_eq!(
        (r["failed"].as_u64(), r["oversold"].as_bool()),
        (Some(0), Some(false)),
        "{r}"
    );
    let stock = r["stock"].as_array().unwrap();
    assert!(!stock.is_empty());
    for c in stock {
        assert_eq!(
            c["after"].as_u64().unwrap() + c["sold"].as_u64().unwrap(),
            c["before"].as_u64().unwrap(),
            "{c}"
        );
    }
    let sale = &r["flash_sale"];
    assert!(
        sale["units_sold"].as_u64().unwrap() <= sale["items"][0]["quantity"].as_u64().unwrap(),
        "{sale}"
    );
    assert!(r["steps"]["checkout"]["requests"].as_u64().unwrap() > 0, "{r}");
    assert!(!r["findings"].as_array().unwrap().is_empty());
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && html.contains("What saturated first"),
        "the report draws its chart"
    );
    assert_eq!(orders_live(), 0, "the live shop took no rehearsal order");
    assert!(live.terminate());
}
