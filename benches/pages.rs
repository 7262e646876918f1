//! Catalog pages under load against the ceiling: the release binary serving the home, a category
//! and a product page (from its page cache) side by side with nginx serving saved copies of the
//! same bytes from files, both driven by wrk with 64 connections on this machine in one run.
//!
//! `cargo bench --bench pages` (10,000 products; `PAGES_BENCH_PRODUCTS=N`, `PAGES_BENCH_SECONDS=S`).
//! Needs wrk and nginx (Debian packages `wrk nginx`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

fn main() {
    for tool in ["wrk", "nginx"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool} || test -x /usr/sbin/{tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(found, "this bench needs {tool}: apt-get install wrk nginx");
    }
    let products: u64 = env_or("PAGES_BENCH_PRODUCTS", 10_000);
    let seconds: u64 = env_or("PAGES_BENCH_SECONDS", 5);
    let dir = tempfile::tempdir().unwrap();
    let (data, catalog) = common::generated_store(dir.path(), products);
    let first: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&catalog).unwrap().lines().nth(100).unwrap()).unwrap();
    let sku = first["sku"].as_str().unwrap().to_owned();
    let config = dir.path().join("bench.toml");
    std::fs::write(&config, "[limits]\nenabled = false\n").unwrap();
    let (mut store, addr) = common::serve(&config, &data);

    let client = reqwest::blocking::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    let product = format!("/p/{sku}");
    let category = category_of(&client, &addr, &product);
    let pages = [("home", "/".to_owned()), ("category", category), ("product", product)];
    let www = dir.path().join("www");
    std::fs::create_dir_all(&www).unwrap();
    for (name, path) in &pages {
        let res = client
            .get(format!("{addr}{path}"))
            .header("Accept-Encoding", "gzip")
            .send()
            .unwrap();
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        std::fs::write(www.join(name), res.bytes().unwrap()).unwrap();
    }
    let (mut nginx, nginx_addr) = nginx(dir.path(), &www);
    println!("{products} products, wrk -t2 -c64 -d{seconds}s, Accept-Encoding: gzip (the same bytes from both)");
    println!("{:<10} {:>14} {:>14} {:>7}", "page", "storefront/s", "nginx/s", "ratio");
    for (name, path) in &pages {
        let ours = wrk(&format!("{addr}{path}"), seconds);
        let theirs = wrk(&format!("{nginx_addr}/{name}"), seconds);
        println!("{name:<10} {ours:>14.0} {theirs:>14.0} {:>7.2}", ours / theirs);
    }
    let metrics = client.get(format!("{addr}/metrics")).send().unwrap().text().unwrap();
    for line in metrics.lines().filter(|l| l.starts_with("storefront_page_cache")) {
        println!("{line}");
    }
    let _ = store.kill();
    let _ = store.wait();
    // SIGTERM: killing nginx's master outright would leave its workers running.
    // SAFETY: kill(2) on our own child process has no memory effects.
    unsafe { libc::kill(nginx.id() as libc::pid_t, libc::SIGTERM) };
    let _ = nginx.wait();
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The first category link on the product page (its breadcrumb).
fn category_of(client: &reqwest::blocking::Client, addr: &str, product: &str) -> String {
    let html = client.get(format!("{addr}{product}")).send().unwrap().text().unwrap();
    let at = html.find("href=\"/c/").expect("a category link");
    let rest = &html[at + 6..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn nginx(dir: &Path, www: &Path) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "worker_processes 2;\ndaemon off;\npid {pid};\nerror_log {err} warn;\nevents {{ worker_connections 1024; }}\n\
             http {{\n access_log off;\n client_body_temp_path {tmp};\n proxy_temp_path {tmp};\n fastcgi_temp_path {tmp};\n uwsgi_temp_path {tmp};\n scgi_temp_path {tmp};\n\
             server {{\n  listen 127.0.0.1:{port};\n  root {www};\n  location / {{\n   default_type \"text/html; charset=utf-8\";\n   add_header Content-Encoding gzip;\n   add_header Vary Accept-Encoding;\n  }}\n }}\n}}\n",
            pid = dir.join("nginx.pid").display(),
            err = dir.join("nginx.err").display(),
            tmp = dir.display(),
            www = www.display(),
        ),
    )
    .unwrap();
    let bin = if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    };
    let child = Command::new(bin)
        .args(["-c", conf.to_str().unwrap(), "-p", dir.to_str().unwrap()])
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, format!("http://127.0.0.1:{port}"))
}

/// Requests per second wrk measured.
fn wrk(url: &str, seconds: u64) -> f64 {
    let out = Command::new("wrk")
        .args([
            "-t2",
            "-c64",
            &format!("-d{seconds}s"),
            "-H",
            "Accept-Encoding: gzip",
            url,
        ])
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate in wrk's output: {text}"));
    let errors = text
        .lines()
        .find(|l| l.contains("Non-2xx") || l.contains("Socket errors"));
    assert!(errors.is_none(), "{url}: {}", errors.unwrap_or_default());
    rate
}
