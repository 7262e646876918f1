//! `spawn_app` and `TestApp`: a real server on 127.0.0.1:0 over a temp data dir, plus helpers to
//! load catalogs and compute the answers a brute-force scan of the same catalog would give.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use storefront::app::Application;
use storefront::catalog::generator::generate;
use storefront::catalog::import::Format;
use storefront::catalog::ops::import;
use storefront::config::{Config, LogConfig, LogFormat};
use storefront::store::Store;
use tempfile::TempDir;

/// Logs only with `TEST_LOG=1`, so failing tests can be rerun with the server's view.
static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        storefront::telemetry::init(&LogConfig {
            format: LogFormat::Human,
            filter: "debug".into(),
            access: false,
        });
    }
});

pub struct TestApp {
    pub addr: String,
    pub client: reqwest::Client,
    /// The server's own store handle, for changes a test makes behind the server's back.
    pub store: Store,
    /// The admin API token made at first start.
    pub admin_token: String,
    pub admin_password: String,
    _dir: TempDir,
}

/// A running app with an empty store.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A running app whose store was filled with `catalog` (JSON Lines) before serving.
pub async fn spawn_app_with_catalog(catalog: &[u8]) -> TestApp {
    let catalog = catalog.to_vec();
    spawn_app_with(move |store| {
        let report = import(store, &catalog[..], Format::JsonLines, "test", &mut |_| {}).expect("catalog imports");
        assert!(
            report.rejected.is_empty(),
            "test catalog has bad lines: {:?}",
            report.rejected
        );
    })
    .await
}

/// Fills a fresh store with `prepare`, then starts the app over it (which indexes what it finds).
pub async fn spawn_app_with(prepare: impl FnOnce(&Store)) -> TestApp {
    spawn_configured(|_| {}, prepare).await
}

/// Like `spawn_app_with`, with a chance to change the config first.
pub async fn spawn_configured(configure: impl FnOnce(&mut Config), prepare: impl FnOnce(&Store)) -> TestApp {
    LazyLock::force(&TRACING);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_tests(dir.path());
    configure(&mut config);
    {
        let store = Store::open(&config.data_dir, &config.store).expect("store opens");
        prepare(&store);
    }
    let app = Application::build(config).await.expect("app builds");
    let store = app.state().store.clone();
    let first = app.first_start().expect("a fresh store gets an admin").clone();
    let addr = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        addr,
        client,
        store,
        admin_token: first.token,
        admin_password: first.password,
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request is answered")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.json().await.expect("body is JSON"))
    }

    pub async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let res = self
            .client
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("request is answered");
        let status = res.status().as_u16();
        (status, res.json().await.expect("body is JSON"))
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    /// Puts a product line through the merchant API with the admin token; returns the status.
    pub async fn put_product(&self, line: &Value) -> u16 {
        let sku = line["sku"].as_str().expect("the line has a sku");
        self.client
            .put(self.url(&format!("/api/v1/admin/products/{sku}")))
            .bearer_auth(&self.admin_token)
            .json(line)
            .send()
            .await
            .expect("request is answered")
            .status()
            .as_u16()
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.expect("body is text"))
    }
}

/// A generated catalog, as the `gen` command would write it.
pub fn generated_catalog(products: u64, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    generate(products, seed, &mut out).expect("generate");
    out
}

/// The catalog's lines as JSON values, for brute-force expectations.
pub fn catalog_lines(catalog: &[u8]) -> Vec<Value> {
    catalog
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("line is JSON"))
        .collect()
}

/// The built `storefront` binary.
pub fn storefront() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_storefront"));
    cmd.env_remove("STOREFRONT_DATA_DIR")
        .env_remove("STOREFRONT_BIND")
        .env("STOREFRONT_LOG", "warn")
        // The storms pay with the test cards, which a store not seeded with the demo lacks.
        .env("STOREFRONT_PAYMENTS_TEST_CARDS", "true");
    cmd
}

/// A `storefront serve` process on a free port; killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Server {
    /// A server whose per-client rate limits are off: load tests send everything from 127.0.0.1.
    pub fn start_unlimited(data_dir: &std::path::Path, extra: &[&str]) -> Server {
        Server::start_unlimited_with(data_dir, "", extra)
    }

    /// `start_unlimited` with more of the config file (`[mail]`, say).
    pub fn start_unlimited_with(data_dir: &std::path::Path, toml: &str, extra: &[&str]) -> Server {
        let config = data_dir.with_extension("unlimited.toml");
        std::fs::write(&config, format!("[limits]\nenabled = false\n{toml}")).expect("config written");
        let mut args = vec!["--config", config.to_str().expect("utf-8 path")];
        args.extend_from_slice(extra);
        Server::start(data_dir, &args)
    }

    pub fn start(data_dir: &std::path::Path, extra: &[&str]) -> Server {
        Server::start_with_env(data_dir, extra, &[])
    }

    /// `start` with more environment (`STOREFRONT_CRASH_POINTS`, say).
    pub fn start_with_env(data_dir: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        use std::io::{BufRead, BufReader};
        let mut child = storefront()
            .envs(env.iter().copied())
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--bind", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("server starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("server prints its address");
        // Keep reading, so the server never writes into a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let addr = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Server { child, addr }
    }

    /// Sends SIGTERM and waits; returns whether the process exited successfully.
    pub fn terminate(mut self) -> bool {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid fits");
        // SAFETY: kill(2) with a valid signal on our own child process has no memory effects.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "SIGTERM sent");
        let status = self.child.wait().expect("server exits");
        std::mem::forget(self);
        status.success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn temp_path(dir: &TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

/// Polls `check` every 100 ms for up to `within`; true once it holds.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
