//! Keeping the shop safe: backups (online through the running server, or offline), restores,
//! scheduled backups with rotation, and `verify`.

pub mod backup;
pub mod verify;
