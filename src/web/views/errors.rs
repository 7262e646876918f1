use actix_web::http::StatusCode;
use maud::{Markup, html};

use super::layout::{Chrome, page};

/// A friendly error page. Without `chrome` (no state at hand) it still renders, plainly.
pub fn page_for(chrome: Option<&Chrome>, status: StatusCode, message: &str) -> Markup {
    let (title, hint) = match status.as_u16() {
        404 => (
            "We couldn't find that page",
            "The link may be old, or the item may have left the catalog.",
        ),
        400 | 422 => (
            "That request didn't make sense to us",
            "Check the address and try again.",
        ),
        429 => (
            "Slow down a little",
            "Too many requests in a short time; try again in a moment.",
        ),
        503 => ("We're busy for a moment", "Please try again in a few seconds."),
        _ => ("Something went wrong", "It's on our side, not yours. Please try again."),
    };
    let body = html! {
        section.error-page {
            p.error-status { (status.as_u16()) }
            h1 { (title) }
            p { (message) }
            p.muted { (hint) }
            p.hero-actions {
                a.button href="/" { "Go to the home page" }
            }
            @if let Some(chrome) = chrome {
                @if !chrome.nav.is_empty() {
                    h2 { "Or browse a category" }
                    ul.chips-list role="list" {
                        @for (slug, category) in &chrome.nav {
                            li { a.chip href={ "/c/" (slug) } { (category.path.name()) } }
                        }
                    }
                }
            }
        }
    };
    match chrome {
        Some(chrome) => page(chrome, title, title, body),
        None => page(
            &Chrome {
                shop: default_shop(),
                nav: Vec::new(),
                vehicle: None,
                cart_units: 0,
                years: Vec::new(),
                cart_token: None,
                flags: Default::default(),
                query: String::new(),
            },
            title,
            title,
            body,
        ),
    }
}

fn default_shop() -> crate::config::ShopConfig {
    crate::config::ShopConfig {
        name: "storefront".into(),
        tagline: String::new(),
        low_stock: 5,
        url: None,
    }
}
