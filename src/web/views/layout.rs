//! The page frame: head, header with category navigation, footer.

use maud::{DOCTYPE, Markup, html};

use crate::catalog::Category;
use crate::config::ShopConfig;
use crate::search::VehicleFilter;
use crate::web::{assets, garage};

/// What every page's frame shows: the shop and its top-level categories.
#[derive(Clone, Debug)]
pub struct Chrome {
    pub shop: ShopConfig,
    pub nav: Vec<(String, Category)>,
    /// The shopper's vehicle from My Garage.
    pub vehicle: Option<VehicleFilter>,
    /// Units in the visitor's cart (0 when there is none).
    pub cart_units: u64,
    /// Years some part fits, for the vehicle selector in the header.
    pub years: Vec<String>,
    /// The token cart forms carry when the visitor holds a cart (`visitor::cart_form_token`).
    pub cart_token: Option<String>,
    /// The feature flags on for this visitor.
    pub flags: crate::flags::FlagSet,
    /// What the header's search box holds: the query on a results page, so it can be refined.
    pub query: String,
}

/// The hidden field with the visitor's cart form token, when there is a cart.
pub fn cart_token_field(chrome: &Chrome) -> Markup {
    html! { @if let Some(token) = &chrome.cart_token { input type="hidden" name="cart_token" value=(token); } }
}

pub fn page(chrome: &Chrome, title: &str, description: &str, body: Markup) -> Markup {
    page_with(
        chrome,
        &Head {
            title,
            description,
            ..Head::default()
        },
        body,
    )
}

/// What a page's head says about it beyond its title: for search engines and link previews.
#[derive(Default)]
pub struct Head<'a> {
    pub title: &'a str,
    pub description: &'a str,
    /// The page's own address, without sorting or filters (absolute when `[shop] url` is set).
    pub canonical: Option<String>,
    /// A picture for link previews.
    pub image: Option<String>,
    /// schema.org data about what the page shows.
    pub json_ld: Option<JsonLd>,
}

/// schema.org data as JSON in a `<script type="application/ld+json">`. The text of a script is
/// not HTML-escaped by browsers, so this writes the JSON itself, with `<`, `>` and `&` as JSON
/// escapes: nothing in it can close the script or start markup, whatever a product's title says.
pub struct JsonLd(pub serde_json::Value);

impl maud::Render for JsonLd {
    fn render_to(&self, buffer: &mut String) {
        for c in self.0.to_string().chars() {
            match c {
                '<' => buffer.push_str("\\u003c"),
                '>' => buffer.push_str("\\u003e"),
                '&' => buffer.push_str("\\u0026"),
                c => buffer.push(c),
            }
        }
    }
}

/// `path` on this shop: absolute with `[shop] url`, else as it is (a host from the request could
/// be anyone's, and the page may be cached for every visitor).
pub fn address(chrome: &Chrome, path: &str) -> String {
    match &chrome.shop.url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path.to_owned(),
    }
}

pub fn page_with(chrome: &Chrome, head: &Head<'_>, body: Markup) -> Markup {
    let (title, description) = (head.title, head.description);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (chrome.shop.name) }
                meta name="description" content=(description);
                @if let Some(url) = &head.canonical {
                    link rel="canonical" href=(url);
                    meta property="og:url" content=(url);
                }
                meta property="og:site_name" content=(chrome.shop.name);
                meta property="og:title" content=(title);
                meta property="og:description" content=(description);
                meta property="og:type" content=(if head.json_ld.is_some() { "product" } else { "website" });
                @if let Some(image) = &head.image { meta property="og:image" content=(image); }
                @if let Some(data) = &head.json_ld { script type="application/ld+json" { (data) } }
                meta name="theme-color" content="#b3261e";
                link rel="stylesheet" href=(assets::url("css/shop.css"));
                link rel="icon" type="image/svg+xml" href=(assets::url("img/favicon.svg"));
                script src=(assets::url("js/suggest.js")) defer {}
                script src=(assets::url("js/vehicle.js")) defer {}
                script src=(assets::url("js/countdown.js")) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (header(chrome))
                main #main .wrap { (body) }
                (footer(chrome))
            }
        }
    }
}

fn header(chrome: &Chrome) -> Markup {
    html! {
        header.site-header {
            div.wrap.header-row {
                a.brand href="/" {
                    img src=(assets::url("img/favicon.svg")) alt="" width="32" height="32";
                    span { (chrome.shop.name) }
                }
                p.tagline { (chrome.shop.tagline) }
                form.site-search role="search" method="get" action="/search" {
                    label.visually-hidden for="site-q" { "Search the shop" }
                    input #site-q type="search" name="q" value=(chrome.query) placeholder="Search parts, part numbers, sauces…" autocomplete="off";
                    button.button type="submit" { "Search" }
                }
                a.mini-cart href="/cart" aria-label={ "Cart, " (chrome.cart_units) " items" } {
                    img src=(assets::url("img/icons/cart.svg")) alt="" width="24" height="24";
                    span { "Cart" }
                    @if chrome.cart_units > 0 { span.count { (chrome.cart_units) } }
                }
            }
            div.vehicle-bar {
                div.wrap {
                    @if let Some(v) = &chrome.vehicle {
                        span { "Shopping for your " strong { (garage::describe(v)) } }
                        a href=(garage::search_href(v)) { "Parts that fit" }
                        a href="/garage" { "Change vehicle" }
                    } @else if chrome.years.is_empty() {
                        span { "Add your vehicle to see only parts that fit." }
                        a href="/garage" { "Choose Year, Make, Model" }
                    } @else {
                        // Without JavaScript the year goes to /garage, which asks for the make,
                        // then the model, one step per page.
                        form.vehicle-pick method="get" action="/garage" {
                            label for="pick-year" { "Shop by vehicle:" }
                            select #pick-year name="year" required {
                                option value="" { "Year" }
                                @for y in &chrome.years { option value=(y) { (y) } }
                            }
                            button.button.secondary type="submit" { "Next: make" }
                        }
                    }
                }
            }
            @if !chrome.nav.is_empty() {
                nav.cat-nav aria-label="Categories" {
                    ul.wrap {
                        @for (slug, category) in &chrome.nav {
                            li { a href={ "/c/" (slug) } { (category.path.name()) } }
                        }
                    }
                }
            }
        }
    }
}

fn footer(chrome: &Chrome) -> Markup {
    html! {
        footer.site-footer {
            div.wrap.footer-row {
                div {
                    p.footer-brand { (chrome.shop.name) }
                    p { (chrome.shop.tagline) }
                }
                nav aria-label="Footer" {
                    ul {
                        li { a href="/" { "Home" } }
                        @for (slug, category) in chrome.nav.iter().take(6) {
                            li { a href={ "/c/" (slug) } { (category.path.name()) } }
                        }
                    }
                }
                p.small { "Prices in US dollars; shipping and tax are added at checkout. Powered by storefront." }
            }
        }
    }
}
