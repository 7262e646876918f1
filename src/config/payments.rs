//! `[payments]` and `[payments.stripe]`: which methods checkout offers, and the Stripe account.

use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsSettings {
    pub methods: Option<Vec<String>>,
    pub test_cards: Option<bool>,
    pub stripe: Option<StripeSettings>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeSettings {
    pub secret_key: Option<String>,
    pub publishable_key: Option<String>,
    pub webhook_secret: Option<String>,
    pub api_base: Option<String>,
    pub js_url: Option<String>,
    pub timeout_ms: Option<u64>,
}

/// How shoppers pay.
#[derive(Clone, Debug, Default)]
pub struct PaymentsConfig {
    /// Offered in this order (the test cards, when on, come first).
    pub methods: Vec<String>,
    /// The built-in test card method (`tok_visa` approves): `None` leaves it to the store, which
    /// offers it only when it was seeded with the demo catalog (or runs as `storefront demo`).
    pub test_cards: Option<bool>,
    pub stripe: Option<StripeConfig>,
}

/// A Stripe account (test or live: the keys decide, not the code).
#[derive(Clone, Debug)]
pub struct StripeConfig {
    pub secret_key: String,
    pub publishable_key: String,
    /// Signs the events Stripe posts to `/api/v1/payments/stripe/webhook`; without it that
    /// endpoint refuses every event.
    pub webhook_secret: Option<String>,
    pub api_base: String,
    pub js_url: String,
    pub timeout: Duration,
}

pub const METHODS: [&str; 2] = ["stripe", "invoice"];

pub fn payments_config(s: PaymentsSettings) -> anyhow::Result<PaymentsConfig> {
    let stripe = s.stripe.map(stripe_config).transpose()?.flatten();
    let methods = match s.methods {
        Some(methods) => methods,
        None if stripe.is_some() => vec!["stripe".into(), "invoice".into()],
        None => vec!["invoice".into()],
    };
    for m in &methods {
        if !METHODS.contains(&m.as_str()) {
            bail!(
                "[payments] methods: {m:?} is not a payment method (stripe, invoice; the test cards are test_cards = true)"
            );
        }
    }
    if methods.iter().any(|m| m == "stripe") && stripe.is_none() {
        bail!("[payments] methods lists \"stripe\" but [payments.stripe] has no secret_key and publishable_key");
    }
    if methods.is_empty() && s.test_cards != Some(true) {
        bail!("[payments] methods is empty: shoppers could not pay at all");
    }
    Ok(PaymentsConfig {
        methods,
        test_cards: s.test_cards,
        stripe,
    })
}

/// `None` when no keys are set (an empty section, or only defaults).
fn stripe_config(s: StripeSettings) -> anyhow::Result<Option<StripeConfig>> {
    let filled = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let (secret, public) = (filled(s.secret_key), filled(s.publishable_key));
    let (secret_key, publishable_key) = match (secret, public) {
        (None, None) => return Ok(None),
        (Some(secret), Some(public)) => (secret, public),
        _ => bail!("[payments.stripe] needs both secret_key and publishable_key"),
    };
    if !secret_key.starts_with("sk_") && !secret_key.starts_with("rk_") {
        bail!("[payments.stripe] secret_key should start with sk_ (or rk_ for a restricted key)");
    }
    if !publishable_key.starts_with("pk_") {
        bail!("[payments.stripe] publishable_key should start with pk_");
    }
    let api_base = s.api_base.unwrap_or_else(|| "https://api.stripe.com".into());
    let js_url = s.js_url.unwrap_or_else(|| "https://js.stripe.com/v3/".into());
    for (name, url) in [("api_base", &api_base), ("js_url", &js_url)] {
        if !url.starts_with("https://") && !url.starts_with("http://") {
            bail!("[payments.stripe] {name} must be an http(s) URL, not {url:?}");
        }
    }
    let timeout_ms = s.timeout_ms.unwrap_or(4000);
    if !(100..=60_000).contains(&timeout_ms) {
        bail!("[payments.stripe] timeout_ms must be between 100 and 60000");
    }
    Ok(Some(StripeConfig {
        secret_key,
        publishable_key,
        webhook_secret: filled(s.webhook_secret),
        api_base,
        js_url,
        timeout: Duration::from_millis(timeout_ms),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_needs_both_keys_and_is_offered_first_when_configured() {
        let stripe = StripeSettings {
            secret_key: Some("sk_test_1".into()),
            publishable_key: Some("pk_test_1".into()),
            ..StripeSettings::default()
        };
        let config = payments_config(PaymentsSettings {
            stripe: Some(stripe),
            ..PaymentsSettings::default()
        })
        .unwrap();
        assert_eq!(config.methods, ["stripe", "invoice"]);
        assert_eq!(config.stripe.unwrap().timeout, Duration::from_millis(4000));
        let half = StripeSettings {
            secret_key: Some("sk_test_1".into()),
            ..StripeSettings::default()
        };
        assert!(
            payments_config(PaymentsSettings {
                stripe: Some(half),
                ..PaymentsSettings::default()
            })
            .is_err()
        );
        assert!(
            payments_config(PaymentsSettings {
                methods: Some(vec!["stripe".into()]),
                ..PaymentsSettings::default()
            })
            .is_err()
        );
        assert_eq!(
            payments_config(PaymentsSettings::default()).unwrap().methods,
            ["invoice"]
        );
    }
}
