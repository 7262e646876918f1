//! A store written by the round-1 release (f8286cc), opened by this build: every product,
//! order, cart, token and ledger entry reads back as that release showed it, a checkout key it
//! recorded still replays, and `storefront verify` finds the store sound. Every later change to a
//! stored record must keep this green (data/fixtures/round1/make.py made the fixture).

use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{Server, storefront};

fn fixture() -> (Value, Vec<u8>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fixtures/round1");
    let expected = std::fs::read_to_string(dir.join("expected.json")).expect("the fixture's expected answers");
    let store = std::fs::read(dir.join("store.redb")).expect("the fixture's store");
    (serde_json::from_str(&expected).unwrap(), store)
}

async fn get(client: &reqwest::Client, url: String, token: Option<&str>) -> (u16, Value) {
    let mut req = client.get(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_store_written_by_the_round_one_release_reads_back_unchanged_and_verifies() {
    let (expected, bytes) = fixture();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("store.redb"), bytes).unwrap();
    let server = Server::start_unlimited(&data, &["--no-demo"]);
    let (base, client) = (server.addr.clone(), reqwest::Client::new());
    let admin = expected["token_secrets"]["admin"].as_str().unwrap();

    let (status, mut products) = get(&client, format!("{base}/api/v1/products?per_page=100"), None).await;
    // Later builds answer with more fields (the price in force); every field the round-1 release
    // answered is unchanged, and with no sale the price in force is the price.
    for product in products["items"].as_array_mut().unwrap() {
        assert_eq!(product["current_price_cents"], product["price_cents"], "{product}");
        product.as_object_mut().unwrap().remove("current_price_cents");
    }
    assert_eq!(
        (status, &products),
        (200, &expected["products"]),
        "every product as it was"
    );
    for (number, order) in expected["orders"].as_object().unwrap() {
        let (status, now) = get(&client, format!("{base}/api/v1/admin/orders/{number}"), Some(admin)).await;
        assert_eq!(status, 200, "order {number}");
        // Later builds answer with more fields (payments, refunds); every field the round-1
        // release answered is unchanged.
        let mut as_then = now.clone();
        as_then.as_object_mut().unwrap().retain(|k, _| order.get(k).is_some());
        assert_eq!(&as_then, order, "order {number}");
        assert_eq!(now["refunds"], json!([]), "order {number} upgraded without refunds");
        let token = expected["order_tokens"][number].as_str().unwrap();
        let (status, _) = get(&client, format!("{base}/api/v1/orders/{number}?token={token}"), None).await;
        assert_eq!(status, 200, "its shopper still sees order {number}");
    }
    let cart = &expected["open_cart"];
    let (status, now) = get(
        &client,
        format!("{base}/api/v1/carts/{}", cart["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!((status, &now), (200, &cart["answer"]), "the open cart");
    let spent = expected["spent_cart"].as_str().unwrap();
    let (status, _) = get(&client, format!("{base}/api/v1/carts/{spent}"), None).await;
    assert_eq!(status, 404, "a cart that became an order stays spent");
    let (status, tokens) = get(&client, format!("{base}/api/v1/admin/tokens"), Some(admin)).await;
    assert_eq!(
        (status, &tokens),
        (200, &expected["tokens"]),
        "the tokens, the revoked one included"
    );
    let warehouse = expected["token_secrets"]["warehouse"].as_str().unwrap();
    let (status, _) = get(&client, format!("{base}/api/v1/admin/low-stock"), Some(warehouse)).await;
    assert_eq!(status, 200, "a token made then still signs in with its scope");
    for (sku, ledger) in expected["ledgers"].as_object().unwrap() {
        let (status, now) = get(&client, format!("{base}/api/v1/admin/stock/{sku}/ledger"), Some(admin)).await;
        assert_eq!((status, &now), (200, ledger), "the ledger of {sku}");
    }

    let replay = &expected["replay"];
    let body = json!({"cart_id": replay["cart"], "email": "ana@example.com",
        "shipping_address": {"name":"Ana Díaz","line1":"1 Main St","city":"Los Angeles","region":"CA","postal_code":"90012","country":"US"},
        "shipping_method": "standard", "payment": {"method": "test", "token": "tok_visa"}});
    let res = client
        .post(format!("{base}/api/v1/checkout"))
        .header("Idempotency-Key", replay["key"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    let placed: Value = res.json().await.unwrap();
    assert_eq!(
        placed["order_number"], replay["order_number"],
        "the recorded key replays its order"
    );

    assert!(server.terminate(), "stops cleanly");
    let verify = storefront().args(["verify", "--data-dir"]).arg(&data).output().unwrap();
    assert!(
        verify.status.success(),
        "storefront verify: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
