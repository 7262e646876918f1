//! Server-rendered pages, checked against a brute-force scan of the same catalog.

use std::collections::HashMap;

use serde_json::Value;

use storefront::catalog::demo;
use storefront::domain::CategoryPath;

use crate::helpers::{catalog_lines, generated_catalog, spawn_app_with, spawn_app_with_catalog};

/// SKUs of the product cards on a listing page, in order.
fn card_skus(html: &str) -> Vec<String> {
    html.match_indices("class=\"card-link\" href=\"/p/")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The listing total from "Showing 1–24 of N", counted from the listed rows themselves.
fn listed_total(html: &str) -> u64 {
    let start = html.find("<p class=\"showing\">").expect("showing line");
    let line = &html[start..start + html[start..].find("</p>").unwrap()];
    line.rsplit(' ').next().unwrap().parse().expect("a number")
}

fn item_count(html: &str) -> u64 {
    let start = html.find("<p class=\"count\">").expect("count shown") + "<p class=\"count\">".len();
    html[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .expect("a number")
}

#[tokio::test]
async fn the_home_page_shows_categories_featured_items_and_best_sellers() {
    let app = spawn_app_with(|store| {
        demo::seed(store).expect("demo seeds");
    })
    .await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 200);
    for expected in [
        "Shop by category",
        "Featured",
        "Best sellers",
        "Hot Sauces",
        "Brakes",
        "267 products",
    ] {
        assert!(html.contains(expected), "home lacks {expected:?}");
    }
}

#[tokio::test]
async fn the_home_pages_best_sellers_are_the_most_popular_products_of_the_catalog() {
    let catalog = generated_catalog(400, 12);
    let app = spawn_app_with_catalog(&catalog).await;
    let popularity: HashMap<String, u64> = catalog_lines(&catalog)
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().unwrap().to_owned(),
                l["popularity"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let mut top: Vec<u64> = popularity.values().copied().filter(|p| *p > 0).collect();
    top.sort_unstable_by(|a, b| b.cmp(a));
    top.truncate(8);
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 200);
    let section = &html[html.find("id=\"best\"").expect("a best sellers section")..];
    let shown: Vec<u64> = card_skus(section).iter().take(8).map(|sku| popularity[sku]).collect();
    assert_eq!(shown, top, "most popular first");
}

#[tokio::test]
async fn a_product_made_the_most_popular_leads_the_best_sellers_within_seconds() {
    let app = spawn_app_with_catalog(&generated_catalog(200, 13)).await;
    let best_sellers = |html: String| {
        let start = html.find("id=\"best\"").expect("a best sellers section");
        card_skus(&html[start..])
    };
    let before = best_sellers(app.get_html("/").await.1);
    assert!(!before.contains(&"NEW-1".to_owned()));
    let line = serde_json::json!({"sku":"NEW-1","title":"Ghost Pepper Sauce","price_cents":999,"popularity":1_000_000});
    assert_eq!(app.put_product(&line).await, 201);
    let started = std::time::Instant::now();
    loop {
        let now = best_sellers(app.get_html("/").await.1);
        if now.first().map(String::as_str) == Some("NEW-1") {
            assert_eq!(now[1..], before[..now.len() - 1], "the others move down one");
            break;
        }
        assert!(started.elapsed().as_secs() < 3, "best sellers still {now:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn category_counts_match_a_brute_force_scan_of_the_catalog() {
    let catalog = generated_catalog(400, 11);
    let app = spawn_app_with_catalog(&catalog).await;
    let mut expected: HashMap<String, u64> = HashMap::new();
    for line in catalog_lines(&catalog) {
        let path = CategoryPath::parse(line["category"].as_str().unwrap()).unwrap();
        for ancestor in path.ancestors() {
            *expected.entry(ancestor.slug()).or_default() += 1;
        }
    }
    assert!(expected.len() > 20, "the catalog spans many categories");
    for (slug, count) in &expected {
        let (status, html) = app.get_html(&format!("/c/{slug}")).await;
        assert_eq!(status, 200, "{slug}");
        assert_eq!(item_count(&html), *count, "{slug}");
        assert_eq!(listed_total(&html), *count, "{slug} lists every product below it");
    }
}

/// The values and counts of one facet group of a page's filter sidebar, by its title.
fn facet_group(html: &str, title: &str) -> HashMap<String, u64> {
    let Some(start) = html.find(&format!("<summary>{title}</summary>")) else {
        return HashMap::new();
    };
    let group = &html[start..start + html[start..].find("</ul>").unwrap()];
    group
        .split("<li>")
        .skip(1)
        .map(|li| {
            let spans: Vec<&str> = li
                .split("<span")
                .skip(1)
                .map(|s| &s[s.find('>').unwrap() + 1..s.find("</span>").unwrap()])
                .collect();
            (spans[0].replace("&amp;", "&"), spans[1].parse().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn a_category_pages_filters_count_what_a_brute_force_scan_of_that_category_gives() {
    let catalog = generated_catalog(400, 13);
    let app = spawn_app_with_catalog(&catalog).await;
    let lines = catalog_lines(&catalog);
    let mut checked = 0;
    for slug in ["brakes", "filters", "hot-sauce"] {
        let inside: Vec<&Value> = lines
            .iter()
            .filter(|l| {
                let own = CategoryPath::parse(l["category"].as_str().unwrap()).unwrap().slug();
                own == slug || own.starts_with(&format!("{slug}/"))
            })
            .collect();
        if inside.is_empty() {
            continue;
        }
        let mut brands: HashMap<String, u64> = HashMap::new();
        for l in &inside {
            *brands.entry(l["brand"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        let (status, html) = app.get_html(&format!("/c/{slug}")).await;
        assert_eq!(status, 200);
        let shown = facet_group(&html, "Brand");
        assert!(!shown.is_empty(), "{slug} has a brand filter");
        for (brand, count) in &shown {
            assert_eq!(brands.get(brand), Some(count), "{slug}: brand {brand}");
        }
        assert!(
            html.contains(&format!(
                "href=\"/search?category={}&amp;brand=",
                slug.replace('/', "%2F")
            )),
            "a brand filter narrows the search within {slug}"
        );
        checked += 1;
    }
    assert!(checked >= 2, "the generated catalog has these departments");
}

#[tokio::test]
async fn a_category_sorted_by_price_lists_what_a_brute_force_sort_gives() {
    let catalog = generated_catalog(400, 12);
    let app = spawn_app_with_catalog(&catalog).await;
    let lines = catalog_lines(&catalog);
    let price: HashMap<String, i64> = lines
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().unwrap().to_owned(),
                l["price_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    let mut brakes: Vec<i64> = lines
        .iter()
        .filter(|l| l["category"].as_str().unwrap().starts_with("Brakes/"))
        .map(|l| l["price_cents"].as_i64().unwrap())
        .collect();

    for (sort, descending) in [("price_asc", false), ("price_desc", true)] {
        brakes.sort();
        if descending {
            brakes.reverse();
        }
        let mut shown = Vec::new();
        let pages = brakes.len().div_ceil(24);
        for page in 1..=pages {
            let (_, html) = app.get_html(&format!("/c/brakes?sort={sort}&page={page}")).await;
            shown.extend(card_skus(&html).iter().map(|sku| price[sku]));
        }
        assert_eq!(shown, brakes, "{sort}");
    }
}

#[tokio::test]
async fn a_product_page_shows_price_stock_part_numbers_and_the_fitment_table() {
    let line = br#"{"sku":"BRK-1042","title":"Ceramic Front Brake Pads","brand":"StopTech","category":"Brakes/Pads","price_cents":4999,"stock":3,"part_numbers":["BP-1042-A","45022-SDA-A01"],"attributes":{"position":"Front"},"fitments":[{"year_from":2003,"year_to":2007,"make":"Honda","model":"Accord","submodel":"EX"}]}"#;
    let app = spawn_app_with_catalog(line).await;
    let (status, html) = app.get_html("/p/BRK-1042").await;
    assert_eq!(status, 200);
    for expected in [
        "Ceramic Front Brake Pads",
        "$49.99",
        "Only 3 left",
        "BP-1042-A",
        "45022-SDA-A01",
        "Vehicle fitment",
        "2003–2007",
        "Accord",
        "Position",
    ] {
        assert!(html.contains(expected), "product page lacks {expected:?}");
    }
    assert!(
        html.contains("href=\"/c/brakes/pads\""),
        "breadcrumbs link the category"
    );
}

#[tokio::test]
async fn variants_of_a_group_link_to_each_other_with_their_prices() {
    let catalog = br#"{"sku":"HS-1-5","title":"Reaper Sauce, 5 oz","price_cents":999,"stock":4,"group":"reaper","options":{"size":"5 oz"}}
{"sku":"HS-1-10","title":"Reaper Sauce, 10 oz","price_cents":1699,"stock":0,"group":"reaper","options":{"size":"10 oz"}}"#;
    let app = spawn_app_with_catalog(catalog).await;
    let (_, html) = app.get_html("/p/HS-1-5").await;
    assert!(html.contains("href=\"/p/HS-1-10\""));
    assert!(html.contains("10 oz") && html.contains("$16.99"));
    assert!(
        html.contains("aria-current=\"page\""),
        "the shown variant is marked current"
    );
}

#[tokio::test]
async fn unknown_pages_are_helpful_html_404s() {
    let app = spawn_app_with_catalog(&generated_catalog(30, 2)).await;
    for path in ["/p/NOPE-404", "/c/no-such-category", "/no/such/route"] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            html.contains("couldn&#39;t find that page") || html.contains("couldn't find that page"),
            "{path}"
        );
        assert!(html.contains("href=\"/\""), "{path} links home");
        assert!(html.contains("Or browse a category"), "{path} offers categories");
    }
}

#[tokio::test]
async fn text_a_merchant_typed_is_escaped_on_every_page() {
    let line = br#"{"sku":"X-1","title":"<script>alert(1)</script> Pads","brand":"<b>Evil</b>","category":"Brakes/<i>Pads</i>","price_cents":100,"description":"\"><img src=x onerror=alert(1)>","featured":true}"#;
    let app = spawn_app_with_catalog(line).await;
    for path in ["/", "/p/X-1", "/c/brakes"] {
        let (_, html) = app.get_html(path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(!html.contains("<b>Evil"), "{path}");
    }
}

#[tokio::test]
async fn listing_query_mistakes_fall_back_to_defaults_instead_of_failing() {
    let app = spawn_app_with_catalog(&generated_catalog(60, 5)).await;
    let (status, _) = app.get_html("/c/brakes?sort=bogus&page=-3").await;
    assert_eq!(status, 200);
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("<!DOCTYPE html>"));
}

#[tokio::test]
async fn a_cached_category_listing_follows_catalog_changes() {
    let app =
        spawn_app_with_catalog(br#"{"sku":"P-1","title":"Pads","category":"Brakes/Pads","price_cents":500}"#).await;
    let (_, before) = app.get_html("/c/brakes?sort=price_asc").await;
    assert_eq!(card_skus(&before), ["P-1"]);

    let cheaper = br#"{"sku":"P-0","title":"Cheaper pads","category":"Brakes/Pads","price_cents":100}"#;
    storefront::catalog::ops::import(
        &app.store,
        &cheaper[..],
        storefront::catalog::import::Format::JsonLines,
        "test",
        &mut |_| {},
    )
    .unwrap();
    let (_, after) = app.get_html("/c/brakes?sort=price_asc").await;
    assert_eq!(card_skus(&after), ["P-0", "P-1"]);
}

/// The schema.org data of a page, parsed.
fn json_ld(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/ld+json\">";
    let start = html.find(open).expect("the page carries schema.org data") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).expect("valid JSON")
}

#[tokio::test]
async fn product_pages_carry_a_canonical_address_open_graph_and_schema_org_data_no_title_can_break() {
    let lines = concat!(
        r#"{"sku":"BRK-9","title":"Pads </script><script>alert(1)</script> & more","brand":"StopTech","price_cents":5799,"stock":3,"part_numbers":["D1007"],"category":"Brakes","fitments":[{"year_from":2006,"year_to":2011,"make":"Honda","model":"Civic"}]}"#,
        "\n",
        r#"{"sku":"GONE-1","title":"Sold out sauce","price_cents":999,"stock":0,"sale_price_cents":799}"#,
        "\n",
    );
    let app = spawn_app_with_catalog(lines.as_bytes()).await;
    let (_, html) = app.get_html("/p/BRK-9").await;
    assert!(!html.contains("<script>alert(1)"), "a title cannot open a script");
    assert!(
        html.contains(r#"<link rel="canonical" href="/p/BRK-9">"#),
        "without [shop] url, a path"
    );
    assert!(html.contains(r#"<meta property="og:type" content="product">"#));
    let data = json_ld(&html);
    assert_eq!(
        data["name"], "Pads </script><script>alert(1)</script> & more",
        "the title reads back as typed"
    );
    assert_eq!(data["offers"]["price"], "57.99");
    assert_eq!(data["offers"]["priceCurrency"], "USD");
    assert_eq!(data["offers"]["availability"], "https://schema.org/InStock");
    assert_eq!(
        (data["brand"]["name"].as_str(), data["mpn"].as_str()),
        (Some("StopTech"), Some("D1007"))
    );
    assert_eq!(data["isAccessoryOrSparePartFor"][0]["name"], "2006–2011 Honda Civic");
    let (_, html) = app.get_html("/p/GONE-1").await;
    let data = json_ld(&html);
    assert_eq!(data["offers"]["availability"], "https://schema.org/OutOfStock");
    assert_eq!(data["offers"]["price"], "7.99", "the price a shopper pays now");
    let (_, html) = app.get_html("/c/brakes?sort=price_asc").await;
    assert!(
        html.contains(r#"<link rel="canonical" href="/c/brakes">"#),
        "sorting is not another page"
    );

    let app = crate::helpers::spawn_configured(
        |c| c.shop.url = Some("https://shop.example.com".into()),
        |store| {
            storefront::catalog::ops::import(
                store,
                lines.as_bytes(),
                storefront::catalog::import::Format::JsonLines,
                "t",
                &mut |_| {},
            )
            .unwrap();
        },
    )
    .await;
    let (_, html) = app.get_html("/p/BRK-9").await;
    assert!(html.contains(r#"<link rel="canonical" href="https://shop.example.com/p/BRK-9">"#));
    assert_eq!(json_ld(&html)["offers"]["url"], "https://shop.example.com/p/BRK-9");
}
