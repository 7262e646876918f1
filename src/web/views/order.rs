use maud::{Markup, html};

use super::layout::{Chrome, page};
use crate::domain::{format_day, format_utc};
use crate::orders::Order;

pub fn order(chrome: &Chrome, order: &Order, just_placed: bool, card: Option<&super::checkout::CardSetup>) -> Markup {
    let a = &order.address;
    let body = html! {
        @if just_placed {
            div.thanks role="status" {
                h1 { "Thank you! Your order is placed." }
                p { "A confirmation goes to " strong { (order.email) } ". Keep this page's address to check on your order." }
            }
        } @else {
            h1 { "Order " (order.number) }
        }
        div.order-head {
            p { "Order number " strong.order-number { (order.number) } }
            p { "Placed " time datetime=(format_utc(order.created_ms)) { (format_day(order.created_ms)) } }
            p { "Status " span class={ "status status-" (order.status) } { (order.status.describe()) } }
        }
        @if let Some(s) = &order.shipment {
            p { "Shipped with " (s.carrier) ", tracking number " strong { (s.tracking_number) } }
        }
        div.cart-layout {
            section aria-labelledby="items-h" {
                h2 #items-h { "Items" }
                table.order-lines {
                    thead { tr { th scope="col" { "Item" } th scope="col" { "Qty" } th scope="col" { "Price" } th scope="col" { "Total" } } }
                    tbody {
                        @for l in &order.lines {
                            tr {
                                td {
                                    a href={ "/p/" (l.sku) } { (l.title) }
                                    div.small {
                                        "SKU " (l.sku)
                                        @if let Some(pn) = &l.part_number { " · Part # " (pn) }
                                        @for (k, v) in &l.options { " · " (k) ": " (v) }
                                    }
                                }
                                td { (l.quantity) }
                                td { (l.unit_price) }
                                td { (l.line_total) }
                            }
                        }
                    }
                }
                @if let Some(v) = &order.vehicle { p.small { "Bought for your " (v) "." } }
            }
            aside.summary {
                h2 { "Summary" }
                (totals(order))
                h3 { "Ships to" }
                address {
                    (a.name) br; (a.line1) br;
                    @if !a.line2.is_empty() { (a.line2) br; }
                    (a.city) " " (a.region) " " (a.postal_code) br; (a.country)
                }
                h3 { "Payment" }
                p { (payment_method(order)) }
                @if let Some(card) = card {
                    div.card-confirm data-stripe-key=(card.publishable_key)
                        data-check={ "/api/v1/orders/" (order.number) "/payment/check?token=" (order.token) } {
                        p.small { "Your bank asked you to confirm this payment. If no window opened, "
                            button.button.secondary type="button" data-confirm-card { "confirm it now" } "." }
                        p.field-error role="alert" {}
                    }
                    (super::checkout::card_scripts(card))
                }
                @if !order.refunds.is_empty() {
                    h3 { "Refunds" }
                    ul.small {
                        @for r in &order.refunds {
                            li { (r.amount) " · " (refund_state(r.state)) }
                        }
                    }
                }
            }
        }
        p { a.button.secondary href="/" { "Continue shopping" } }
    };
    page(chrome, &format!("Order {}", order.number), "Your order", body)
}

/// Subtotal, discount, shipping, tax and total, in the order they add up: the shopper's order
/// page and the back office's show the same.
pub fn totals(order: &Order) -> Markup {
    html! {
        dl.totals {
            div { dt { "Subtotal" } dd { (order.subtotal) } }
            @if order.discount.minor() > 0 {
                div.discount { dt { "Discount" @if let Some(p) = &order.promo { " (" (p) ")" } } dd { "−" (order.discount) } }
            }
            div { dt { "Shipping: " (order.shipping_name) } dd { (order.shipping) } }
            @if let Some(name) = &order.tax_name { div { dt { (name) } dd { (order.tax) } } }
            div.grand { dt { "Total" } dd { (order.total) } }
        }
    }
}

fn refund_state(state: crate::orders::RefundState) -> &'static str {
    match state {
        crate::orders::RefundState::Requested => "on its way back to you",
        crate::orders::RefundState::Done => "refunded",
        crate::orders::RefundState::Failed => "delayed; the shop will be in touch",
    }
}

/// How the order is paid, in words.
pub fn payment_method(order: &Order) -> &'static str {
    match order.payment.method.as_str() {
        "invoice" => "Pay on invoice / cash on delivery",
        "test" => "Test card",
        _ => "Card",
    }
}
