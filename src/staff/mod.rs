//! The back office's people and machines: accounts with argon2id passwords, server-side
//! sessions, scoped API tokens (stored as hashes, shown once), and the audit log.

pub mod grant;
mod model;
pub mod ops;
pub mod secrets;

pub use grant::{Admin, Catalog, Orders, Scope, Staff, Stock, grant};
pub use model::{Account, ApiToken, AuditEntry, ScopeName, Scopes, Session};
