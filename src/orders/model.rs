use crate::domain::{Currency, Money, Sku};

/// A placed order: a frozen copy of what was bought, at what price, for whom, plus its history.
/// Later catalog edits never change it.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Order {
    /// `K7MX-3Q9D`: short enough to read over the phone.
    pub number: String,
    /// The shopper's secret for the order status page and API.
    pub token: String,
    pub status: super::Status,
    pub created_ms: u64,
    pub email: String,
    pub address: Address,
    pub lines: Vec<OrderLine>,
    pub currency: Currency,
    pub subtotal: Money,
    pub discount: Money,
    pub promo: Option<String>,
    pub shipping_method: String,
    pub shipping_name: String,
    pub shipping: Money,
    pub tax_name: Option<String>,
    pub tax: Money,
    pub total: Money,
    pub payment: PaymentRecord,
    /// The shopper's vehicle when they bought, e.g. "2009 Honda Civic LX 1.8L".
    pub vehicle: Option<String>,
    pub shipment: Option<Shipment>,
    /// Whether the units have gone back to stock (a cancellation or refund before shipping).
    pub restocked: bool,
    pub history: Vec<StatusChange>,
    /// Money given back, in the order it was asked for (layout 2).
    pub refunds: Vec<Refund>,
}

#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct OrderLine {
    pub sku: Sku,
    pub title: String,
    /// Variant options as chosen ("Size: 5 oz").
    pub options: Vec<(String, String)>,
    pub part_number: Option<String>,
    pub unit_price: Money,
    pub quantity: u32,
    pub line_total: Money,
}

#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    bincode::Encode,
    bincode::Decode,
    serde::Deserialize,
    serde::Serialize,
    utoipa::ToSchema,
)]
pub struct Address {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    #[serde(default)]
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct PaymentRecord {
    /// `stripe`, `test` or `invoice`.
    pub method: String,
    /// The provider's reference for the authorization (a Stripe PaymentIntent id), if any.
    pub reference: Option<String>,
    /// When the money was taken: at checkout for the test cards, when the capture job ran for a
    /// card held at checkout, never for an invoice (layout 2).
    pub captured_ms: Option<u64>,
}

impl PaymentRecord {
    /// Whether money moves through a gateway that the store must keep in step with the order
    /// (capture, release, refund).
    pub fn by_gateway(&self) -> bool {
        self.method == "stripe" && self.reference.is_some()
    }
}

/// Money given back to the shopper, whole or in part.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Refund {
    /// 1, 2, … within the order; with the order number, the gateway's idempotency key.
    pub id: u32,
    pub amount: Money,
    pub state: RefundState,
    /// The gateway's refund id (`re_…`), once it has one.
    pub reference: Option<String>,
    pub requested_ms: u64,
    pub settled_ms: Option<u64>,
    /// Who asked for it: `admin:alice`, `api:…`, `stripe` (made in Stripe's dashboard).
    pub actor: String,
    pub note: String,
    /// Why the gateway refused it, when it did.
    pub failure: Option<String>,
}

impl Refund {
    /// Refund `id` of `amount`, asked for by `actor` now: `Requested` while a gateway is to make
    /// it, else `Done` at once (the money moved outside the store, or the gateway already did).
    pub fn new(id: u32, amount: Money, state: RefundState, actor: &str, note: &str, now_ms: u64) -> Refund {
        Refund {
            id,
            amount,
            state,
            reference: None,
            requested_ms: now_ms,
            settled_ms: (state != RefundState::Requested).then_some(now_ms),
            actor: actor.to_owned(),
            note: note.to_owned(),
            failure: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum RefundState {
    /// Asked for; a job is taking it to the gateway.
    Requested,
    Done,
    /// The gateway refused it; a person must look.
    Failed,
}

impl RefundState {
    pub fn name(self) -> &'static str {
        match self {
            RefundState::Requested => "requested",
            RefundState::Done => "done",
            RefundState::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode, serde::Serialize, utoipa::ToSchema)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
}

impl Shipment {
    /// Longest carrier name or tracking number kept.
    pub const MAX_CHARS: usize = 100;

    /// A shipment from what the merchant typed (form or API): both parts trimmed and cut to
    /// `MAX_CHARS`; `None` unless both are there.
    pub fn from_parts(carrier: Option<&str>, tracking_number: Option<&str>) -> Option<Shipment> {
        let clip = |text: &str| text.trim().chars().take(Shipment::MAX_CHARS).collect::<String>();
        match (carrier.map(clip), tracking_number.map(clip)) {
            (Some(carrier), Some(tracking_number)) if !carrier.is_empty() && !tracking_number.is_empty() => {
                Some(Shipment {
                    carrier,
                    tracking_number,
                })
            }
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct StatusChange {
    pub at_ms: u64,
    pub from: Option<super::Status>,
    pub to: super::Status,
    /// Who made the change: `shopper`, `admin:alice`, `api`.
    pub actor: String,
    pub note: String,
}

/// The answer an idempotency key is bound to: the order it made and a fingerprint of the request,
/// so a reused key with a different request is refused instead of silently replayed.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct IdempotencyRecord {
    pub fingerprint: u64,
    pub order: String,
    pub at_ms: u64,
}

impl Order {
    pub fn units(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity)).sum()
    }

    /// Money given back or on its way back (a failed refund does not count).
    pub fn refunded(&self) -> Money {
        let minor = self
            .refunds
            .iter()
            .filter(|r| r.state != RefundState::Failed)
            .map(|r| r.amount.minor())
            .sum();
        Money::new(minor, self.currency)
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> Money {
        Money::new((self.total.minor() - self.refunded().minor()).max(0), self.currency)
    }
}
