//! Static assets compiled into the binary (read from disk in debug builds), served at
//! fingerprinted URLs (`/assets/css/shop.3f2a9c1b04.css`) that never change meaning, so browsers
//! and CDNs may keep them for a year.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::Embed;

use super::caching::validated;

#[derive(Embed)]
#[folder = "assets/"]
struct Assets;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Original path -> fingerprinted path, and back.
struct Fingerprints {
    by_path: HashMap<String, String>,
    by_fingerprint: HashMap<String, String>,
}

static FINGERPRINTS: LazyLock<Fingerprints> = LazyLock::new(|| {
    let mut by_path = HashMap::new();
    let mut by_fingerprint = HashMap::new();
    for path in Assets::iter() {
        let Some(file) = Assets::get(&path) else {
            continue;
        };
        let hash: String = file
            .metadata
            .sha256_hash()
            .iter()
            .take(5)
            .map(|b| format!("{b:02x}"))
            .collect();
        let fingerprinted = match path.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{path}.{hash}"),
        };
        by_path.insert(path.to_string(), fingerprinted.clone());
        by_fingerprint.insert(fingerprinted, path.to_string());
    }
    Fingerprints {
        by_path,
        by_fingerprint,
    }
});

/// The URL to use in pages for an asset path such as `css/shop.css`.
pub fn url(path: &str) -> String {
    match FINGERPRINTS.by_path.get(path) {
        Some(fp) => format!("/assets/{fp}"),
        None => format!("/assets/{path}"),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/assets/{path:.*}").route(crate::web::read().to(serve)))
        .service(web::resource("/favicon.ico").route(crate::web::read().to(favicon)));
}

async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let requested = path.into_inner();
    match FINGERPRINTS.by_fingerprint.get(&requested) {
        Some(original) => respond(&req, original, IMMUTABLE),
        // An unfingerprinted path still works (old links, hand-typed URLs) but must revalidate.
        None if FINGERPRINTS.by_path.contains_key(&requested) => {
            respond(&req, &requested, "public, max-age=0, must-revalidate")
        }
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such asset"),
    }
}

async fn favicon(req: HttpRequest) -> HttpResponse {
    respond(&req, "img/favicon.svg", "public, max-age=86400")
}

fn respond(req: &HttpRequest, path: &str, cache_control: &str) -> HttpResponse {
    let Some(file) = Assets::get(path) else {
        return HttpResponse::NotFound().finish();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    validated(req, etag, cache_control.to_owned(), mime.essence_str(), || {
        file.data.into_owned()
    })
}
