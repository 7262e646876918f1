//! `robots.txt` and `sitemap.xml`: what search engines may crawl, and every category and product
//! page to find (a sitemap index over files of at most `PER_FILE` addresses, as the protocol asks).

use actix_web::{HttpRequest, HttpResponse, web};

use crate::state::AppState;
use crate::web::{AppError, ErrorCode, PageError, blocking};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/robots.txt").route(crate::web::read().to(robots)))
        .service(web::resource("/sitemap.xml").route(crate::web::read().to(index)))
        .service(web::resource("/sitemap/categories.xml").route(crate::web::read().to(categories)))
        .service(web::resource("/sitemap/vehicles.xml").route(crate::web::read().to(vehicles)))
        .service(web::resource("/sitemap/products-{n}.xml").route(crate::web::read().to(products)));
}

/// Addresses per sitemap file (the protocol allows 50,000).
const PER_FILE: u64 = 45_000;

/// `https://shop.example.com`: `[shop] url`, else the address the request came to.
fn base(req: &HttpRequest, state: &AppState) -> String {
    match &state.config.shop.url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

fn xml(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .content_type("application/xml; charset=utf-8")
        .body(body)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

async fn robots(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /cart\nDisallow: /checkout\nDisallow: /orders\nDisallow: /garage\nDisallow: /api/\nSitemap: {}/sitemap.xml\n",
        base(&req, &state)
    );
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

async fn index(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let store = state.store.clone();
    let count = blocking(move || Ok(store.read()?.product_count()?)).await?;
    let base = base(&req, &state);
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#,
    );
    body.push_str(&format!(
        "<sitemap><loc>{}/sitemap/categories.xml</loc></sitemap>",
        escape(&base)
    ));
    if !state.search.vehicle_years().is_empty() {
        body.push_str(&format!(
            "<sitemap><loc>{}/sitemap/vehicles.xml</loc></sitemap>",
            escape(&base)
        ));
    }
    for n in 0..count.div_ceil(PER_FILE).max(1) {
        body.push_str(&format!(
            "<sitemap><loc>{}/sitemap/products-{n}.xml</loc></sitemap>",
            escape(&base)
        ));
    }
    body.push_str("</sitemapindex>");
    Ok(xml(body))
}

async fn categories(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let store = state.store.clone();
    let slugs: Vec<String> =
        blocking(move || Ok(store.read()?.categories()?.into_iter().map(|(slug, _)| slug).collect())).await?;
    let base = escape(&base(&req, &state));
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#,
    );
    body.push_str(&format!("<url><loc>{base}/</loc></url>"));
    for slug in slugs {
        body.push_str(&format!("<url><loc>{base}/c/{}</loc></url>", escape(&slug)));
    }
    body.push_str("</urlset>");
    Ok(xml(body))
}

/// The landing page of every vehicle some part fits (year, make, model), up to `PER_FILE`.
async fn vehicles(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    use crate::search::Level;
    let base = escape(&base(&req, &state));
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#,
    );
    let mut listed = 0;
    'years: for year in state.search.vehicle_years() {
        let Ok(y) = year.parse::<u16>() else { continue };
        for make in state.search.vehicle_values(Level::Make, Some(y), None, None, None) {
            for model in state
                .search
                .vehicle_values(Level::Model, Some(y), Some(&make), None, None)
            {
                if listed == PER_FILE {
                    break 'years;
                }
                let path = super::search::fits_path(&year, &make, &model);
                body.push_str(&format!("<url><loc>{base}{}</loc></url>", escape(&path)));
                listed += 1;
            }
        }
    }
    body.push_str("</urlset>");
    xml(body)
}

async fn products(req: HttpRequest, state: web::Data<AppState>, n: web::Path<u64>) -> Result<HttpResponse, PageError> {
    let n = n.into_inner();
    let store = state.store.clone();
    let skus: Vec<String> = blocking(move || {
        let read = store.read()?;
        let (skip, mut seen, mut out) = (n.saturating_mul(PER_FILE), 0u64, Vec::new());
        read.for_each_product(|product, _| {
            if seen >= skip && (out.len() as u64) < PER_FILE {
                out.push(product.sku.to_string());
            }
            seen += 1;
            Ok::<_, AppError>(())
        })?;
        Ok(out)
    })
    .await?;
    if skus.is_empty() && n > 0 {
        return Err(AppError::new(ErrorCode::NotFound, "no such sitemap file").into());
    }
    let base = escape(&base(&req, &state));
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#,
    );
    for sku in skus {
        body.push_str(&format!("<url><loc>{base}/p/{}</loc></url>", escape(&sku)));
    }
    body.push_str("</urlset>");
    Ok(xml(body))
}
