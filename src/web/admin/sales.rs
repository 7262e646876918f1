//! The back office's sale day: flash sales (announce one for tomorrow 09:00, watch it sell, end it
//! early) with each sale's report.

use actix_web::{HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::{SignedIn, page, see_other};
use crate::domain::{format_utc, now_ms, parse_rfc3339};
use crate::sales::model::{FlashSale, SaleError, Then};
use crate::sales::ops::NewSale;
use crate::staff::Catalog;
use crate::state::AppState;
use crate::store::Refusals;
use crate::web::{AppError, ErrorCode, PageError, blocking};

pub(super) async fn sales(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    who.may::<Catalog>()?;
    let store = state.store.clone();
    let sales = blocking(move || Ok(store.read()?.flash_sales()?)).await?;
    let now = now_ms();
    let body = html! {
        h1 { "Flash sales" }
        p.muted { "Exactly the quantity you set sells at the sale price, however many shoppers arrive at once. Times are UTC." }
        table.order-lines {
            thead { tr { th { "Sale" } th { "When (UTC)" } th { "Status" } th { "Items: sold / quantity" } th { "Revenue" } th {} } }
            tbody {
                @for sale in &sales {
                    tr {
                        td { strong { (sale.name) } br; small.muted { "#" (sale.id) } }
                        td.small { (format_utc(sale.starts_ms)) br; "to " (format_utc(sale.end_ms())) }
                        td { (status(sale, now)) }
                        td.small {
                            @for item in &sale.items {
                                a href={ "/p/" (item.sku) } { (item.sku) } " at " (item.price) ": "
                                strong { (item.sold) " / " (item.quantity) }
                                @if let Some(at) = item.sold_out_ms {
                                    " · sold out " (sell_out_after(sale, at))
                                }
                                br;
                            }
                        }
                        td { (money(sale)) }
                        td {
                            @if sale.ended_early_ms.is_none() && now < sale.ends_ms {
                                form method="post" action={ "/admin/sales/" (sale.id) "/end" } {
                                    input type="hidden" name="csrf" value=(who.session.csrf);
                                    button.button.secondary type="submit" { "End now" }
                                }
                            }
                        }
                    }
                }
                @if sales.is_empty() { tr { td colspan="6" .muted { "No flash sales yet." } } }
            }
        }
        h2 { "Announce a flash sale" }
        form.stack method="post" action="/admin/sales" {
            input type="hidden" name="csrf" value=(who.session.csrf);
            label for="name" { "Name shoppers see" }
            input #name name="name" required maxlength="100" placeholder="Holiday doorbusters";
            label for="starts" { "Starts (UTC)" }
            input #starts name="starts" type="datetime-local" required;
            label for="ends" { "Ends (UTC)" }
            input #ends name="ends" type="datetime-local" required;
            label for="items" { "Items, one per line: SKU, sale price, quantity" }
            textarea #items name="items" rows="4" required placeholder="HS-REAPER-5, 6.99, 100" {}
            label for="limit" { "Per customer (blank: no limit)" }
            input #limit name="per_customer_limit" type="number" min="1";
            label for="then" { "When an item's quantity is gone" }
            select #then name="then" {
                option value="regular" { "it sells on at the regular price" }
                option value="sold_out" { "it shows sold out until the sale ends" }
            }
            button.button type="submit" { "Announce" }
        }
    };
    Ok(page("Flash sales", Some(&who), body))
}

fn status(sale: &FlashSale, now: u64) -> &'static str {
    if sale.running(now) {
        "running"
    } else if sale.ended_early_ms.is_some() {
        "ended early"
    } else if now < sale.starts_ms {
        "scheduled"
    } else {
        "ended"
    }
}

fn sell_out_after(sale: &FlashSale, at: u64) -> String {
    let secs = at.saturating_sub(sale.starts_ms) / 1000;
    match secs {
        0..60 => format!("after {secs} s"),
        60..3600 => format!("after {} min", secs / 60),
        _ => format!("after {} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

fn money(sale: &FlashSale) -> String {
    let minor: i64 = sale.items.iter().map(|i| i.revenue_minor()).sum();
    match sale.items.first() {
        Some(item) => crate::domain::Money::new(minor, item.price.currency()).to_string(),
        None => String::new(),
    }
}

#[derive(Deserialize)]
pub(super) struct SaleForm {
    #[serde(default)]
    csrf: String,
    name: String,
    starts: String,
    ends: String,
    items: String,
    #[serde(default)]
    per_customer_limit: String,
    #[serde(default)]
    then: String,
}

fn invalid(message: impl Into<String>) -> PageError {
    PageError(AppError::new(ErrorCode::InvalidInput, message))
}

impl SaleForm {
    fn parse(&self) -> Result<NewSale, PageError> {
        let time =
            |name: &str, raw: &str| parse_rfc3339(raw).ok_or_else(|| invalid(format!("{name}: enter a date and time")));
        let mut items = Vec::new();
        for (n, line) in self.items.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let parts: Vec<&str> = line.split(',').map(str::trim).collect();
            let [sku, price, quantity] = parts[..] else {
                return Err(invalid(format!("item line {}: write SKU, price, quantity", n + 1)));
            };
            let cents = super::products::cents(price)
                .ok_or_else(|| invalid(format!("item line {}: {price:?} is not a price", n + 1)))?;
            let quantity = quantity
                .parse()
                .map_err(|_| invalid(format!("item line {}: {quantity:?} is not a quantity", n + 1)))?;
            let sku = crate::domain::Sku::parse(sku).map_err(|e| invalid(format!("item line {}: {e}", n + 1)))?;
            items.push((sku, cents, quantity));
        }
        let per_customer_limit = match self.per_customer_limit.trim() {
            "" => None,
            n => Some(
                n.parse()
                    .map_err(|_| invalid("per customer: a whole number, or blank"))?,
            ),
        };
        Ok(NewSale {
            name: self.name.clone(),
            starts_ms: time("starts", &self.starts)?,
            ends_ms: time("ends", &self.ends)?,
            items,
            per_customer_limit,
            then: if self.then == "sold_out" {
                Then::SoldOut
            } else {
                Then::Regular
            },
        })
    }
}

pub(super) async fn create(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<SaleForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<Catalog>()?;
    let new = form.parse()?;
    let now = now_ms();
    state
        .writer
        .run_use_case(move |tx| crate::sales::ops::create(tx, &staff, new, now))
        .await
        .refusals()
        .map_err(AppError::from)?
        .map_err(refused)?;
    Ok(see_other("/admin/sales"))
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn end(
    who: SignedIn,
    state: web::Data<AppState>,
    id: web::Path<u64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<Catalog>()?;
    let (id, now) = (id.into_inner(), now_ms());
    state
        .writer
        .run_use_case(move |tx| crate::sales::ops::end(tx, &staff, id, now))
        .await
        .refusals()
        .map_err(AppError::from)?
        .map_err(refused)?;
    Ok(see_other("/admin/sales"))
}

fn refused(e: SaleError) -> PageError {
    match e {
        SaleError::Invalid(m) => invalid(m),
        SaleError::NotFound => PageError(AppError::new(ErrorCode::NotFound, "no such flash sale")),
    }
}
