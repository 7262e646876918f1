use maud::{Markup, html};

use super::cart::{Notice, notice_box, totals};
use super::layout::{Chrome, page};
use crate::cart::Quote;
use crate::orders::FieldError;

/// The checkout form as submitted (every field a string, so a bad value is shown back as typed).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CheckoutForm {
    pub email: String,
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub shipping_method: String,
    /// `stripe`, `invoice`, or a test card: `tok_visa`, `tok_declined`.
    pub payment: String,
    /// The Stripe PaymentMethod id Stripe.js made in the browser (card data never reaches us).
    pub payment_method: String,
    /// One-time token rendered into the form: it is the checkout's idempotency key, so a double
    /// click or a refreshed POST finds the order the first submit made.
    pub form_token: String,
    /// The total the shopper saw; an order is placed only for that amount.
    pub shown_total_cents: String,
    /// `update` recalculates shipping and tax for the address; `place` places the order.
    pub action: String,
    /// `yes` once the shopper has confirmed parts that may not fit their vehicle.
    pub fit_confirmed: String,
}

/// A part in the cart that does not fit, or may not fit, the shopper's saved vehicle.
pub struct FitDoubt {
    pub title: String,
    /// "does not fit", or "fits the V6 only".
    pub why: String,
}

/// The cart's parts whose fit to `vehicle` is not certain: checkout asks before it places them.
pub fn fit_doubts(vehicle: Option<&crate::search::VehicleFilter>, quote: &Quote) -> Vec<FitDoubt> {
    let Some(vehicle) = vehicle else { return Vec::new() };
    quote
        .lines
        .iter()
        .filter_map(|l| l.item.as_ref())
        .map(|item| &item.product)
        .filter(|p| p.is_vehicle_part())
        .filter_map(|p| {
            let why = match vehicle.fit(p.universal, p.fitments.iter()) {
                crate::domain::Fit::Yes => return None,
                crate::domain::Fit::No => "does not fit".to_owned(),
                crate::domain::Fit::Only(configs) => format!(
                    "fits the {} only",
                    configs.iter().map(|c| c.label()).collect::<Vec<_>>().join(" or ")
                ),
            };
            Some(FitDoubt {
                title: p.title.clone(),
                why,
            })
        })
        .collect()
}

const COUNTRIES: [(&str, &str); 12] = [
    ("US", "United States"),
    ("CA", "Canada"),
    ("MX", "Mexico"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("ES", "Spain"),
    ("IT", "Italy"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
];

/// Cards through Stripe, as the browser needs them.
#[derive(Clone, Debug)]
pub struct CardSetup {
    pub publishable_key: String,
    pub js_url: String,
}

/// The payment methods the form offers now.
#[derive(Clone, Debug, Default)]
pub struct PayOptions {
    pub test_cards: bool,
    pub invoice: bool,
    pub card: Option<CardSetup>,
    /// False while the gateway's circuit breaker is open: the card is offered as unavailable.
    pub card_available: bool,
}

impl PayOptions {
    fn default_choice(&self) -> &'static str {
        match (&self.card, self.card_available, self.test_cards) {
            (Some(_), true, _) => "stripe",
            (_, _, true) => "tok_visa",
            _ => "invoice",
        }
    }
}

/// Loads Stripe.js (first, as its elements need) and the script that collects the card with it.
pub fn card_scripts(card: &CardSetup) -> Markup {
    html! {
        script src=(card.js_url) {}
        script src=(crate::web::assets::url("js/card.js")) defer {}
    }
}

pub fn checkout(
    chrome: &Chrome,
    quote: &Quote,
    form: &CheckoutForm,
    errors: &[FieldError],
    notice: Option<&Notice>,
    pay: &PayOptions,
) -> Markup {
    let error_for = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.message.clone());
    let input = |name: &str, label: &str, field: &str, value: &str, kind: &str, autocomplete: &str, required: bool| {
        let error = error_for(field);
        html! {
            div.field.invalid[error.is_some()] {
                label for=(name) { (label) @if !required { span.muted { " (optional)" } } }
                input #(name) name=(name) type=(kind) value=(value) autocomplete=(autocomplete) required[required]
                    aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[error.as_ref().map(|_| format!("{name}-error"))];
                @if let Some(e) = &error { p.field-error #{ (name) "-error" } { (e) } }
            }
        }
    };
    let country = if form.country.is_empty() {
        "US"
    } else {
        form.country.as_str()
    };
    let payment = if form.payment.is_empty() {
        pay.default_choice()
    } else {
        form.payment.as_str()
    };
    let card_key = pay.card.as_ref().map(|c| c.publishable_key.as_str());
    let body = html! {
        h1 { "Checkout" }
        @if let Some(n) = notice { (notice_box(n)) }
        @if !errors.is_empty() {
            div.notice.error role="alert" {
                p { "Please check the highlighted fields:" }
                ul { @for e in errors { li { (e.message) } } }
            }
        }
        form.checkout method="post" action="/checkout" novalidate data-stripe-key=[card_key] {
            input type="hidden" name="form_token" value=(form.form_token);
            input type="hidden" name="payment_method" value="";
            input type="hidden" name="shown_total_cents" value=(quote.total.minor());
            div.cart-layout {
                div {
                    fieldset {
                        legend { "Contact" }
                        (input("email", "Email", "email", &form.email, "email", "email", true))
                    }
                    fieldset {
                        legend { "Shipping address" }
                        (input("name", "Full name", "shipping_address.name", &form.name, "text", "name", true))
                        (input("line1", "Street address", "shipping_address.line1", &form.line1, "text", "address-line1", true))
                        (input("line2", "Apartment, suite", "shipping_address.line2", &form.line2, "text", "address-line2", false))
                        div.field-row {
                            (input("city", "City", "shipping_address.city", &form.city, "text", "address-level2", true))
                            (region_field(country, &form.region, error_for("shipping_address.region")))
                            (input("postal_code", "ZIP / postal code", "shipping_address.postal_code", &form.postal_code, "text", "postal-code", true))
                        }
                        div.field.invalid[error_for("shipping_address.country").is_some()] {
                            label for="country" { "Country" }
                            select #country name="country" autocomplete="country" {
                                @for (code, name) in COUNTRIES {
                                    option value=(code) selected[code == country] { (name) }
                                }
                            }
                        }
                    }
                    fieldset {
                        legend { "Shipping method" }
                        @for option in &quote.shipping_options {
                            label.choice {
                                input type="radio" name="shipping_method" value=(option.id)
                                    checked[quote.shipping.as_ref().is_some_and(|s| s.id == option.id)];
                                span { (option.name) } span.price { @if option.price.minor() == 0 { "Free" } @else { (option.price) } }
                            }
                        }
                        @if let Some(e) = error_for("shipping_method") { p.field-error { (e) } }
                    }
                    fieldset {
                        legend { "Payment" }
                        @if let Some(card) = &pay.card {
                            @if pay.card_available {
                                label.choice { input type="radio" name="payment" value="stripe" checked[payment == "stripe"]; span { "Card" } }
                                div #card-element .card-element data-for="stripe" {}
                                p #card-errors .field-error role="alert" {}
                                noscript { p.small { "Paying by card needs JavaScript; without it, choose another method." } }
                            } @else {
                                p.notice role="status" { "Card payments are unavailable right now. Choose another method, or try again in a minute." }
                            }
                            (card_scripts(card))
                        }
                        @if pay.test_cards {
                            label.choice { input type="radio" name="payment" value="tok_visa" checked[payment == "tok_visa"]; span { "Test card that approves" } }
                            label.choice { input type="radio" name="payment" value="tok_declined" checked[payment == "tok_declined"]; span { "Test card that is declined" } }
                        }
                        @if pay.invoice {
                            label.choice { input type="radio" name="payment" value="invoice" checked[payment == "invoice"]; span { "Pay on invoice / cash on delivery" } }
                        }
                    }
                }
                aside.summary {
                    @let doubts = fit_doubts(chrome.vehicle.as_ref(), quote);
                    @if let (false, Some(v)) = (doubts.is_empty(), chrome.vehicle.as_ref()) {
                        div.notice.error.fit-check role="alert" {
                            p { strong { "Check these parts against your " (crate::web::garage::describe(v)) ":" } }
                            ul { @for d in &doubts { li { (d.title) " — " (d.why) } } }
                            label.choice { input type="checkbox" name="fit_confirmed" value="yes" checked[form.fit_confirmed == "yes"]; span { "I have checked they are right for my vehicle" } }
                        }
                    }
                    h2 { "Order summary" }
                    ul.summary-lines role="list" {
                        @for l in &quote.lines {
                            li { span { (l.quantity) " × " (l.item.as_ref().map_or(l.sku.as_str(), |i| i.product.title.as_str())) } span { (l.line_total) } }
                        }
                    }
                    (totals(quote))
                    button.button.secondary.block type="submit" name="action" value="update" { "Update shipping and tax" }
                    button.button.block type="submit" name="action" value="place" { "Place order · " (quote.total) }
                    p.small { "You pay exactly the total shown. " a href="/cart" { "Edit cart" } }
                }
            }
        }
    };
    page(chrome, "Checkout", "Checkout", body)
}

/// The state or province: for a country whose tax depends on it, a required list (the form's
/// "Update" button re-renders it when the country changes); elsewhere optional free text.
fn region_field(country: &str, typed: &str, error: Option<String>) -> Markup {
    let chosen = typed.trim().to_ascii_uppercase();
    let described = error.as_ref().map(|_| "region-error");
    html! {
        div.field.invalid[error.is_some()] {
            @match crate::domain::region::regions_of(country) {
                Some(regions) => {
                    label for="region" { @if country == "CA" { "Province" } @else { "State" } }
                    select #region name="region" autocomplete="address-level1" required
                        aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[described] {
                        option value="" selected[chosen.is_empty()] disabled { "Choose…" }
                        @for (code, name) in regions {
                            option value=(code) selected[*code == chosen] { (name) }
                        }
                    }
                }
                None => {
                    label for="region" { "State / province / county" span.muted { " (optional)" } }
                    input #region name="region" type="text" value=(typed) autocomplete="address-level1"
                        aria-invalid=[error.as_ref().map(|_| "true")] aria-describedby=[described];
                }
            }
            @if let Some(e) = &error { p.field-error #region-error { (e) } }
        }
    }
}
