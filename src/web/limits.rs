//! Per-client rate limits (GCRA, `governor`) on sign-in, checkout and the API, answered with 429
//! and `Retry-After`. Limits come from the `[limits]` config section; the client is the peer
//! address, or behind a proxy the address the proxy appended to `X-Forwarded-For`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::{ApiError, AppError, ErrorCode, PageError};
use crate::config::LimitsConfig;

/// The limiters, shared by every worker.
pub struct Limiters {
    /// Failed sign-ins per account, so guessing spread over many addresses is throttled too.
    failures: Mutex<HashMap<String, Failures>>,
    failures_per_account: u32,
    lockout: Duration,
    login: DefaultKeyedRateLimiter<IpAddr>,
    checkout: DefaultKeyedRateLimiter<IpAddr>,
    api: DefaultKeyedRateLimiter<IpAddr>,
    behind_proxy: crate::config::ProxyTrust,
    enabled: bool,
}

/// Accounts whose failures are remembered at once; made-up names beyond this are not counted.
const MAX_TRACKED_ACCOUNTS: usize = 10_000;

struct Failures {
    count: u32,
    since: Instant,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Limiters {
    pub fn new(c: &LimitsConfig) -> Limiters {
        Limiters {
            login: DefaultKeyedRateLimiter::keyed(quota(c.login_per_minute, c.login_burst)),
            checkout: DefaultKeyedRateLimiter::keyed(quota(c.checkout_per_minute, c.checkout_burst)),
            api: DefaultKeyedRateLimiter::keyed(quota(c.api_per_minute, c.api_burst)),
            behind_proxy: c.behind_proxy,
            enabled: c.enabled,
            failures: Mutex::default(),
            failures_per_account: c.login_failures_per_account,
            lockout: c.login_lockout,
        }
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts a sign-in attempt against `username` before its password is checked, or refuses
    /// it with the seconds to wait when the account has used up its attempts. Counting first is
    /// what holds the limit under a burst: attempts checked side by side all count.
    pub fn begin_sign_in(&self, username: &str) -> Result<(), u64> {
        if !self.enabled {
            return Ok(());
        }
        let mut failures = self.failures();
        if failures.len() >= MAX_TRACKED_ACCOUNTS {
            let lockout = self.lockout;
            failures.retain(|_, f| f.since.elapsed() < lockout);
            if failures.len() >= MAX_TRACKED_ACCOUNTS {
                // Made-up usernames flooding the table; the per-address limit still applies.
                return Ok(());
            }
        }
        let entry = failures.entry(username.to_lowercase()).or_insert(Failures {
            count: 0,
            since: Instant::now(),
        });
        if entry.since.elapsed() >= self.lockout {
            *entry = Failures {
                count: 0,
                since: Instant::now(),
            };
        }
        if entry.count >= self.failures_per_account {
            let left = self.lockout.saturating_sub(entry.since.elapsed());
            return Err(left.as_secs().max(1));
        }
        entry.count += 1;
        Ok(())
    }

    /// A successful sign-in clears the account's failures.
    pub fn sign_in_succeeded(&self, username: &str) {
        self.failures().remove(&username.to_lowercase());
    }

    /// Forgets clients not seen lately, so the tables stay small; called every minute.
    pub fn forget_idle(&self) {
        for limiter in [&self.login, &self.checkout, &self.api] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let lockout = self.lockout;
        self.failures().retain(|_, f| f.since.elapsed() < lockout);
    }

    fn client(&self, req: &ServiceRequest) -> Option<IpAddr> {
        client_address(req, self.behind_proxy)
    }

    /// Seconds to wait when `req` is over its limit.
    fn over_limit(&self, req: &ServiceRequest) -> Option<u64> {
        if !self.enabled {
            return None;
        }
        let post = req.method() == Method::POST;
        let path = req.path();
        let limiter = if post && path == "/admin/login" {
            &self.login
        } else if post && (path == "/checkout" || path == "/api/v1/checkout") {
            &self.checkout
        } else if path.starts_with("/api/") {
            &self.api
        } else {
            return None;
        };
        let client = self.client(req)?;
        limiter
            .check_key(&client)
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()).as_secs().max(1))
    }
}

pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let wait = req
        .app_data::<web::Data<Limiters>>()
        .and_then(|limiters| limiters.over_limit(&req));
    let Some(wait) = wait else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let (request, _) = req.into_parts();
    let res = too_many_requests(
        request.path().starts_with("/api/"),
        wait,
        format!("too many requests from your address; try again in {wait} s"),
    );
    Ok(ServiceResponse::new(request, res))
}

/// A 429 answer with `Retry-After`, as JSON for the API and as a page otherwise.
/// The client's address: the peer's, or the last `X-Forwarded-For` entry when the peer is a
/// proxy `trust` believes.
pub fn client_address(req: &ServiceRequest, trust: crate::config::ProxyTrust) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if trust.trusts(peer) {
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        if let Some(ip) = forwarded
            .and_then(|f| f.rsplit(',').next())
            .and_then(|ip| ip.trim().parse().ok())
        {
            return Some(ip);
        }
    }
    Some(peer)
}

pub fn too_many_requests(api: bool, wait: u64, message: String) -> actix_web::HttpResponse {
    metrics::counter!(crate::telemetry::metrics::RATE_LIMITED).increment(1);
    let err =
        AppError::new(ErrorCode::TooManyRequests, message).with_details(serde_json::json!({"retry_after_secs": wait}));
    let mut res = if api {
        actix_web::ResponseError::error_response(&ApiError(err))
    } else {
        actix_web::ResponseError::error_response(&PageError(err))
    };
    res.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(wait),
    );
    res
}

/// Runs `forget_idle` every minute until shutdown.
pub fn spawn_janitor(limiters: web::Data<Limiters>, background: &crate::background::Background) {
    let weak = std::sync::Arc::downgrade(&limiters.into_inner());
    background.every("rate-limit janitor", Duration::from_secs(60), move || {
        if let Some(limiters) = weak.upgrade() {
            limiters.forget_idle();
        }
        std::future::ready(())
    });
}
