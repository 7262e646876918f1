//! Serving catalog pages from the page cache (`crate::page_cache`): which requests it may answer
//! and how an entry becomes a response.

use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

use crate::page_cache::{Entry, PageCache};

/// The cache key of a request a shared page may answer, or `None`: a shopper with a garage or
/// cart cookie gets pages with personal parts ("fits your …", the mini-cart).
/// `variant` tells apart the copies of a page for visitors on either side of a partly rolled-out
/// feature flag.
pub fn key(cache: &PageCache, req: &HttpRequest, variant: &str) -> Option<String> {
    let personal = req.cookie(super::garage::COOKIE).is_some() || req.cookie(super::visitor::CART_COOKIE).is_some();
    (cache.enabled() && !personal).then(|| format!("{}?{}#{variant}", req.path(), req.query_string()))
}

/// The answer to `req` from `entry`: 304 when the client's copy is current, else the page in the
/// best encoding the client takes.
/// `hit` says the answer came from the page cache (`X-Page-Cache`, for whoever tunes it).
pub fn respond(req: &HttpRequest, entry: &Entry, max_age: Duration, hit: bool) -> HttpResponse {
    let mut res = respond_entry(req, entry, max_age);
    res.headers_mut().insert(
        header::HeaderName::from_static("x-page-cache"),
        HeaderValue::from_static(if hit { "hit" } else { "miss" }),
    );
    res
}

fn respond_entry(req: &HttpRequest, entry: &Entry, max_age: Duration) -> HttpResponse {
    let cache_control = format!("public, max-age={}, stale-while-revalidate=30", max_age.as_secs());
    if super::caching::is_fresh(req, entry.etag()) {
        let mut res = HttpResponse::NotModified();
        res.insert_header((header::ETAG, entry.etag().to_owned()))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .insert_header((header::VARY, super::caching::PUBLIC_VARY));
        super::caching::tag(&mut res, req);
        return res.finish();
    }
    let accepts = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let takes = |name: &str| {
        accepts.split(',').any(|part| {
            let mut bits = part.split(';');
            let coding = bits.next().unwrap_or("").trim();
            let refused = bits.any(|b| matches!(b.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    let encoding = if takes("br") {
        Some("br")
    } else if takes("gzip") {
        Some("gzip")
    } else {
        None
    };
    let body = entry.body(encoding);
    let mut res = HttpResponse::Ok();
    res.insert_header((header::ETAG, entry.etag().to_owned()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, super::caching::PUBLIC_VARY))
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ));
    // Encoded here, the compression middleware leaves it be; a client that takes neither gets
    // the plain page (compressed by the middleware if it names another encoding).
    if let Some(coding) = encoding {
        res.insert_header((header::CONTENT_ENCODING, coding));
    }
    super::caching::tag(&mut res, req);
    res.body(body)
}
