use maud::{Markup, html};

use super::components::{label, tile};
use super::layout::{Chrome, cart_token_field, page};
use crate::cart::ops::MAX_LINE_QUANTITY;
use crate::cart::{Cart, Quote};
use crate::domain::Money;

/// A message above the cart: what just happened, or why a change was refused.
pub struct Notice {
    pub text: String,
    pub error: bool,
}

pub fn cart(chrome: &Chrome, cart: Option<&(Cart, Quote)>, notice: Option<&Notice>) -> Markup {
    let body = html! {
        h1 { "Your cart" }
        @if let Some(n) = notice { (notice_box(n)) }
        @match cart.filter(|(c, _)| !c.lines.is_empty()) {
            None => {
                div.empty-state {
                    p { "Your cart is empty." }
                    p { a.button href="/" { "Continue shopping" } }
                }
            }
            Some((cart, quote)) => {
                div.cart-layout {
                    section aria-labelledby="lines-h" {
                        h2.visually-hidden #lines-h { "Items" }
                        ul.cart-lines role="list" {
                            @for line in &quote.lines { (cart_line(chrome, line)) }
                        }
                    }
                    aside.summary aria-labelledby="summary-h" {
                        h2 #summary-h { "Order summary" }
                        (totals(quote))
                        (promo_form(chrome, cart, quote))
                        @if quote.shortfalls().is_empty() {
                            a.button.block href="/checkout" { "Check out" }
                        } @else {
                            p.notice.error { "Some items are short of stock; lower their quantity to check out." }
                        }
                        p.small { "Tax is worked out from your address at checkout." }
                    }
                }
            }
        }
    };
    page(chrome, "Your cart", "Your shopping cart", body)
}

fn cart_line(chrome: &Chrome, line: &crate::cart::pricing::QuotedLine) -> Markup {
    let available = line.item.as_ref().map_or(0, |i| i.stock);
    html! {
        li.cart-line {
            @match &line.item {
                Some(item) => {
                    a.cart-thumb href={ "/p/" (line.sku) } tabindex="-1" aria-hidden="true" { (tile(&item.product, false)) }
                    div.cart-line-info {
                        a href={ "/p/" (line.sku) } { strong { (item.product.title) } }
                        p.small {
                            "SKU " (line.sku)
                            @for (name, value) in &item.product.options { " · " (label(name)) ": " (value) }
                        }
                        @if let Some(v) = chrome.vehicle.as_ref().filter(|_| item.product.is_vehicle_part()) {
                            (super::components::fit_badge(v, &item.product))
                        }
                        (super::components::sale_banner(item, chrome))
                        p {
                            @match line.sale {
                                Some(sale) if sale.units < line.quantity => {
                                    (sale.units) " at " (sale.price) ", " (line.quantity - sale.units) " at " (item.price)
                                }
                                _ => { (super::components::price_tag(item, false)) " each" }
                            }
                        }
                        @if u64::from(line.quantity) > available {
                            p.notice.error { "Only " (available) " in stock" }
                        }
                    }
                }
                None => {
                    div.cart-line-info {
                        strong { (line.sku) }
                        p.notice.error { "No longer sold; please remove it." }
                    }
                }
            }
            div.cart-line-actions {
                form method="post" action="/cart/update" .qty-form {
                    (cart_token_field(chrome))
                    input type="hidden" name="sku" value=(line.sku);
                    label for={ "qty-" (line.sku) } .visually-hidden { "Quantity of " (line.sku) }
                    input #{ "qty-" (line.sku) } type="number" name="quantity" min="0" max=(MAX_LINE_QUANTITY) value=(line.quantity) inputmode="numeric";
                    button.button.secondary type="submit" { "Update" }
                }
                form method="post" action="/cart/remove" {
                    (cart_token_field(chrome))
                    input type="hidden" name="sku" value=(line.sku);
                    button.link-button type="submit" { "Remove" }
                }
                p.line-total { (line.line_total) }
            }
        }
    }
}

/// The money rows every summary shows, from the one quote.
pub fn totals(quote: &Quote) -> Markup {
    html! {
        dl.totals {
            div { dt { "Subtotal (" (quote.units()) " items)" } dd { (quote.subtotal) } }
            @if quote.discount.minor() > 0 {
                div.discount { dt { "Discount" @if let Some(code) = quote.applied_promo() { " (" (code) ")" } } dd { "−" (quote.discount) } }
            }
            @match &quote.shipping {
                Some(s) => div { dt { "Shipping: " (s.name) } dd { (free_or(s.price)) } },
                None => div { dt { "Shipping" } dd { "not available" } },
            }
            @match &quote.tax {
                Some(t) => div { dt { (t.name) } dd { (t.amount) } },
                None => div { dt { "Tax" } dd.muted { "at checkout" } },
            }
            div.grand { dt { "Total" } dd { (quote.total) } }
        }
    }
}

fn free_or(price: Money) -> Markup {
    html! { @if price.minor() == 0 { "Free" } @else { (price) } }
}

fn promo_form(chrome: &Chrome, cart: &Cart, quote: &Quote) -> Markup {
    html! {
        form.promo-form method="post" action="/cart/promo" {
            (cart_token_field(chrome))
            label for="promo" { "Promo code" }
            div.inline {
                input #promo name="code" value=(cart.promo.clone().unwrap_or_default()) autocomplete="off" maxlength="40";
                button.button.secondary type="submit" { "Apply" }
            }
            @if let Some(p) = &quote.promo {
                @match &p.problem {
                    Some(problem) => p.notice.error { (problem) },
                    None => p.notice.ok { (p.code) " applied" },
                }
            }
        }
    }
}

pub fn notice_box(n: &Notice) -> Markup {
    html! {
        @if n.error {
            div.notice.error role="alert" { (n.text) }
        } @else {
            div.notice.ok role="status" { (n.text) }
        }
    }
}
