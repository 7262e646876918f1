//! Slow and greedy clients at the connection level: a second request dribbled over a kept-alive
//! connection, many connections from one address, and a flood of slow connections while another
//! shopper is being served. Long, legitimate requests must not be mistaken for stalls.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{TestApp, generated_catalog, spawn_configured};

fn socket_addr(app: &TestApp) -> SocketAddr {
    app.addr.trim_start_matches("http://").parse().expect("address")
}

/// A connection to the app from the loopback address `from` (all of 127/8 is local on Linux).
async fn connect_from(from: &str, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from.parse().expect("ip"), 0))?;
    socket.connect(to).await
}

/// Whether the server has hung up: a read gives end of stream or an error within `wait`.
async fn hung_up(conn: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        match tokio::time::timeout(deadline - Instant::now(), conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
    false
}

async fn get_on(conn: &mut TcpStream, host: SocketAddr, path: &str) -> String {
    conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = vec![0u8; 8192];
    let n = conn.read(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

/// Keep-alive 1 s and a 1 s header deadline: a connection idle for 2 s is stalled.
async fn spawn_with_short_timeouts(per_address: usize) -> TestApp {
    spawn_configured(
        |config| {
            config.http.keep_alive = actix_web::http::KeepAlive::Timeout(Duration::from_secs(1));
            config.http.request_timeout = Duration::from_secs(1);
            config.limits.enabled = per_address > 0;
            config.limits.connections_per_address = per_address;
            // The test clients are on loopback, where a same-host proxy would be.
            config.limits.behind_proxy = storefront::config::ProxyTrust::Never;
        },
        |_| {},
    )
    .await
}

#[tokio::test]
async fn a_second_request_dribbled_over_a_kept_alive_connection_is_hung_up_on() {
    let app = spawn_with_short_timeouts(0).await;
    let host = socket_addr(&app);
    let mut conn = TcpStream::connect(host).await.unwrap();
    assert!(get_on(&mut conn, host, "/healthz").await.starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    let mut closed = false;
    for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".iter().cycle().take(200) {
        if conn.write_all(&[*byte]).await.is_err() || hung_up(&mut conn, Duration::from_millis(100)).await {
            closed = true;
            break;
        }
    }
    let held = started.elapsed();
    assert!(closed, "the dribbling connection was still open after {held:?}");
    assert!(held < Duration::from_secs(6), "hung up only after {held:?}");
}

#[tokio::test]
async fn a_kept_alive_connection_used_steadily_is_never_mistaken_for_a_stalled_one() {
    let app = spawn_with_short_timeouts(0).await;
    let host = socket_addr(&app);
    let mut conn = TcpStream::connect(host).await.unwrap();
    let started = Instant::now();
    // Well past the 2 s stall limit in total, but never idle for long.
    while started.elapsed() < Duration::from_secs(4) {
        let answer = get_on(&mut conn, host, "/healthz").await;
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "after {:?}: {answer}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

#[tokio::test]
async fn a_download_read_slowly_for_longer_than_the_stall_limit_completes() {
    let products = 3_000;
    let catalog = generated_catalog(products, 11);
    // Short timeouts: the export must outlive the 2 s stall limit.
    let app = spawn_configured(
        |config| {
            config.http.keep_alive = actix_web::http::KeepAlive::Timeout(Duration::from_secs(1));
            config.http.request_timeout = Duration::from_secs(1);
        },
        |store| {
            let report = storefront::catalog::ops::import(
                store,
                &catalog[..],
                storefront::catalog::import::Format::JsonLines,
                "test",
                &mut |_| {},
            )
            .unwrap();
            assert!(report.rejected.is_empty());
        },
    )
    .await;
    let mut res = app
        .client
        .get(app.url("/api/v1/admin/export"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let started = Instant::now();
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.expect("the download is not cut off") {
        body.extend_from_slice(&chunk);
        if started.elapsed() < Duration::from_secs(4) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    assert!(
        started.elapsed() > Duration::from_secs(3),
        "the export was too small to test slow reading"
    );
    let lines = body.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
    assert_eq!(lines as u64, products, "every product arrives");
}

#[tokio::test]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    // Default keep-alive and deadlines: the kept connections are not stalled yet when counted.
    let app = spawn_configured(
        |config| {
            config.limits.enabled = true;
            config.limits.connections_per_address = 20;
            // The test clients are on loopback, where a same-host proxy would be.
            config.limits.behind_proxy = storefront::config::ProxyTrust::Never;
        },
        |_| {},
    )
    .await;
    let host = socket_addr(&app);
    let mut greedy = Vec::new();
    for _ in 0..50 {
        greedy.push(connect_from("127.0.0.9", host).await.unwrap());
    }
    let checks = greedy
        .into_iter()
        .map(|mut conn| tokio::spawn(async move { (hung_up(&mut conn, Duration::from_millis(500)).await, conn) }));
    let verdicts: Vec<(bool, TcpStream)> = crate::checkout::join_all(checks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let refused = verdicts.iter().filter(|(cut, _)| *cut).count();
    assert_eq!(refused, 30, "twenty connections are kept, the rest hung up on");
    let mut other = connect_from("127.0.0.2", host).await.unwrap();
    assert!(get_on(&mut other, host, "/healthz").await.starts_with("HTTP/1.1 200"));
    // Freed places can be taken again.
    drop(verdicts);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = connect_from("127.0.0.9", host).await.unwrap();
    assert!(get_on(&mut again, host, "/healthz").await.starts_with("HTTP/1.1 200"));
}

/// Raises this process's open-file limit to its hard limit: a thousand client sockets plus the
/// server's own ends exceed the common default of 1,024.
fn raise_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        }
    }
    limit.rlim_cur
}

#[tokio::test]
async fn a_thousand_slow_connections_from_one_address_do_not_starve_other_shoppers() {
    let slow_clients = 1_000;
    let files = raise_file_limit();
    assert!(
        files > 3 * slow_clients,
        "this test needs {} open files; the limit is {files}",
        3 * slow_clients
    );
    let app = spawn_configured(
        |config| {
            config.http.workers = std::num::NonZeroUsize::new(2).unwrap();
            // 400 connections in all: the flood alone would fill the server five times over.
            config.http.max_connections = 200;
            config.http.request_timeout = Duration::from_secs(2);
            config.limits.enabled = true;
            config.limits.connections_per_address = 64;
            // The test clients are on loopback, where a same-host proxy would be.
            config.limits.behind_proxy = storefront::config::ProxyTrust::Never;
        },
        |_| {},
    )
    .await;
    let host = socket_addr(&app);
    let flood = tokio::spawn(async move {
        let mut held = Vec::new();
        for i in 0..slow_clients {
            let Ok(mut conn) = connect_from("127.0.0.9", host).await else {
                continue;
            };
            // Half send a body a byte at a time, half dribble their headers.
            let head = if i % 2 == 0 {
                format!("POST /api/v1/carts HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100000\r\n\r\n")
            } else {
                format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n")
            };
            let _ = conn.write_all(head.as_bytes()).await;
            held.push(conn);
        }
        for _ in 0..60 {
            for conn in &mut held {
                let _ = conn.write_all(b"x").await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        held.len()
    });
    let shopper = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let asked = Instant::now();
        let res = tokio::time::timeout(Duration::from_secs(3), shopper.get(app.url("/healthz")).send())
            .await
            .expect("the shopper is answered while the flood goes on")
            .unwrap();
        assert_eq!(res.status(), 200);
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(slowest < Duration::from_secs(1), "the slowest answer took {slowest:?}");
    let opened = flood.await.unwrap();
    assert_eq!(
        opened, slow_clients as usize,
        "every flood connection was accepted by the kernel"
    );
}
