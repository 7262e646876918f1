use std::fmt;
use std::str::FromStr;

/// What a credential may do. The merchant API checks one per route, by type (see `Staff`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeName {
    Catalog,
    Orders,
    Stock,
    /// Accounts, tokens, and everything else.
    Admin,
}

impl ScopeName {
    pub const ALL: [ScopeName; 4] = [
        ScopeName::Catalog,
        ScopeName::Orders,
        ScopeName::Stock,
        ScopeName::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScopeName::Catalog => "catalog",
            ScopeName::Orders => "orders",
            ScopeName::Stock => "stock",
            ScopeName::Admin => "admin",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl FromStr for ScopeName {
    type Err = String;
    fn from_str(s: &str) -> Result<ScopeName, String> {
        ScopeName::ALL
            .into_iter()
            .find(|n| n.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("{s:?} is not a scope (catalog, orders, stock, admin)"))
    }
}

/// A set of scopes; `admin` includes every other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Scopes(u8);

impl Scopes {
    pub fn all() -> Scopes {
        Scopes(ScopeName::ALL.iter().fold(0, |acc, s| acc | s.bit()))
    }

    pub fn with(mut self, scope: ScopeName) -> Scopes {
        self.0 |= scope.bit();
        self
    }

    pub fn allows(self, scope: ScopeName) -> bool {
        self.0 & (scope.bit() | ScopeName::Admin.bit()) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `scope` itself is in the set (`allows` also counts `admin` as every scope).
    pub fn contains(self, scope: ScopeName) -> bool {
        self.0 & scope.bit() != 0
    }

    /// `catalog,orders` -> scopes; an unknown name is an error naming it.
    pub fn parse(list: &str) -> Result<Scopes, String> {
        let mut scopes = Scopes::default();
        for name in list.split(',').filter(|s| !s.trim().is_empty()) {
            scopes = scopes.with(name.parse()?);
        }
        if scopes.is_empty() {
            return Err("give at least one scope: catalog, orders, stock or admin".into());
        }
        Ok(scopes)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = ScopeName::ALL
            .into_iter()
            .filter(|s| self.0 & s.bit() != 0)
            .map(ScopeName::as_str)
            .collect();
        f.write_str(&names.join(","))
    }
}

/// A back-office account.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Account {
    pub username: String,
    /// Staff roles are scope sets: an owner has `admin`, a clerk perhaps `orders,stock`.
    pub scopes: Scopes,
    /// Argon2id, PHC string format.
    pub password_hash: String,
    /// Set for the generated first password, which must be changed.
    pub must_change_password: bool,
    pub created_ms: u64,
}

/// A merchant API token. Only a hash of its secret is stored.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct ApiToken {
    pub id: String,
    pub secret_sha256: [u8; 32],
    pub scopes: Scopes,
    pub label: String,
    pub created_ms: u64,
    pub revoked: bool,
}

/// A signed-in back-office session, stored server-side so it can be revoked.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Session {
    pub username: String,
    /// The synchronizer token every back-office form carries.
    pub csrf: String,
    pub created_ms: u64,
    pub last_seen_ms: u64,
}

/// One back-office or API change: who, when, what, before and after.
#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct AuditEntry {
    pub at_ms: u64,
    /// `admin:alice` or `token:k3f9…`.
    pub actor: String,
    pub action: String,
    /// `product:BRK-1`, `order:K7MX-3Q9D`, `token:k3f9`.
    pub subject: String,
    /// JSON, or empty.
    pub before: String,
    pub after: String,
}
