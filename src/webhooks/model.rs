//! Outgoing webhooks: endpoints, the signature, the delivery log and the circuit breaker's
//! rules. No I/O.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Where events go.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Endpoint {
    /// `config:0` for the first `[[webhooks]]` of the config; `wh_…` for one made through the API.
    pub id: String,
    pub url: String,
    pub secret: String,
    /// Event names (`order.created`); empty means every event.
    pub events: Vec<String>,
    pub created_ms: u64,
}

impl Endpoint {
    pub fn wants(&self, event: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event || e == "*")
    }
}

/// One try of one delivery, as the merchant sees it.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct DeliveryRecord {
    pub at_ms: u64,
    pub endpoint: String,
    pub url: String,
    pub event_id: String,
    pub event_type: String,
    pub subject: String,
    pub attempt: u32,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub ok: bool,
    pub millis: u64,
}

/// `t=UNIX,v1=HEX(HMAC-SHA256(secret, "t.body"))`.
pub fn signature(secret: &str, unix_seconds: u64, body: &[u8]) -> String {
    format!("t={unix_seconds},v1={}", hex::encode(mac(secret, unix_seconds, body)))
}

fn mac(secret: &str, unix_seconds: u64, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Storefront-Signature header is missing")]
    Missing,
    #[error("the Storefront-Signature header is not t=UNIX,v1=HEX")]
    Malformed,
    #[error("the signature's time is more than five minutes away from now")]
    Stale,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// How far a signature's time may be from now.
pub const TOLERANCE_SECONDS: u64 = 300;

/// Checks a signature made by [`signature`] (any of several `v1=` values may match, so a
/// sender can sign with an old and a new secret while it changes).
pub fn verify(secret: &str, header: Option<&str>, body: &[u8], now_seconds: u64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut time = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => time = t.parse::<u64>().ok(),
            Some(("v1", hex)) => candidates.extend(hex::decode(hex).ok()),
            _ => {}
        }
    }
    let time = time.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if time.abs_diff(now_seconds) > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let expected = mac(secret, time, body);
    let matches = candidates
        .iter()
        .any(|c| crate::staff::secrets::constant_time_eq(c, &expected));
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// A receiver that keeps failing is left alone for a while, so its deliveries wait without
/// each spending a worker and a timeout; one try is let through when the pause ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Breaker {
    pub consecutive_failures: u32,
    pub open_until_ms: u64,
}

/// Failures in a row that open the breaker, and the longest pause.
pub const BREAKER_OPENS_AFTER: u32 = 5;
const BREAKER_MAX_PAUSE_MS: u64 = 5 * 60 * 1000;

impl Breaker {
    pub fn is_open(&self, now_ms: u64) -> bool {
        now_ms < self.open_until_ms
    }

    pub fn succeeded(&mut self) {
        *self = Breaker::default();
    }

    /// Counts a failure; past the threshold the pause grows with each failure, up to five minutes.
    pub fn failed(&mut self, now_ms: u64) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.consecutive_failures >= BREAKER_OPENS_AFTER {
            let over = (self.consecutive_failures - BREAKER_OPENS_AFTER).min(10);
            let pause = (5_000u64 << over).min(BREAKER_MAX_PAUSE_MS);
            self.open_until_ms = now_ms + pause;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_and_body_only_and_within_five_minutes() {
        let body = br#"{"id":"evt_1"}"#;
        let header = signature("whsec", 1_000_000, body);
        assert!(header.starts_with("t=1000000,v1="));
        assert_eq!(verify("whsec", Some(&header), body, 1_000_100), Ok(()));
        assert_eq!(
            verify("other", Some(&header), body, 1_000_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec", Some(&header), b"{}", 1_000_100),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec", Some(&header), body, 1_000_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(verify("whsec", None, body, 1_000_000), Err(SignatureError::Missing));
        assert_eq!(
            verify("whsec", Some("v1=zz"), body, 1_000_000),
            Err(SignatureError::Malformed)
        );
        let rotated = format!("{header},v1={}", "00".repeat(32));
        assert_eq!(verify("whsec", Some(&rotated), body, 1_000_000), Ok(()));
    }

    #[test]
    fn the_breaker_opens_after_repeated_failures_and_closes_on_a_success() {
        let mut b = Breaker::default();
        for _ in 0..BREAKER_OPENS_AFTER - 1 {
            b.failed(0);
        }
        assert!(!b.is_open(0));
        b.failed(0);
        assert!(b.is_open(1_000) && !b.is_open(5_000));
        b.failed(10_000);
        assert!(b.is_open(19_000), "the pause grows");
        for _ in 0..50 {
            b.failed(0);
        }
        assert!(!b.is_open(BREAKER_MAX_PAUSE_MS), "at most five minutes");
        b.succeeded();
        assert_eq!(b, Breaker::default());
    }

    #[test]
    fn an_endpoint_without_events_hears_every_event() {
        let mut e = Endpoint {
            id: "config:0".into(),
            url: "http://x".into(),
            secret: "s".into(),
            events: vec![],
            created_ms: 0,
        };
        assert!(e.wants("stock.low"));
        e.events = vec!["order.created".into()];
        assert!(e.wants("order.created") && !e.wants("stock.low"));
    }
}
