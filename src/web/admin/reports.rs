//! The sales report: a chart drawn on the server, the funnel, top products, CSV downloads.

use super::*;

#[derive(Deserialize)]
pub(super) struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
    /// For the CSV download: `periods` (the default), `products`, `stockouts` or `searches`.
    section: Option<String>,
}

impl ReportQuery {
    /// The range asked for (UTC days, `to` inclusive); by default the last 7 days by day.
    fn range(&self) -> (u64, u64, crate::reports::Bucket) {
        let today = now_ms() / 86_400_000 * 86_400_000;
        let day = |d: &Option<String>| d.as_deref().and_then(crate::domain::day_start_ms);
        let to = day(&self.to).unwrap_or(today) + 86_400_000;
        let from = day(&self.from).unwrap_or(to - 7 * 86_400_000).min(to - 86_400_000);
        let bucket = match self.by.as_deref() {
            Some("hour") => crate::reports::Bucket::Hour,
            _ => crate::reports::Bucket::Day,
        };
        (from, to, bucket)
    }
}

pub(super) async fn report_for(state: &AppState, q: &ReportQuery) -> Result<crate::reports::SalesReport, PageError> {
    state.flush_views().await;
    let (from, to, bucket) = q.range();
    let store = state.store.clone();
    Ok(blocking(move || Ok(crate::reports::sales(&store.read()?, from, to, bucket)?)).await?)
}

pub(super) async fn reports(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Orders>()?;
    let report = report_for(&state, &q).await?;
    let day = |ms: u64| crate::domain::format_utc(ms)[..10].to_owned();
    let (from_day, to_day) = (day(report.from_ms), day(report.to_ms - 1));
    let by_hour = report.bucket == crate::reports::Bucket::Hour;
    let csv_query = serde_urlencoded::to_string([
        ("from", from_day.as_str()),
        ("to", to_day.as_str()),
        ("by", if by_hour { "hour" } else { "day" }),
    ])
    .unwrap_or_default();
    let store = state.store.clone();
    let (from_ms, to_ms) = (report.from_ms, report.to_ms);
    let sales: Vec<_> = blocking(move || Ok(store.read()?.flash_sales()?))
        .await?
        .into_iter()
        .filter(|s| s.starts_ms < to_ms && s.end_ms() > from_ms)
        .collect();
    let body = html! {
        h1 { "Sales report" }
        form method="get" action="/admin/reports" .inline-form {
            label for="from" { "From" } input #from type="date" name="from" value=(from_day);
            label for="to" { "To" } input #to type="date" name="to" value=(to_day);
            label for="by" { "By" }
            select #by name="by" { option value="day" selected[!by_hour] { "day" } option value="hour" selected[by_hour] { "hour" } }
            button.button.secondary type="submit" { "Show" }
            span { "CSV: " }
            @for (section, label) in [("periods", "sales"), ("products", "top products"), ("stockouts", "stock-outs"), ("searches", "searches")] {
                a href={ "/admin/reports.csv?" (csv_query) "&section=" (section) } download { (label) } " "
            }
        }
        div.stat-row {
            div.stat { p.stat-figure { (report.total_orders()) } p { "orders" } }
            div.stat { p.stat-figure { (report.total_revenue()) } p { "revenue (paid orders)" } }
            div.stat { p.stat-figure { (report.total_unpaid()) } p { (report.totals().unpaid_orders) " awaiting payment" } }
            div.stat { p.stat-figure { (report.cancelled) } p { "cancelled or refunded" } }
        }
        @let (views, carts, placed) = report.funnel();
        section.funnel aria-label="Funnel" {
            h2 { "Funnel" }
            ol.funnel-steps {
                li { strong { (views) } " product page views" }
                li { strong { (carts) } " carts created" @if views > 0 { " (" (percent(carts, views)) " of views)" } }
                li { strong { (placed) } " orders" @if carts > 0 { " (" (percent(placed, carts)) " of carts)" } }
            }
        }
        figure.chart {
            (sales_chart(&report))
            figcaption { "Revenue per " @if by_hour { "hour" } @else { "day" } " (UTC), " (from_day) " to " (to_day) }
        }
        div.cart-layout {
            section {
                h2 { "Top products" }
                table.order-lines {
                    thead { tr { th { "Product" } th { "Units" } th { "Revenue" } } }
                    tbody { @for (sku, title, units, revenue) in &report.top_products {
                        tr { td { (title) div.small { (sku) } } td { (units) } td { (crate::domain::Money::new(*revenue, report.currency)) } }
                    } }
                }
            }
            aside {
                h2 { "Stock-outs" }
                @if report.stockouts.is_empty() { p.muted { "No sale took the last unit in this period." } }
                ul { @for (sku, at) in &report.stockouts { li { a href={ "/admin/stock?sku=" (super::encode_path(sku)) } { (sku) } " at " (format_utc(*at)) } } }
                h2 { "Searches that found nothing" }
                ul { @for (q, n) in &report.zero_result_searches { li { "“" (q) "” × " (n) } } }
            }
        }
        section aria-labelledby="flash-sales" {
            h2 #flash-sales { "Flash sales" }
            @if sales.is_empty() { p.muted { "No flash sale ran in this period." } }
            table.order-lines {
                thead { tr { th { "Sale" } th { "Units sold / offered" } th { "Revenue at the sale price" } th { "Sold out" } } }
                tbody { @for sale in &sales {
                    tr {
                        td { a href="/admin/sales" { (sale.name) } div.small { (format_utc(sale.starts_ms)) } }
                        td { (sale.items.iter().map(|i| u64::from(i.sold)).sum::<u64>()) " / " (sale.items.iter().map(|i| u64::from(i.quantity)).sum::<u64>()) }
                        td { (crate::domain::Money::new(sale.items.iter().map(|i| i.revenue_minor()).sum(), report.currency)) }
                        td.small { @for item in sale.items.iter().filter(|i| i.sold_out_ms.is_some()) {
                            (item.sku) " after " ((item.sold_out_ms.unwrap_or(0).saturating_sub(sale.starts_ms)) / 1000) " s" br;
                        } }
                    }
                } }
            }
            p.small { "How visitors on each side of a feature flag converted: " a href="/admin/flags" { "Feature flags" } "." }
        }
    };
    Ok(page("Sales report", Some(&who), body))
}

pub(super) fn percent(part: u64, whole: u64) -> String {
    format!("{:.1} %", part as f64 * 100.0 / whole.max(1) as f64)
}

/// The chart's top: the smallest 4 × (1, 2, 2.5 or 5 × 10ⁿ) whole currency units at or above
/// `minor`, so the four gridlines read as round amounts.
pub(super) fn round_ceiling(minor: i64) -> i64 {
    let quarter = (minor.max(1) as f64 / 4.0 / 100.0).max(0.01);
    let magnitude = 10f64.powf(quarter.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= quarter - 1e-9)
        .unwrap_or(10.0 * magnitude);
    (step * 100.0).round().min(i64::MAX as f64 / 4.0) as i64 * 4
}

/// A bar chart as inline SVG (no script, so the strict CSP holds), with a text alternative.
pub(super) fn sales_chart(report: &crate::reports::SalesReport) -> Markup {
    let (width, height, left, bottom, top) = (960.0_f64, 260.0_f64, 70.0_f64, 30.0_f64, 14.0_f64);
    let plot = height - bottom - top;
    let best = report.periods.iter().map(|p| p.sales.revenue_minor).max().unwrap_or(0);
    let max = round_ceiling(best) as f64;
    let n = report.periods.len().max(1) as f64;
    let slot = (width - left) / n;
    let bar = (slot * 0.8).max(1.0);
    let summary = format!(
        "{} orders, {} in total; the best period took {}",
        report.total_orders(),
        report.total_revenue(),
        crate::domain::Money::new(best, report.currency)
    );
    let label_every = (report.periods.len() / 12).max(1);
    html! {
        svg.sales-chart viewBox={ "0 0 " (width) " " (height) } role="img" aria-label=(summary) {
            @for i in 0..=4 {
                @let y = top + plot * (1.0 - f64::from(i) / 4.0);
                line x1=(left) x2=(width) y1=(y) y2=(y) .grid {}
                text x=(left - 6.0) y=(y + 4.0) text-anchor="end" .axis {
                    (crate::domain::Money::new((max * f64::from(i) / 4.0) as i64, report.currency))
                }
            }
            @for (i, p) in report.periods.iter().enumerate() {
                @let h = plot * p.sales.revenue_minor as f64 / max;
                @let x = left + slot * i as f64 + (slot - bar) / 2.0;
                rect x=(x) y=(height - bottom - h) width=(bar) height=(h) .bar {
                    title { (format_utc(p.start_ms)) ": " (p.sales.orders) " orders, " (crate::domain::Money::new(p.sales.revenue_minor, report.currency)) " paid" }
                }
                @if i % label_every == 0 {
                    text x=(x + bar / 2.0) y=(height - 10.0) text-anchor="middle" .axis {
                        @if report.bucket == crate::reports::Bucket::Hour { (format_utc(p.start_ms)[11..13].to_owned()) "h" }
                        @else { (format_utc(p.start_ms)[5..10].to_owned()) }
                    }
                }
            }
        }
    }
}

pub(super) async fn reports_csv(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<crate::staff::Orders>()?;
    let report = report_for(&state, &q).await?;
    let section = q.section.as_deref().unwrap_or("periods");
    let csv = report
        .section_csv(section)
        .ok_or_else(|| PageError(AppError::new(ErrorCode::NotFound, "no such report section")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{section}.csv\""),
        ))
        .content_type("text/csv; charset=utf-8")
        .body(csv))
}
