//! Stock levels, adjustments with a reason, and the ledger.

use super::*;

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
    let store = state.store.clone();
    let wanted = sku.clone();
    let low_stock = state.config.shop.low_stock;
    let (item, ledger, low) = blocking(move || {
        let read = store.read()?;
        let item = match &wanted {
            Some(sku) => read.product(sku)?.map(|p| (p.title, read.stock(sku).unwrap_or(0))),
            None => None,
        };
        let ledger = match &wanted {
            Some(sku) => read.ledger(sku)?,
            None => Vec::new(),
        };
        let low: Vec<(String, u64)> = read
            .stock_levels()?
            .into_iter()
            .filter(|(_, u)| *u <= low_stock)
            .take(50)
            .collect();
        Ok((item, ledger, low))
    })
    .await?;
    let body = html! {
        h1 { "Stock" }
        @if q.done.is_some() { p.notice.ok role="status" { "Stock updated." } }
        form method="get" action="/admin/stock" .inline-form {
            label for="sku" { "SKU" }
            input #sku name="sku" value=(sku.clone().unwrap_or_default());
            button.button.secondary type="submit" { "Show" }
        }
        @match (&sku, &item) {
            (Some(sku), Some((title, units))) => {
                h2 { (title) " (" (sku) "): " (units) " in stock" }
                form method="post" action="/admin/stock/adjust" .transition-form {
                    input type="hidden" name="csrf" value=(who.session.csrf);
                    input type="hidden" name="sku" value=(sku);
                    div.field-row {
                        div.field { label for="delta" { "Change by (e.g. 12 or -3)" } input #delta name="delta" type="number" required; }
                        div.field { label for="reason" { "Reason" } input #reason name="reason" required maxlength="200"; }
                    }
                    button.button type="submit" { "Adjust stock" }
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
        h2 { "Low stock (" (state.config.shop.low_stock) " or fewer)" }
        ul { @for (s, u) in &low { li { a href={ "/admin/stock?sku=" (s) } { (s) } ": " (u) } } }
    };
    Ok(page("Stock", Some(&who), body))
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
    let bad = |m: &str| PageError(AppError::new(ErrorCode::InvalidInput, m));
    let delta: i64 = form
        .delta
        .trim()
        .parse()
        .map_err(|_| bad("the change must be a whole number such as 12 or -3"))?;
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(bad("give a reason of 1 to 200 characters"));
    }
    let sku = form.sku.trim().to_owned();
    let target = sku.clone();
    let outcome = state
        .writer
        .run(move |tx| merchant::adjust_stock(tx, &staff, &target, delta, &reason))
        .await
        .map_err(AppError::from)?;
    match outcome {
        Ok(_) => {
            let query = serde_urlencoded::to_string([("sku", sku.as_str()), ("done", "1")]).unwrap_or_default();
            Ok(see_other(&format!("/admin/stock?{query}")))
        }
        Err(e) => Err(PageError(AppError::new(ErrorCode::Conflict, e.to_string()))),
    }
}
