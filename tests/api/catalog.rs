//! The public catalog API: `GET /api/v1/products` and `GET /api/v1/products/{sku}`.

use std::collections::BTreeSet;

use crate::helpers::{catalog_lines, generated_catalog, spawn_app, spawn_app_with_catalog};

#[tokio::test]
async fn the_product_list_pages_through_the_whole_catalog_in_sku_order() {
    let catalog = generated_catalog(230, 3);
    let app = spawn_app_with_catalog(&catalog).await;
    let expected: BTreeSet<String> = catalog_lines(&catalog)
        .iter()
        .map(|l| l["sku"].as_str().unwrap().to_owned())
        .collect();

    let mut seen = Vec::new();
    for page in 1..=3 {
        let (status, body) = app
            .get_json(&format!("/api/v1/products?page={page}&per_page=100"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["total"], 230);
        assert_eq!(body["page"], page);
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["sku"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(seen, expected.into_iter().collect::<Vec<_>>());
}

#[tokio::test]
async fn a_page_size_past_100_or_page_zero_is_a_400_and_100_is_served_in_full() {
    let app = spawn_app_with_catalog(&generated_catalog(150, 4)).await;
    for query in ["per_page=5000", "per_page=0", "page=0"] {
        let (status, body) = app.get_json(&format!("/api/v1/products?{query}")).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("bad_request")),
            "{query}"
        );
    }
    let (_, body) = app.get_json("/api/v1/products?per_page=100").await;
    assert_eq!(body["per_page"], 100);
    assert_eq!(body["page"], 1);
    assert_eq!(body["items"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn a_product_answers_with_stock_part_numbers_attributes_and_fitments() {
    let line = br#"{"sku":"BRK-1042","title":"Ceramic Front Brake Pads","description":"Low-dust ceramic pads.","brand":"StopTech","category":"Brakes/Pads","price_cents":4999,"currency":"USD","stock":25,"part_numbers":["BP-1042-A","45022-SDA-A01"],"attributes":{"position":"Front","material":"Ceramic"},"fitments":[{"year_from":2003,"year_to":2007,"make":"Honda","model":"Accord","submodel":"EX","engine":"2.4L L4"}],"bin":"A7"}"#;
    let app = spawn_app_with_catalog(line).await;
    let (status, p) = app.get_json("/api/v1/products/BRK-1042").await;
    assert_eq!(status, 200);
    assert_eq!(p["stock"], 25);
    assert_eq!(p["in_stock"], true);
    assert_eq!(p["price_cents"], 4999);
    assert_eq!(p["part_numbers"], serde_json::json!(["BP-1042-A", "45022-SDA-A01"]));
    assert_eq!(p["attributes"]["material"], "Ceramic");
    assert_eq!(p["fitments"][0]["engine"], "2.4L L4");
    assert_eq!(p["bin"], "A7", "unknown import fields are kept");
}

#[tokio::test]
async fn an_unknown_product_is_a_json_404_with_a_stable_code() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/products/NOPE-1").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "product_not_found");
    assert!(body["error"]["message"].as_str().unwrap().contains("NOPE-1"));
}

#[tokio::test]
async fn malformed_query_parameters_are_a_400_in_the_error_format_never_a_500() {
    let app = spawn_app().await;
    for query in ["page=abc", "per_page=-1", "page=99999999999999999999", "page=%ZZ"] {
        let (status, body) = app.get_json(&format!("/api/v1/products?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["code"], "bad_request", "{query}");
    }
}

#[tokio::test]
async fn unknown_api_routes_answer_json_404() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
}

#[test]
fn a_large_import_reports_bad_lines_by_their_own_numbers_and_the_last_copy_of_a_sku_wins() {
    // Several parsing chunks (2,000 lines each), so lines are parsed on different threads.
    let mut lines: Vec<String> = catalog_lines(&generated_catalog(5_000, 8))
        .iter()
        .map(|l| l.to_string())
        .collect();
    let bad = [1usize, 2_001, 2_002, 4_999];
    for n in bad {
        lines[n - 1] = format!("{{\"sku\":\"BAD-{n}\",\"title\":\"\"}}");
    }
    // SKU-1's first copy is on line 10; a later copy in another chunk renames it.
    let mut renamed: serde_json::Value = serde_json::from_str(&lines[9]).unwrap();
    let sku = renamed["sku"].as_str().unwrap().to_owned();
    renamed["title"] = "Renamed later in the file".into();
    lines.insert(4_500, renamed.to_string());
    lines.insert(3_000, String::new());
    let text = lines.join("\n");
    let dir = tempfile::tempdir().unwrap();
    let store = storefront::store::Store::open(dir.path(), &Default::default()).unwrap();
    let mut batches = 0;
    let report = import_json_lines(&store, &text, &mut |_| batches += 1);
    assert!(batches >= 3, "{} MB in {batches} batches", text.len() >> 20);
    // The blank line inserted at 3,001 moves the later bad line down by one.
    let rejected: Vec<u64> = report.rejected.iter().map(|r| r.line).collect();
    assert_eq!(rejected, vec![1, 2_001, 2_002, 5_001]);
    assert_eq!(report.created, 5_000 - 4);
    assert_eq!(report.updated, 1, "the second copy updates the first");
    let product = store.read().unwrap().product(&sku).unwrap().unwrap();
    assert_eq!(product.title, "Renamed later in the file");

    let other: serde_json::Value = serde_json::from_str(&lines[2_500]).unwrap();
    let other = other["sku"].as_str().unwrap();
    let untouched = store.read().unwrap().product(other).unwrap();
    assert!(untouched.is_some());
    let again = import_json_lines(&store, &text, &mut |_| {});
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 2, 5_000 - 4 - 1),
        "only the SKU given twice changes, back and forth"
    );
    let renamed_again = store.read().unwrap().product(&sku).unwrap().unwrap();
    assert_eq!(
        renamed_again.created_ms, product.created_ms,
        "an update keeps the creation time"
    );
    assert!(renamed_again.updated_ms >= product.updated_ms);
    assert_eq!(
        store.read().unwrap().product(other).unwrap(),
        untouched,
        "unchanged, times and all"
    );
}

#[test]
fn a_line_longer_than_a_parsing_chunk_and_a_last_line_without_a_newline_keep_their_numbers() {
    let good = |sku: &str| format!(r#"{{"sku":"{sku}","title":"T","price_cents":100}}"#);
    let huge = format!(
        r#"{{"sku":"HUGE-1","title":"T","price_cents":1,"description":"{}"}}"#,
        "x".repeat(7 << 20)
    );
    let text = [
        good("A-1"),
        huge,
        r#"{"sku":"BAD-3"}"#.to_owned(),
        String::new(),
        good("A-5"),
    ]
    .join("\r\n");
    let dir = tempfile::tempdir().unwrap();
    let store = storefront::store::Store::open(dir.path(), &Default::default()).unwrap();
    let report = import_json_lines(&store, &text, &mut |_| {});
    let rejected: Vec<(u64, &str)> = report.rejected.iter().map(|r| (r.line, r.message.as_str())).collect();
    assert_eq!(
        rejected,
        vec![(2, "description is longer than 20000 characters"), (3, "missing title")]
    );
    assert_eq!(report.created, 2);
    assert!(store.read().unwrap().product("A-5").unwrap().is_some());
}

#[test]
fn a_sku_given_twice_in_one_batch_ends_with_its_last_line() {
    let line = |sku: &str, title: &str| format!(r#"{{"sku":"{sku}","title":"{title}","price_cents":100}}"#);
    let text = [
        line("Z-1", "First"),
        line("A-1", "Other"),
        line("Z-1", "Second"),
        line("M-1", "Another"),
        line("Z-1", "Third"),
    ]
    .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let store = storefront::store::Store::open(dir.path(), &Default::default()).unwrap();
    let report = import_json_lines(&store, &text, &mut |_| {});
    assert_eq!((report.created, report.updated), (3, 2));
    let product = store.read().unwrap().product("Z-1").unwrap().unwrap();
    assert_eq!(product.title, "Third");
}

/// `catalog::ops::import` of JSON Lines held in memory, as the CLI runs it.
fn import_json_lines(
    store: &storefront::store::Store,
    text: &str,
    progress: &mut dyn FnMut(&storefront::catalog::ops::ImportReport),
) -> storefront::catalog::ops::ImportReport {
    storefront::catalog::ops::import(
        store,
        text.as_bytes(),
        storefront::catalog::import::Format::JsonLines,
        "test",
        progress,
    )
    .unwrap()
}

/// An import writes its new products table by table, in key order, and the rest one at a time;
/// either way every table must end as upserting each line in turn leaves it.
#[test]
fn an_import_leaves_every_table_as_upserting_its_lines_one_at_a_time_does() {
    use storefront::catalog::import::{Format, lines};
    use storefront::catalog::ops::{remove, upsert};
    let line = |sku: &str, category: &str, rest: &str| {
        format!(r#"{{"sku":"{sku}","title":"T {sku}","price_cents":100,"category":"{category}"{rest}}}"#)
    };
    // Already in the store: one product to be changed, one to stay, one deleted (its stock row
    // and ledger stay behind, at 0).
    let before = [
        line("OLD-1", "Brakes/Pads", r#","stock":4,"popularity":9,"group":"g1""#),
        line("OLD-2", "Brakes", r#","stock":2"#),
        line("GONE-1", "Filters", r#","stock":3,"featured":true"#),
    ]
    .join("\n");
    let mut text = String::from_utf8(generated_catalog(3_000, 21)).unwrap();
    for extra in [
        line("OLD-1", "Filters/Air", r#","stock":1,"popularity":3"#),
        line("GONE-1", "Filters", r#","stock":5,"featured":true,"popularity":2"#),
        line("NEW-0", "Brakes", r#","stock":0"#),
        line(
            "NEW-1",
            "Brakes/Pads",
            r#","stock":7,"group":"g1","featured":true,"popularity":5"#,
        ),
        line("NEW-1", "Brakes/Rotors", r#","stock":8,"popularity":6"#),
        line("NEW-2", "Brakes", ""),
        line("NEW-1", "Brakes/Rotors", r#","stock":0,"group":"g2","popularity":1"#),
    ] {
        text.push_str(&extra);
        text.push('\n');
    }
    let prepare = |dir: &tempfile::TempDir| {
        let store = storefront::store::Store::open(dir.path(), &Default::default()).unwrap();
        for (_, record) in lines(before.as_bytes(), Format::JsonLines, 0).map(Result::unwrap) {
            store.write(|tx| upsert(tx, record.unwrap(), "test")).unwrap();
        }
        store.write(|tx| remove(tx, "GONE-1", "test")).unwrap();
        store
    };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let imported = prepare(&dir_a);
    let report = import_json_lines(&imported, &text, &mut |_| {});
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let one_by_one = prepare(&dir_b);
    let mut outcomes = Vec::new();
    for (_, record) in lines(text.as_bytes(), Format::JsonLines, 0).map(Result::unwrap) {
        outcomes.push(one_by_one.write(|tx| upsert(tx, record.unwrap(), "test")).unwrap());
    }
    let count = |o| outcomes.iter().filter(|x| **x == o).count() as u64;
    use storefront::catalog::ops::Upserted::*;
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (count(Created), count(Updated), count(Unchanged))
    );
    let (a, b) = (tables(&imported), tables(&one_by_one));
    assert!(a.len() > 3_000 * 3, "the snapshot covers every product");
    for (a, b) in a.iter().zip(&b) {
        assert_eq!(a, b);
    }
    assert_eq!(a.len(), b.len());
}

/// The catalog tables of a store, one line per row, with the times of day left out.
fn tables(store: &storefront::store::Store) -> Vec<String> {
    let tx = store.read().unwrap();
    let mut out = Vec::new();
    let mut groups = BTreeSet::new();
    tx.for_each_product(|mut p, _| {
        (p.created_ms, p.updated_ms) = (0, 0);
        groups.extend(p.group.clone());
        out.push(format!("product {p:?}"));
        Ok::<_, storefront::store::StoreError>(())
    })
    .unwrap();
    for (sku, units) in tx.stock_levels().unwrap() {
        let ledger: Vec<_> = tx
            .ledger(&sku)
            .unwrap()
            .into_iter()
            .map(|e| (e.delta, e.balance, e.reason, e.actor))
            .collect();
        out.push(format!("stock {sku} {units} {ledger:?}"));
    }
    for (slug, category) in tx.categories().unwrap() {
        out.push(format!("category {slug} {category:?}"));
        for (sku, mut entry) in tx.category_items(&slug).unwrap() {
            entry.created_ms = 0;
            out.push(format!("listed {slug} {sku} {entry:?}"));
        }
    }
    for group in groups {
        out.push(format!("group {group} {:?}", tx.group_members(&group).unwrap()));
    }
    out.push(format!("featured {:?}", tx.featured(usize::MAX).unwrap()));
    out
}
