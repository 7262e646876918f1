//! Per-client rate limits (GCRA, `governor`) on sign-in, checkout and the API, answered with 429
//! and `Retry-After`. Limits come from the `[limits]` config section; the client is the peer
//! address, or behind a proxy the address the proxy appended to `X-Forwarded-For`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

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
    login: DefaultKeyedRateLimiter<IpAddr>,
    checkout: DefaultKeyedRateLimiter<IpAddr>,
    api: DefaultKeyedRateLimiter<IpAddr>,
    behind_proxy: bool,
    enabled: bool,
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
        }
    }

    /// Forgets clients not seen lately, so the tables stay small; called every minute.
    pub fn forget_idle(&self) {
        for limiter in [&self.login, &self.checkout, &self.api] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    fn client(&self, req: &ServiceRequest) -> Option<IpAddr> {
        if self.behind_proxy {
            let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
            if let Some(ip) = forwarded
                .and_then(|f| f.rsplit(',').next())
                .and_then(|ip| ip.trim().parse().ok())
            {
                return Some(ip);
            }
        }
        req.peer_addr().map(|a| a.ip())
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
    metrics::counter!(crate::telemetry::metrics::RATE_LIMITED).increment(1);
    let err = AppError::new(
        ErrorCode::TooManyRequests,
        format!("too many requests from your address; try again in {wait} s"),
    )
    .with_details(serde_json::json!({"retry_after_secs": wait}));
    let (request, _) = req.into_parts();
    let mut res = if request.path().starts_with("/api/") {
        actix_web::ResponseError::error_response(&ApiError(err))
    } else {
        actix_web::ResponseError::error_response(&PageError(err))
    };
    res.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(wait),
    );
    Ok(ServiceResponse::new(request, res))
}

/// Runs `forget_idle` every minute for as long as the limiters exist.
pub fn spawn_janitor(limiters: web::Data<Limiters>) {
    let weak = std::sync::Arc::downgrade(&limiters.into_inner());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            match weak.upgrade() {
                Some(l) => l.forget_idle(),
                None => return,
            }
        }
    });
}
