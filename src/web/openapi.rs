//! `GET /api/openapi.json`: the OpenAPI 3 description of the JSON API, kept next to the routes it
//! describes so that a new route and its documentation change together.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/openapi.json").route(super::read().to(document)));
}

async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(spec())
}

fn error_response(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// A merchant route: bearer token with `scope`, and the 401/403 every such route can answer.
fn merchant(scope: &str, summary: &str, mut operation: Value) -> Value {
    operation["summary"] = json!(summary);
    operation["tags"] = json!(["merchant"]);
    operation["security"] = json!([{ "token": [scope] }]);
    operation["description"] = json!(format!("Needs a token with the `{scope}` scope (or `admin`)."));
    let responses = operation["responses"]
        .as_object_mut()
        .expect("an operation has responses");
    responses.insert("401".into(), error_response("Missing, unknown or revoked token"));
    responses.insert(
        "403".into(),
        error_response(&format!("The token lacks the {scope} scope")),
    );
    operation
}

fn path_param(name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } })
}

fn json_body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

/// The merchant API under `/api/v1/admin`.
fn merchant_paths() -> Value {
    let sku = path_param("sku");
    let number = path_param("number");
    let ok = |d: &str| json!({ "description": d });
    json!({
        "/api/v1/admin/products/{sku}": {
            "put": merchant("catalog", "Create or replace a product from one import line", json!({
                "parameters": [sku],
                "requestBody": json_body(json!({ "$ref": "#/components/schemas/ProductLine" })),
                "responses": { "200": ok("Updated"), "201": ok("Created"), "422": error_response("The line is invalid; the message says why") } })),
            "delete": merchant("catalog", "Delete a product", json!({
                "parameters": [sku], "responses": { "200": ok("Deleted"), "404": error_response("No such product") } }))
        },
        "/api/v1/admin/import": { "post": merchant("catalog", "Import a catalog (JSON Lines, or CSV with Content-Type text/csv)", json!({
            "requestBody": { "required": true, "content": { "application/x-ndjson": {}, "text/csv": {} } },
            "responses": { "200": ok("{created, updated, unchanged, rejected:[{line, message}]}"), "413": error_response("Over 64 MiB") } })) },
        "/api/v1/admin/export": { "get": merchant("catalog", "The whole catalog with stock, in the import format", json!({
            "responses": { "200": { "description": "One product per line", "content": { "application/x-ndjson": {} } } } })) },
        "/api/v1/admin/stock/{sku}/adjust": { "post": merchant("stock", "Add or take units, with a reason for the ledger", json!({
            "parameters": [sku],
            "requestBody": json_body(json!({ "type": "object", "required": ["delta", "reason"], "properties": {
                "delta": { "type": "integer" }, "reason": { "type": "string", "maxLength": 200 } } })),
            "responses": { "200": ok("{stock, delta}"), "404": error_response("No such product"), "409": error_response("Stock would go below zero") } })) },
        "/api/v1/admin/stock/{sku}": { "put": merchant("stock", "Set stock to a counted quantity", json!({
            "parameters": [sku],
            "requestBody": json_body(json!({ "type": "object", "required": ["quantity", "reason"], "properties": {
                "quantity": { "type": "integer", "minimum": 0 }, "reason": { "type": "string", "maxLength": 200 } } })),
            "responses": { "200": ok("{stock, changed}"), "404": error_response("No such product") } })) },
        "/api/v1/admin/stock/{sku}/ledger": { "get": merchant("stock", "A SKU's stock ledger, oldest first", json!({
            "parameters": [sku], "responses": { "200": ok("{sku, entries:[{at, delta, balance, reason, actor}]}"), "404": error_response("No such product") } })) },
        "/api/v1/admin/stock/{sku}/threshold": { "put": merchant("stock", "Set a SKU's low-stock threshold; null returns it to the shop's default", json!({
            "parameters": [sku],
            "requestBody": json_body(json!({ "type": "object", "required": ["low_stock"], "properties": {
                "low_stock": { "type": "integer", "minimum": 0, "nullable": true } } })),
            "responses": { "200": ok("{sku, low_stock, effective_low_stock}"), "404": error_response("No such product") } })) },
        "/api/v1/admin/low-stock": { "get": merchant("stock", "SKUs at or below their low-stock threshold, fewest units first", json!({
            "responses": { "200": ok("{default_low_stock, items:[{sku, stock, low_stock}]}") } })) },
        "/api/v1/admin/orders": { "get": merchant("orders", "Orders, newest first", json!({
            "parameters": [
                { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["pending", "paid", "fulfilled", "shipped", "cancelled", "refunded"] } },
                { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } },
                { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 50 } } ],
            "responses": { "200": ok("{total, page, per_page, orders}") } })) },
        "/api/v1/admin/orders/{number}": { "get": merchant("orders", "One order", json!({
            "parameters": [number], "responses": { "200": ok("The order as bought, with its status history"), "404": error_response("No such order") } })) },
        "/api/v1/admin/orders/{number}/transition": { "post": merchant("orders", "Move an order to another status (cancel and refund before shipping restock)", json!({
            "parameters": [number],
            "requestBody": json_body(json!({ "type": "object", "required": ["to"], "properties": {
                "to": { "type": "string", "enum": ["paid", "fulfilled", "shipped", "cancelled", "refunded"] },
                "carrier": { "type": "string", "description": "Required to ship" },
                "tracking_number": { "type": "string", "description": "Required to ship" },
                "note": { "type": "string" } } })),
            "responses": { "200": ok("The order after the change"), "404": error_response("No such order"), "409": error_response("Not allowed from the order's status") } })) },
        "/api/v1/admin/tokens": {
            "get": merchant("admin", "API tokens (never their secrets)", json!({ "responses": { "200": ok("{tokens:[…]}") } })),
            "post": merchant("admin", "Create a token; its secret is in this answer only", json!({
                "requestBody": json_body(json!({ "type": "object", "required": ["scopes"], "properties": {
                    "scopes": { "type": "string", "example": "catalog,stock" }, "label": { "type": "string" } } })),
                "responses": { "201": ok("{token, scopes}") } }))
        },
        "/api/v1/admin/tokens/{id}": { "delete": merchant("admin", "Revoke a token", json!({
            "parameters": [path_param("id")], "responses": { "200": ok("{revoked}"), "404": error_response("No such token") } })) },
        "/api/v1/admin/audit": { "get": merchant("admin", "The audit log, newest first", json!({
            "parameters": [
                { "name": "subject", "in": "query", "schema": { "type": "string", "example": "product:BRK-1" } },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } } ],
            "responses": { "200": ok("{entries:[{at, actor, action, subject, before, after}]}") } })) }
    })
}

/// The whole document.
pub fn spec() -> Value {
    let mut doc = public_spec();
    let paths = doc["paths"].as_object_mut().expect("paths is an object");
    if let Value::Object(merchant) = merchant_paths() {
        paths.extend(merchant);
    }
    doc["components"]["schemas"]["ProductLine"] = json!({
        "type": "object", "additionalProperties": true, "required": ["sku", "title", "price_cents"],
        "description": "One line of the import format (API.md): unknown fields are kept, not refused",
        "properties": {
            "sku": { "type": "string" }, "title": { "type": "string" }, "price_cents": { "type": "integer", "minimum": 0 },
            "stock": { "type": "integer", "minimum": 0 }, "brand": { "type": "string" }, "category": { "type": "string" },
            "description": { "type": "string" }, "part_numbers": { "type": "array", "items": { "type": "string" } },
            "attributes": { "type": "object" }, "fitments": { "type": "array", "items": { "$ref": "#/components/schemas/Fitment" } },
            "universal": { "type": "boolean" }, "group": { "type": "string" }, "options": { "type": "object" }, "image": { "type": "string" } } });
    doc["components"]["securitySchemes"] = json!({
        "token": { "type": "http", "scheme": "bearer", "description": "An API token from the back office or `storefront token create`" }
    });
    doc
}

fn public_spec() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "storefront",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The JSON API of a storefront: catalog, search, vehicles, carts, checkout and orders for shoppers; the merchant API under /api/v1/admin for bearer tokens with scopes. Errors are {\"error\":{\"code\",\"message\",\"details\"}} with stable codes."
        },
        "paths": {
            "/api/v1/products": { "get": {
                "summary": "A page of products in SKU order",
                "parameters": [
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "default": 1 } },
                    { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 20 } }
                ],
                "responses": {
                    "200": { "description": "A page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ProductPage" } } } },
                    "304": { "description": "Not modified (If-None-Match matched the ETag)" },
                    "400": error_response("Malformed query string")
                }
            }},
            "/api/v1/products/{sku}": { "get": {
                "summary": "One product with stock, part numbers, attributes and fitments",
                "parameters": [ { "name": "sku", "in": "path", "required": true, "schema": { "type": "string" } } ],
                "responses": {
                    "200": { "description": "The product", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Product" } } } },
                    "304": { "description": "Not modified" },
                    "404": error_response("No such product (code product_not_found)")
                }
            }},
            "/api/v1/search": { "get": {
                "summary": "Search products: text and part numbers, vehicle fitment, filters, facets, sorts",
                "parameters": [
                    { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "Words (all must match) or a part number typed any way" },
                    { "name": "year", "in": "query", "schema": { "type": "integer" } },
                    { "name": "make", "in": "query", "schema": { "type": "string" } },
                    { "name": "model", "in": "query", "schema": { "type": "string" } },
                    { "name": "submodel", "in": "query", "schema": { "type": "string" } },
                    { "name": "engine", "in": "query", "schema": { "type": "string" } },
                    { "name": "brand", "in": "query", "schema": { "type": "string" }, "description": "Repeat or comma-separate for several" },
                    { "name": "category", "in": "query", "schema": { "type": "string" }, "description": "Category slug path; subcategories included" },
                    { "name": "attr.NAME", "in": "query", "schema": { "type": "string" } },
                    { "name": "min_price", "in": "query", "schema": { "type": "integer" } },
                    { "name": "max_price", "in": "query", "schema": { "type": "integer" } },
                    { "name": "in_stock", "in": "query", "schema": { "type": "boolean" } },
                    { "name": "sort", "in": "query", "schema": { "type": "string", "enum": ["relevance", "price_asc", "price_desc", "newest", "title"] } },
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } },
                    { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 } }
                ],
                "responses": {
                    "200": { "description": "total, page, per_page, corrected, hits and facets (brand, category, attr.NAME, price)" },
                    "400": error_response("Malformed number, unknown sort, or a vehicle without year, make and model")
                }
            }},
            "/api/v1/suggest": { "get": {
                "summary": "Autocomplete for a prefix: products, part numbers, brands, categories",
                "parameters": [ { "name": "q", "in": "query", "schema": { "type": "string" } } ],
                "responses": { "200": { "description": "{\"suggestions\":[{\"kind\",\"text\",\"url\"}]}" } }
            }},
            "/api/v1/vehicles/years": { "get": { "summary": "Years some product fits", "responses": { "200": { "description": "{\"values\":[\"2024\",…]}" } } } },
            "/api/v1/vehicles/makes": { "get": { "summary": "Makes for a year", "parameters": [ { "name": "year", "in": "query", "required": true, "schema": { "type": "integer" } } ], "responses": { "200": { "description": "{\"values\":[…]}" }, "400": error_response("Missing year") } } },
            "/api/v1/vehicles/models": { "get": { "summary": "Models for a year and make", "parameters": [ { "name": "year", "in": "query", "required": true, "schema": { "type": "integer" } }, { "name": "make", "in": "query", "required": true, "schema": { "type": "string" } } ], "responses": { "200": { "description": "{\"values\":[…]}" }, "400": error_response("Missing year or make") } } },
            "/api/v1/vehicles/submodels": { "get": { "summary": "Submodels for a year, make and model", "responses": { "200": { "description": "{\"values\":[…]}" }, "400": error_response("Missing year, make or model") } } },
            "/api/v1/vehicles/engines": { "get": { "summary": "Engines for a year, make and model (and submodel)", "responses": { "200": { "description": "{\"values\":[…]}" }, "400": error_response("Missing year, make or model") } } },
            "/api/v1/carts": { "post": { "summary": "Create a cart, optionally with items",
                "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": {
                    "items": { "type": "array", "items": { "$ref": "#/components/schemas/CartLineInput" } } } } } } },
                "responses": { "201": { "description": "The cart", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Cart" } } } },
                    "404": error_response("Unknown SKU"), "409": error_response("Not enough stock (details list sku, requested, available)"), "422": error_response("Bad quantity") } } },
            "/api/v1/carts/{id}": { "get": { "summary": "A cart with its totals; country, region and shipping_method estimate tax and shipping",
                "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "country", "in": "query", "schema": { "type": "string" } }, { "name": "region", "in": "query", "schema": { "type": "string" } },
                    { "name": "shipping_method", "in": "query", "schema": { "type": "string" } } ],
                "responses": { "200": { "description": "The cart", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Cart" } } } }, "404": error_response("No such cart (or expired)") } } },
            "/api/v1/carts/{id}/items": { "post": { "summary": "Add units of a SKU (merged with a line already there)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CartLineInput" } } } },
                "responses": { "200": { "description": "The cart" }, "404": error_response("No such cart or SKU"), "409": error_response("Not enough stock"), "422": error_response("Bad quantity") } } },
            "/api/v1/carts/{id}/items/{sku}": {
                "patch": { "summary": "Set a line's quantity (0 removes it)", "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["quantity"], "properties": { "quantity": { "type": "integer", "minimum": 0, "maximum": 999 } } } } } },
                    "responses": { "200": { "description": "The cart" }, "404": error_response("No such cart or line"), "409": error_response("Not enough stock") } },
                "delete": { "summary": "Remove a line", "responses": { "200": { "description": "The cart" }, "404": error_response("No such cart or line") } } },
            "/api/v1/carts/{id}/promo": {
                "post": { "summary": "Apply a promo code", "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["code"], "properties": { "code": { "type": "string" } } } } } },
                    "responses": { "200": { "description": "The cart" }, "409": error_response("The code cannot apply (the message says why)") } },
                "delete": { "summary": "Remove the promo code", "responses": { "200": { "description": "The cart" } } } },
            "/api/v1/checkout": { "post": { "summary": "Place an order from a cart; 201 only once the order is durable",
                "parameters": [ { "name": "Idempotency-Key", "in": "header", "required": true, "schema": { "type": "string", "maxLength": 255 },
                    "description": "The same key returns the same order (header Idempotent-Replayed: true)" } ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CheckoutRequest" } } } },
                "responses": { "201": { "description": "Placed", "content": { "application/json": { "schema": { "type": "object",
                        "required": ["order_number", "status", "total_cents", "currency", "token"], "properties": {
                        "order_number": { "type": "string", "example": "K7MX-3Q9D" }, "status": { "type": "string" }, "total_cents": { "type": "integer" },
                        "currency": { "type": "string" }, "token": { "type": "string" }, "status_url": { "type": "string" } } } } } },
                    "400": error_response("Missing Idempotency-Key"), "402": error_response("Payment declined; nothing taken"),
                    "404": error_response("No such cart"), "409": error_response("Not enough stock (details), promo used up, or the cart changed; nothing taken"),
                    "422": error_response("Invalid fields (details list field and message), or the key was used for a different checkout"),
                    "503": error_response("Busy or storage unavailable; retry with the same key") } } },
            "/api/v1/orders/{number}": { "get": { "summary": "An order, for the shopper holding its token",
                "parameters": [ { "name": "number", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "token", "in": "query", "required": true, "schema": { "type": "string" } } ],
                "responses": { "200": { "description": "The order as bought: lines, prices, address, vehicle, status history" }, "404": error_response("No order with that number and token") } } },
            "/healthz": { "get": { "summary": "The process is alive", "responses": { "200": { "description": "Alive" } } } },
            "/readyz": { "get": { "summary": "The store answers reads", "responses": {
                "200": { "description": "Ready" }, "503": { "description": "Store unavailable" } } } }
        },
        "components": { "schemas": {
            "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object",
                "required": ["code", "message"],
                "properties": { "code": { "type": "string" }, "message": { "type": "string" }, "details": {} } } } },
            "ProductPage": { "type": "object", "required": ["total", "page", "per_page", "items"], "properties": {
                "total": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" },
                "items": { "type": "array", "items": { "$ref": "#/components/schemas/Product" } } } },
            "CartLineInput": { "type": "object", "required": ["sku", "quantity"], "properties": {
                "sku": { "type": "string" }, "quantity": { "type": "integer", "minimum": 1, "maximum": 999 } } },
            "Cart": { "type": "object", "properties": {
                "id": { "type": "string" }, "currency": { "type": "string" }, "units": { "type": "integer" },
                "lines": { "type": "array", "items": { "type": "object", "properties": {
                    "sku": { "type": "string" }, "title": { "type": "string" }, "quantity": { "type": "integer" },
                    "unit_price_cents": { "type": "integer" }, "line_total_cents": { "type": "integer" }, "available": { "type": "integer" } } } },
                "subtotal_cents": { "type": "integer" }, "discount_cents": { "type": "integer" },
                "promo": { "type": "object", "properties": { "code": { "type": "string" }, "applied": { "type": "boolean" }, "message": { "type": "string" } } },
                "shipping_options": { "type": "array", "items": { "type": "object", "properties": {
                    "id": { "type": "string" }, "name": { "type": "string" }, "price_cents": { "type": "integer" } } } },
                "shipping_method": { "type": "string" }, "shipping_cents": { "type": "integer" },
                "tax_cents": { "type": "integer", "nullable": true, "description": "null until a destination is given" },
                "total_cents": { "type": "integer" }, "weight_grams": { "type": "integer" }, "expires_at": { "type": "string", "format": "date-time" } } },
            "CheckoutRequest": { "type": "object", "required": ["cart_id", "email", "shipping_address", "shipping_method", "payment"], "properties": {
                "cart_id": { "type": "string" }, "email": { "type": "string" },
                "shipping_address": { "type": "object", "required": ["name", "line1", "city", "postal_code", "country"], "properties": {
                    "name": { "type": "string" }, "line1": { "type": "string" }, "line2": { "type": "string" }, "city": { "type": "string" },
                    "region": { "type": "string" }, "postal_code": { "type": "string" }, "country": { "type": "string", "example": "US" } } },
                "shipping_method": { "type": "string", "example": "standard" },
                "payment": { "type": "object", "required": ["method"], "properties": {
                    "method": { "type": "string", "enum": ["test", "invoice"] }, "token": { "type": "string", "example": "tok_visa" } } },
                "vehicle": { "type": "string", "description": "The shopper's vehicle, kept on the order" } } },
            "Fitment": { "type": "object", "required": ["year_from", "year_to", "make", "model"], "properties": {
                "year_from": { "type": "integer" }, "year_to": { "type": "integer" }, "make": { "type": "string" },
                "model": { "type": "string" }, "submodel": { "type": "string" }, "engine": { "type": "string" } } },
            "Product": { "type": "object", "additionalProperties": true,
                "required": ["sku", "title", "price_cents", "currency", "stock", "in_stock", "url"],
                "properties": {
                    "sku": { "type": "string" }, "title": { "type": "string" }, "description": { "type": "string" },
                    "brand": { "type": "string" }, "category": { "type": "string", "description": "A /-separated path" },
                    "price_cents": { "type": "integer", "minimum": 0 }, "currency": { "type": "string", "example": "USD" },
                    "stock": { "type": "integer", "minimum": 0 }, "in_stock": { "type": "boolean" },
                    "part_numbers": { "type": "array", "items": { "type": "string" } },
                    "attributes": { "type": "object", "additionalProperties": { "oneOf": [ { "type": "string" }, { "type": "number" }, { "type": "boolean" } ] } },
                    "fitments": { "type": "array", "items": { "$ref": "#/components/schemas/Fitment" } },
                    "universal": { "type": "boolean" }, "group": { "type": "string" },
                    "options": { "type": "object", "additionalProperties": { "type": "string" } },
                    "featured": { "type": "boolean" }, "popularity": { "type": "integer" },
                    "url": { "type": "string", "description": "The product page" }
                } }
        }}
    })
}
