//! HTTP behaviour for spikes: fingerprinted immutable assets, validators on catalog pages,
//! compression, health and readiness.

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};

use crate::helpers::{spawn_app, spawn_app_with_catalog};

fn stylesheet_url(html: &str) -> String {
    let start = html.find("/assets/css/shop.").expect("page links the stylesheet");
    let end = start + html[start..].find('"').expect("closing quote");
    html[start..end].to_owned()
}

#[tokio::test]
async fn assets_are_served_at_fingerprinted_urls_with_immutable_caching_and_304() {
    let app = spawn_app().await;
    let (_, html) = app.get_html("/").await;
    let css = stylesheet_url(&html);
    assert!(css.len() > "/assets/css/shop..css".len(), "fingerprint in {css}");

    let res = app.get(&css).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    let etag = res.headers()[ETAG].clone();

    let again = app
        .client
        .get(app.url(&css))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(app.get("/assets/css/shop.0000000000.css").await.status(), 404);
}

#[tokio::test]
async fn catalog_pages_carry_a_validator_and_a_short_public_max_age_and_answer_304() {
    let app = spawn_app_with_catalog(&crate::helpers::generated_catalog(40, 9)).await;
    for path in ["/", "/api/v1/products"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200);
        let cache = res.headers()[CACHE_CONTROL].to_str().unwrap().to_owned();
        assert!(cache.starts_with("public, max-age=60"), "{path}: {cache}");
        let etag = res.headers()[ETAG].clone();
        let again = app
            .client
            .get(app.url(path))
            .header(IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()[ETAG], etag);
    }
}

#[tokio::test]
async fn responses_are_compressed_with_brotli_or_gzip_when_the_client_asks() {
    let app = spawn_app().await;
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    for encoding in ["br", "gzip"] {
        let res = raw
            .get(app.url("/"))
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()[CONTENT_ENCODING], encoding);
    }
}

#[tokio::test]
async fn health_and_readiness_answer_200_and_are_never_cached() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    }
}

#[tokio::test]
async fn pages_carry_basic_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers().contains_key("referrer-policy"));
}

#[tokio::test]
async fn head_requests_get_the_headers_of_get_without_a_body_and_other_methods_get_405() {
    let app = spawn_app_with_catalog(&crate::helpers::generated_catalog(10, 1)).await;
    let get = app.get("/").await;
    let head = app.client.head(app.url("/")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()[ETAG], get.headers()[ETAG]);
    assert!(head.bytes().await.unwrap().is_empty());
    let post = app.client.post(app.url("/api/v1/products")).send().await.unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD", "a 405 says what is allowed");
    let body: serde_json::Value = post.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    // A documented path matches a route when they agree outside their `{…}` parameters.
    let shape = |path: &str| -> String {
        path.split('/')
            .map(|part| if part.starts_with('{') { "{}" } else { part })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut api_routes = 0;
    for (method, route) in crate::hostile::ROUTES.iter().filter(|(_, r)| r.starts_with("/api/v1/")) {
        api_routes += 1;
        let documented = paths
            .iter()
            .find(|(path, _)| shape(path) == shape(route))
            .and_then(|(_, item)| item.get(method.to_lowercase()));
        let operation = documented.unwrap_or_else(|| panic!("{method} {route} is not in the OpenAPI document"));
        if route.starts_with("/api/v1/admin/") {
            assert!(
                operation["security"].is_array(),
                "{method} {route} names its token scope"
            );
            assert!(
                operation["responses"]["403"].is_object(),
                "{method} {route} documents 403"
            );
        }
    }
    assert!(api_routes > 20, "the route list covers the API");
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
}
