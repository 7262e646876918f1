//! Black-box tests: through HTTP on a random port with a temp data dir, and through the built
//! binary. One test binary; modules by feature area.

mod admin;
mod admin_pages;
mod browser;
mod catalog;
mod checkout;
mod checkout_pages;
mod cli;
mod connections;
mod crash;
mod faults;
mod fitment;
mod flags;
mod garage;
mod hardening;
mod helpers;
mod hostile;
mod http;
mod mail;
mod maintenance;
mod metrics;
mod orders;
mod page_cache;
mod pages;
mod payment_crash;
mod payments;
mod peers;
mod protection;
mod proxies;
mod sale_day;
mod search;
mod supervision;
mod upgrade;
mod waiting_room;
mod webhooks;
