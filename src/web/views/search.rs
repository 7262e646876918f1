//! The search results page: facet sidebar, removable filters, sorting, pages, and a zero-result
//! page with ways out.

use std::collections::HashMap;

use maud::{Markup, html};

use super::components::{grid, label, pager};
use super::layout::{Chrome, Head, address, page, page_with};
use crate::catalog::Item;
use crate::search::{FacetValue, SearchRequest, SearchResults, price_bucket_range};

/// Everything the page shows.
pub struct SearchPage {
    /// The query string as given, minus `page`; links are built from it.
    pub params: Vec<(String, String)>,
    pub request: SearchRequest,
    pub results: SearchResults,
    pub items: Vec<Item>,
    pub category_names: HashMap<String, String>,
    pub best_sellers: Vec<Item>,
    /// Results are narrowed to the garage vehicle (not to one in the query string).
    pub garage_applied: bool,
    /// Set on a vehicle's landing page (`/fits/…`), which is its own page for search engines.
    pub landing: Option<Landing>,
}

/// What a landing page says about itself.
pub struct Landing {
    pub title: String,
    /// Its own path, `/fits/2009-honda-civic` or `/fits/2009-honda-civic/brakes`.
    pub path: String,
    /// The vehicle's page, `/fits/2009-honda-civic`.
    pub vehicle_path: String,
    /// "2009 Honda Civic".
    pub vehicle: String,
}

const SORTS: [(&str, &str); 5] = [
    ("relevance", "Best match"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("newest", "Newest"),
    ("title", "Name: A to Z"),
];

fn href(params: &[(String, String)]) -> String {
    match serde_urlencoded::to_string(params) {
        Ok(qs) if !qs.is_empty() => format!("/search?{qs}"),
        _ => "/search".to_owned(),
    }
}

fn with(params: &[(String, String)], key: &str, value: &str) -> String {
    let mut next: Vec<(String, String)> = params.iter().filter(|(k, _)| k != key).cloned().collect();
    next.push((key.to_owned(), value.to_owned()));
    href(&next)
}

fn without(params: &[(String, String)], key: &str, value: Option<&str>) -> String {
    let next: Vec<(String, String)> = params
        .iter()
        .filter(|(k, v)| !(k == key && value.is_none_or(|value| v == value)))
        .cloned()
        .collect();
    href(&next)
}

pub fn search(chrome: &Chrome, p: &SearchPage) -> Markup {
    let q = p.request.q.trim();
    let title = match &p.landing {
        Some(landing) => landing.title.clone(),
        None if q.is_empty() => "All products".to_owned(),
        None => format!("Results for “{q}”"),
    };
    let body = html! {
        div.search-layout {
            aside.facets aria-label="Filters" { (sidebar(p)) }
            section.results aria-labelledby="results-h" {
                h1 #results-h { (title) }
                p.count { (p.results.total) @if p.results.total == 1 { " product" } @else { " products" } }
                @if let Some(landing) = p.landing.as_ref().filter(|l| l.path == l.vehicle_path) {
                    (vehicle_tree(p, landing))
                }
                @if p.results.corrected { p.notice { "Nothing matched exactly, so these are close matches." } }
                @if let Some((vehicle, words)) = &p.results.understood {
                    p.notice.understood {
                        "Parts that fit "
                        span.chip { strong { (vehicle.describe()) } " " a href={ "/search?q=" (escape_query(words)) "&all_vehicles=1" } aria-label="Remove the vehicle" { "×" } }
                        @if !words.is_empty() { " matching “" (words) "”" }
                        ", and universal items."
                    }
                }
                @if let (true, Some(v)) = (p.garage_applied, &p.request.vehicle) {
                    p.notice {
                        "Showing parts that fit your " strong { (crate::web::garage::describe(v)) } " and universal items. "
                        a href=(with(&p.params, "all_vehicles", "1")) { "Show everything" }
                    }
                }
                (selected_filters(p))
                @if p.results.total == 0 { (no_results(chrome, p)) } @else {
                    (sort_form(p))
                    (grid(&p.items, chrome))
                    (pager(p.request.page.page, pages(p), |n| with(&p.params, "page", &n.to_string())))
                }
            }
        }
    };
    match &p.landing {
        Some(landing) => {
            let description = format!("{title}: {} parts, with universal items.", p.results.total);
            let head = Head {
                title: &title,
                description: &description,
                canonical: Some(address(chrome, &landing.path)),
                ..Head::default()
            };
            page_with(chrome, &head, body)
        }
        None => page(chrome, &title, &title, body),
    }
}

/// A vehicle's parts by department: "Brakes for your 2009 Honda Civic: 12 parts".
fn vehicle_tree(p: &SearchPage, landing: &Landing) -> Markup {
    html! {
        @if !p.results.facets.category.is_empty() {
            nav.vehicle-tree aria-label={ "Departments for the " (landing.vehicle) } {
                ul role="list" {
                    @for c in &p.results.facets.category {
                        @let name = p.category_name(&c.value);
                        li {
                            a.chip href={ (landing.vehicle_path) "/" (c.value) } {
                                (name) " for your " (landing.vehicle) ": " strong { (c.count) } @if c.count == 1 { " part" } @else { " parts" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn pages(p: &SearchPage) -> u32 {
    let per_page = u64::from(p.request.page.per_page);
    let max = (crate::catalog::PageRequest::MAX_OFFSET / per_page).max(1);
    p.results.total.div_ceil(per_page).clamp(1, max) as u32
}

impl SearchPage {
    /// A category's name for a facet's slug (the slug itself if the category is gone).
    fn category_name(&self, slug: &str) -> String {
        self.category_names
            .get(slug)
            .cloned()
            .unwrap_or_else(|| slug.to_owned())
    }
}

fn sidebar(p: &SearchPage) -> Markup {
    filters(&p.params, &p.results.facets, p.request.in_stock, &|slug| {
        p.category_name(slug)
    })
}

/// The facet sidebar: each value a link to the results narrowed by it (the search page's own
/// filters kept), and the in-stock switch. A category page shows it too, its filters then
/// leading to the search page within that category.
pub fn filters(
    params: &[(String, String)],
    f: &crate::search::Facets,
    in_stock: bool,
    category_name: &dyn Fn(&str) -> String,
) -> Markup {
    html! {
        @if !f.category.is_empty() {
            (facet_group("Category", &f.category, |v| category_name(&v.value), |v| with(params, "category", &v.value)))
        }
        @if !f.brand.is_empty() {
            (facet_group("Brand", &f.brand, |v| v.value.clone(), |v| with(params, "brand", &v.value)))
        }
        @if !f.price.is_empty() {
            (facet_group("Price", &f.price, |v| v.value.clone(), |v| price_link(params, &v.value)))
        }
        @for (name, values) in &f.attrs {
            @if values.len() > 1 || params.iter().any(|(k, _)| k == &format!("attr.{name}")) {
                (facet_group(&label(name), values, |v| v.value.clone(), |v| with(params, &format!("attr.{name}"), &v.value)))
            }
        }
        form.stock-filter method="get" action="/search" {
            @for (k, v) in params.iter().filter(|(k, _)| k != "in_stock") {
                input type="hidden" name=(k) value=(v);
            }
            label {
                input type="checkbox" name="in_stock" value="true" checked[in_stock];
                " In stock only"
            }
            button.button.secondary type="submit" { "Apply" }
        }
    }
}

fn price_link(params: &[(String, String)], label: &str) -> String {
    let mut next: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "min_price" && k != "max_price" && k != "page")
        .cloned()
        .collect();
    if let Some((min, max)) = price_bucket_range(label) {
        next.extend(min.map(|m| ("min_price".to_owned(), m.to_string())));
        next.extend(max.map(|m| ("max_price".to_owned(), m.to_string())));
    }
    href(&next)
}

fn facet_group(
    title: &str,
    values: &[FacetValue],
    text: impl Fn(&FacetValue) -> String,
    link: impl Fn(&FacetValue) -> String,
) -> Markup {
    html! {
        details.facet open {
            summary { (title) }
            ul role="list" {
                @for v in values {
                    li { a href=(link(v)) { span { (text(v)) } span.facet-count { (v.count) } } }
                }
            }
        }
    }
}

fn selected_filters(p: &SearchPage) -> Markup {
    let chips: Vec<(String, String)> = p
        .params
        .iter()
        .filter(|(k, _)| !["q", "sort", "page", "per_page", "all_vehicles"].contains(&k.as_str()))
        .map(|(k, v)| {
            let shown = match k.as_str() {
                "category" => p.category_names.get(v).cloned().unwrap_or_else(|| v.clone()),
                "in_stock" => "In stock".to_owned(),
                "min_price" => format!(
                    "From ${}",
                    v.parse::<u64>().map_or(v.clone(), |c| (c / 100).to_string())
                ),
                "max_price" => format!(
                    "Up to ${}",
                    v.parse::<u64>().map_or(v.clone(), |c| (c / 100 + 1).to_string())
                ),
                _ => match k.strip_prefix("attr.") {
                    Some(name) => format!("{}: {v}", label(name)),
                    None => v.clone(),
                },
            };
            (shown, without(&p.params, k, Some(v)))
        })
        .collect();
    html! {
        @if !chips.is_empty() {
            ul.chips-list.selected role="list" aria-label="Selected filters" {
                @for (shown, remove) in &chips {
                    li { a.chip.active href=(remove) aria-label={ "Remove filter " (shown) } { (shown) " ✕" } }
                }
                li { a.clear href=(href(&p.params.iter().filter(|(k, _)| k == "q").cloned().collect::<Vec<_>>())) { "Clear all" } }
            }
        }
    }
}

fn sort_form(p: &SearchPage) -> Markup {
    let current = p
        .params
        .iter()
        .find(|(k, _)| k == "sort")
        .map_or("relevance", |(_, v)| v.as_str());
    html! {
        form.sort.toolbar method="get" action="/search" {
            @for (k, v) in p.params.iter().filter(|(k, _)| k != "sort" && k != "page") {
                input type="hidden" name=(k) value=(v);
            }
            label for="sort" { "Sort by" }
            select #sort name="sort" {
                @for (value, text) in SORTS { option value=(value) selected[value == current] { (text) } }
            }
            button.button.secondary type="submit" { "Apply" }
        }
    }
}

fn no_results(chrome: &Chrome, p: &SearchPage) -> Markup {
    let filtered = p.params.iter().any(|(k, _)| k != "q" && k != "sort" && k != "page");
    html! {
        div.empty {
            h2 { "No products match" }
            ul {
                @if filtered {
                    li { a href=(href(&p.params.iter().filter(|(k, _)| k == "q").cloned().collect::<Vec<_>>())) { "Search again without filters" } }
                }
                li { "Check the spelling, or try a part number as printed on the old part." }
                li { "Use fewer or more general words, such as " em { "brake pads" } " or " em { "habanero" } "." }
            }
            @if chrome.vehicle.is_none() && !chrome.years.is_empty() {
                form.vehicle-pick.zero-pick method="get" action="/garage" {
                    label for="zero-year" { "Looking for a part for your vehicle? Start with its year:" }
                    select #zero-year name="year" required {
                        option value="" { "Year" }
                        @for y in &chrome.years { option value=(y) { (y) } }
                    }
                    button.button.secondary type="submit" { "Next: make" }
                }
            }
            @if !chrome.nav.is_empty() {
                p { "Or browse a category:" }
                ul.chips-list role="list" {
                    @for (slug, category) in &chrome.nav { li { a.chip href={ "/c/" (slug) } { (category.path.name()) } } }
                }
            }
        }
        @if !p.best_sellers.is_empty() {
            h2 { "Popular right now" }
            (grid(&p.best_sellers, chrome))
        }
    }
}

/// `text` for a query string value.
pub fn escape_query(text: &str) -> String {
    serde_urlencoded::to_string([("q", text)])
        .unwrap_or_default()
        .trim_start_matches("q=")
        .to_owned()
}
