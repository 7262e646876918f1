use maud::{Markup, html};

use super::components::grid;
use super::layout::{Chrome, Head, address, page_with};
use crate::catalog::ops::Home;

pub fn home(chrome: &Chrome, home: &Home) -> Markup {
    let body = html! {
        section.hero {
            h1 { (chrome.shop.name) }
            p.lead { (chrome.shop.tagline) }
            p.hero-meta { (home.product_count) " products, shipped from our own shelves." }
            @if !home.categories.is_empty() {
                p.hero-actions {
                    @for (slug, category) in home.categories.iter().take(3) {
                        a.button href={ "/c/" (slug) } { "Shop " (category.path.name()) }
                    }
                }
            }
        }
        @if !home.categories.is_empty() {
            section aria-labelledby="cats" {
                h2 #cats { "Shop by category" }
                ul.cat-grid role="list" {
                    @for (slug, category) in &home.categories {
                        li {
                            a.cat-card href={ "/c/" (slug) } {
                                span.cat-name { (category.path.name()) }
                                span.cat-count { (category.count) " items" }
                            }
                        }
                    }
                }
            }
        }
        @if !home.featured.is_empty() {
            section aria-labelledby="featured" {
                h2 #featured { "Featured" }
                (grid(&home.featured, chrome))
            }
        }
        @if !home.best_sellers.is_empty() {
            section aria-labelledby="best" {
                h2 #best { "Best sellers" }
                (grid(&home.best_sellers, chrome))
            }
        }
        @if home.product_count == 0 {
            section.empty {
                h2 { "The shelves are empty" }
                p { "Import a catalog with " code { "storefront import catalog.jsonl" } " to fill them." }
            }
        }
    };
    let head = Head {
        title: "Home",
        description: &chrome.shop.tagline,
        canonical: Some(address(chrome, "/")),
        ..Head::default()
    };
    page_with(chrome, &head, body)
}
