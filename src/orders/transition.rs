//! Moving an order through its statuses, with the side effects the status machine implies:
//! a cancellation or refund before shipping returns the units to stock, exactly once.

use crate::inventory::{self, Change};
use crate::jobs::EventKind;
use crate::store::{StoreError, TxResult, WriteTx, refuse};

use super::Status;
use super::model::{Order, Shipment, StatusChange};

/// A requested status change.
#[derive(Clone, Debug)]
pub struct Transition {
    pub to: Status,
    /// `admin:alice`, `api:tok_3f…`.
    pub actor: String,
    pub note: String,
    /// Required to ship.
    pub shipment: Option<Shipment>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("no order {0}")]
    NotFound(String),
    #[error("an order that is {from} cannot become {to}")]
    NotAllowed { from: Status, to: Status },
    #[error("shipping needs a carrier and a tracking number")]
    ShipmentRequired,
}

/// Longest note kept with a status change.
pub const NOTE_MAX_CHARS: usize = 500;

/// A merchant's note as kept: cut to `NOTE_MAX_CHARS`.
pub fn clip_note(note: &str) -> String {
    note.trim().chars().take(NOTE_MAX_CHARS).collect()
}

/// Applies `t` to order `number` in the caller's transaction.
pub fn transition(tx: &mut WriteTx<'_>, number: &str, t: Transition, now_ms: u64) -> TxResult<Order, TransitionError> {
    let Some(mut order) = tx.order(number)? else {
        return refuse(TransitionError::NotFound(number.to_owned()));
    };
    let from = order.status;
    if !from.can_become(t.to, was_paid(&order)) {
        return refuse(TransitionError::NotAllowed { from, to: t.to });
    }
    if t.to == Status::Shipped {
        match &t.shipment {
            Some(s) if !s.carrier.trim().is_empty() && !s.tracking_number.trim().is_empty() => {
                order.shipment = Some(s.clone());
            }
            _ => return refuse(TransitionError::ShipmentRequired),
        }
    }
    if matches!(t.to, Status::Cancelled | Status::Refunded) && from.holds_stock() && !order.restocked {
        restock(tx, &order, &t.actor, t.to)?;
        order.restocked = true;
    }
    let settle = order.payment.by_gateway() && matches!(t.to, Status::Cancelled | Status::Refunded);
    if settle && was_paid(&order) {
        // A cancelled or refunded order keeps no money: the rest goes back through the gateway.
        let rest = order.refundable();
        super::refund::ask(&mut order, rest, &t.actor, &t.note, now_ms);
    }
    order.status = t.to;
    order.history.push(StatusChange {
        at_ms: now_ms,
        from: Some(from),
        to: t.to,
        actor: t.actor,
        note: t.note,
    });
    tx.put_order(&order)?;
    if settle {
        crate::jobs::settle_payment(tx, &order.number, now_ms)?;
    }
    if let Some(kind) = event_of(t.to) {
        crate::jobs::record_event(tx, kind, &order.number, now_ms)?;
    }
    Ok(order)
}

/// What the merchant's systems and the shopper hear of a move to `to`.
fn event_of(to: Status) -> Option<EventKind> {
    match to {
        Status::Paid => Some(EventKind::OrderPaid),
        Status::Shipped => Some(EventKind::OrderShipped),
        Status::Cancelled => Some(EventKind::OrderCancelled),
        Status::Refunded => Some(EventKind::OrderRefunded),
        _ => None,
    }
}

/// Whether money was taken at some point (so a cancelled order can still be refunded).
pub fn was_paid(order: &Order) -> bool {
    order.history.iter().any(|h| h.to == Status::Paid)
}

fn restock(tx: &mut WriteTx<'_>, order: &Order, actor: &str, why: Status) -> Result<(), StoreError> {
    let reason = format!("order {} {why}", order.number);
    let change = Change { reason: &reason, actor };
    for line in &order.lines {
        // A product deleted since has no stock to return to.
        let Some(product) = tx.product(&line.sku)? else {
            continue;
        };
        // A bundle's units go back to its components.
        for (sku, units) in product.stock_taken(u64::from(line.quantity)) {
            if line.sku != sku && tx.product(sku)?.is_none() {
                continue;
            }
            let units = i64::try_from(units).map_err(|_| StoreError::Corrupt("quantity overflow".into()))?;
            inventory::adjust(tx, sku, units, &change)?
                .map_err(|e| StoreError::Corrupt(format!("restock overflowed: {e}")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod shaping_tests {
    use super::*;

    #[test]
    fn a_shipment_needs_both_parts_and_keeps_them_trimmed_and_short() {
        assert_eq!(
            Shipment::from_parts(Some(" UPS "), Some(" 1Z9 ")).unwrap().carrier,
            "UPS"
        );
        assert_eq!(Shipment::from_parts(Some("UPS"), Some("  ")), None);
        assert_eq!(Shipment::from_parts(None, Some("1Z9")), None);
        let long = "x".repeat(300);
        let s = Shipment::from_parts(Some(&long), Some(&long)).unwrap();
        assert_eq!(
            (s.carrier.chars().count(), s.tracking_number.chars().count()),
            (100, 100)
        );
        assert_eq!(clip_note(&"é".repeat(900)).chars().count(), NOTE_MAX_CHARS);
    }
}
