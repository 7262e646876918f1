//! The rehearsal's report as one self-contained HTML page, its charts drawn here as SVG.

use maud::{DOCTYPE, Markup, html};

use super::Report;
use super::model::Second;

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#1d2939}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #e4e7ec;padding:6px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}.bad{color:#b42318;font-weight:700}.ok{color:#067647;font-weight:700}\
svg{width:100%;height:auto;background:#f9fafb}.bar{fill:#84adff}.line{fill:none;stroke:#b42318;stroke-width:2}\
.err{fill:#b42318}.axis{font-size:11px;fill:#475467}.grid{stroke:#e4e7ec}";

pub fn html(r: &Report) -> String {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Rehearsal: " (r.profile.name) " · " (r.started) }
                // No character of the style is one HTML escapes (&, <, >, quotes), so it reads as written.
                style { (STYLE) }
            }
            body {
                h1 { "Spike rehearsal: " (r.profile.name) }
                p { "Against " (r.target) ", from " (r.started) " for " (format!("{:.0}", r.seconds)) " s, "
                    @match r.rate { Some(rate) => { (rate) " shoppers arriving a second." } None => { (r.users) " shoppers at once." } } }
                p {
                    strong { (format!("{:.0}", r.requests_per_second)) } " requests/s, "
                    strong { (format!("{:.1}", r.orders_per_second)) } " orders/s ("
                    (r.orders) " orders), "
                    @if r.failed == 0 { span.ok { "no failed answers" } } @else { span.bad { (r.failed) " failed answers" } }
                    ". Stock check: "
                    @if r.oversold { span.bad { "stock and sales do not add up" } } @else { span.ok { "every SKU's stock plus what sold equals its start" } }
                    "."
                }
                h2 { "What saturated first, and what to change" }
                ul { @for f in &r.findings { li { strong { (f.what) } br; (f.advice) } } }
                h2 { "Throughput and p99 latency, second by second" }
                (chart(&r.per_second))
                h2 { "By step" }
                table {
                    thead { tr { th { "Step" } th { "Requests" } th { "p50 ms" } th { "p95 ms" } th { "p99 ms" } th { "max ms" } th { "Answers" } } }
                    tbody { @for (step, f) in &r.steps {
                        tr {
                            td { (step.as_str()) } td { (f.requests) }
                            td { (format!("{:.1}", f.p50_ms)) } td { (format!("{:.1}", f.p95_ms)) }
                            td { (format!("{:.1}", f.p99_ms)) } td { (format!("{:.1}", f.max_ms)) }
                            td { @for (status, n) in &f.statuses { span.bad[*status == 0 || (*status >= 500 && *status != 503)] { (status) ": " (n) } " " } }
                        }
                    } }
                }
                @if let Some(sale) = &r.flash_sale {
                    h2 { "The flash sale" }
                    p { (sale["units_sold"]) " of " (sale["items"][0]["quantity"]) " units of " (sale["items"][0]["sku"].as_str().unwrap_or("")) " sold at the sale price"
                        @if let Some(at) = sale["items"][0]["sold_out_at"].as_str() { ", sold out at " (at) } "." }
                }
                h2 { "Stock of every SKU bought" }
                table {
                    thead { tr { th { "SKU" } th { "Before" } th { "Sold" } th { "After" } th { "Adds up" } } }
                    tbody { @for c in &r.stock {
                        tr { td { (c.sku) } td { (c.before) } td { (c.sold) } td { (c.after) }
                            td { @if c.holds() { span.ok { "yes" } } @else { span.bad { "no" } } } }
                    } }
                }
            }
        }
    };
    markup.into_string()
}

/// Bars of requests per second, failed ones in red, and the p99 latency as a line on its own scale.
fn chart(seconds: &[Second]) -> Markup {
    let (width, height, left, right, bottom, top) = (960.0_f64, 260.0, 56.0, 56.0, 24.0, 12.0);
    let plot = height - bottom - top;
    let most = seconds.iter().map(|s| s.requests).max().unwrap_or(1).max(1) as f64;
    let slowest = seconds.iter().map(|s| s.p99_ms).fold(1.0_f64, f64::max);
    let slot = (width - left - right) / seconds.len().max(1) as f64;
    let y_req = |n: f64| top + plot * (1.0 - n / most);
    let y_ms = |ms: f64| top + plot * (1.0 - ms / slowest);
    let points: Vec<String> = seconds
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{:.1},{:.1}", left + slot * (i as f64 + 0.5), y_ms(s.p99_ms)))
        .collect();
    html! {
        svg viewBox={ "0 0 " (width) " " (height) } role="img" aria-label={ "Up to " (most) " requests a second; p99 up to " (format!("{slowest:.0}")) " ms" } {
            @for i in 0..=4 {
                @let f = f64::from(i) / 4.0;
                line.grid x1=(left) x2=(width - right) y1=(top + plot * (1.0 - f)) y2=(top + plot * (1.0 - f)) {}
                text.axis x=(left - 6.0) y=(top + plot * (1.0 - f) + 4.0) text-anchor="end" { (format!("{:.0}", most * f)) "/s" }
                text.axis x=(width - right + 6.0) y=(top + plot * (1.0 - f) + 4.0) { (format!("{:.0}", slowest * f)) " ms" }
            }
            @for (i, s) in seconds.iter().enumerate() {
                @let x = left + slot * i as f64 + slot * 0.1;
                rect.bar x=(x) y=(y_req(s.requests as f64)) width=(slot * 0.8) height=(height - bottom - y_req(s.requests as f64)) {
                    title { (i) " s: " (s.requests) " requests, " (s.orders) " orders, p99 " (format!("{:.1}", s.p99_ms)) " ms" }
                }
                @if s.errors > 0 {
                    rect.err x=(x) y=(y_req(s.errors as f64)) width=(slot * 0.8) height=(height - bottom - y_req(s.errors as f64)) {}
                }
                @if i % (seconds.len() / 10).max(1) == 0 {
                    text.axis x=(x + slot * 0.4) y=(height - 6.0) text-anchor="middle" { (i) " s" }
                }
            }
            polyline.line points=(points.join(" ")) {}
        }
    }
}
