//! `GET /api/v1/search`, checked against a brute-force scan of the same generated catalog.

use std::collections::HashMap;

use serde_json::Value;
use storefront::domain::{CategoryPath, PartNumber};

use crate::helpers::{TestApp, catalog_lines, generated_catalog, spawn_app_with_catalog};

/// Lower-cased words the way the index splits them (ASCII catalog text).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Every word a product can be found by: title, description, brand, category names, attribute
/// values and part numbers.
fn searchable_words(line: &Value) -> Vec<String> {
    let mut text = String::new();
    for field in ["title", "description", "brand", "category"] {
        text.push(' ');
        text.push_str(line[field].as_str().unwrap_or_default());
    }
    for value in line["attributes"].as_object().into_iter().flat_map(|m| m.values()) {
        text.push(' ');
        text.push_str(&value.as_str().map(String::from).unwrap_or_else(|| value.to_string()));
    }
    for pn in line["part_numbers"].as_array().into_iter().flatten() {
        text.push(' ');
        text.push_str(pn.as_str().unwrap());
    }
    words(&text)
}

fn matches_text(line: &Value, q: &str) -> bool {
    let have = searchable_words(line);
    let by_words = words(q).iter().all(|w| have.contains(w));
    let key = PartNumber::key_of(q);
    let by_number = line["part_numbers"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|pn| PartNumber::key_of(pn.as_str().unwrap()) == key);
    by_words || by_number
}

async fn search(app: &TestApp, query: &str) -> Value {
    let (status, body) = app.get_json(&format!("/api/v1/search?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

async fn catalog_app() -> (TestApp, Vec<Value>) {
    let catalog = generated_catalog(500, 21);
    let app = spawn_app_with_catalog(&catalog).await;
    (app, catalog_lines(&catalog))
}

#[tokio::test]
async fn text_search_totals_match_a_brute_force_scan() {
    let (app, lines) = catalog_app().await;
    for q in [
        "ceramic",
        "front brake",
        "oil filter",
        "habanero",
        "iridium spark plug",
        "bosch",
        "garlic sauce",
        "rear",
    ] {
        let expected = lines.iter().filter(|l| matches_text(l, q)).count() as u64;
        let body = search(&app, &format!("q={}", q.replace(' ', "+"))).await;
        assert_eq!(body["total"], expected, "q={q}");
        assert!(
            expected > 0,
            "the query {q:?} should find something in the generated catalog"
        );
    }
}

#[tokio::test]
async fn filters_and_facet_counts_match_a_brute_force_scan() {
    let (app, lines) = catalog_app().await;
    let in_range = |l: &&Value| (2_000..=10_000).contains(&l["price_cents"].as_u64().unwrap());
    let in_stock = |l: &&Value| l["stock"].as_u64().unwrap() > 0;
    let under_brakes = |l: &&Value| {
        CategoryPath::parse(l["category"].as_str().unwrap())
            .unwrap()
            .slug()
            .starts_with("brakes/")
    };
    let matching: Vec<&Value> = lines
        .iter()
        .filter(in_range)
        .filter(in_stock)
        .filter(under_brakes)
        .collect();

    let body = search(
        &app,
        "category=brakes&min_price=2000&max_price=10000&in_stock=true&per_page=100",
    )
    .await;
    assert_eq!(body["total"], matching.len() as u64);

    let mut brands: HashMap<String, u64> = HashMap::new();
    for l in &matching {
        *brands.entry(l["brand"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    for facet in body["facets"]["brand"].as_array().unwrap() {
        assert_eq!(
            facet["count"],
            brands[facet["value"].as_str().unwrap()],
            "brand {}",
            facet["value"]
        );
    }
    let mut children: HashMap<String, u64> = HashMap::new();
    for l in &matching {
        let slug = CategoryPath::parse(l["category"].as_str().unwrap()).unwrap().slug();
        *children.entry(slug).or_default() += 1;
    }
    for facet in body["facets"]["category"].as_array().unwrap() {
        assert_eq!(
            facet["count"],
            children[facet["value"].as_str().unwrap()],
            "category {}",
            facet["value"]
        );
    }
    let mut positions: HashMap<String, u64> = HashMap::new();
    for l in &matching {
        if let Some(p) = l["attributes"]["position"].as_str() {
            *positions.entry(p.to_owned()).or_default() += 1;
        }
    }
    for facet in body["facets"]["attr.position"].as_array().unwrap() {
        assert_eq!(facet["count"], positions[facet["value"].as_str().unwrap()]);
    }

    let front = search(
        &app,
        "category=brakes&min_price=2000&max_price=10000&in_stock=true&attr.position=Front",
    )
    .await;
    assert_eq!(front["total"], positions.get("Front").copied().unwrap_or(0));
}

#[tokio::test]
async fn sorting_by_price_agrees_with_a_brute_force_sort() {
    let (app, lines) = catalog_app().await;
    let mut prices: Vec<u64> = lines
        .iter()
        .filter(|l| matches_text(l, "filter"))
        .map(|l| l["price_cents"].as_u64().unwrap())
        .collect();
    prices.sort();
    let body = search(&app, "q=filter&sort=price_asc&per_page=100").await;
    let shown: Vec<u64> = body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["price_cents"].as_u64().unwrap())
        .collect();
    assert_eq!(shown, prices[..shown.len()]);
    let body = search(&app, "q=filter&sort=price_desc&per_page=5").await;
    let top = body["hits"][0]["price_cents"].as_u64().unwrap();
    assert_eq!(top, *prices.last().unwrap());
}

#[tokio::test]
async fn a_part_number_typed_any_way_finds_its_part_first() {
    let (app, lines) = catalog_app().await;
    let part = lines
        .iter()
        .find(|l| l["part_numbers"].as_array().is_some_and(|p| p.len() >= 3))
        .unwrap();
    let sku = part["sku"].as_str().unwrap();
    for number in part["part_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
    {
        let squashed: String = number.chars().filter(char::is_ascii_alphanumeric).collect();
        for typed in [
            number.to_owned(),
            number.to_lowercase(),
            squashed.clone(),
            squashed.to_lowercase(),
        ] {
            let body = search(&app, &format!("q={}", urlencode(&typed))).await;
            let first = body["hits"][0]["sku"].as_str().unwrap_or_default().to_owned();
            let owners: Vec<&str> = lines
                .iter()
                .filter(|l| {
                    l["part_numbers"]
                        .as_array()
                        .unwrap_or(&vec![])
                        .iter()
                        .any(|p| PartNumber::key_of(p.as_str().unwrap()) == PartNumber::key_of(number))
                })
                .map(|l| l["sku"].as_str().unwrap())
                .collect();
            assert!(
                owners.contains(&first.as_str()),
                "{typed:?} should rank a part carrying {number} first, got {first}"
            );
            assert!(owners.contains(&sku));
        }
    }
}

#[tokio::test]
async fn hostile_queries_are_answered_without_a_server_error() {
    let (app, _) = catalog_app().await;
    let long = "a".repeat(10_000);
    for q in [
        "\"unbalanced",
        "AND OR NOT",
        "((((",
        "title:",
        "*",
        "-",
        "brake AND",
        "🌶🔥 sauce",
        "[1 TO",
        long.as_str(),
        "%00",
    ] {
        let (status, body) = app.get_json(&format!("/api/v1/search?q={}", urlencode(q))).await;
        assert_eq!(status, 200, "{q:.40}: {body}");
    }
    for bad in ["min_price=abc", "sort=cheapest", "page=-1"] {
        let (status, body) = app.get_json(&format!("/api/v1/search?{bad}")).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"]["code"], "bad_request");
    }
}

#[tokio::test]
async fn a_typo_still_finds_what_was_meant_and_says_so() {
    let (app, _) = catalog_app().await;
    let body = search(&app, "q=habanaro").await;
    assert!(body["total"].as_u64().unwrap() > 0);
    assert_eq!(body["corrected"], true);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_search_page_lists_results_with_facets_sorting_and_removable_filters() {
    let (app, lines) = catalog_app().await;
    let expected = lines
        .iter()
        .filter(|l| matches_text(l, "brake") && l["stock"].as_u64().unwrap() > 0)
        .count();
    let (status, html) = app.get_html("/search?q=brake&in_stock=true&sort=price_asc").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("<p class=\"count\">{expected} products</p>")),
        "count shown"
    );
    for expected in [
        "Results for “brake”",
        "aria-label=\"Filters\"",
        "Brand",
        "Price",
        "Sort by",
        "Remove filter In stock",
    ] {
        assert!(html.contains(expected), "search page lacks {expected:?}");
    }
    assert!(
        html.contains("href=\"/search?q=brake&amp;sort=price_asc\""),
        "removing the stock filter keeps the rest"
    );
    let (_, home) = app.get_html("/").await;
    assert!(home.contains("action=\"/search\""), "every page has the search box");
}

#[tokio::test]
async fn a_search_that_finds_nothing_offers_ways_out_and_is_recorded_for_the_merchant() {
    let (app, _) = catalog_app().await;
    let (status, html) = app.get_html("/search?q=flux+capacitor&brand=Bosch").await;
    assert_eq!(status, 200);
    assert!(html.contains("No products match"));
    assert!(html.contains("Search again without filters"));
    assert!(html.contains("Or browse a category"));
    let recorded = app.store.read().unwrap().zero_result_searches(10).unwrap();
    assert_eq!(recorded, [("flux capacitor".to_owned(), 1)]);
}
