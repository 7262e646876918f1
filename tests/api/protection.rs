//! Protections on every request: security headers, cross-site form posts, body limits, and a
//! deadline that cuts off clients sending their body a byte at a time.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::checkout::SHOP;
use crate::helpers::{spawn_app_with_catalog, spawn_configured};

#[tokio::test]
async fn pages_json_and_errors_all_carry_a_strict_content_security_policy() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    for path in ["/", "/api/v1/products", "/no-such-page", "/api/v1/nope", "/cart"] {
        let res = app.get(path).await;
        let csp = res
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned());
        let csp = csp.unwrap_or_else(|| panic!("{path} has no CSP"));
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    }
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_and_changes_nothing() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let post = |site: Option<(&'static str, &'static str)>| {
        let mut req = app.client.post(app.url("/cart/add")).form(&[("sku", "SAUCE-5")]);
        if let Some((name, value)) = site {
            req = req.header(name, value);
        }
        req.send()
    };
    let res = post(Some(("Sec-Fetch-Site", "cross-site"))).await.unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("set-cookie").is_none(), "no cart was made");
    let res = post(Some(("Origin", "https://evil.example"))).await.unwrap();
    assert_eq!(res.status(), 403);
    let res = post(Some(("Sec-Fetch-Site", "same-origin"))).await.unwrap();
    assert_eq!(res.status(), 303);
    let own_origin: &'static str = Box::leak(app.addr.clone().into_boxed_str());
    let res = post(Some(("Origin", own_origin))).await.unwrap();
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn oversized_bodies_get_413_not_a_crash() {
    let app = spawn_app_with_catalog(SHOP.as_bytes()).await;
    let big = "x".repeat(70_000);
    let (status, err) = app.post_json("/api/v1/carts", &json!({"items": [], "pad": big})).await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{err}"
    );
    let res = app
        .client
        .post(app.url("/checkout"))
        .form(&[("email", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_is_cut_off_while_others_are_served() {
    let app = spawn_configured(|config| config.http.request_timeout = Duration::from_secs(1), |_| {}).await;
    let addr = app.addr.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/carts HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let dribble = async {
        for _ in 0..40 {
            if slow.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let (_, healthy) = tokio::join!(dribble, app.get("/healthz"));
    assert_eq!(healthy.status(), 200, "other clients are served meanwhile");
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut answer))
        .await
        .expect("the server answers the slow client")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "cut off after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn with_keep_alive_off_a_dribbled_second_request_finds_the_connection_closed() {
    let app = spawn_configured(
        |config| config.http.keep_alive = actix_web::http::KeepAlive::Disabled,
        |_| {},
    )
    .await;
    let addr = app.addr.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    conn.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut first = vec![0u8; 4096];
    let n = conn.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    // The slow client starts a second request a byte at a time; the server has hung up.
    let started = Instant::now();
    let mut closed = false;
    for byte in b"GET /healthz HTTP/1.1\r\n" {
        let _ = conn.write_all(&[*byte]).await;
        let mut buf = [0u8; 64];
        match tokio::time::timeout(Duration::from_millis(100), conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed = true;
                break;
            }
            _ => {}
        }
    }
    assert!(closed, "the connection stayed open for {:?}", started.elapsed());
}
