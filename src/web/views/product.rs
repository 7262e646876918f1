use maud::{Markup, html};

use super::components::{breadcrumbs, fit_question, heat, label, price_tag, sale_banner, stock_badge, tile};
use super::layout::{Chrome, Head, JsonLd, address, cart_token_field, page_with};
use crate::catalog::ops::ProductDetail;
use crate::catalog::{AttrValue, Item, Product};
use crate::domain::{FitmentRef, Fitments, group_thousands};

/// Rows of the fitment table shown before "show all".
const FITMENTS_SHOWN: usize = 12;

pub fn product(chrome: &Chrome, detail: &ProductDetail) -> Markup {
    let item = &detail.item;
    let p = &item.product;
    let body = html! {
        (breadcrumbs(&detail.breadcrumbs, Some(&p.title)))
        article.product itemscope itemtype="https://schema.org/Product" {
            div.product-media { (tile(p, true)) }
            div.product-info {
                @if let Some(brand) = &p.brand { p.product-brand itemprop="brand" { (brand) } }
                h1 itemprop="name" { (p.title) }
                p.product-ids {
                    @if let Some(pn) = p.own_part_number() { span { "Part # " strong { (pn) } } }
                    span { "SKU " span itemprop="sku" { (p.sku) } }
                }
                @if let Some(AttrValue::Text(level)) = p.attributes.get("heat") { (heat(level)) }
                div.buy-box {
                    (sale_banner(item, chrome))
                    p { (price_tag(item, true)) }
                    p { (stock_badge(item.stock)) }
                    (variants(detail))
                    (add_to_cart(chrome, item))
                    @if let Some(v) = chrome.vehicle.as_ref().filter(|_| p.is_vehicle_part()) { (fit_question(v, p)) }
                    @if p.universal { p.fit-note.universal { "Universal: fits any vehicle." } }
                    @else if !p.fitments.is_empty() {
                        p.fit-note { "Fits " (vehicle_count(&p.fitments)) ". " a href="#fitment" { "Check your vehicle" } }
                    }
                }
                @if !p.description.is_empty() {
                    section.description aria-labelledby="about" {
                        h2 #about { "About this item" }
                        p itemprop="description" { (p.description) }
                    }
                }
            }
        }
        (bundle_contents(detail))
        div.product-details {
            (specifications(p))
            (part_numbers(p))
        }
        (fitment_table(&p.fitments))
    };
    let description = if p.description.is_empty() {
        p.title.clone()
    } else {
        p.description.chars().take(160).collect()
    };
    let canonical = address(
        chrome,
        &format!("/p/{}", crate::web::admin::encode_path(p.sku.as_str())),
    );
    let head = Head {
        title: &p.title,
        description: &description,
        image: p.image_url().map(|url| {
            if url.starts_with('/') {
                address(chrome, &url)
            } else {
                url
            }
        }),
        json_ld: Some(JsonLd(structured_data(item, &canonical, &description))),
        canonical: Some(canonical),
    };
    page_with(chrome, &head, body)
}

/// schema.org's Product with its offer (the price a shopper pays now, and whether it is in
/// stock) and, for a part, the vehicles it fits (at most 25).
fn structured_data(item: &Item, url: &str, description: &str) -> serde_json::Value {
    let p = &item.product;
    let price = item.unit_price();
    let mut data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.title,
        "description": description,
        "sku": p.sku.as_str(),
        "url": url,
        "offers": {
            "@type": "Offer",
            "url": url,
            "price": price.decimal(),
            "priceCurrency": price.currency().as_str(),
            "availability": if item.in_stock() { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
            "itemCondition": "https://schema.org/NewCondition",
        },
    });
    if let Some(brand) = &p.brand {
        data["brand"] = serde_json::json!({"@type": "Brand", "name": brand});
    }
    if let Some(pn) = p.own_part_number() {
        data["mpn"] = serde_json::json!(pn.as_str());
    }
    let fits: Vec<serde_json::Value> = p
        .fitments
        .iter()
        .take(25)
        .map(|f| {
            let years = f.years.to_string();
            let name = [Some(years.as_str()), Some(f.make), Some(f.model), f.submodel, f.engine]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            serde_json::json!({"@type": "Vehicle", "name": name, "brand": {"@type": "Brand", "name": f.make}, "model": f.model})
        })
        .collect();
    if !fits.is_empty() {
        data["isAccessoryOrSparePartFor"] = serde_json::Value::Array(fits);
    }
    data
}

/// Works without JavaScript: a plain form to `/cart/add`, answered with a redirect to the cart.
fn add_to_cart(chrome: &Chrome, item: &Item) -> Markup {
    // Only what the page shows of the stock (see `inventory::shown`), so the page stays right
    // through every sale that does not change that; the cart checks the real level.
    let line_most = u64::from(crate::cart::ops::MAX_LINE_QUANTITY);
    let most = if item.stock <= crate::inventory::FEW_LEFT {
        item.stock
    } else {
        line_most
    };
    let offered = !item.product.is_bundle() || chrome.flags.on(crate::flags::model::BUNDLES);
    html! {
        @if !offered {
            p { button.button type="button" disabled { "Not available yet" } }
        } @else if item.in_stock() {
            form.add-to-cart method="post" action="/cart/add" {
                (cart_token_field(chrome))
                input type="hidden" name="sku" value=(item.product.sku);
                label for="qty" { "Qty" }
                input #qty type="number" name="quantity" value="1" min="1" max=(most) inputmode="numeric";
                button.button type="submit" { "Add to cart" }
            }
        } @else {
            p { button.button type="button" disabled { "Out of stock" } }
        }
    }
}

fn variants(detail: &ProductDetail) -> Markup {
    if detail.variants.len() < 2 {
        return html! {};
    }
    let names: Vec<&String> = detail.item.product.options.keys().collect();
    let legend = if names.is_empty() {
        "Options".to_owned()
    } else {
        names.iter().map(|n| label(n)).collect::<Vec<_>>().join(" / ")
    };
    html! {
        nav.variants aria-label=(legend) {
            p.variants-label { (legend) }
            ul role="list" {
                @for v in &detail.variants {
                    li { (variant_link(v, v.product.sku == detail.item.product.sku)) }
                }
            }
        }
    }
}

fn variant_link(v: &Item, current: bool) -> Markup {
    let text = if v.product.options.is_empty() {
        v.product.title.clone()
    } else {
        v.product.options.values().cloned().collect::<Vec<_>>().join(" / ")
    };
    html! {
        a.variant.current[current].soldout[v.stock == 0] href={ "/p/" (v.product.sku) } aria-current=[current.then_some("page")] {
            span { (text) }
            span.variant-price { (v.unit_price()) }
        }
    }
}

/// What a bundle holds, each component linked, with how many of it.
fn bundle_contents(detail: &ProductDetail) -> Markup {
    if detail.components.is_empty() {
        return html! {};
    }
    html! {
        section.bundle aria-labelledby="in-the-box" {
            h2 #in-the-box { "In this bundle" }
            ul {
                @for (quantity, item) in &detail.components {
                    li {
                        (quantity) " × " a href={ "/p/" (item.product.sku) } { (item.product.title) }
                        " " span.small { (item.unit_price()) " each on its own" }
                    }
                }
            }
        }
    }
}

fn specifications(p: &Product) -> Markup {
    if p.attributes.is_empty() && p.options.is_empty() {
        return html! {};
    }
    html! {
        section.specs aria-labelledby="specs" {
            h2 #specs { "Specifications" }
            dl {
                @for (name, value) in &p.options { dt { (label(name)) } dd { (value) } }
                @for (name, value) in p.attributes.iter().filter(|(n, _)| !p.options.contains_key(*n)) {
                    dt { (label(name)) }
                    dd {
                        @match (name.as_str(), value) {
                            ("scoville", AttrValue::Int(n)) => { (thousands(*n)) " SHU" },
                            _ => { (value) },
                        }
                    }
                }
            }
        }
    }
}

fn part_numbers(p: &Product) -> Markup {
    if p.part_numbers.len() < 2 {
        return html! {};
    }
    html! {
        section.part-numbers aria-labelledby="pns" {
            h2 #pns { "Interchange and OEM numbers" }
            p.muted { "This part replaces any of these numbers." }
            ul.pn-list role="list" {
                @for pn in &p.part_numbers[1..] { li { code { (pn) } } }
            }
        }
    }
}

fn fitment_table(fitments: &Fitments) -> Markup {
    if fitments.is_empty() {
        return html! {};
    }
    let mut rows: Vec<FitmentRef<'_>> = fitments.iter().collect();
    rows.sort_by(|a, b| (a.make, a.model, a.years).cmp(&(b.make, b.model, b.years)));
    let (shown, rest) = rows.split_at(rows.len().min(FITMENTS_SHOWN));
    html! {
        section.fitment #fitment aria-labelledby="fit-h" {
            h2 #fit-h { "Vehicle fitment" }
            p.muted { "This part fits " (vehicle_count(fitments)) ". Blank submodel or engine means every one." }
            (fitment_rows(shown))
            @if !rest.is_empty() {
                details {
                    summary { "Show all " (rows.len()) " fitments" }
                    (fitment_rows(rest))
                }
            }
        }
    }
}

fn fitment_rows(rows: &[FitmentRef<'_>]) -> Markup {
    html! {
        div.table-scroll {
            table {
                thead { tr { th scope="col" { "Years" } th scope="col" { "Make" } th scope="col" { "Model" } th scope="col" { "Submodel" } th scope="col" { "Engine" } } }
                tbody {
                    @for f in rows {
                        tr {
                            td { (f.years) } td { (f.make) } td { (f.model) }
                            td { (f.submodel.unwrap_or("All")) }
                            td { (f.engine.unwrap_or("All")) }
                        }
                    }
                }
            }
        }
    }
}

/// "3 models" / "1 model", counting distinct make and model pairs.
fn vehicle_count(fitments: &Fitments) -> String {
    let mut models: Vec<(String, String)> = fitments
        .iter()
        .map(|f| (f.make.to_lowercase(), f.model.to_lowercase()))
        .collect();
    models.sort();
    models.dedup();
    match models.len() {
        1 => "1 model".to_owned(),
        n => format!("{n} models"),
    }
}

fn thousands(n: i64) -> String {
    let grouped = group_thousands(n.unsigned_abs());
    if n < 0 { format!("-{grouped}") } else { grouped }
}
