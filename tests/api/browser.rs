//! The shopper's card payment in a real browser: Debian's Chromium, driven by playwright-core
//! (from npm, in tests/browser), on the store's own checkout page with localstripe's Stripe.js.

use std::path::Path;
use std::process::Command;

use crate::payments::card_shop;
use crate::peers::LocalStripe;

/// The scripts' folder and Chromium's path, once both are known to be there.
fn browser_tools() -> (std::path::PathBuf, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the browser tests need Chromium: apt-get install chromium (or set CHROMIUM to its path); .ci/run installs it"
    );
    for package in ["playwright-core", "axe-core"] {
        assert!(
            dir.join("node_modules").join(package).exists(),
            "the browser tests need {package}: run `npm ci` in tests/browser (.ci/run does)"
        );
    }
    (dir, chromium)
}

/// Runs `script` from tests/browser with `args` in node against Chromium; what it printed. It
/// must end well.
async fn run_script(script: &'static str, args: Vec<String>) -> String {
    let (dir, chromium) = browser_tools();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir.join(script))
            .args(args)
            .env("CHROMIUM", chromium)
            .output()
            .expect("node runs (Node.js is on every machine CI uses)")
    })
    .await
    .unwrap();
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the journey failed:\n{said}");
    said
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_pays_by_card_in_a_real_browser_once_directly_and_once_through_3d_secure() {
    let stripe = LocalStripe::start();
    let app = card_shop(stripe.url(), |c| c.payments.test_cards = Some(false)).await;
    let said = run_script("pay.mjs", vec![app.addr.clone()]).await;
    assert!(
        said.contains("ok: a card confirmed with the bank pays the order"),
        "{said}"
    );
    eprintln!("{said}");
    let paid = stripe
        .intents()
        .into_iter()
        .filter(|i| i["status"] == "succeeded")
        .count();
    assert_eq!(paid, 2, "both payments were taken");
}

/// The whole journey with a car in the garage, every page screenshotted (kept in
/// target/browser-journey for CI's artifacts) and checked with axe-core.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_with_a_civic_finds_fitting_brake_pads_and_checks_out_on_pages_without_serious_accessibility_faults()
{
    let app = crate::helpers::spawn_app_with_catalog(include_bytes!("../../data/demo.jsonl")).await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-journey");
    let said = run_script("journey.mjs", vec![app.addr.clone(), shots.display().to_string()]).await;
    assert!(
        said.contains("ok: no serious or critical accessibility violation"),
        "{said}"
    );
    assert_eq!(app.store.read().unwrap().order_count().unwrap(), 1, "{said}");
}

/// The header's picker asks for the submodel when it matters, and search-as-you-type shows its
/// groups, narrowed to the saved car, in Chromium.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_asks_which_civic_and_then_suggests_in_groups_the_parts_that_fit_it() {
    let app = crate::helpers::spawn_app_with_catalog(include_bytes!("../../data/demo.jsonl")).await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-journey");
    let said = run_script("header.mjs", vec![app.addr.clone(), shots.display().to_string()]).await;
    assert!(
        said.contains("ok: the header picker and the grouped suggestions work"),
        "{said}"
    );
}
