//! Events from Stripe (`POST /api/v1/payments/stripe/webhook`), signed as Stripe signs them. An
//! event only says "look at this payment now": it files the order's settle job, which reads the
//! payment's current state from Stripe, so events arriving twice, late or out of order do no
//! harm. The one thing an event does itself is mark a pending order paid when the payment it
//! carries went through (a card confirmed with 3-D Secure), so the shopper sees it at once.

use serde::Deserialize;

use super::model::IntentStatus;
use crate::orders::{Status, Transition};
use crate::store::{StoreError, WriteTx};

/// The part of an event the store reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayEvent {
    pub id: String,
    pub kind: String,
    /// The PaymentIntent it is about.
    pub intent: Option<String>,
    /// The intent's status as the event carries it (for `payment_intent.*` events).
    pub status: Option<IntentStatus>,
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    object: Object,
}

#[derive(Deserialize)]
struct Object {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    object: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    payment_intent: Option<String>,
}

/// Reads an event's body (already verified by signature).
pub fn parse_event(body: &[u8]) -> Result<GatewayEvent, String> {
    let e: Envelope = serde_json::from_slice(body).map_err(|e| format!("not a Stripe event: {e}"))?;
    let o = e.data.object;
    let is_intent = o.object.as_deref() == Some("payment_intent");
    let intent = if is_intent { o.id } else { o.payment_intent };
    let status = match (is_intent, o.status) {
        (true, Some(s)) => serde_json::from_value(serde_json::Value::String(s)).ok(),
        _ => None,
    };
    Ok(GatewayEvent {
        id: e.id,
        kind: e.kind,
        intent,
        status,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Applied: the order's settle job is filed.
    Applied,
    /// Seen before: nothing done.
    Repeated,
    /// Not about an order of this store (yet: an order still being written is found by
    /// reconciliation).
    Ignored,
}

/// Applies an event once, in the caller's transaction.
pub fn apply_event(tx: &mut WriteTx<'_>, event: &GatewayEvent, now_ms: u64) -> Result<WebhookOutcome, StoreError> {
    if !tx.first_gateway_event(&event.id, now_ms)? {
        return Ok(WebhookOutcome::Repeated);
    }
    let Some(intent) = &event.intent else {
        return Ok(WebhookOutcome::Ignored);
    };
    let Some(order) = tx.order_by_payment(intent)? else {
        return Ok(WebhookOutcome::Ignored);
    };
    let went_through = matches!(
        event.status,
        Some(IntentStatus::RequiresCapture | IntentStatus::Succeeded)
    );
    if order.status == Status::Pending && went_through {
        let t = Transition {
            to: Status::Paid,
            actor: "stripe".into(),
            note: "the card payment went through".into(),
            shipment: None,
        };
        // Already moved on (cancelled meanwhile, say): nothing to do.
        let _ = crate::store::split(crate::orders::transition(tx, &order.number, t, now_ms))?;
    }
    crate::jobs::settle_payment(tx, &order.number, now_ms)?;
    Ok(WebhookOutcome::Applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_event_names_its_intent_and_status_and_a_charge_event_its_intent() {
        let e = parse_event(
            br#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","object":"payment_intent","status":"requires_capture"}}}"#,
        )
        .unwrap();
        assert_eq!(e.intent.as_deref(), Some("pi_1"));
        assert_eq!(e.status, Some(IntentStatus::RequiresCapture));
        let c = parse_event(
            br#"{"id":"evt_2","type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge","status":"succeeded","payment_intent":"pi_9"}}}"#,
        )
        .unwrap();
        assert_eq!((c.intent.as_deref(), c.status), (Some("pi_9"), None));
        assert!(parse_event(b"{}").is_err());
    }
}
