//! Operational endpoints: liveness, readiness and Prometheus metrics, plus the middleware that
//! counts and times every request.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::state::AppState;
use crate::telemetry::metrics as m;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(crate::web::read().to(healthz)))
        .service(web::resource("/readyz").route(crate::web::read().to(readyz)))
        .service(web::resource("/metrics").route(crate::web::read().to(metrics)));
}

/// Prometheus text format, for loopback peers (a scraper on the same host) or a request bearing
/// the configured `http.metrics_token`: sales figures are not for everyone.
/// Prometheus text format, for a scraper on this host or with the configured metrics token.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain"),
        (status = 403, description = "Not a local scraper, and no metrics token", content_type = "text/plain")))]
pub(crate) async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    // A proxy on the same host connects from loopback too: a request it forwarded (it says so
    // in a forwarding header) is not a local scraper's.
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    let local = req.peer_addr().is_some_and(|a| a.ip().is_loopback()) && !forwarded;
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let allowed = match (&state.config.http.metrics_token, bearer) {
        (Some(token), Some(given)) => crate::staff::secrets::constant_time_eq(token.as_bytes(), given.as_bytes()),
        (Some(_), None) | (None, _) => local && state.config.http.metrics_token.is_none(),
    };
    if !allowed {
        return HttpResponse::Forbidden()
            .insert_header(("Cache-Control", "no-store"))
            .body("metrics are served to loopback clients, or with the configured metrics_token\n");
    }
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(m::render())
}

/// Counts and times every request by its route pattern (never the raw path, which would let
/// anyone create new series).
pub async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let started = Instant::now();
    let access = access_line(&req);
    // Any token is a valid method; only the standard ones become series of their own.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let res = next.call(req).await;
    let (route, status) = match &res {
        Ok(r) => (
            r.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned()),
            r.status().as_u16(),
        ),
        Err(e) => ("unmatched".to_owned(), e.as_response_error().status_code().as_u16()),
    };
    metrics::counter!(m::HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(m::HTTP_DURATION, "route" => route, "method" => method).record(started.elapsed().as_secs_f64());
    if let Some(line) = access {
        let bytes = res.as_ref().ok().and_then(|r| {
            r.headers()
                .get(actix_web::http::header::CONTENT_LENGTH)?
                .to_str()
                .ok()?
                .parse::<u64>()
                .ok()
        });
        tracing::info!(
            target: "storefront::access",
            client = %line.client,
            method = %line.method,
            path = %line.path,
            status,
            bytes,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            user_agent = %line.user_agent,
            referer = %line.referer,
            "request"
        );
    }
    res
}

/// What the access log records of a request, taken before it is handled.
struct AccessLine {
    client: String,
    method: String,
    path: String,
    user_agent: String,
    referer: String,
}

/// The request's access-log line when `[log] access` is on.
fn access_line(req: &ServiceRequest) -> Option<AccessLine> {
    let state = req.app_data::<web::Data<AppState>>().filter(|s| s.config.log.access)?;
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(300).collect())
            .unwrap_or_default()
    };
    let query = req.query_string();
    Some(AccessLine {
        client: super::limits::client_address(req, state.config.limits.behind_proxy)
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
        method: req.method().to_string(),
        path: if query.is_empty() {
            req.path().to_owned()
        } else {
            format!("{}?{}", req.path(), mask_secrets(query))
        },
        user_agent: header("user-agent"),
        referer: header("referer"),
    })
}

/// A query string with the values of parameters that carry secrets (an order's token, a
/// password, a key) replaced by `***`, so the access log keeps no credential.
fn mask_secrets(query: &str) -> String {
    const SECRET: [&str; 7] = ["token", "key", "secret", "password", "session", "code", "client_secret"];
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET.iter().any(|s| name.to_ascii_lowercase().contains(s)) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod access_tests {
    #[test]
    fn the_access_log_masks_tokens_keys_and_passwords_in_query_strings() {
        assert_eq!(
            super::mask_secrets("token=abc123&page=2&api_key=x&q=brake+pads"),
            "token=***&page=2&api_key=***&q=brake+pads"
        );
        assert_eq!(super::mask_secrets("novalue&sort=price_asc"), "novalue&sort=price_asc");
    }
}

/// The process is alive and answering.
/// Health of the process: reachable is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Alive", body = Object)))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({"status": "ok"}))
}

/// The store answers reads and every part that keeps it current is working; a load balancer
/// sends traffic only when this is 200. A store whose writes are paused for lack of disk is still
/// ready (it serves browsing and search) and says so.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready: {status, store, writer, index, writes}", body = Object),
        (status = 503, description = "A part is not working; status says which", body = Object)))]
pub(crate) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.clone();
    let ready = super::blocking(move || Ok(store.read().is_ok())).await.unwrap_or(false);
    // An empty index over a non-empty store means a rebuild went wrong.
    let index_filled = state.search.num_docs() > 0 || !ready || {
        let store = state.store.clone();
        super::blocking(move || Ok(store.read()?.product_count()? == 0))
            .await
            .unwrap_or(false)
    };
    let writer = state.writer.is_running();
    let indexer = state.search.is_working();
    let writes = state.store.writes_paused().unwrap_or_else(|| "accepted".to_owned());
    let status = if !ready {
        "store unavailable"
    } else if !writer {
        "store writer stopped"
    } else if !index_filled {
        "search index empty"
    } else if !indexer {
        "search index behind the store; catching up"
    } else {
        "ready"
    };
    let mut res = if status == "ready" {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({
            "status": status,
            "store": ready,
            "writer": writer,
            "index": index_filled && indexer,
            "writes": writes,
        }))
}
