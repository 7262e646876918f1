//! Back-office product pages: list and search, create, edit (part numbers, attributes,
//! fitments, variants), delete. The form is turned into a line of the import format and
//! validated by the importer's own rules, so a product saved here is exactly what an import of
//! the same data would make; unknown import fields the product carried are kept.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{SignedIn, page, see_other};
use crate::catalog::export::Line;
use crate::catalog::ops as catalog;
use crate::catalog::{Item, PageRequest};
use crate::domain::now_ms;
use crate::merchant;
use crate::staff::Catalog;
use crate::state::AppState;
use crate::web::{AppError, ErrorCode, PageError, blocking};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/products").route(crate::web::read().to(list)))
        .service(web::resource("/admin/products/new").route(crate::web::read().to(new)))
        .service(web::resource("/admin/products/save").route(web::post().to(save)))
        .service(web::resource("/admin/products/{sku}/edit").route(crate::web::read().to(edit)))
        .service(web::resource("/admin/products/{sku}/delete").route(web::post().to(delete)))
        .service(web::resource("/admin/products/{sku}/image").route(web::post().to(upload_image)));
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    page: Option<u32>,
    saved: Option<String>,
}

async fn list(who: SignedIn, state: web::Data<AppState>, q: web::Query<ListQuery>) -> Result<HttpResponse, PageError> {
    who.may::<Catalog>()?;
    let paging = PageRequest::new(q.page, Some(50), 50);
    let text = q.q.clone().unwrap_or_default().trim().to_owned();
    let shared = state.clone();
    let query = text.clone();
    let (items, total) = blocking(move || {
        if query.is_empty() {
            let page = catalog::list(&shared.store, paging)?;
            return Ok((page.items, page.total));
        }
        let request = crate::search::SearchRequest {
            q: query,
            page: paging,
            ..Default::default()
        };
        let found = shared
            .search
            .search(&request)
            .map_err(|e| AppError::new(ErrorCode::Internal, format!("search failed: {e}")))?;
        Ok((catalog::items(&shared.store, &found.skus)?, found.total))
    })
    .await?;
    let body = html! {
        h1 { "Products" }
        @if let Some(sku) = &q.saved { p.notice.ok role="status" { "Saved " (sku) "." } }
        form method="get" action="/admin/products" .inline-form {
            label for="q" { "Search" }
            input #q name="q" value=(text) placeholder="title, SKU or part number";
            button.button.secondary type="submit" { "Search" }
            a.button href="/admin/products/new" { "New product" }
        }
        p.muted { (total) " products" }
        table.order-lines {
            thead { tr { th { "Product" } th { "Category" } th { "Price" } th { "Stock" } } }
            tbody {
                @for item in &items {
                    tr {
                        td { a href={ "/admin/products/" (super::encode_path(item.product.sku.as_str())) "/edit" } { (item.product.title) } div.small { (item.product.sku) } }
                        td { (item.product.category.as_ref().map(|c| c.to_string()).unwrap_or_default()) }
                        td { (item.product.price) }
                        td { a href={ "/admin/stock?sku=" (super::encode_path(item.product.sku.as_str())) } { (item.stock) } }
                    }
                }
            }
        }
        (crate::web::views::components::pager(paging.page, total.div_ceil(50).max(1) as u32, |n| {
            format!("/admin/products?{}", serde_urlencoded::to_string([("q", text.as_str()), ("page", &n.to_string())]).unwrap_or_default())
        }))
    };
    Ok(page("Products", Some(&who), body))
}

/// The form's fields, all text so that a mistake is shown back as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProductForm {
    csrf: String,
    /// Set when editing: the SKU cannot change.
    existing: String,
    sku: String,
    title: String,
    description: String,
    brand: String,
    category: String,
    price: String,
    currency: String,
    stock: String,
    part_numbers: String,
    attributes: String,
    fitments: String,
    universal: Option<String>,
    group: String,
    options: String,
    featured: Option<String>,
    sale_price: String,
    sale_starts: String,
    sale_ends: String,
    /// The current photo, shown beside its upload form (not a form field).
    #[serde(skip)]
    image: Option<String>,
}

impl ProductForm {
    fn from_item(item: &Item) -> ProductForm {
        let p = &item.product;
        ProductForm {
            image: p.image_url(),
            existing: p.sku.to_string(),
            sku: p.sku.to_string(),
            title: p.title.clone(),
            description: p.description.clone(),
            brand: p.brand.clone().unwrap_or_default(),
            category: p.category.as_ref().map(|c| c.to_string()).unwrap_or_default(),
            price: decimal(p.price.minor()),
            currency: p.price.currency().to_string(),
            stock: item.stock.to_string(),
            part_numbers: p.part_numbers.iter().map(|n| n.as_str()).collect::<Vec<_>>().join("\n"),
            attributes: p
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            fitments: p
                .fitments
                .iter()
                .map(|f| {
                    let years = if f.years.from() == f.years.to() {
                        f.years.from().to_string()
                    } else {
                        format!("{}-{}", f.years.from(), f.years.to())
                    };
                    [
                        years.as_str(),
                        f.make,
                        f.model,
                        f.submodel.unwrap_or(""),
                        f.engine.unwrap_or(""),
                    ]
                    .join("|")
                    .trim_end_matches('|')
                    .to_owned()
                })
                .collect::<Vec<_>>()
                .join("\n"),
            universal: p.universal.then(|| "on".into()),
            group: p.group.clone().unwrap_or_default(),
            options: p
                .options
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
            featured: p.featured.then(|| "on".into()),
            sale_price: p.sale.as_ref().map(|s| decimal(s.price.minor())).unwrap_or_default(),
            sale_starts: form_time(p.sale.as_ref().and_then(|s| s.starts_ms)),
            sale_ends: form_time(p.sale.as_ref().and_then(|s| s.ends_ms)),
            ..ProductForm::default()
        }
    }

    /// The form as a line of the import format, on top of the product's current line so that
    /// fields the form does not show (unknown import fields, popularity) survive.
    fn to_line(&self, current: Option<Value>) -> Result<Value, String> {
        let mut line = match current {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let text = |s: &str| Value::String(s.trim().to_owned());
        line.insert(
            "sku".into(),
            text(if self.existing.is_empty() {
                &self.sku
            } else {
                &self.existing
            }),
        );
        line.insert("title".into(), text(&self.title));
        line.insert("description".into(), text(&self.description));
        set_or_remove(&mut line, "brand", &self.brand);
        set_or_remove(&mut line, "category", &self.category);
        set_or_remove(&mut line, "group", &self.group);
        line.insert(
            "price_cents".into(),
            json!(cents(&self.price).ok_or("the price must be a number like 49.99")?),
        );
        if !self.currency.trim().is_empty() {
            line.insert("currency".into(), text(&self.currency));
        }
        match self.stock.trim() {
            "" => drop(line.remove("stock")),
            n => drop(line.insert(
                "stock".into(),
                json!(n.parse::<u64>().map_err(|_| "stock must be a whole number of 0 or more")?),
            )),
        }
        let part_numbers: Vec<Value> = self
            .part_numbers
            .split(['\n', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| json!(s))
            .collect();
        line.insert("part_numbers".into(), Value::Array(part_numbers));
        line.insert("attributes".into(), Value::Object(pairs(&self.attributes, true)?));
        line.insert("options".into(), Value::Object(pairs(&self.options, false)?));
        line.insert("fitments".into(), Value::Array(fitments(&self.fitments)?));
        line.insert("universal".into(), json!(self.universal.is_some()));
        line.insert("featured".into(), json!(self.featured.is_some()));
        match self.sale_price.trim() {
            "" => drop(line.remove("sale_price_cents")),
            price => drop(line.insert(
                "sale_price_cents".into(),
                json!(cents(price).ok_or("the sale price must be a number like 39.99")?),
            )),
        }
        set_or_remove(&mut line, "sale_starts", &self.sale_starts);
        set_or_remove(&mut line, "sale_ends", &self.sale_ends);
        Ok(Value::Object(line))
    }
}

/// A time as a `datetime-local` field shows it (UTC, to the minute).
fn form_time(ms: Option<u64>) -> String {
    ms.map(|ms| crate::domain::format_utc(ms)[..16].to_owned())
        .unwrap_or_default()
}

fn set_or_remove(line: &mut Map<String, Value>, key: &str, value: &str) {
    match value.trim() {
        "" => drop(line.remove(key)),
        v => drop(line.insert(key.into(), json!(v))),
    }
}

fn decimal(minor: i64) -> String {
    format!(
        "{}{}.{:02}",
        if minor < 0 { "-" } else { "" },
        minor.unsigned_abs() / 100,
        minor.unsigned_abs() % 100
    )
}

/// "49.99" -> 4999; at most two decimals.
pub(super) fn cents(text: &str) -> Option<i64> {
    let t = text.trim().trim_start_matches('$');
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(format!("{frac:0<2}").parse::<i64>().ok()?)
}

/// `name: value` lines; attribute values that read as numbers or yes/no become typed.
fn pairs(text: &str, typed: bool) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (k, v) = line
            .split_once(':')
            .ok_or(format!("line {} should look like “name: value”", i + 1))?;
        let v = v.trim();
        let value = if !typed {
            json!(v)
        } else if let Ok(n) = v.parse::<i64>() {
            json!(n)
        } else if let Some(x) = v.parse::<f64>().ok().filter(|x| x.is_finite()) {
            json!(x)
        } else if v.eq_ignore_ascii_case("yes") || v.eq_ignore_ascii_case("true") {
            json!(true)
        } else if v.eq_ignore_ascii_case("no") || v.eq_ignore_ascii_case("false") {
            json!(false)
        } else {
            json!(v)
        };
        out.insert(k.trim().to_owned(), value);
    }
    Ok(out)
}

/// `2003-2007|Honda|Accord|EX|2.4L L4` lines, as in the CSV format.
fn fitments(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let bad = || format!("fitment line {} should look like 2003-2007|Honda|Accord|EX|2.4L", i + 1);
        if parts.len() < 3 {
            return Err(bad());
        }
        let (from, to) = parts[0].split_once('-').unwrap_or((parts[0], parts[0]));
        let year = |y: &str| y.trim().parse::<u16>().map_err(|_| bad());
        let mut fit = json!({"year_from": year(from)?, "year_to": year(to)?, "make": parts[1], "model": parts[2]});
        if let Some(sub) = parts.get(3).filter(|s| !s.is_empty()) {
            fit["submodel"] = json!(sub);
        }
        if let Some(engine) = parts.get(4).filter(|s| !s.is_empty()) {
            fit["engine"] = json!(engine);
        }
        out.push(fit);
    }
    Ok(out)
}

async fn new(who: SignedIn) -> Result<HttpResponse, PageError> {
    who.may::<Catalog>()?;
    let form = ProductForm {
        currency: "USD".into(),
        stock: "0".into(),
        ..ProductForm::default()
    };
    Ok(form_page(&who, &form, None, 200))
}

#[derive(Deserialize)]
struct EditQuery {
    photo: Option<String>,
}

async fn edit(
    who: SignedIn,
    state: web::Data<AppState>,
    sku: web::Path<String>,
    q: web::Query<EditQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<Catalog>()?;
    let store = state.store.clone();
    let key = sku.clone();
    let item = blocking(move || Ok(catalog::item(&store, &key)?))
        .await?
        .ok_or_else(|| PageError(AppError::product_not_found(&sku)))?;
    let notice = (q.photo.as_deref() == Some("saved")).then(|| {
        html! { p.notice.ok role="status" { "Photo saved." } }
    });
    Ok(form_page_inner(&who, &ProductForm::from_item(&item), None, notice, 200))
}

fn form_page(who: &SignedIn, f: &ProductForm, problem: Option<Markup>, status: u16) -> HttpResponse {
    form_page_inner(who, f, problem, None, status)
}

fn form_page_inner(
    who: &SignedIn,
    f: &ProductForm,
    problem: Option<Markup>,
    notice: Option<Markup>,
    status: u16,
) -> HttpResponse {
    let editing = !f.existing.is_empty();
    let area = |name: &str, label: &str, value: &str, hint: &str| -> Markup {
        html! {
            div.field {
                label for=(name) { (label) @if !hint.is_empty() { span.muted { " — " (hint) } } }
                textarea #(name) name=(name) rows="4" { (value) }
            }
        }
    };
    let field = |name: &str, label: &str, value: &str| -> Markup {
        html! { div.field { label for=(name) { (label) } input #(name) name=(name) value=(value); } }
    };
    let body = html! {
        h1 { @if editing { "Edit " (f.existing) } @else { "New product" } }
        @if let Some(p) = problem { p.notice.error role="alert" { (p) } }
        @if let Some(n) = notice { (n) }
        @if editing {
            section.photo-section aria-label="Photo" {
                @if let Some(image) = f.image.as_deref().filter(|i| !i.is_empty()) {
                    img src=(image) alt={ "Photo of " (f.title) } width="160" loading="lazy";
                }
                form method="post" action={ "/admin/products/" (super::encode_path(&f.existing)) "/image" } enctype="multipart/form-data" .transition-form {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    div.field {
                        label for="image" { "Photo" span.muted { " — PNG, JPEG, WebP or GIF, up to 5 MB" } }
                        input #image type="file" name="image" accept="image/png,image/jpeg,image/webp,image/gif" required;
                    }
                    button.button.secondary type="submit" { "Upload photo" }
                }
            }
        } @else {
            p.muted { "Save the product first; its page here then takes a photo." }
        }
        form method="post" action="/admin/products/save" .checkout {
            input type="hidden" name="csrf" value=(who.session.csrf);
            input type="hidden" name="existing" value=(f.existing);
            fieldset {
                legend { "Product" }
                @if !editing { (field("sku", "SKU", &f.sku)) }
                (field("title", "Title", &f.title))
                (area("description", "Description", &f.description, ""))
                div.field-row { (field("brand", "Brand", &f.brand)) (field("category", "Category path", &f.category)) }
                div.field-row {
                    (field("price", "Price", &f.price)) (field("currency", "Currency", &f.currency))
                    @if !editing { (field("stock", "Opening stock", &f.stock)) }
                }
                label.choice { input type="checkbox" name="featured" checked[f.featured.is_some()]; span { "Featured on the home page" } }
            }
            fieldset {
                legend { "Scheduled price" }
                p.small.muted { "Shown struck through against the regular price while it runs; times are UTC, either may be left blank." }
                div.field-row {
                    (field("sale_price", "Sale price", &f.sale_price))
                    label { "Starts" input name="sale_starts" type="datetime-local" value=(f.sale_starts); }
                    label { "Ends" input name="sale_ends" type="datetime-local" value=(f.sale_ends); }
                }
            }
            fieldset {
                legend { "Parts" }
                (area("part_numbers", "Part numbers", &f.part_numbers, "own number first, then interchange, OEM and superseded; one per line"))
                (area("fitments", "Fitments", &f.fitments, "one per line: 2003-2007|Honda|Accord|EX|2.4L L4"))
                label.choice { input type="checkbox" name="universal" checked[f.universal.is_some()]; span { "Universal: fits every vehicle" } }
            }
            fieldset {
                legend { "Attributes and variants" }
                (area("attributes", "Attributes", &f.attributes, "one per line: position: Front"))
                (field("group", "Variant group", &f.group))
                (area("options", "Options within the group", &f.options, "one per line: size: 5 oz"))
            }
            button.button type="submit" { "Save" }
            @if editing { " " a href={ "/admin/stock?sku=" (super::encode_path(&f.existing)) } { "Stock and ledger" } }
        }
        @if editing {
            form method="post" action={ "/admin/products/" (super::encode_path(&f.existing)) "/delete" } .transition-form {
                input type="hidden" name="csrf" value=(who.session.csrf);
                label.choice { input type="checkbox" name="confirm" value="yes" required; span { "Yes, delete " (f.existing) " (its stock ledger and orders keep their history)" } }
                button.button.danger type="submit" { "Delete this product" }
            }
        }
    };
    let mut res = page(if editing { "Edit product" } else { "New product" }, Some(who), body);
    *res.status_mut() = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    res
}

async fn save(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<ProductForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<Catalog>()?;
    let form = form.into_inner();
    let store = state.store.clone();
    let existing = form.existing.trim().to_owned();
    let current = blocking(move || {
        if existing.is_empty() {
            return Ok(None);
        }
        Ok(catalog::item(&store, &existing)?
            .map(|i| serde_json::to_value(Line::new(&i.product, i.stock)).unwrap_or_default()))
    })
    .await?;
    if !form.existing.is_empty() && current.is_none() {
        return Err(PageError(AppError::product_not_found(&form.existing)));
    }
    let record = match form
        .to_line(current)
        .and_then(|line| crate::catalog::import::parse_json_line(&line.to_string(), now_ms()))
    {
        Ok(record) => record,
        Err(problem) => return Ok(form_page(&who, &form, Some(html! { (problem) }), 422)),
    };
    let sku = record.product.sku.to_string();
    // A new product (or an edit that changes the SKU) must not replace another product.
    let replaces_nothing = sku != form.existing.trim();
    let saved = state
        .writer
        .run(move |tx| {
            if replaces_nothing && tx.product(record.product.sku.as_str())?.is_some() {
                return Ok(None);
            }
            merchant::put_product(tx, &staff, record).map(Some)
        })
        .await
        .map_err(AppError::from)?;
    if saved.is_none() {
        let edit = format!("/admin/products/{}/edit", super::encode_path(&sku));
        let problem = html! {
            "A product with SKU " strong { (sku) } " already exists; nothing was saved. "
            a href=(edit) { "Edit " (sku) } " instead, or choose another SKU."
        };
        return Ok(form_page(&who, &form, Some(problem), 409));
    }
    let query = serde_urlencoded::to_string([("saved", sku.as_str()), ("q", sku.as_str())]).unwrap_or_default();
    Ok(see_other(&format!("/admin/products?{query}")))
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

async fn delete(
    who: SignedIn,
    state: web::Data<AppState>,
    sku: web::Path<String>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<Catalog>()?;
    if form.confirm != "yes" {
        return Err(PageError(AppError::new(
            ErrorCode::InvalidInput,
            "tick the box to confirm: a deleted product cannot be brought back",
        )));
    }
    let key = sku.clone();
    let removed = state
        .writer
        .run(move |tx| merchant::delete_product(tx, &staff, &key))
        .await
        .map_err(AppError::from)?;
    match removed {
        Some(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/admin/products"))
            .finish()),
        None => Err(PageError(AppError::product_not_found(&sku))),
    }
}

/// `multipart/form-data` with `csrf` and `image`: stores the photo and points the product at it.
async fn upload_image(
    who: SignedIn,
    state: web::Data<AppState>,
    sku: web::Path<String>,
    form: actix_multipart::Multipart,
) -> Result<HttpResponse, PageError> {
    let limits = [(
        "image",
        crate::web::images::MAX_IMAGE_BYTES,
        "the photo may be at most 5 MB",
    )];
    let mut parts = crate::web::multipart::read(form, &limits).await?;
    who.check_csrf(&crate::web::multipart::text(&parts, "csrf"))?;
    let staff = who.may::<Catalog>()?;
    let image = parts.remove("image").unwrap_or_default().bytes;
    let (store, key) = (state.store.clone(), sku.clone());
    // Before a byte is written: the product must exist and the photo must fit beside the
    // store's reserve.
    let size = image.len() as u64;
    let exists = blocking(move || {
        store.ensure_room_for(size)?;
        Ok(store.read()?.product(&key)?.is_some())
    })
    .await?;
    if !exists {
        return Err(PageError(AppError::product_not_found(&sku)));
    }
    let (dir, key) = (state.config.data_dir.clone(), sku.clone());
    let (url, fresh) = blocking(move || crate::web::images::store(&dir, &key, &image)).await?;
    let (key, stored) = (sku.clone(), url.clone());
    let saved = state
        .writer
        .run(move |tx| merchant::set_image(tx, &staff, &key, &stored))
        .await
        .map_err(AppError::from);
    let data_dir = state.config.data_dir.clone();
    match saved {
        Ok(Some(before)) => {
            if !before.is_empty() && before != url {
                blocking(move || {
                    crate::web::images::remove(&data_dir, &before);
                    Ok(())
                })
                .await?;
            }
            let edit = format!("/admin/products/{}/edit?photo=saved", super::encode_path(&sku));
            Ok(see_other(&edit))
        }
        failed => {
            if fresh {
                blocking(move || {
                    crate::web::images::remove(&data_dir, &url);
                    Ok(())
                })
                .await?;
            }
            match failed {
                Err(e) => Err(PageError(e)),
                _ => Err(PageError(AppError::product_not_found(&sku))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_read_as_cents_without_floats() {
        assert_eq!(cents("49.99"), Some(4999));
        assert_eq!(cents("$5"), Some(500));
        assert_eq!(cents("0.5"), Some(50));
        assert_eq!(cents("1.999"), None);
        assert_eq!(cents("-1"), None);
        assert_eq!(decimal(4999), "49.99");
    }

    #[test]
    fn fitment_lines_read_like_the_csv_format() {
        let f = fitments("2003-2007|Honda|Accord|EX|2.4L\n2009|Honda|Civic").unwrap();
        assert_eq!(f[0]["year_to"], 2007);
        assert_eq!(f[1]["year_from"], 2009);
        assert!(f[1].get("submodel").is_none());
        assert!(fitments("Honda Civic").is_err());
    }
}
