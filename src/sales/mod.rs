//! Sale day: scheduled prices, flash sales that sell exactly their quantity, and bundles.
//! `model` holds the rules; `ops` runs them inside store transactions.

pub mod model;
pub mod ops;
