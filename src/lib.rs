pub mod catalog;
pub mod domain;
pub mod inventory;
pub mod store;
