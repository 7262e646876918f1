use maud::{Markup, html};

use super::components::{breadcrumbs, grid, pager};
use super::layout::{Chrome, Head, address, page_with};
use crate::catalog::Sort;
use crate::catalog::ops::CategoryListing;
use crate::search::Facets;

pub fn category(chrome: &Chrome, listing: &CategoryListing, facets: &Facets, sort: Sort) -> Markup {
    let name = listing.category.path.name();
    let base = format!("/c/{}", listing.slug);
    let href = |n: u32| {
        let mut url = format!("{base}?sort={}", sort.as_str());
        if n > 1 {
            url.push_str(&format!("&page={n}"));
        }
        url
    };
    let page_info = &listing.items;
    let first = page_info.page.offset() as u64 + 1;
    let last = first + page_info.items.len() as u64 - 1;
    let narrowing = [("category".to_owned(), listing.slug.clone())];
    let results = html! {
        header.listing-head {
            h1 { (name) }
            p.count { (listing.category.count) @if listing.category.count == 1 { " item" } @else { " items" } }
        }
        @if !listing.children.is_empty() {
            nav.chips aria-label={ "Subcategories of " (name) } {
                ul role="list" {
                    @for (slug, child) in &listing.children {
                        li { a.chip href={ "/c/" (slug) } { (child.path.name()) " " span.chip-count { (child.count) } } }
                    }
                }
            }
        }
        div.toolbar {
            @if page_info.total > 0 {
                p.showing { "Showing " (first) "–" (last) " of " (page_info.total) }
            }
            form.sort method="get" action=(base) {
                label for="sort" { "Sort by" }
                select #sort name="sort" {
                    @for option in Sort::ALL {
                        option value=(option.as_str()) selected[option == sort] { (option.label()) }
                    }
                }
                button.button.secondary type="submit" { "Apply" }
            }
        }
        @if page_info.items.is_empty() {
            p.empty { "Nothing on this page. " a href=(base) { "Back to the first page" } }
        } @else {
            (grid(&page_info.items, chrome))
        }
        (pager(page_info.page.page, page_info.page_count(), href))
    };
    let category_name = |slug: &str| slug.to_owned();
    let body = html! {
        (breadcrumbs(&listing.breadcrumbs, None))
        div.search-layout {
            aside.facets aria-label="Filters" { (super::search::filters(&narrowing, facets, false, &category_name)) }
            section.results { (results) }
        }
    };
    let description = format!("{name}: {} items", listing.category.count);
    // Sorting shows the same items: the canonical page is the listing's own order, page by page.
    let page_no = page_info.page.page;
    let own = if page_no > 1 {
        format!("{base}?page={page_no}")
    } else {
        base.clone()
    };
    let head = Head {
        title: name,
        description: &description,
        canonical: Some(address(chrome, &own)),
        ..Head::default()
    };
    page_with(chrome, &head, body)
}
