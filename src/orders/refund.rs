//! Refunds a merchant asks for, whole or in part. Through a gateway a refund is asked for here
//! and made by the settle job (retried until the gateway answers); for money that moved outside
//! the store (an invoice, the test cards) it is recorded as done.

use crate::domain::Money;
use crate::store::{TxError, TxResult, WriteTx, refuse};

use super::model::{Order, Refund, RefundState};
use super::transition::was_paid;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("no order {0}")]
    NotFound(String),
    #[error("order {0} was never paid, so there is nothing to refund")]
    NotPaid(String),
    #[error("a refund must be more than zero")]
    Zero,
    #[error("at most {refundable} can still be refunded")]
    TooMuch { refundable: Money },
    #[error("the refund is in {given}, the order in {order}")]
    Currency { given: String, order: String },
}

/// Adds a refund of `amount` to `order` (nothing when it is zero): asked for when the order
/// pays through a gateway, done otherwise.
pub(super) fn ask(order: &mut Order, amount: Money, actor: &str, note: &str, now_ms: u64) {
    if amount.minor() <= 0 {
        return;
    }
    let by_gateway = order.payment.by_gateway();
    let state = if by_gateway {
        RefundState::Requested
    } else {
        RefundState::Done
    };
    let id = order.refunds.len() as u32 + 1;
    order.refunds.push(Refund::new(id, amount, state, actor, note, now_ms));
}

/// A partial (or whole) refund without a change of status: the order stays as it is.
pub fn refund(
    tx: &mut WriteTx<'_>,
    number: &str,
    amount: Money,
    actor: &str,
    note: &str,
    now_ms: u64,
) -> TxResult<Order, RefundError> {
    let Some(mut order) = tx.order(number)? else {
        return refuse(RefundError::NotFound(number.to_owned()));
    };
    check(&order, amount).map_err(TxError::Refused)?;
    ask(&mut order, amount, actor, note, now_ms);
    tx.put_order(&order)?;
    if order.payment.by_gateway() {
        crate::jobs::settle_payment(tx, &order.number, now_ms)?;
    }
    Ok(order)
}

fn check(order: &Order, amount: Money) -> Result<(), RefundError> {
    if !was_paid(order) {
        return Err(RefundError::NotPaid(order.number.clone()));
    }
    if amount.currency() != order.currency {
        return Err(RefundError::Currency {
            given: amount.currency().to_string(),
            order: order.currency.to_string(),
        });
    }
    if amount.minor() <= 0 {
        return Err(RefundError::Zero);
    }
    let refundable = order.refundable();
    if amount.minor() > refundable.minor() {
        return Err(RefundError::TooMuch { refundable });
    }
    Ok(())
}
