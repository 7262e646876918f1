//! Nothing dies silently, with the built binary: a log that cannot be written (a closed pipe, a
//! full disk under the log file) costs no request and no thread; a failed search index commit
//! heals by itself; `/readyz` says when a part is not working and recovers with it.
//!
//! The disk-full tests mount small tmpfs file systems, which needs root (CAP_SYS_ADMIN), as
//! `.ci/run` has; without it they fail and say so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Server, eventually, storefront, temp_path};

const PRODUCT: &str = r#"{"sku":"SUP-1","title":"Supervised sauce","price_cents":500,"stock":50}"#;

/// A tmpfs of `megabytes` mounted at `at`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, megabytes: u64) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0700"), "tmpfs"])
            .arg(at)
            .output()
            .expect("mount(8) runs (util-linux)");
        assert!(
            out.status.success(),
            "mounting a {megabytes} MB tmpfs at {} failed: {}. These tests fill a disk on purpose and \
             need root (CAP_SYS_ADMIN) to mount a small one; run them as root, as .ci/run does.",
            at.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs(at.to_owned())
    }

    /// Writes a file until the file system has no space left; returns its path.
    fn fill(&self) -> PathBuf {
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![7u8; 64 << 10];
        while std::io::Write::write_all(&mut file, &block).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn status_of(req: reqwest::RequestBuilder) -> u16 {
    match req.send().await {
        Ok(res) => res.status().as_u16(),
        Err(e) => panic!("the request got no answer (a dropped connection): {e}"),
    }
}

async fn new_cart(client: &reqwest::Client, addr: &str) -> u16 {
    status_of(
        client
            .post(format!("{addr}/api/v1/carts"))
            .json(&json!({"items": [{"sku": "SUP-1", "quantity": 1}]})),
    )
    .await
}

async fn readyz(client: &reqwest::Client, addr: &str) -> (u16, Value) {
    let res = client.get(format!("{addr}/readyz")).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

fn import(data: &Path, config: Option<&Path>, lines: &str) {
    let file = data.with_extension("jsonl");
    std::fs::write(&file, lines).unwrap();
    let mut cmd = storefront();
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    let out = cmd
        .args(["import", "--data-dir"])
        .arg(data)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Starts `serve` with stderr going to `stderr` and the log at `info`; returns it and its address.
fn serve_with_stderr(data: &Path, config: &Path, stderr: Stdio) -> Server {
    use std::io::{BufRead, BufReader};
    let mut child = storefront()
        .env("STOREFRONT_LOG", "info")
        .arg("--data-dir")
        .arg(data)
        .arg("--config")
        .arg(config)
        .args(["--bind", "127.0.0.1:0", "--no-demo", "serve"])
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("server starts");
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).expect("server prints its address");
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let addr = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Server { child, addr }
}

#[tokio::test]
async fn a_server_whose_log_reader_went_away_answers_every_request_and_keeps_writing() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    import(&data, None, &format!("{PRODUCT}\n"));
    // As `storefront serve 2>&1 | head -n 1`: the reader takes one line, then both pipes close.
    let mut child = storefront()
        .env("STOREFRONT_LOG", "debug")
        .arg("--data-dir")
        .arg(&data)
        .args(["--bind", "127.0.0.1:0", "--no-demo", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    drop(child.stderr.take());
    let addr = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let server = Server { child, addr };
    let client = client();
    for round in 0..20 {
        // A missing product logs a warning; a cart is a write through the store writer.
        let missing = status_of(client.get(format!("{}/api/v1/products/NOPE-{round}", server.addr))).await;
        assert_eq!(missing, 404);
        assert_eq!(new_cart(&client, &server.addr).await, 201, "round {round}");
    }
    assert_eq!(readyz(&client, &server.addr).await.0, 200);
}

#[tokio::test]
async fn a_server_logging_to_a_full_disk_answers_every_request_and_resumes_writing_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&temp_path(&dir, "disk"), 64);
    let data = disk.0.join("data");
    let config = temp_path(&dir, "small.toml");
    std::fs::write(&config, "[store]\nmin_free_disk_mb = 5\n[limits]\nenabled = false\n").unwrap();
    import(&data, Some(&config), &format!("{PRODUCT}\n"));
    // The log file shares the disk with the store, as with `serve > shop.log 2>&1`.
    let log = std::fs::File::create(disk.0.join("server.log")).unwrap();
    let server = serve_with_stderr(&data, &config, Stdio::from(log));
    let client = client();
    assert_eq!(new_cart(&client, &server.addr).await, 201);

    let filler = disk.fill();
    for _ in 0..30 {
        assert_eq!(
            new_cart(&client, &server.addr).await,
            503,
            "writes pause on a full disk"
        );
        let page = status_of(client.get(format!("{}/api/v1/products/SUP-1", server.addr))).await;
        assert_eq!(page, 200, "reads go on");
    }
    let (status, ready) = readyz(&client, &server.addr).await;
    assert_eq!(
        status, 200,
        "browsing still works, so the shop stays in rotation: {ready}"
    );
    assert!(ready["writes"].as_str().unwrap().starts_with("paused"), "{ready}");

    std::fs::remove_file(filler).unwrap();
    let resumed = eventually(Duration::from_secs(15), || async {
        new_cart(&client, &server.addr).await == 201
    })
    .await;
    assert!(
        resumed,
        "writes resume by themselves once space returns (the writer is alive)"
    );
    let (status, ready) = readyz(&client, &server.addr).await;
    assert_eq!((status, ready["writes"].as_str()), (200, Some("accepted")), "{ready}");
}

#[tokio::test]
async fn a_server_started_on_a_nearly_full_disk_serves_read_only_and_takes_writes_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&temp_path(&dir, "disk"), 48);
    let data = disk.0.join("data");
    let config = temp_path(&dir, "reserve.toml");
    std::fs::write(&config, "[store]\nmin_free_disk_mb = 5\n[limits]\nenabled = false\n").unwrap();
    import(&data, Some(&config), &format!("{PRODUCT}\n"));
    // A first start makes the admin account, so the next start has nothing to write.
    drop(serve_with_stderr(&data, &config, Stdio::null()));
    let filler = disk.0.join("filler");
    let free = fs4::available_space(&disk.0).unwrap();
    std::fs::write(&filler, vec![1u8; (free - (2 << 20)) as usize]).unwrap();

    let server = serve_with_stderr(&data, &config, Stdio::null());
    let client = client();
    let found = client
        .get(format!("{}/api/v1/search?q=supervised", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(found.status(), 200);
    assert_eq!(
        found.json::<Value>().await.unwrap()["total"],
        1,
        "search works read-only"
    );
    let home = status_of(client.get(format!("{}/", server.addr))).await;
    assert_eq!(home, 200);
    assert_eq!(new_cart(&client, &server.addr).await, 503);

    std::fs::remove_file(filler).unwrap();
    let resumed = eventually(Duration::from_secs(10), || async {
        new_cart(&client, &server.addr).await == 201
    })
    .await;
    assert!(resumed, "writes resume without a restart");
}

#[tokio::test]
async fn a_failed_index_commit_heals_by_itself_and_readyz_says_so_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let data = temp_path(&dir, "data");
    import(&data, None, &format!("{PRODUCT}\n"));
    // Only the index's disk fills: the store keeps taking the change the index cannot.
    let index = Tmpfs::mount(&data.join("index"), 16);
    let config = temp_path(&dir, "plain.toml");
    std::fs::write(&config, "[limits]\nenabled = false\n").unwrap();
    let server = serve_with_stderr(&data, &config, Stdio::null());
    let client = client();
    let token = admin_token(&data);
    let found = |q: &'static str| {
        let (client, addr) = (client.clone(), server.addr.clone());
        async move {
            let res = client.get(format!("{addr}/api/v1/search?q={q}")).send().await.unwrap();
            res.json::<Value>().await.unwrap()["total"] == 1
        }
    };
    assert!(eventually(Duration::from_secs(5), || found("supervised")).await);

    let filler = index.fill();
    let put = client
        .put(format!("{}/api/v1/admin/products/SUP-2", server.addr))
        .bearer_auth(&token)
        .json(&json!({"sku": "SUP-2", "title": "Wombatword relish", "price_cents": 700, "stock": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201, "the store takes the change");
    let behind = eventually(Duration::from_secs(5), || async {
        let (status, body) = readyz(&client, &server.addr).await;
        status == 503 && body["index"] == false
    })
    .await;
    assert!(behind, "readyz says the index is behind while its commits fail");
    assert!(!found("wombatword").await);

    std::fs::remove_file(filler).unwrap();
    assert!(
        eventually(Duration::from_secs(10), || found("wombatword")).await,
        "the product is found within seconds of space returning, with no restart"
    );
    assert!(found("supervised").await, "and nothing indexed before is lost");
    assert_eq!(readyz(&client, &server.addr).await.0, 200);
    assert!(server.terminate(), "stops cleanly");
    let verify = storefront().args(["verify", "--data-dir"]).arg(&data).output().unwrap();
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "the index agrees with the store: {said}");
}

/// An admin token made with the CLI against the stopped store (the server is not running yet
/// when tests need one, or the control socket makes it online).
fn admin_token(data: &Path) -> String {
    let out = storefront()
        .args(["token", "create", "--scope", "admin", "--data-dir"])
        .arg(data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
