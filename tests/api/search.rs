//! `GET /api/v1/search`, checked against a brute-force scan of the same generated catalog.

use std::collections::HashMap;

use serde_json::Value;
use storefront::domain::{CategoryPath, PartNumber};

use std::time::Duration;

use crate::helpers::{TestApp, catalog_lines, eventually, generated_catalog, spawn_app_with_catalog};

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

/// `value` as a query-string value.
fn url_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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
        // The header's box keeps the query, to refine it.
        "name=\"q\" value=\"brake\"",
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
    // Counted off the request path, through the writer's next commit.
    let recorded = || async { app.store.read().unwrap().zero_result_searches(10).unwrap() };
    let expected = [("flux capacitor".to_owned(), 1)];
    assert!(eventually(Duration::from_secs(5), || async { recorded().await == expected }).await);
}

/// (year, make, model, submodel, engine) of one fitment-year.
type Fitted = (u64, String, String, Option<String>, Option<String>);

/// Every fitment-year in the catalog.
fn fitted_vehicles(lines: &[Value]) -> Vec<Fitted> {
    let mut out = Vec::new();
    for l in lines {
        for f in l["fitments"].as_array().into_iter().flatten() {
            for year in f["year_from"].as_u64().unwrap()..=f["year_to"].as_u64().unwrap() {
                let text = |k: &str| f[k].as_str().map(String::from);
                out.push((
                    year,
                    text("make").unwrap(),
                    text("model").unwrap(),
                    text("submodel"),
                    text("engine"),
                ));
            }
        }
    }
    out
}

fn fits(line: &Value, year: u64, make: &str, model: &str, sub: Option<&str>, eng: Option<&str>) -> bool {
    line["universal"].as_bool().unwrap_or(false)
        || line["fitments"].as_array().into_iter().flatten().any(|f| {
            let open = |k: &str, want: Option<&str>| {
                want.is_none_or(|w| f[k].as_str().is_none_or(|v| v.eq_ignore_ascii_case(w)))
            };
            (f["year_from"].as_u64().unwrap()..=f["year_to"].as_u64().unwrap()).contains(&year)
                && f["make"].as_str().unwrap().eq_ignore_ascii_case(make)
                && f["model"].as_str().unwrap().eq_ignore_ascii_case(model)
                && open("submodel", sub)
                && open("engine", eng)
        })
}

/// The domain's one fit rule, over a line as imported.
fn fits_by_the_domain_rule(line: &Value, vehicle: &storefront::domain::VehicleFilter) -> bool {
    let record = storefront::catalog::import::parse_json_line(&line.to_string(), 0).expect("a catalog line parses");
    vehicle.is_fitted_by(record.product.universal, record.product.fitments.iter())
}

#[tokio::test]
async fn vehicle_filtering_matches_a_brute_force_scan_and_keeps_universal_parts() {
    let (app, lines) = catalog_app().await;
    let vehicles = fitted_vehicles(&lines);
    for (i, (year, make, model, sub, eng)) in vehicles.iter().step_by(vehicles.len() / 40).enumerate() {
        let (sub, eng) = match i % 4 {
            0 => (None, None),
            1 => (sub.as_deref(), None),
            2 => (None, eng.as_deref()),
            _ => (sub.as_deref(), eng.as_deref()),
        };
        let expected = lines.iter().filter(|l| fits(l, *year, make, model, sub, eng)).count() as u64;
        // The domain rule (product cards, the cart) agrees with this scan on every product.
        let vehicle = storefront::domain::VehicleFilter {
            year: *year as u16,
            make: make.to_uppercase(),
            model: model.to_lowercase(),
            submodel: sub.map(String::from),
            engine: eng.map(String::from),
        };
        for line in &lines {
            assert_eq!(
                fits_by_the_domain_rule(line, &vehicle),
                fits(line, *year, make, model, sub, eng),
                "{vehicle:?} and {}",
                line["sku"]
            );
        }
        let mut query = format!(
            "year={year}&make={}&model={}",
            urlencode(&make.to_uppercase()),
            urlencode(&model.to_lowercase())
        );
        if let Some(s) = sub {
            query.push_str(&format!("&submodel={}", urlencode(s)));
        }
        if let Some(e) = eng {
            query.push_str(&format!("&engine={}", urlencode(e)));
        }
        let body = search(&app, &query).await;
        assert_eq!(body["total"], expected, "the search filter agrees: {query}");
        let universal = lines
            .iter()
            .filter(|l| l["universal"].as_bool().unwrap_or(false))
            .count() as u64;
        assert!(expected > universal, "{query} should find vehicle-specific parts");
    }
    let (status, _) = app.get_json("/api/v1/search?year=2009&make=Honda").await;
    assert_eq!(status, 400, "a vehicle needs its model");
}

#[tokio::test]
async fn the_vehicle_cascade_lists_exactly_the_vehicles_some_product_fits() {
    let (app, lines) = catalog_app().await;
    let vehicles = fitted_vehicles(&lines);
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v
    };
    let values = |body: Value| {
        sorted(
            body["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect(),
        )
    };

    let (_, years) = app.get_json("/api/v1/vehicles/years").await;
    assert_eq!(
        values(years),
        sorted(vehicles.iter().map(|v| v.0.to_string()).collect())
    );

    let (year, make, model, _, _) = vehicles[vehicles.len() / 2].clone();
    let (_, makes) = app.get_json(&format!("/api/v1/vehicles/makes?year={year}")).await;
    assert_eq!(
        values(makes),
        sorted(vehicles.iter().filter(|v| v.0 == year).map(|v| v.1.clone()).collect())
    );

    let (_, models) = app
        .get_json(&format!(
            "/api/v1/vehicles/models?year={year}&make={}",
            urlencode(&make.to_lowercase())
        ))
        .await;
    let expected = vehicles
        .iter()
        .filter(|v| v.0 == year && v.1 == make)
        .map(|v| v.2.clone())
        .collect();
    assert_eq!(values(models), sorted(expected));

    let step = format!("year={year}&make={}&model={}", urlencode(&make), urlencode(&model));
    let (_, subs) = app.get_json(&format!("/api/v1/vehicles/submodels?{step}")).await;
    let same = |v: &&Fitted| v.0 == year && v.1 == make && v.2 == model;
    assert_eq!(
        values(subs),
        sorted(vehicles.iter().filter(same).filter_map(|v| v.3.clone()).collect())
    );
    let (_, engines) = app.get_json(&format!("/api/v1/vehicles/engines?{step}")).await;
    assert_eq!(
        values(engines),
        sorted(vehicles.iter().filter(same).filter_map(|v| v.4.clone()).collect())
    );

    let (status, _) = app.get_json("/api/v1/vehicles/models?year=2009").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn suggest_offers_titles_part_numbers_brands_and_categories_for_a_prefix() {
    let (app, lines) = catalog_app().await;
    let (status, body) = app.get_json("/api/v1/suggest?q=brake%20pa").await;
    assert_eq!(status, 200);
    let suggestions = body["suggestions"].as_array().unwrap();
    assert!(
        suggestions
            .iter()
            .any(|s| s["kind"] == "product" && s["text"].as_str().unwrap().contains("Brake Pad"))
    );

    let number = lines.iter().find_map(|l| l["part_numbers"][0].as_str()).unwrap();
    let prefix: String = number.chars().filter(char::is_ascii_alphanumeric).take(5).collect();
    let (_, body) = app
        .get_json(&format!("/api/v1/suggest?q={}", prefix.to_lowercase()))
        .await;
    let parts: Vec<&Value> = body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "part_number")
        .collect();
    assert!(!parts.is_empty(), "a part-number prefix {prefix} suggests parts");

    let (_, body) = app.get_json("/api/v1/suggest?q=bos").await;
    assert!(
        body["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "brand" && s["text"] == "Bosch")
    );
    let (_, body) = app.get_json("/api/v1/suggest?q=filt").await;
    assert!(
        body["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "category")
    );
    let (status, body) = app.get_json("/api/v1/suggest?q=%22%28%5B").await;
    assert_eq!(status, 200);
    assert!(body["suggestions"].is_array());
}

#[tokio::test]
async fn a_product_added_while_serving_brings_its_vehicle_into_the_cascade() {
    let app = spawn_app_with_catalog(crate::checkout::SHOP.as_bytes()).await;
    let (_, before) = app.get_json("/api/v1/vehicles/makes?year=1998").await;
    assert!(!before["values"].as_array().unwrap().iter().any(|m| m == "Saab"));
    let line = serde_json::json!({"sku":"SAAB-1","title":"Saab 9-3 wiper","price_cents":900,"stock":4,
        "fitments":[{"year_from":1998,"year_to":2002,"make":"Saab","model":"9-3","submodel":"SE"}]});
    assert_eq!(app.put_product(&line).await, 201);
    let started = std::time::Instant::now();
    loop {
        let found = search(&app, "year=2000&make=SAAB&model=9-3&submodel=se").await;
        if found["hits"][0]["sku"] == "SAAB-1" {
            break;
        }
        assert!(started.elapsed().as_secs() < 3, "the vehicle filter still says {found}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, models) = app.get_json("/api/v1/vehicles/models?year=1998&make=saab").await;
    assert_eq!(models["values"], serde_json::json!(["9-3"]));
    let (_, makes) = app.get_json("/api/v1/vehicles/makes?year=2002").await;
    assert!(
        makes["values"].as_array().unwrap().iter().any(|m| m == "Saab"),
        "{makes}"
    );
    let (_, subs) = app
        .get_json("/api/v1/vehicles/submodels?year=2000&make=Saab&model=9-3")
        .await;
    assert_eq!(subs["values"], serde_json::json!(["SE"]));
}

#[tokio::test]
async fn a_vehicle_spelled_differently_by_two_products_finds_both_and_is_listed_once() {
    let catalog = [
        r#"{"sku":"PAD-1","title":"Brake pads","price_cents":3000,"stock":5,"fitments":[{"year_from":2008,"year_to":2010,"make":"Honda","model":"Civic","engine":"1.8L"}]}"#,
        r#"{"sku":"PAD-2","title":"Brake pads, ceramic","price_cents":4000,"stock":5,"fitments":[{"year_from":2009,"year_to":2009,"make":"HONDA","model":"civic","submodel":"EX"}]}"#,
        r#"{"sku":"PAD-3","title":"Brake pads, sport","price_cents":5000,"stock":5,"fitments":[{"year_from":2009,"year_to":2009,"make":"Honda","model":"Civic","submodel":"LX","engine":"2.0L"}]}"#,
    ]
    .join("\n");
    let app = spawn_app_with_catalog(catalog.as_bytes()).await;
    let (_, makes) = app.get_json("/api/v1/vehicles/makes?year=2009").await;
    assert_eq!(makes["values"].as_array().map(Vec::len), Some(1), "{makes}");
    for (query, expected) in [
        ("year=2009&make=honda&model=CIVIC", vec!["PAD-1", "PAD-2", "PAD-3"]),
        ("year=2009&make=Honda&model=Civic&submodel=EX", vec!["PAD-1", "PAD-2"]),
        ("year=2009&make=Honda&model=Civic&engine=1.8L", vec!["PAD-1", "PAD-2"]),
        (
            "year=2009&make=Honda&model=Civic&submodel=LX&engine=2.0L",
            vec!["PAD-3"],
        ),
        ("year=2010&make=Honda&model=Civic&submodel=EX", vec!["PAD-1"]),
        ("year=2011&make=Honda&model=Civic", vec![]),
    ] {
        let found = search(&app, &format!("{query}&sort=price_asc")).await;
        let skus: Vec<&str> = found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i["sku"].as_str())
            .collect();
        assert_eq!(skus, expected, "{query}");
    }
}

#[tokio::test]
async fn a_broad_search_shows_only_attributes_a_shopper_filters_by_with_counts_matching_a_brute_force_scan() {
    let (app, lines) = catalog_app().await;
    let mut names: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
    for l in &lines {
        for (name, value) in l["attributes"].as_object().into_iter().flatten() {
            let text = value.as_str().map(String::from).unwrap_or_else(|| value.to_string());
            names.entry(name.clone()).or_default().insert(text);
        }
    }
    let many = |name: &str| names[name].len() > storefront::search::FACET_MAX_VALUES;
    assert!(
        many("dimensions"),
        "the catalog has attributes with a value per product"
    );
    for q in ["sauce", "brake", "filter", "oz"] {
        let body = search(&app, &format!("q={q}")).await;
        let matching: Vec<&Value> = lines.iter().filter(|l| matches_text(l, q)).collect();
        assert_eq!(body["total"], matching.len() as u64, "q={q}");
        assert!(!matching.is_empty(), "q={q}");
        let facets = body["facets"].as_object().unwrap();
        for name in names.keys() {
            let mut counts: HashMap<String, u64> = HashMap::new();
            for l in &matching {
                if let Some(v) = l["attributes"].get(name) {
                    let text = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
                    *counts.entry(text).or_default() += 1;
                }
            }
            let shown = facets.get(&format!("attr.{name}"));
            if many(name) {
                assert!(
                    shown.is_none(),
                    "q={q}: {name} has {} values, no facet",
                    names[name].len()
                );
                continue;
            }
            if counts.is_empty() {
                continue;
            }
            let shown = shown
                .unwrap_or_else(|| panic!("q={q}: {name} is a facet"))
                .as_array()
                .unwrap();
            for facet in shown {
                assert_eq!(
                    facet["count"],
                    counts[facet["value"].as_str().unwrap()],
                    "q={q}: {name} {}",
                    facet["value"]
                );
            }
        }
    }
    // Still a filter: the products with one exact measurement.
    let value = lines
        .iter()
        .find_map(|l| l["attributes"]["dimensions"].as_str())
        .unwrap();
    let exact = lines.iter().filter(|l| l["attributes"]["dimensions"] == value).count() as u64;
    let encoded: String = url_escape(value);
    let filtered = search(&app, &format!("attr.dimensions={encoded}")).await;
    assert_eq!(filtered["total"], exact, "attr.dimensions={value}");
    // Still searchable as text.
    let tomatillo = search(&app, "q=tomatillo").await;
    assert_eq!(
        tomatillo["total"],
        lines.iter().filter(|l| matches_text(l, "tomatillo")).count() as u64
    );
}

#[tokio::test]
async fn vehicle_words_in_a_query_are_read_as_the_vehicle_when_nothing_matches_as_typed() {
    let (app, lines) = catalog_app().await;
    // A model of the generated catalog and a part word: a brute-force count of parts that
    // match the words and fit that model in any year, plus universal parts.
    let fits_model = |l: &Value, make: &str, model: &str, year: Option<u64>| {
        l["universal"] == true
            || l["fitments"].as_array().into_iter().flatten().any(|f| {
                f["make"] == make
                    && f["model"] == model
                    && year.is_none_or(|y| f["year_from"].as_u64().unwrap() <= y && y <= f["year_to"].as_u64().unwrap())
            })
    };
    let (make, model) = lines
        .iter()
        .flat_map(|l| l["fitments"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            (
                f["make"].as_str().unwrap().to_owned(),
                f["model"].as_str().unwrap().to_owned(),
            )
        })
        .find(|(_, m)| m.chars().all(|c| c.is_alphabetic()) && m.len() >= 4)
        .expect("a one-word model");
    let mut checked = 0;
    for (q, words, year) in [
        (format!("brake {}", model.to_lowercase()), "brake", None),
        (format!("2010 {} filter", model.to_lowercase()), "filter", Some(2010u64)),
    ] {
        let expected = lines
            .iter()
            .filter(|l| matches_text(l, words) && fits_model(l, &make, &model, year))
            .count() as u64;
        let body = search(&app, &format!("q={}", q.replace(' ', "+"))).await;
        if expected == 0 {
            continue;
        }
        assert_eq!(body["total"], expected, "q={q}: {}", body["understood"]);
        assert_eq!(body["understood"]["model"], model.as_str(), "q={q}");
        assert_eq!(body["understood"]["words"], words);
        assert_eq!(body["understood"]["year"], year.map_or(Value::Null, Value::from));
        checked += 1;
    }
    assert!(checked > 0, "the generated catalog has parts for {make} {model}");
    let page = app
        .get_html(&format!("/search?q=brake+{}", model.to_lowercase()))
        .await
        .1;
    assert!(
        page.contains("Parts that fit") && page.contains(&model),
        "a chip names the vehicle"
    );
    assert!(
        page.contains("/search?q=brake&amp;all_vehicles=1"),
        "and removing it searches the words"
    );
    // A query that matches as typed is left alone.
    let plain = search(&app, "q=brake").await;
    assert!(plain["understood"].is_null());
}

#[tokio::test]
async fn the_sitemap_lists_every_product_and_category_and_robots_points_to_it() {
    let (app, lines) = catalog_app().await;
    let (status, robots) = app.get_html("/robots.txt").await;
    assert_eq!(status, 200);
    assert!(robots.contains("Disallow: /admin") && robots.contains("Disallow: /checkout"));
    assert!(
        robots.contains(&format!("Sitemap: {}/sitemap.xml", app.addr)),
        "{robots}"
    );
    let (_, index) = app.get_html("/sitemap.xml").await;
    assert!(index.contains("<sitemapindex") && index.contains("/sitemap/products-0.xml"));
    let (_, products) = app.get_html("/sitemap/products-0.xml").await;
    let listed = products.matches("<loc>").count();
    assert_eq!(listed, lines.len(), "every product, once");
    for line in lines.iter().step_by(37) {
        assert!(products.contains(&format!("/p/{}</loc>", line["sku"].as_str().unwrap())));
    }
    let (_, categories) = app.get_html("/sitemap/categories.xml").await;
    let slugs: std::collections::HashSet<String> = lines
        .iter()
        .filter_map(|l| l["category"].as_str())
        .map(|c| CategoryPath::parse(c).unwrap().slug())
        .collect();
    for slug in slugs {
        assert!(categories.contains(&format!("/c/{slug}</loc>")), "{slug}");
    }
    assert_eq!(app.get("/sitemap/products-9.xml").await.status(), 404);
    let (_, nothing) = app.get_html("/search?q=zzqqxx").await;
    assert!(
        nothing.contains("Looking for a part for your vehicle?"),
        "the zero-result page offers the picker"
    );
}

/// The product count a results page shows.
fn shown_count(html: &str) -> u64 {
    let start = html.find("<p class=\"count\">").expect("a count") + "<p class=\"count\">".len();
    html[start..].split(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn each_vehicle_has_a_landing_page_listing_exactly_the_parts_that_fit_and_the_sitemap_names_them() {
    let (app, lines) = catalog_app().await;
    let mut vehicles = fitted_vehicles(&lines);
    vehicles.sort();
    vehicles.dedup_by(|a, b| (a.0, &a.1, &a.2) == (b.0, &b.1, &b.2));
    let (_, sitemap) = app.get_html("/sitemap/vehicles.xml").await;
    for (year, make, model, _, _) in vehicles.iter().step_by(vehicles.len() / 5 + 1) {
        let slug = |s: &str| storefront::domain::slug_of(s);
        let path = format!("/fits/{year}-{}-{}", slug(make), slug(model));
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, 200, "{path}");
        let fitting: Vec<&Value> = lines
            .iter()
            .filter(|l| fits(l, *year, make, model, None, None))
            .collect();
        assert_eq!(shown_count(&html), fitting.len() as u64, "{path}");
        assert!(html.contains(&format!("Parts for the {year} {make} {model}")), "{path}");
        assert!(
            html.contains(&format!("<link rel=\"canonical\" href=\"{path}\">")),
            "{path}"
        );
        assert!(sitemap.contains(&format!("{path}</loc>")), "the sitemap lists {path}");
        // The same vehicle in one top-level category.
        let top = fitting.iter().find_map(|l| l["category"].as_str()).map(|c| {
            storefront::domain::CategoryPath::parse(c)
                .unwrap()
                .ancestors()
                .next()
                .unwrap()
        });
        if let Some(top) = top {
            let in_top = fitting
                .iter()
                .filter(|l| {
                    l["category"].as_str().is_some_and(|c| {
                        storefront::domain::CategoryPath::parse(c)
                            .unwrap()
                            .ancestors()
                            .next()
                            .unwrap()
                            .slug()
                            == top.slug()
                    })
                })
                .count() as u64;
            let (status, html) = app.get_html(&format!("{path}/{}", top.slug())).await;
            assert_eq!((status, shown_count(&html)), (200, in_top), "{path}/{}", top.slug());
        }
    }
    assert_eq!(app.get_html("/fits/1901-nosuch-car").await.0, 404);
    let (_, index) = app.get_html("/sitemap.xml").await;
    assert!(index.contains("/sitemap/vehicles.xml"), "{index}");
}
