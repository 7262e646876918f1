//! The shipped proxy recipes (`deploy/nginx`, `deploy/caddy`, `deploy/varnish`), run as written by
//! real nginx, Caddy and varnishd in front of a store with its limits on: every shopper keeps a
//! rate-limit bucket of their own, form posts pass the same-origin check on a non-standard port,
//! the proxy's many connections are not cut by the per-address cap, `/metrics` stays private,
//! and Varnish caches the catalog but never a personal page.
//!
//! The tools come from Debian's packages (`nginx`, `caddy`, `varnish`), which `.ci/run`
//! installs; a missing one fails its test and says what to install.

use std::net::{IpAddr, Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{TestApp, spawn_configured};

/// A proxy process, killed when dropped.
struct Proxy {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn deploy(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy").join(file)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tool(path: &str, package: &str) -> String {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install Debian's {package} package (`apt-get install {package}`), as .ci/run does"
    );
    path.to_owned()
}

fn wait_for_port(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited with {status}");
        }
        assert!(Instant::now() < deadline, "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn app_port(app: &TestApp) -> u16 {
    app.addr.rsplit(':').next().unwrap().parse().unwrap()
}

fn nginx(app: &TestApp) -> Proxy {
    let bin = tool("/usr/sbin/nginx", "nginx");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path().display();
    let conf = format!(
        "user root;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\ndaemon off;\n\
         events {{ worker_connections 512; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         upstream storefront {{ server 127.0.0.1:{app}; keepalive 32; }}\n\
         server {{ listen 127.0.0.1:{port}; include {snippet}; }}\n}}\n",
        app = app_port(app),
        snippet = deploy("nginx/storefront-proxy.conf").display(),
    );
    let file = dir.path().join("nginx.conf");
    std::fs::write(&file, conf).unwrap();
    let mut child = Command::new(bin)
        .arg("-c")
        .arg(&file)
        .arg("-p")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, &mut child, "nginx");
    Proxy {
        child,
        addr: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

fn caddy(app: &TestApp) -> Proxy {
    let bin = tool("/usr/bin/caddy", "caddy");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let recipe = std::fs::read_to_string(deploy("caddy/Caddyfile")).unwrap();
    // The site's name becomes a plain-HTTP loopback address; the upstream, the test's store.
    let conf = "{\n\tadmin off\n}\n".to_owned()
        + &recipe
            .replace("shop.example.com", &format!("http://127.0.0.1:{port}"))
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{}", app_port(app)));
    let file = dir.path().join("Caddyfile");
    std::fs::write(&file, conf).unwrap();
    let mut child = Command::new(bin)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&file)
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, &mut child, "caddy");
    Proxy {
        child,
        addr: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

fn varnish(app: &TestApp) -> Proxy {
    varnish_on(app, free_port())
}

fn varnish_on(app: &TestApp, port: u16) -> Proxy {
    let bin = tool("/usr/sbin/varnishd", "varnish");
    let dir = tempfile::tempdir().unwrap();
    let recipe = std::fs::read_to_string(deploy("varnish/storefront.vcl")).unwrap();
    let vcl = recipe.replace(".port = \"8080\"", &format!(".port = \"{}\"", app_port(app)));
    let file = dir.path().join("storefront.vcl");
    std::fs::write(&file, vcl).unwrap();
    let mut child = Command::new(bin)
        .args(["-F", "-j", "none", "-s", "malloc,32m", "-a"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-f")
        .arg(&file)
        .arg("-n")
        .arg(dir.path().join("instance"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, &mut child, "varnishd");
    Proxy {
        child,
        addr: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// A store with its limits on and small: checkout bursts of 5 per address, 4 connections per
/// address.
async fn limited_store() -> TestApp {
    spawn_configured(
        |c| {
            c.limits.enabled = true;
            c.limits.checkout_burst = 5;
            c.limits.checkout_per_minute = 5;
            c.limits.connections_per_address = 4;
        },
        crate::checkout::import_shop,
    )
    .await
}

/// A client whose requests leave from `127.0.0.<n>`: a shopper of their own.
fn shopper(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Three checkouts each from twelve shoppers: through a proxy that sets X-Forwarded-For, none is
/// limited (each shopper's burst is 5); all together they are far over one bucket.
async fn every_shopper_has_a_bucket_of_their_own(proxy: &str) {
    let mut limited = 0;
    for n in 10..22u8 {
        let client = shopper(n);
        for _ in 0..3 {
            let res = client
                .post(format!("{proxy}/api/v1/checkout"))
                .header("Idempotency-Key", format!("k-{n}-{}", rand_suffix()))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            limited += u32::from(res.status() == 429);
        }
    }
    assert_eq!(limited, 0, "shoppers behind the proxy share one rate-limit bucket");
}

fn rand_suffix() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// A browser's add-to-cart form post, with the Origin a browser sends for the proxy's address.
async fn a_form_post_passes_the_same_origin_check(proxy: &str) {
    let res = shopper(30)
        .post(format!("{proxy}/cart/add"))
        .header("Origin", proxy)
        .form(&[("sku", "SAUCE-5"), ("quantity", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "the proxy must pass the Host with its port");
}

async fn metrics_stay_private(proxy: &str) {
    let client = shopper(31);
    for path in ["/metrics", "/metrics/", "/metrics?x=1"] {
        let res = client.get(format!("{proxy}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path} through the proxy");
    }
}

/// Forty requests at once from one shopper, so the proxy opens many connections to the store:
/// none is cut by the store's per-address cap (4).
async fn the_proxys_connections_are_not_capped(proxy: &str) {
    let client = shopper(32);
    let requests: Vec<_> = (0..40)
        .map(|i| {
            let (client, url) = (
                client.clone(),
                format!("{proxy}/api/v1/search?q=sauce&page={}", i % 3 + 1),
            );
            tokio::spawn(async move { client.get(url).send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap().unwrap(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nginx_recipe_keeps_shoppers_apart_passes_forms_and_hides_metrics() {
    let app = limited_store().await;
    let proxy = nginx(&app);
    every_shopper_has_a_bucket_of_their_own(&proxy.addr).await;
    a_form_post_passes_the_same_origin_check(&proxy.addr).await;
    metrics_stay_private(&proxy.addr).await;
    the_proxys_connections_are_not_capped(&proxy.addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caddy_recipe_keeps_shoppers_apart_passes_forms_and_hides_metrics() {
    let app = limited_store().await;
    let proxy = caddy(&app);
    every_shopper_has_a_bucket_of_their_own(&proxy.addr).await;
    a_form_post_passes_the_same_origin_check(&proxy.addr).await;
    metrics_stay_private(&proxy.addr).await;
    the_proxys_connections_are_not_capped(&proxy.addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_varnish_recipe_caches_the_catalog_but_no_personal_page() {
    let app = limited_store().await;
    let proxy = varnish(&app);
    every_shopper_has_a_bucket_of_their_own(&proxy.addr).await;
    a_form_post_passes_the_same_origin_check(&proxy.addr).await;
    metrics_stay_private(&proxy.addr).await;
    let client = shopper(40);
    let hit = |res: &reqwest::Response| {
        // Varnish names the request, and on a hit also the one that filled the cache.
        res.headers()["x-varnish"].to_str().unwrap().split_whitespace().count() == 2
    };
    let first = client.get(format!("{}/p/SAUCE-5", proxy.addr)).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let second = client.get(format!("{}/p/SAUCE-5", proxy.addr)).send().await.unwrap();
    assert!(hit(&second), "a catalog page is served from the cache");
    // A shopper with a cart sees their mini-cart: never from the cache, never into it.
    let added = client
        .post(format!("{}/cart/add", proxy.addr))
        .header("Origin", &proxy.addr)
        .form(&[("sku", "SAUCE-5"), ("quantity", "2")])
        .send()
        .await
        .unwrap();
    let cart = added
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("cart="))
        .expect("a cart cookie");
    for _ in 0..2 {
        let personal = client
            .get(format!("{}/p/SAUCE-5", proxy.addr))
            .header("Cookie", &cart)
            .send()
            .await
            .unwrap();
        assert!(!hit(&personal), "a page with a cart cookie is passed to the store");
        assert!(
            personal.text().await.unwrap().contains("class=\"count\">2<"),
            "it shows this shopper's cart"
        );
    }
    let anonymous = client.get(format!("{}/p/SAUCE-5", proxy.addr)).send().await.unwrap();
    assert!(
        !anonymous.text().await.unwrap().contains("class=\"count\">2<"),
        "no one else sees it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_varnish_a_browse_mix_is_served_from_the_cache_and_a_change_shows_within_a_second() {
    let port = free_port();
    let app = spawn_configured(
        |c| {
            c.limits.enabled = false;
            c.cache = Some(storefront::purge::CacheConfig {
                purge_urls: vec![format!("http://127.0.0.1:{port}")],
                style: storefront::purge::Style::Xkey,
            });
        },
        crate::checkout::import_shop,
    )
    .await;
    let proxy = varnish_on(&app, port);
    let client = reqwest::Client::new();
    let get = |path: &str| {
        let url = format!("{}{path}", proxy.addr);
        let client = client.clone();
        async move { client.get(url).send().await.unwrap() }
    };
    let browse = [
        "/",
        "/c/hot-sauce",
        "/p/SAUCE-5",
        "/p/LIMITED",
        "/p/BRK-1",
        "/search?q=sauce",
        "/api/v1/products/SAUCE-5",
    ];
    let (mut hits, mut all) = (0, 0);
    for _ in 0..40 {
        for path in browse {
            let res = get(path).await;
            assert_eq!(res.status(), 200, "{path}");
            assert!(res.headers().get("xkey").is_none(), "the keys stay inside Varnish");
            hits += u32::from(res.headers()["x-cache"] == "HIT");
            all += 1;
        }
    }
    let ratio = f64::from(hits) / f64::from(all);
    assert!(ratio >= 0.95, "hit ratio {ratio:.3} on a browse mix");

    let shown_within = |path: &'static str, text: &'static str| {
        let get = &get;
        async move {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(3) {
                if get(path).await.text().await.unwrap().contains(text) {
                    return Some(started.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            None
        }
    };
    let (status, _) = crate::mail::admin(
        &app,
        reqwest::Method::PUT,
        "/api/v1/admin/products/SAUCE-5",
        Some(json!({"sku":"SAUCE-5","title":"Ember Reaper Sauce 5 oz","price_cents":1099,"stock":50,"category":"Hot Sauce"})),
    )
    .await;
    assert_eq!(status, 200);
    for path in ["/p/SAUCE-5", "/c/hot-sauce"] {
        let took = shown_within(path, "$10.99")
            .await
            .unwrap_or_else(|| panic!("{path} still shows the old price"));
        assert!(took <= Duration::from_secs(1), "{path}: the new price after {took:?}");
    }
    let cart = crate::checkout::new_cart(&app, json!([{"sku": "LIMITED", "quantity": 10}])).await;
    let (status, _, _) =
        crate::checkout::checkout(&app, "sell-out", &crate::checkout::checkout_body(&cart, "tok_visa")).await;
    assert_eq!(status, 201);
    let took = shown_within("/p/LIMITED", "Out of stock")
        .await
        .expect("the sell-out reaches Varnish");
    assert!(took <= Duration::from_secs(1), "sold out shown after {took:?}");
}
