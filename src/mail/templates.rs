//! The mails' words, each rendered twice: plain text and HTML (maud escapes every value).

use maud::{Markup, html};

use super::Rendered;
use crate::orders::Order;

/// What every mail needs besides its subject matter.
pub struct Context<'a> {
    pub shop: &'a str,
    /// `https://shop.example.com`, without a trailing slash.
    pub base_url: &'a str,
}

impl Context<'_> {
    fn order_link(&self, order: &Order) -> String {
        format!("{}/orders/{}?token={}", self.base_url, order.number, order.token)
    }

    fn admin_link(&self, order: &Order) -> String {
        format!("{}/admin/orders/{}", self.base_url, order.number)
    }
}

fn page(ctx: &Context<'_>, body: Markup) -> String {
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (ctx.shop) } }
            body style="font-family: system-ui, sans-serif; color: #222; max-width: 36rem; margin: auto" {
                p style="font-weight: bold; font-size: 1.2rem" { (ctx.shop) }
                (body)
            }
        }
    }
    .into_string()
}

fn lines_text(order: &Order) -> String {
    let mut out = String::new();
    for line in &order.lines {
        out.push_str(&format!(
            "  {} × {} ({})  {}\n",
            line.quantity, line.title, line.sku, line.line_total
        ));
    }
    out.push_str(&format!("\n  Subtotal  {}\n", order.subtotal));
    if order.discount.minor() != 0 {
        out.push_str(&format!("  Discount  -{}\n", order.discount));
    }
    out.push_str(&format!("  Shipping ({})  {}\n", order.shipping_name, order.shipping));
    if order.tax.minor() != 0 {
        out.push_str(&format!(
            "  {}  {}\n",
            order.tax_name.as_deref().unwrap_or("Tax"),
            order.tax
        ));
    }
    out.push_str(&format!("  Total  {}\n", order.total));
    out
}

fn lines_html(order: &Order) -> Markup {
    html! {
        table style="width: 100%; border-collapse: collapse" {
            @for line in &order.lines {
                tr { td { (line.quantity) " × " (line.title) br; small { (line.sku) } } td style="text-align: right" { (line.line_total) } }
            }
            tr { td { "Subtotal" } td style="text-align: right" { (order.subtotal) } }
            @if order.discount.minor() != 0 { tr { td { "Discount" } td style="text-align: right" { "-" (order.discount) } } }
            tr { td { "Shipping (" (order.shipping_name) ")" } td style="text-align: right" { (order.shipping) } }
            @if order.tax.minor() != 0 { tr { td { (order.tax_name.as_deref().unwrap_or("Tax")) } td style="text-align: right" { (order.tax) } } }
            tr { th style="text-align: left" { "Total" } th style="text-align: right" { (order.total) } }
        }
    }
}

pub fn confirmation(ctx: &Context<'_>, order: &Order) -> Rendered {
    let link = ctx.order_link(order);
    let text = format!(
        "Thank you for your order.\n\nOrder {number}\n\n{lines}\nShipping to: {name}, {city}\n\nSee your order at any time: {link}\n\n{shop}\n",
        number = order.number,
        lines = lines_text(order),
        name = order.address.name,
        city = order.address.city,
        shop = ctx.shop,
    );
    let html = page(
        ctx,
        html! {
            p { "Thank you for your order." }
            h1 style="font-size: 1.1rem" { "Order " (order.number) }
            (lines_html(order))
            p { "Shipping to " (order.address.name) ", " (order.address.city) "." }
            p { a href=(link) { "See your order" } }
        },
    );
    Rendered {
        subject: format!("Your order {} at {}", order.number, ctx.shop),
        text,
        html,
    }
}

/// A mail telling the shopper what happened to an order: the news, then the order's link.
fn order_news(ctx: &Context<'_>, order: &Order, subject: String, text: String, html_news: Markup) -> Rendered {
    let link = ctx.order_link(order);
    Rendered {
        subject,
        text: format!("{text}\n\n{link}\n\n{}\n", ctx.shop),
        html: page(
            ctx,
            html! {
                (html_news)
                p { a href=(link) { "See your order" } }
            },
        ),
    }
}

pub fn shipped(ctx: &Context<'_>, order: &Order) -> Rendered {
    let (carrier, tracking) = order
        .shipment
        .as_ref()
        .map_or(("", ""), |s| (s.carrier.as_str(), s.tracking_number.as_str()));
    order_news(
        ctx,
        order,
        format!("Your order {} has shipped", order.number),
        format!(
            "Your order {} is on its way.\n\nCarrier: {carrier}\nTracking number: {tracking}",
            order.number
        ),
        html! {
            p { "Your order " strong { (order.number) } " is on its way." }
            p { "Carrier: " (carrier) br; "Tracking number: " strong { (tracking) } }
        },
    )
}

pub fn cancelled(ctx: &Context<'_>, order: &Order) -> Rendered {
    order_news(
        ctx,
        order,
        format!("Your order {} was cancelled", order.number),
        format!(
            "Your order {} has been cancelled. Nothing more will be charged for it.",
            order.number
        ),
        html! { p { "Your order " strong { (order.number) } " has been cancelled. Nothing more will be charged for it." } },
    )
}

pub fn refunded(ctx: &Context<'_>, order: &Order) -> Rendered {
    order_news(
        ctx,
        order,
        format!("Your order {} was refunded", order.number),
        format!(
            "Your order {} has been refunded: {} goes back to you.",
            order.number, order.total
        ),
        html! { p { "Your order " strong { (order.number) } " has been refunded: " strong { (order.total) } " goes back to you." } },
    )
}

pub fn new_order(ctx: &Context<'_>, order: &Order) -> Rendered {
    let link = ctx.admin_link(order);
    let text = format!(
        "New order {number} from {email}: {total}, {status}.\n\n{lines}\n{link}\n",
        number = order.number,
        email = order.email,
        total = order.total,
        status = order.status,
        lines = lines_text(order),
    );
    let html = page(
        ctx,
        html! {
            p { "New order " strong { (order.number) } " from " (order.email) ": " strong { (order.total) } ", " (order.status.to_string()) "." }
            (lines_html(order))
            p { a href=(link) { "Open it in the back office" } }
        },
    );
    Rendered {
        subject: format!("New order {} ({})", order.number, order.total),
        text,
        html,
    }
}

pub fn low_stock(ctx: &Context<'_>, sku: &str, title: &str, units: u64, threshold: u64) -> Rendered {
    let link = format!("{}/admin/stock?sku={}", ctx.base_url, sku);
    let text = format!("{title} ({sku}) is down to {units} (low-stock threshold {threshold}).\n\n{link}\n");
    let html = page(
        ctx,
        html! {
            p { strong { (title) } " (" (sku) ") is down to " strong { (units) } " (low-stock threshold " (threshold) ")." }
            p { a href=(link) { "Restock it" } }
        },
    );
    Rendered {
        subject: format!("Low stock: {title} ({units} left)"),
        text,
        html,
    }
}
