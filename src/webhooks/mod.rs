//! Outgoing webhooks: signed POSTs of the store's events to the merchant's systems, delivered by
//! jobs (see `notify`) at least once and in order per subject, each try logged.

mod model;

pub use model::{
    BREAKER_OPENS_AFTER, Breaker, DeliveryRecord, Endpoint, SignatureError, TOLERANCE_SECONDS, signature, verify,
};

/// Checks an endpoint a merchant gives: an absolute http(s) URL and a secret long enough to
/// sign with.
pub fn check_endpoint(url: &str, secret: &str, events: &[String]) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("url {url:?} is not an absolute URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("url {url:?} must be http:// or https:// with a host"));
    }
    if secret.len() < 16 {
        return Err("secret must be at least 16 characters".into());
    }
    if let Some(unknown) = events
        .iter()
        .find(|e| *e != "*" && crate::jobs::EventKind::parse(e).is_none())
    {
        let known: Vec<&str> = crate::jobs::EventKind::ALL.iter().map(|k| k.name()).collect();
        return Err(format!("unknown event {unknown:?}; known: {}", known.join(", ")));
    }
    Ok(())
}
