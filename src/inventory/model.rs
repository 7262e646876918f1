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
