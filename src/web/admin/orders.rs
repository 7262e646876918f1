//! The dashboard and orders: list, detail, status changes, packing slips and invoices.

use super::*;
use crate::store::Refusals;

#[derive(Deserialize)]
pub(super) struct DashboardQuery {
    notice: Option<String>,
}

pub(super) async fn dashboard(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let store = state.store.clone();
    let default = state.config.shop.low_stock;
    // Sales figures and customers are for staff who may see orders; everyone sees stock and
    // searches.
    let sees_orders = who.may::<crate::staff::Orders>().is_ok();
    let (today, recent, low, zero) = blocking(move || {
        let read = store.read()?;
        let midnight = now_ms() / 86_400_000 * 86_400_000;
        let (today, recent) = if sees_orders {
            // Today's orders only, through the time index, not a walk over every order.
            let today = crate::reports::totals_between(&read, midnight, u64::MAX)?;
            (Some(today), read.orders_newest_first(None, 0, 10)?.0)
        } else {
            (None, Vec::new())
        };
        let low = read.low_stock(default, 20)?;
        let zero = read.zero_result_searches(10)?;
        Ok((today, recent, low, zero))
    })
    .await?;
    let cards_paused = state.payments.provider("stripe").is_ok_and(|p| !p.available());
    let body = html! {
        @if q.notice.as_deref() == Some("password-changed") {
            p.notice.ok role="status" { "Password changed. Your other sessions were signed out." }
        }
        @if cards_paused {
            p.notice.error role="alert" { "Card payments are paused: Stripe keeps failing or not answering. Shoppers are offered your other payment methods; cards resume by themselves once Stripe answers again." }
        }
        h1 { "Today" }
        @if let Some((totals, currency)) = today {
            div.stat-row {
                div.stat { p.stat-figure { (totals.orders) } p { "orders today (UTC)" } }
                div.stat { p.stat-figure { (crate::domain::Money::new(totals.revenue_minor, currency)) } p { "revenue today (paid)" } }
                div.stat { p.stat-figure { (crate::domain::Money::new(totals.unpaid_minor, currency)) } p { (totals.unpaid_orders) " awaiting payment" } }
            }
        }
        div.cart-layout {
            @if sees_orders {
                section { h2 { "Recent orders" } (order_table(&recent)) p { a href="/admin/orders" { "All orders" } } }
            } @else {
                section { h2 { "Your work" } p.muted { "Your account manages the catalog or stock; orders and sales are shown to staff with the orders scope." } }
            }
            aside {
                h2 { "Low stock" }
                (super::stock::low_stock_list(&low, default))
                h2 { "Searches that found nothing" }
                @if zero.is_empty() { p.muted { "None recorded." } }
                ul { @for (q, n) in &zero { li { "“" (q) "” × " (n) } } }
            }
        }
    };
    Ok(page("Dashboard", Some(&who), body))
}

pub(super) fn order_table(orders: &[Order]) -> Markup {
    html! {
        table.order-lines {
            thead { tr { th { "Order" } th { "Placed" } th { "Customer" } th { "Status" } th { "Total" } } }
            tbody {
                @for o in orders {
                    tr {
                        td { a href={ "/admin/orders/" (o.number) } { (o.number) } }
                        td { time datetime=(format_utc(o.created_ms)) { (format_day(o.created_ms)) } }
                        td { (o.address.name) }
                        td { span class={ "status status-" (o.status) } { (o.status) } }
                        td { (o.total) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct OrdersQuery {
    status: Option<String>,
    page: Option<u32>,
}

pub(super) async fn orders(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<OrdersQuery>,
) -> Result<HttpResponse, PageError> {
    who.may::<Orders>()?;
    let status = q.status.as_deref().and_then(|s| s.parse::<Status>().ok());
    let paging = crate::catalog::PageRequest::unbounded(q.page, Some(50), 50);
    let store = state.store.clone();
    let (list, total) = blocking(move || {
        Ok(store
            .read()?
            .orders_newest_first(status, paging.offset(), paging.per_page as usize)?)
    })
    .await?;
    let body = html! {
        h1 { "Orders" }
        nav.chips aria-label="Filter by status" {
            a.chip.active[status.is_none()] href="/admin/orders" { "All" }
            @for s in Status::ALL {
                a.chip.active[status == Some(s)] href={ "/admin/orders?status=" (s) } { (s) }
            }
        }
        p.muted { (total) " orders" }
        (order_table(&list))
        (crate::web::views::components::pager(paging.page, total.div_ceil(50).max(1) as u32, |n| {
            format!("/admin/orders?page={n}{}", status.map(|s| format!("&status={s}")).unwrap_or_default())
        }))
    };
    Ok(page("Orders", Some(&who), body))
}

/// The order a back-office URL names, or a 404 page.
async fn find_order(state: &AppState, number: &str) -> Result<Order, PageError> {
    state
        .shop
        .find_order(number)
        .await?
        .ok_or_else(|| PageError(AppError::new(ErrorCode::OrderNotFound, "no such order")))
}

pub(super) async fn order(
    who: SignedIn,
    state: web::Data<AppState>,
    number: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    who.may::<Orders>()?;
    let order = find_order(&state, &number).await?;
    let next = order.status.next(crate::orders::transition::was_paid(&order));
    let a = &order.address;
    let body = html! {
        h1 { "Order " (order.number) }
        p { span class={ "status status-" (order.status) } { (order.status.describe()) } " · placed " (format_utc(order.created_ms)) " · " (order.email) }
        div.cart-layout {
            section {
                table.order-lines {
                    thead { tr { th { "Item" } th { "Qty" } th { "Price" } th { "Total" } } }
                    tbody { @for l in &order.lines { tr { td { (l.title) div.small { "SKU " (l.sku) } } td { (l.quantity) } td { (l.unit_price) } td { (l.line_total) } } } }
                }
                (crate::web::views::order::totals(&order))
                p { "Payment: " (crate::web::views::order::payment_method(&order))
                    @if let Some(reference) = &order.payment.reference { " · reference " code { (reference) } }
                    @if order.payment.by_gateway() {
                        @match order.payment.captured_ms {
                            Some(at) => { " · taken " (format_utc(at)) }
                            None => { " · " span.muted { "held, not yet taken" } }
                        }
                    } }
                @if !order.refunds.is_empty() {
                    h2 { "Refunds" }
                    table.order-lines {
                        thead { tr { th { "#" } th { "Amount" } th { "State" } th { "Asked" } th { "By" } th { "Note" } } }
                        tbody {
                            @for r in &order.refunds {
                                tr {
                                    td { (r.id) }
                                    td { (r.amount) }
                                    td { (r.state.name()) @if let Some(reference) = &r.reference { div.small { code { (reference) } } }
                                        @if let Some(f) = &r.failure { div.small.field-error { (f) } } }
                                    td { (format_utc(r.requested_ms)) }
                                    td { (r.actor) }
                                    td { (r.note) }
                                }
                            }
                        }
                    }
                }
                @if let Some(v) = &order.vehicle { p { "Vehicle: " (v) } }
                h2 { "History" }
                ul { @for h in &order.history { li { (format_utc(h.at_ms)) ": " (h.to) " by " (h.actor) @if !h.note.is_empty() { " — " (h.note) } } } }
            }
            aside.summary {
                h2 { "Ship to" }
                address { (a.name) br; (a.line1) br; @if !a.line2.is_empty() { (a.line2) br; } (a.city) " " (a.region) " " (a.postal_code) br; (a.country) }
                @if let Some(s) = &order.shipment { p { (s.carrier) " " (s.tracking_number) } }
                p { a href={ "/admin/orders/" (order.number) "/slip" } { "Packing slip" } " · " a href={ "/admin/orders/" (order.number) "/invoice" } { "Invoice" } }
                @if crate::orders::transition::was_paid(&order) && order.refundable().minor() > 0 {
                    h2 { "Refund" }
                    form method="post" action={ "/admin/orders/" (order.number) "/refund" } .refund-form {
                        input type="hidden" name="csrf" value=(who.session.csrf);
                        div.field { label for="refund-amount" { "Amount (up to " (order.refundable()) ")" }
                            input #refund-amount name="amount" inputmode="decimal" required placeholder=(order.refundable()); }
                        div.field { label for="refund-note" { "Note" span.muted { " (optional)" } } input #refund-note name="note"; }
                        button.button.block.secondary type="submit" { "Refund this amount" }
                        @if order.payment.by_gateway() { p.small { "Goes back to the shopper's card through Stripe; the order keeps its status." } }
                    }
                }
                h2 { "Change status" }
                @if next.is_empty() { p.muted { "This order is final." } }
                @for to in &next {
                    form method="post" action={ "/admin/orders/" (order.number) "/transition" } .transition-form {
                        input type="hidden" name="csrf" value=(who.session.csrf);
                        input type="hidden" name="to" value=(to);
                        @if *to == Status::Shipped {
                            div.field { label for="carrier" { "Carrier" } input #carrier name="carrier" required; }
                            div.field { label for="tracking" { "Tracking number" } input #tracking name="tracking_number" required; }
                        }
                        div.field { label for={ "note-" (to) } { "Note" span.muted { " (optional)" } } input id={ "note-" (to) } name="note"; }
                        @if is_final(*to) {
                            label.choice { input type="checkbox" name="confirm" value="yes" required; span { "Yes, mark this order " (to) " (it cannot be undone)" } }
                            button.button.block.danger type="submit" { "Mark " (to) }
                        } @else {
                            button.button.block type="submit" { "Mark " (to) }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&format!("Order {}", order.number), Some(&who), body))
}

/// Cancelling and refunding cannot be undone: their buttons look apart and ask for a tick.
fn is_final(to: Status) -> bool {
    matches!(to, Status::Cancelled | Status::Refunded)
}

#[derive(Deserialize)]
pub(super) struct TransitionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
    to: String,
    carrier: Option<String>,
    tracking_number: Option<String>,
    #[serde(default)]
    note: String,
}

pub(super) async fn transition(
    who: SignedIn,
    state: web::Data<AppState>,
    number: web::Path<String>,
    form: web::Form<TransitionForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<Orders>()?;
    let form = form.into_inner();
    let to: Status = form
        .to
        .parse()
        .map_err(|e: crate::orders::UnknownStatus| PageError(AppError::new(ErrorCode::InvalidInput, e.to_string())))?;
    let key = crate::domain::normalize_order_number(&number)
        .ok_or_else(|| PageError(AppError::new(ErrorCode::OrderNotFound, "no such order")))?;
    if is_final(to) && form.confirm != "yes" {
        return Err(PageError(AppError::new(
            ErrorCode::InvalidInput,
            format!("tick the box to confirm: marking an order {to} cannot be undone"),
        )));
    }
    let shipment = Shipment::from_parts(form.carrier.as_deref(), form.tracking_number.as_deref());
    let note = crate::orders::clip_note(&form.note);
    let target = key.clone();
    let outcome = state
        .writer
        .run_use_case(move |tx| merchant::transition_order(tx, &staff, &target, to, shipment, &note))
        .await
        .refusals()
        .map_err(AppError::from)?;
    outcome.map_err(|e| PageError(AppError::from(e)))?;
    Ok(see_other(&format!("/admin/orders/{key}")))
}

#[derive(Deserialize)]
pub(super) struct RefundForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
}

/// A part refund from the order page (through the gateway when the order was paid through one).
pub(super) async fn refund(
    who: SignedIn,
    state: web::Data<AppState>,
    number: web::Path<String>,
    form: web::Form<RefundForm>,
) -> Result<HttpResponse, PageError> {
    who.check_csrf(&form.csrf)?;
    let staff = who.may::<Orders>()?;
    let order = find_order(&state, &number).await?;
    let amount = crate::domain::Money::parse_typed(&form.amount, order.currency).ok_or_else(|| {
        PageError(AppError::new(
            ErrorCode::InvalidInput,
            format!("{:?} is not an amount such as 5.00", form.amount),
        ))
    })?;
    let note = crate::orders::clip_note(&form.note);
    let key = order.number.clone();
    state
        .writer
        .run_use_case(move |tx| merchant::refund_order(tx, &staff, &key, amount, &note))
        .await
        .refusals()
        .map_err(AppError::from)?
        .map_err(|e| PageError(AppError::from(e)))?;
    Ok(see_other(&format!("/admin/orders/{}", order.number)))
}

/// A printable packing slip (no prices) or invoice, one page, no navigation.
pub(super) async fn paper(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    who.may::<Orders>()?;
    let (number, kind) = path.into_inner();
    let invoice = kind == "invoice";
    let order = find_order(&state, &number).await?;
    let shop = &state.config.shop;
    let a = &order.address;
    let title = if invoice { "Invoice" } else { "Packing slip" };
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) " " (order.number) }
                link rel="stylesheet" href=(assets::url("css/shop.css"));
            }
            body.paper {
                header.paper-head {
                    div { p.paper-shop { (shop.name) } p.muted { (shop.tagline) } }
                    div { h1 { (title) } p { "Order " strong { (order.number) } br; (format_day(order.created_ms)) } }
                }
                section.paper-parties {
                    div { h2 { "Ship to" } address { (a.name) br; (a.line1) br; @if !a.line2.is_empty() { (a.line2) br; } (a.city) " " (a.region) " " (a.postal_code) br; (a.country) } }
                    div { h2 { "Customer" } p { (order.email) } @if let Some(v) = &order.vehicle { p { "Vehicle: " (v) } } }
                }
                table.order-lines {
                    thead { tr {
                        th { "Item" } th { "Part #" } th { "Qty" }
                        @if invoice { th { "Unit price" } th { "Total" } } @else { th { "Picked" } }
                    } }
                    tbody { @for l in &order.lines { tr {
                        td { (l.title) div.small { "SKU " (l.sku) @for (k, v) in &l.options { " · " (k) ": " (v) } } }
                        td { (l.part_number.clone().unwrap_or_default()) }
                        td { (l.quantity) }
                        @if invoice { td { (l.unit_price) } td { (l.line_total) } } @else { td { "☐" } }
                    } } }
                }
                @if invoice {
                    dl.totals.paper-totals {
                        div { dt { "Subtotal" } dd { (order.subtotal) } }
                        @if order.discount.minor() > 0 { div { dt { "Discount" } dd { "−" (order.discount) } } }
                        div { dt { "Shipping (" (order.shipping_name) ")" } dd { (order.shipping) } }
                        @if let Some(t) = &order.tax_name { div { dt { (t) } dd { (order.tax) } } }
                        div.grand { dt { "Total" } dd { (order.total) } }
                    }
                    p.small { "Payment: " @if order.payment.method == "invoice" { "on invoice, due on receipt" } @else { "paid by card" } }
                }
            }
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}
