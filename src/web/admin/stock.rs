//! Stock levels, adjustments with a reason, and the ledger.

use super::*;
use crate::store::Refusals;

#[derive(Deserialize)]
pub(super) struct StockQuery {
    sku: Option<String>,
    done: Option<String>,
}

pub(super) async fn stock(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<StockQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Stock>()?;
    let sku = q.sku.clone().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let typed = Typed {
        done: q.done.is_some(),
        ..Typed::default()
    };
    stock_page(&who, &state, sku, typed, 200).await
}

/// What the adjust form showed back: the merchant's own input and why it was refused, or that
/// the last change was made.
#[derive(Default)]
struct Typed {
    delta: String,
    reason: String,
    problem: Option<String>,
    done: bool,
}

async fn stock_page(
    who: &SignedIn,
    state: &AppState,
    sku: Option<String>,
    typed: Typed,
    status: u16,
) -> Result<HttpResponse, PageError> {
    let store = state.store.clone();
    let wanted = sku.clone();
    let default = state.config.shop.low_stock;
    let (item, ledger, low) = blocking(move || {
        let read = store.read()?;
        let item = match &wanted {
            Some(sku) => match read.product(sku)? {
                Some(p) => Some((p.title, read.stock(sku)?, read.low_stock_threshold(sku)?)),
                None => None,
            },
            None => None,
        };
        let ledger = match &wanted {
            Some(sku) => read.ledger(sku)?,
            None => Vec::new(),
        };
        Ok((item, ledger, read.low_stock(default, 100)?))
    })
    .await?;
    let body = html! {
        h1 { "Stock" }
        @if typed.done { p.notice.ok role="status" { "Stock updated." } }
        @if let Some(problem) = &typed.problem { p.notice.error role="alert" { "Not changed: " (problem) } }
        form method="get" action="/admin/stock" .inline-form {
            label for="sku" { "SKU" }
            input #sku name="sku" value=(sku.clone().unwrap_or_default());
            button.button.secondary type="submit" { "Show" }
        }
        @match (&sku, &item) {
            (Some(sku), Some((title, units, own))) => {
                h2 { (title) " (" (sku) "): " (units) " in stock" }
                form method="post" action="/admin/stock/adjust" .transition-form {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    input type="hidden" name="sku" value=(sku);
                    div.field-row {
                        div.field { label for="delta" { "Change by (e.g. 12 or -3)" } input #delta name="delta" type="number" required value=(typed.delta); }
                        div.field { label for="reason" { "Reason" } input #reason name="reason" required maxlength="200" value=(typed.reason); }
                    }
                    button.button type="submit" { "Adjust stock" }
                }
                form method="post" action="/admin/stock/threshold" .transition-form {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    input type="hidden" name="sku" value=(sku);
                    div.field {
                        label for="low_stock" { "Flag as low at or below (empty: the shop's " (default) ")" }
                        input #low_stock name="low_stock" type="number" min="0" value=[own];
                    }
                    button.button.secondary type="submit" { "Save threshold" }
                }
                h2 { "Ledger" }
                table.order-lines {
                    thead { tr { th { "When" } th { "Change" } th { "Balance" } th { "Reason" } th { "By" } } }
                    tbody { @for e in ledger.iter().rev().take(200) { tr { td { (format_utc(e.at_ms)) } td { (e.delta) } td { (e.balance) } td { (e.reason) } td { (e.actor) } } } }
                }
            }
            (Some(sku), None) => { p.notice.error { "No product has SKU " (sku) "." } }
            _ => {}
        }
        h2 { "Low stock" }
        (low_stock_list(&low, default))
    };
    Ok(status_page(page("Stock", Some(who), body), status))
}

fn status_page(mut res: HttpResponse, status: u16) -> HttpResponse {
    *res.status_mut() = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    res
}

/// SKUs at or below their threshold, fewest first; shared with the dashboard.
pub(super) fn low_stock_list(low: &[crate::store::LowStock], default: u64) -> Markup {
    html! {
        @if low.is_empty() { p.muted { "Nothing at or below its threshold (the shop's default is " (default) ")." } }
        ul {
            @for l in low {
                li { a href={ "/admin/stock?sku=" (super::encode_path(&l.sku)) } { (l.sku) } ": " (l.units) " left (threshold " (l.threshold) ")" }
            }
        }
    }
}

/// Back to the SKU's stock page, saying the change was made.
fn stock_updated(sku: &str) -> HttpResponse {
    let query = serde_urlencoded::to_string([("sku", sku), ("done", "1")]).unwrap_or_default();
    see_other(&format!("/admin/stock?{query}"))
}

#[derive(Deserialize)]
pub(super) struct ThresholdForm {
    #[serde(default)]
    csrf: String,
    sku: String,
    #[serde(default)]
    low_stock: String,
}

pub(super) async fn set_threshold(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<ThresholdForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<crate::staff::Stock>()?;
    let form = form.into_inner();
    let threshold = match form.low_stock.trim() {
        "" => None,
        text => Some(text.parse::<u64>().map_err(|_| {
            PageError(AppError::new(
                ErrorCode::InvalidInput,
                "the threshold must be a whole number of units, 0 or more (or empty for the shop's default)",
            ))
        })?),
    };
    let sku = form.sku.trim().to_owned();
    let target = sku.clone();
    let outcome = state
        .writer
        .run_use_case(move |tx| merchant::set_low_stock(tx, &staff, &target, threshold))
        .await
        .refusals()
        .map_err(AppError::from)?;
    match outcome {
        Ok(_) => Ok(stock_updated(&sku)),
        Err(e) => Err(PageError(AppError::new(ErrorCode::NotFound, e.to_string()))),
    }
}

#[derive(Deserialize)]
pub(super) struct AdjustForm {
    #[serde(default)]
    csrf: String,
    sku: String,
    delta: String,
    reason: String,
}

pub(super) async fn adjust_stock(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<AdjustForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<crate::staff::Stock>()?;
    let form = form.into_inner();
    let sku = form.sku.trim().to_owned();
    // A refused change stays on the stock page with what was typed and why, in the back office.
    let refuse = |problem: String, status: u16| {
        let typed = Typed {
            delta: form.delta.clone(),
            reason: form.reason.clone(),
            problem: Some(problem),
            done: false,
        };
        stock_page(&who, &state, Some(sku.clone()), typed, status)
    };
    let Ok(delta) = form.delta.trim().parse::<i64>() else {
        return refuse("the change must be a whole number such as 12 or -3".into(), 422).await;
    };
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 200 {
        return refuse("give a reason of 1 to 200 characters".into(), 422).await;
    }
    let target = sku.clone();
    let outcome = state
        .writer
        .run_use_case(move |tx| merchant::adjust_stock(tx, &staff, &target, delta, &reason))
        .await
        .refusals()
        .map_err(AppError::from)?;
    match outcome {
        Ok(_) => Ok(stock_updated(&sku)),
        Err(e) => refuse(e.to_string(), 409).await,
    }
}
