//! HTTP caching for catalog pages: a content ETag, a short public max-age so a CDN or Varnish can
//! carry the browsing load, and 304 answers to revalidation.

use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

pub use crate::page_cache::etag_of;

/// What a public answer varies by. `Cookie` because the same address answers a shopper with a
/// garage or cart cookie privately (the header names their car, the cart counts their items):
/// without it a browser would go on showing its anonymous copy after the shopper saves a car.
/// Caches in front pass requests with those cookies and drop the others (see the Varnish
/// config), so the public copy stays one.
pub const PUBLIC_VARY: &str = "Accept-Encoding, Cookie";

/// Whether the request's `If-None-Match` already names `etag`.
pub fn is_fresh(req: &HttpRequest, etag: &str) -> bool {
    let Some(value) = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    value.trim() == "*" || value.split(',').any(|candidate| bare(candidate) == bare(etag))
}

/// A cacheable response for `body`, or 304 when the client's copy is current.
pub fn cacheable(req: &HttpRequest, content_type: &str, body: Vec<u8>, max_age: Duration) -> HttpResponse {
    let etag = etag_of(&body);
    let cache_control = format!("public, max-age={}, stale-while-revalidate=30", max_age.as_secs());
    let mut res = validated(req, etag, cache_control, content_type, || body);
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static(PUBLIC_VARY));
    res
}

/// 304 with the validators when the client's copy matches `etag`; otherwise 200 with the body.
pub fn validated(
    req: &HttpRequest,
    etag: String,
    cache_control: String,
    content_type: &str,
    body: impl FnOnce() -> Vec<u8>,
) -> HttpResponse {
    let fresh = is_fresh(req, &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control));
    tag(&mut res, req);
    if fresh {
        return res.finish();
    }
    let content_type =
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    res.insert_header((header::CONTENT_TYPE, content_type)).body(body())
}

/// The surrogate keys a cache in front files the answer under (Varnish's `xkey`, a CDN's
/// `Surrogate-Key`), so a purge drops exactly the pages a change touches.
pub fn tag(res: &mut actix_web::HttpResponseBuilder, req: &HttpRequest) {
    if let Some(keys) = crate::purge::keys_for_path(req.path()) {
        res.insert_header(("xkey", keys.clone()))
            .insert_header(("Surrogate-Key", keys));
    }
}

/// Pages shown to a shopper with a garage vehicle carry fit notes for that vehicle, so only their
/// browser may keep them; everyone else's copy is shared.
pub fn html_page(req: &HttpRequest, markup: maud::Markup, max_age: Duration) -> HttpResponse {
    if req.cookie(super::garage::COOKIE).is_some() || req.cookie(super::visitor::CART_COOKIE).is_some() {
        let mut res = cacheable(
            req,
            "text/html; charset=utf-8",
            markup.into_string().into_bytes(),
            max_age,
        );
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        res.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Cookie"));
        return res;
    }
    cacheable(
        req,
        "text/html; charset=utf-8",
        markup.into_string().into_bytes(),
        max_age,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn a_matching_if_none_match_is_fresh_weak_or_strong() {
        let tag = etag_of(b"hello");
        let strong = tag.trim_start_matches("W/").to_owned();
        for sent in [tag.clone(), strong, format!("\"other\", {tag}"), "*".into()] {
            let req = TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, sent.clone()))
                .to_http_request();
            assert!(is_fresh(&req, &tag), "{sent}");
        }
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"nope\""))
            .to_http_request();
        assert!(!is_fresh(&req, &tag));
    }
}
