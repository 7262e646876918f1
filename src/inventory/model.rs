/// One change to a SKU's stock. The ledger is append-only; each SKU's entries sum to its stock.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct LedgerEntry {
    pub at_ms: u64,
    pub delta: i64,
    /// Stock after this change.
    pub balance: u64,
    pub reason: String,
    /// Who or what made the change: `import`, `admin:alice`, `order:7F3K-92QX`.
    pub actor: String,
}

/// A requested stock change that would take stock below zero.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("stock of {sku} is {available}, cannot take {requested}")]
pub struct Shortfall {
    pub sku: String,
    pub requested: u64,
    pub available: u64,
}

/// At or below this many units, pages say how many are left ("Only 3 left"); above it, only "In
/// stock". Pages show nothing else of the stock level, so a rendered page stays right until the
/// level crosses into or within this range (see `shown`).
pub const FEW_LEFT: u64 = 5;

/// The stock level as pages show it: exact up to `FEW_LEFT`, one value above it.
pub fn shown(stock: u64) -> u64 {
    stock.min(FEW_LEFT + 1)
}
