//! Small pieces shared by pages: product cards, tiles, prices, stock badges, breadcrumbs, pagers.

use maud::{Markup, html};

use super::layout::Chrome;
use crate::catalog::{Category, Item, Product};
use crate::domain::Fit;
use crate::search::VehicleFilter;
use crate::web::{assets, garage};

/// The icon for a product's top-level category; the demo catalog carries no photos.
fn icon_for(product: &Product) -> String {
    let top = product
        .category
        .as_ref()
        .map(|c| c.names()[0].to_lowercase())
        .unwrap_or_default();
    let name = match top.as_str() {
        t if t.contains("sauce") => "sauce",
        t if t.contains("brake") => "brakes",
        t if t.contains("filter") => "filters",
        t if t.contains("ignition") => "ignition",
        t if t.contains("suspension") || t.contains("steering") => "suspension",
        t if t.contains("cool") => "cooling",
        t if t.contains("electric") || t.contains("lighting") => "electrical",
        t if t.contains("tool") => "tools",
        t if t.contains("fluid") || t.contains("chemical") => "fluids",
        _ => "part",
    };
    assets::url(&format!("img/icons/{name}.svg"))
}

/// A stable colour for a product's tile, from its SKU.
fn hue_class(product: &Product) -> String {
    let h = xxhash_rust::xxh3::xxh3_64(product.sku.as_str().as_bytes()) % 6;
    format!("tile hue-{h}")
}

pub fn tile(product: &Product, large: bool) -> Markup {
    let size = if large { "160" } else { "72" };
    html! {
        div class=(hue_class(product)) {
            @if let Some(url) = product.image_url() {
                img.photo src=(url) alt=(product.title) loading="lazy";
            } @else {
                img src=(icon_for(product)) alt="" width=(size) height=(size) loading="lazy";
            }
        }
    }
}

/// What one unit costs now, with the regular price struck through when the shopper pays less.
pub fn price_tag(item: &Item, big: bool) -> Markup {
    html! {
        span.price.big[big].sale[item.was().is_some()] {
            (item.unit_price())
            @if let Some(was) = item.was() { " " s.was aria-label="regular price" { (was) } }
        }
    }
}

/// A running flash sale: its name and a countdown (live with JavaScript; without, the end time),
/// behind the `flash_sale_banner` flag.
pub fn sale_banner(item: &Item, chrome: &Chrome) -> Markup {
    let Some(offer) = item
        .offer
        .as_ref()
        .filter(|_| chrome.flags.on(crate::flags::model::FLASH_SALE_BANNER))
    else {
        return html! {};
    };
    let ends = crate::domain::format_utc(offer.ends_ms);
    html! {
        p.sale-banner {
            strong { (offer.name) }
            " · "
            time datetime=(ends) data-countdown {
                "ends " (crate::domain::format_day(offer.ends_ms)) " " (&ends[11..16]) " UTC"
            }
        }
    }
}

pub fn stock_badge(stock: u64) -> Markup {
    html! {
        @match stock {
            0 => span.stock.out { "Out of stock" },
            1..=crate::inventory::FEW_LEFT => span.stock.low { "Only " (stock) " left" },
            _ => span.stock.in { "In stock" },
        }
    }
}

pub fn card(item: &Item, chrome: &Chrome) -> Markup {
    let p = &item.product;
    let vehicle = chrome.vehicle.as_ref();
    html! {
        article.card {
            a.card-link href={ "/p/" (p.sku) } {
                (tile(p, false))
                div.card-body {
                    @if let Some(brand) = &p.brand { p.card-brand { (brand) } }
                    h3.card-title { (p.title) }
                    @if let Some(pn) = p.own_part_number() { p.card-pn { "Part # " (pn) } }
                    @if let Some(v) = vehicle.filter(|_| p.is_vehicle_part()) { (fit_badge(v, p)) }
                    (sale_banner(item, chrome))
                    div.card-foot {
                        (price_tag(item, false))
                        (stock_badge(item.stock))
                    }
                }
            }
        }
    }
}

pub fn grid(items: &[Item], chrome: &Chrome) -> Markup {
    html! {
        ul.grid role="list" {
            @for item in items { li { (card(item, chrome)) } }
        }
    }
}

/// "Fits your 2009 Honda Civic", "Does not fit your …", or, when the submodel or engine decides
/// and the shopper has not said which, "Fits … V6 only": "fits" is said only when certain.
pub fn fit_badge(vehicle: &VehicleFilter, p: &Product) -> Markup {
    let name = garage::describe(vehicle);
    html! {
        @match vehicle.fit(p.universal, p.fitments.iter()) {
            Fit::Yes => p.fit.yes { "✓ Fits your " (name) },
            Fit::No => p.fit.no { "✗ Does not fit your " (name) },
            Fit::Only(configs) => p.fit.maybe { "? Fits " (name) " " (labels(&configs)) " only" },
        }
    }
}

/// The product page's fit note: the badge, and when it depends on the submodel or engine, a
/// button per configuration that saves it to the garage and comes back here.
pub fn fit_question(vehicle: &VehicleFilter, p: &Product) -> Markup {
    let Fit::Only(configs) = vehicle.fit(p.universal, p.fitments.iter()) else {
        return fit_badge(vehicle, p);
    };
    let name = garage::describe(vehicle);
    html! {
        div.fit-question {
            p.fit.maybe { "Fits " (name) " " (labels(&configs)) " only — which is yours?" }
            div.fit-choices {
                @for config in &configs {
                    @let settled = config.applied_to(vehicle);
                    form method="post" action="/garage" {
                        input type="hidden" name="year" value=(settled.year);
                        input type="hidden" name="make" value=(settled.make);
                        input type="hidden" name="model" value=(settled.model);
                        @if let Some(s) = &settled.submodel { input type="hidden" name="submodel" value=(s); }
                        @if let Some(e) = &settled.engine { input type="hidden" name="engine" value=(e); }
                        input type="hidden" name="next" value={ "/p/" (p.sku) };
                        button.button.secondary type="submit" { "Mine is a " (config.label()) }
                    }
                }
                a.small href={ "/garage?" (garage::query_string(vehicle)) } { "Neither: tell us more" }
            }
        }
    }
}

fn labels(configs: &[crate::domain::Configuration]) -> String {
    configs.iter().map(|c| c.label()).collect::<Vec<_>>().join(" or ")
}

pub fn breadcrumbs(trail: &[(String, Category)], current: Option<&str>) -> Markup {
    html! {
        nav.crumbs aria-label="Breadcrumb" {
            ol {
                li { a href="/" { "Home" } }
                @for (i, (slug, category)) in trail.iter().enumerate() {
                    @if current.is_none() && i + 1 == trail.len() {
                        li aria-current="page" { (category.path.name()) }
                    } @else {
                        li { a href={ "/c/" (slug) } { (category.path.name()) } }
                    }
                }
                @if let Some(current) = current { li aria-current="page" { (current) } }
            }
        }
    }
}

/// Page links around the current page; `href(n)` builds page n's URL.
pub fn pager(page: u32, pages: u32, href: impl Fn(u32) -> String) -> Markup {
    if pages <= 1 {
        return html! {};
    }
    let window: Vec<u32> = (1..=pages)
        .filter(|&n| n == 1 || n == pages || n.abs_diff(page) <= 2)
        .collect();
    html! {
        nav.pager aria-label="Pagination" {
            @if page > 1 { a rel="prev" href=(href(page - 1)) { "‹ Previous" } }
            @for (i, &n) in window.iter().enumerate() {
                @if i > 0 && n - window[i - 1] > 1 { span.gap aria-hidden="true" { "…" } }
                @if n == page {
                    a aria-current="page" href=(href(n)) { (n) }
                } @else {
                    a href=(href(n)) { (n) }
                }
            }
            @if page < pages { a rel="next" href=(href(page + 1)) { "Next ›" } }
        }
    }
}

/// `warranty_years` -> `Warranty years`.
pub fn label(name: &str) -> String {
    let spaced = name.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Heat as one to five chillies, for sauces that carry a `heat` attribute.
pub fn heat(level: &str) -> Markup {
    let n = match level.to_lowercase().as_str() {
        "mild" => 1,
        "medium" => 2,
        "hot" => 3,
        "extra hot" | "very hot" => 4,
        "insane" | "superhot" | "extreme" => 5,
        _ => 0,
    };
    html! {
        @if n > 0 {
            span.heat aria-label={ "Heat: " (level) } title={ "Heat: " (level) } {
                @for i in 1..=5u8 {
                    img class=(if i <= n { "chili on" } else { "chili" }) src=(assets::url("img/chili.svg")) alt="" width="20" height="20";
                }
            }
        }
    }
}
