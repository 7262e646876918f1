//! The back office's changes, each taking proof of its scope (`Staff<…>`) and each recorded in
//! the audit log with who, when, what, and the state before and after.

use crate::catalog::export::Line;
use crate::catalog::ops::{self as catalog, Upserted};
use crate::catalog::{Product, ProductRecord};
use crate::domain::now_ms;
use crate::inventory::{self, Change, LedgerEntry, Shortfall};
use crate::orders::{Order, Shipment, Status, Transition, TransitionError};
use crate::staff::{Admin, Catalog, Orders, Scopes, Staff, Stock, ops as staff};
use crate::store::{StoreError, TxResult, WriteTx, refuse};

/// Why a stock change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StockRefusal {
    #[error("no product has SKU {0}")]
    UnknownSku(String),
    #[error("{0}")]
    BelowZero(Shortfall),
}

pub fn put_product(tx: &mut WriteTx<'_>, who: &Staff<Catalog>, record: ProductRecord) -> Result<Upserted, StoreError> {
    let sku = record.product.sku.as_str().to_owned();
    let before = snapshot(tx, &sku)?;
    let outcome = catalog::upsert(tx, record, who.actor())?;
    if outcome != Upserted::Unchanged {
        let after = snapshot(tx, &sku)?;
        let action = if outcome == Upserted::Created {
            "product.create"
        } else {
            "product.update"
        };
        staff::record(tx, who.actor(), action, &format!("product:{sku}"), &before, &after)?;
        crate::jobs::record_event(
            tx,
            crate::jobs::EventKind::ProductUpdated,
            &sku,
            crate::domain::now_ms(),
        )?;
    }
    Ok(outcome)
}

pub fn delete_product(tx: &mut WriteTx<'_>, who: &Staff<Catalog>, sku: &str) -> Result<Option<Product>, StoreError> {
    let before = snapshot(tx, sku)?;
    let removed = catalog::remove(tx, sku, who.actor())?;
    if removed.is_some() {
        staff::record(
            tx,
            who.actor(),
            "product.delete",
            &format!("product:{sku}"),
            &before,
            "",
        )?;
        crate::jobs::record_event(tx, crate::jobs::EventKind::ProductUpdated, sku, crate::domain::now_ms())?;
    }
    Ok(removed)
}

/// Adds `delta` units (negative to take) with a reason for the ledger.
pub fn adjust_stock(
    tx: &mut WriteTx<'_>,
    who: &Staff<Stock>,
    sku: &str,
    delta: i64,
    reason: &str,
) -> TxResult<LedgerEntry, StockRefusal> {
    if tx.product(sku)?.is_none() {
        return refuse(StockRefusal::UnknownSku(sku.to_owned()));
    }
    let before = tx.stock(sku)?;
    let why = Change {
        reason,
        actor: who.actor(),
    };
    match inventory::adjust(tx, sku, delta, &why)? {
        Ok(entry) => {
            stock_changed(tx, who.actor(), sku, before, entry.balance, reason)?;
            Ok(entry)
        }
        Err(short) => refuse(StockRefusal::BelowZero(short)),
    }
}

/// Sets stock to a counted quantity: an adjustment by the difference.
pub fn set_stock(
    tx: &mut WriteTx<'_>,
    who: &Staff<Stock>,
    sku: &str,
    quantity: u64,
    reason: &str,
) -> TxResult<Option<LedgerEntry>, StockRefusal> {
    let delta = i64::try_from(quantity).unwrap_or(i64::MAX) - i64::try_from(tx.stock(sku)?).unwrap_or(i64::MAX);
    if delta == 0 && tx.product(sku)?.is_some() {
        return Ok(None);
    }
    adjust_stock(tx, who, sku, delta, reason).map(Some)
}

/// Sets the units at or below which a SKU is flagged as low, or with `None` returns it to the
/// shop's default. Returns the previous own threshold.
pub fn set_low_stock(
    tx: &mut WriteTx<'_>,
    who: &Staff<Stock>,
    sku: &str,
    threshold: Option<u64>,
) -> TxResult<Option<u64>, StockRefusal> {
    if tx.product(sku)?.is_none() {
        return refuse(StockRefusal::UnknownSku(sku.to_owned()));
    }
    let before = tx.low_stock_threshold(sku)?;
    if before == threshold {
        return Ok(before);
    }
    tx.set_low_stock_threshold(sku, threshold)?;
    staff::record(
        tx,
        who.actor(),
        "stock.threshold",
        &format!("product:{sku}"),
        &serde_json::json!({ "low_stock": before }).to_string(),
        &serde_json::json!({ "low_stock": threshold }).to_string(),
    )?;
    Ok(before)
}

fn stock_changed(
    tx: &mut WriteTx<'_>,
    actor: &str,
    sku: &str,
    before: u64,
    after: u64,
    reason: &str,
) -> Result<(), StoreError> {
    staff::record(
        tx,
        actor,
        "stock.change",
        &format!("product:{sku}"),
        &format!("{{\"stock\":{before}}}"),
        &serde_json::json!({"stock": after, "reason": reason}).to_string(),
    )
}

pub fn transition_order(
    tx: &mut WriteTx<'_>,
    who: &Staff<Orders>,
    number: &str,
    to: Status,
    shipment: Option<Shipment>,
    note: &str,
) -> TxResult<Order, TransitionError> {
    let before = tx.order(number)?.map(|o| o.status);
    let order = crate::orders::transition(
        tx,
        number,
        Transition {
            to,
            actor: who.actor().to_owned(),
            note: note.to_owned(),
            shipment,
        },
        now_ms(),
    )?;
    if let Some(before) = before {
        staff::record(
            tx,
            who.actor(),
            "order.transition",
            &format!("order:{number}"),
            &format!("{{\"status\":\"{before}\"}}"),
            &format!("{{\"status\":\"{}\",\"restocked\":{}}}", order.status, order.restocked),
        )?;
    }
    Ok(order)
}

/// A refund of part (or all) of an order without a change of status; through the gateway when
/// the order was paid through one.
pub fn refund_order(
    tx: &mut WriteTx<'_>,
    who: &Staff<Orders>,
    number: &str,
    amount: crate::domain::Money,
    note: &str,
) -> TxResult<Order, crate::orders::RefundError> {
    let order = crate::orders::refund(tx, number, amount, who.actor(), note, now_ms())?;
    staff::record(
        tx,
        who.actor(),
        "order.refund",
        &format!("order:{number}"),
        "",
        &serde_json::json!({"amount_cents": amount.minor(), "refunded_cents": order.refunded().minor(), "note": note})
            .to_string(),
    )?;
    Ok(order)
}

pub fn create_token(
    tx: &mut WriteTx<'_>,
    who: &Staff<Admin>,
    scopes: Scopes,
    label: &str,
) -> Result<String, StoreError> {
    staff::create_token(tx, scopes, label, who.actor())
}

pub fn revoke_token(tx: &mut WriteTx<'_>, who: &Staff<Admin>, id: &str) -> Result<bool, StoreError> {
    staff::revoke_token(tx, id, who.actor())
}

/// Runs a dead or waiting job again now, with a fresh count of tries.
pub fn retry_job(tx: &mut WriteTx<'_>, who: &Staff<Admin>, id: u64) -> Result<bool, StoreError> {
    let retried = tx.retry_job(id, crate::domain::now_ms())?;
    if retried {
        staff::record(tx, who.actor(), "job.retry", &format!("job:{id}"), "", "")?;
    }
    Ok(retried)
}

/// Deletes a job, waiting or dead: it will not run.
pub fn discard_job(tx: &mut WriteTx<'_>, who: &Staff<Admin>, id: u64) -> Result<bool, StoreError> {
    let job = tx.live_job(id)?;
    let discarded = tx.discard_job(id)?;
    if discarded {
        let what = job.map(|j| j.task.describe()).unwrap_or_default();
        staff::record(tx, who.actor(), "job.discard", &format!("job:{id}"), &what, "")?;
    }
    Ok(discarded)
}

/// Adds a webhook endpoint (checked by `webhooks::check_endpoint`); returns it with its id.
pub fn add_webhook(
    tx: &mut WriteTx<'_>,
    who: &Staff<Admin>,
    url: &str,
    secret: &str,
    events: Vec<String>,
) -> Result<crate::webhooks::Endpoint, StoreError> {
    let endpoint = crate::webhooks::Endpoint {
        id: format!("wh_{}", crate::domain::random_token(8)),
        url: url.to_owned(),
        secret: secret.to_owned(),
        events,
        created_ms: crate::domain::now_ms(),
    };
    tx.put_endpoint(&endpoint)?;
    let after = serde_json::json!({"url": endpoint.url, "events": endpoint.events}).to_string();
    staff::record(
        tx,
        who.actor(),
        "webhook.create",
        &format!("webhook:{}", endpoint.id),
        "",
        &after,
    )?;
    Ok(endpoint)
}

pub fn remove_webhook(tx: &mut WriteTx<'_>, who: &Staff<Admin>, id: &str) -> Result<bool, StoreError> {
    let removed = tx.remove_endpoint(id)?;
    if removed {
        staff::record(tx, who.actor(), "webhook.delete", &format!("webhook:{id}"), "", "")?;
    }
    Ok(removed)
}

/// The product as an import line (JSON), or empty when there is none.
fn snapshot(tx: &WriteTx<'_>, sku: &str) -> Result<String, StoreError> {
    Ok(match tx.product(sku)? {
        Some(p) => serde_json::to_string(&Line::new(&p, tx.stock(sku)?)).unwrap_or_default(),
        None => String::new(),
    })
}

/// Why a new account was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountRefusal {
    #[error("usernames are 3 to 40 lower-case letters, digits, dots, dashes or underscores")]
    BadUsername,
    #[error("there is already an account {0:?}")]
    Taken(String),
    #[error("there is no account {0:?}")]
    Unknown(String),
    #[error("you cannot {0} your own account; ask another admin")]
    Yourself(&'static str),
    #[error("{0:?} is the last admin who can sign in; give another account admin first")]
    LastAdmin(String),
}

/// What an admin does to another staff account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountChange {
    /// No sign-in, and its sessions end; its audit trail stays.
    Disable,
    Enable,
    /// Gone for good (its audit trail stays).
    Delete,
    Rescope(Scopes),
    /// Signs it out everywhere.
    EndSessions,
    /// A new first password (already hashed) that must be changed at sign-in; sessions end.
    ResetPassword(String),
}

impl AccountChange {
    fn verb(&self) -> &'static str {
        match self {
            AccountChange::Disable => "disable",
            AccountChange::Enable => "enable",
            AccountChange::Delete => "delete",
            AccountChange::Rescope(_) => "change the scopes of",
            AccountChange::EndSessions => "end the sessions of",
            AccountChange::ResetPassword(_) => "reset the password of",
        }
    }

    /// Whether the account keeps the admin scope and can still sign in afterwards.
    fn leaves_admin(&self, account: &crate::staff::Account) -> bool {
        match self {
            AccountChange::Disable | AccountChange::Delete => false,
            AccountChange::Rescope(scopes) => scopes.contains(crate::staff::ScopeName::Admin),
            _ => account.scopes.contains(crate::staff::ScopeName::Admin),
        }
    }
}

/// Applies `change` to `username`'s account, audited. An admin cannot change their own account
/// this way (the password page is for that), and the last admin who can sign in stays one.
pub fn change_account(
    tx: &mut WriteTx<'_>,
    who: &Staff<Admin>,
    username: &str,
    change: AccountChange,
) -> TxResult<(), AccountRefusal> {
    let Some(mut account) = tx.account(username)? else {
        return refuse(AccountRefusal::Unknown(username.to_owned()));
    };
    if who.actor() == format!("admin:{username}") {
        return refuse(AccountRefusal::Yourself(change.verb()));
    }
    let admin = crate::staff::ScopeName::Admin;
    if account.scopes.contains(admin) && !change.leaves_admin(&account) && !other_admin_left(tx, username)? {
        return refuse(AccountRefusal::LastAdmin(username.to_owned()));
    }
    let before = format!("{{\"scopes\":\"{}\"}}", account.scopes);
    let (action, after) = match &change {
        AccountChange::Disable => {
            tx.set_account_disabled(username, Some(now_ms()))?;
            let ended = tx.remove_sessions_of(username, None)?;
            ("account.disable", format!("{{\"sessions_ended\":{ended}}}"))
        }
        AccountChange::Enable => {
            tx.set_account_disabled(username, None)?;
            ("account.enable", String::new())
        }
        AccountChange::Delete => {
            tx.remove_sessions_of(username, None)?;
            tx.remove_account(username)?;
            ("account.delete", String::new())
        }
        AccountChange::Rescope(scopes) => {
            account.scopes = *scopes;
            tx.put_account(&account)?;
            ("account.scopes", format!("{{\"scopes\":\"{scopes}\"}}"))
        }
        AccountChange::EndSessions => {
            let ended = tx.remove_sessions_of(username, None)?;
            ("account.sessions_end", format!("{{\"sessions_ended\":{ended}}}"))
        }
        AccountChange::ResetPassword(hash) => {
            account.password_hash = hash.clone();
            account.must_change_password = true;
            tx.put_account(&account)?;
            let ended = tx.remove_sessions_of(username, None)?;
            ("account.password_reset", format!("{{\"sessions_ended\":{ended}}}"))
        }
    };
    staff::record(tx, who.actor(), action, &format!("account:{username}"), &before, &after)?;
    Ok(())
}

/// Whether an account other than `username` holds admin and is not disabled.
fn other_admin_left(tx: &WriteTx<'_>, username: &str) -> Result<bool, StoreError> {
    for account in tx.accounts()? {
        if account.username != username
            && account.scopes.contains(crate::staff::ScopeName::Admin)
            && !tx.is_account_disabled(&account.username)?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A staff account with a first password (already hashed) that must be changed at sign-in.
pub fn create_account(
    tx: &mut WriteTx<'_>,
    who: &Staff<Admin>,
    username: &str,
    scopes: Scopes,
    password_hash: String,
) -> TxResult<(), AccountRefusal> {
    let ok = (3..=40).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !ok {
        return refuse(AccountRefusal::BadUsername);
    }
    if tx.account(username)?.is_some() {
        return refuse(AccountRefusal::Taken(username.to_owned()));
    }
    tx.put_account(&crate::staff::Account {
        username: username.to_owned(),
        scopes,
        password_hash,
        must_change_password: true,
        created_ms: now_ms(),
    })?;
    staff::record(
        tx,
        who.actor(),
        "account.create",
        &format!("account:{username}"),
        "",
        &format!("{{\"scopes\":\"{scopes}\"}}"),
    )?;
    Ok(())
}

/// Imports a catalog (JSON Lines or CSV) through the writer, beside checkouts, in the importer's
/// own batches; its audit entry is written in the transaction of the last batch. The one import
/// of the back office's page and of the merchant API.
pub fn import_catalog(
    writer: &crate::store::Writer,
    who: &Staff<Catalog>,
    source: &[u8],
    format: crate::catalog::import::Format,
) -> Result<catalog::ImportReport, catalog::ImportError> {
    let actor = who.actor().to_owned();
    let via = catalog::WriteVia::Writer(writer);
    catalog::import_then(via, source, format, who.actor(), &mut |_| {}, move |report, tx| {
        let summary = serde_json::json!({
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected": report.rejected.len(),
        });
        staff::record(tx, &actor, "catalog.import", "catalog", "", &summary.to_string())
    })
}

/// Sets a product's photo (the file is already stored); returns the photo it replaced (empty if
/// none), or `None` when there is no such product.
pub fn set_image(
    tx: &mut WriteTx<'_>,
    who: &Staff<Catalog>,
    sku: &str,
    url: &str,
) -> Result<Option<String>, StoreError> {
    let Some(product) = tx.product(sku)? else {
        return Ok(None);
    };
    let before = product.image_url().unwrap_or_default();
    let record = ProductRecord {
        product: product.with_image(url),
        stock: None,
    };
    catalog::upsert(tx, record, who.actor())?;
    staff::record(
        tx,
        who.actor(),
        "product.image",
        &format!("product:{sku}"),
        &serde_json::json!({"image": before}).to_string(),
        &serde_json::json!({"image": url}).to_string(),
    )?;
    Ok(Some(before))
}
