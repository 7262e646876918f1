//! The order status machine, in one place.
//!
//! ```text
//!  pending ──► paid ──► fulfilled ──► shipped ──► refunded
//!     │          │ └───────────┐ │
//!     └──────────┴► cancelled ◄┘ │     paid ──► refunded (before shipping: stock returns)
//!                      │         │
//!                      └► refunded (when it had been paid)
//! ```
//! Stock returns exactly once: when an order that has not shipped is cancelled or refunded.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode)]
pub enum Status {
    /// Placed, awaiting payment (pay on invoice or cash on delivery).
    Pending,
    Paid,
    /// Picked and packed.
    Fulfilled,
    /// Handed to a carrier, with a tracking number.
    Shipped,
    Cancelled,
    Refunded,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Pending,
        Status::Paid,
        Status::Fulfilled,
        Status::Shipped,
        Status::Cancelled,
        Status::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Paid => "paid",
            Status::Fulfilled => "fulfilled",
            Status::Shipped => "shipped",
            Status::Cancelled => "cancelled",
            Status::Refunded => "refunded",
        }
    }

    /// What the shopper reads on the status page.
    pub fn describe(self) -> &'static str {
        match self {
            Status::Pending => "Received, awaiting payment",
            Status::Paid => "Paid, being prepared",
            Status::Fulfilled => "Packed, ready to ship",
            Status::Shipped => "Shipped",
            Status::Cancelled => "Cancelled",
            Status::Refunded => "Refunded",
        }
    }

    /// Whether the machine allows `self -> to`. `was_paid` tells a cancelled order that had been
    /// paid (refundable) from one that never was.
    pub fn can_become(self, to: Status, was_paid: bool) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Pending, Paid | Cancelled)
                | (Paid, Fulfilled | Cancelled | Refunded)
                | (Fulfilled, Shipped | Cancelled | Refunded)
                | (Shipped, Refunded)
        ) || (self == Cancelled && to == Refunded && was_paid)
    }

    /// The statuses reachable from here, for buttons in the back office.
    pub fn next(self, was_paid: bool) -> Vec<Status> {
        Status::ALL
            .into_iter()
            .filter(|to| self.can_become(*to, was_paid))
            .collect()
    }

    /// Whether the order's units are out of stock on its account (not yet shipped, not returned).
    pub fn holds_stock(self) -> bool {
        matches!(self, Status::Pending | Status::Paid | Status::Fulfilled)
    }
}

/// How an order counts in the merchant's revenue: the one rule for the dashboard, the reports and
/// their CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revenue {
    /// Money received (paid, and everything after it short of a refund).
    Paid,
    /// Placed but awaiting payment (pay on invoice): owed, not yet earned.
    Unpaid,
    /// Cancelled or refunded: no revenue at all.
    Void,
}

impl Status {
    pub fn revenue(self) -> Revenue {
        match self {
            Status::Paid | Status::Fulfilled | Status::Shipped => Revenue::Paid,
            Status::Pending => Revenue::Unpaid,
            Status::Cancelled | Status::Refunded => Revenue::Void,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an order status (pending, paid, fulfilled, shipped, cancelled, refunded)")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Status, UnknownStatus> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;
    use super::*;

    #[test]
    fn the_machine_allows_only_forward_moves() {
        assert!(Pending.can_become(Paid, false));
        assert!(Paid.can_become(Fulfilled, true));
        assert!(Fulfilled.can_become(Shipped, true));
        assert!(Shipped.can_become(Refunded, true));
        assert!(!Shipped.can_become(Cancelled, true));
        assert!(!Refunded.can_become(Paid, true));
        assert!(!Pending.can_become(Shipped, false));
        assert!(Cancelled.can_become(Refunded, true));
        assert!(!Cancelled.can_become(Refunded, false));
        assert_eq!(Refunded.next(true), vec![]);
    }

    #[test]
    fn statuses_parse_from_their_names() {
        for st in Status::ALL {
            assert_eq!(st.as_str().parse::<Status>().unwrap(), st);
        }
        assert!("lost".parse::<Status>().is_err());
    }
}
