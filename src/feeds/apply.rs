//! Applying a feed's stock levels, in one store transaction, through the ledger.

use crate::domain::now_ms;
use crate::inventory::{self, Change};
use crate::store::{StoreError, WriteTx};

use super::{FeedRun, Item};

/// Sets each known SKU's stock to the level sent (reason and actor `supplier:{feed}`), records
/// the run as the feed's last, and returns it. With an `Idempotency-Key` seen before for this
/// feed, applies nothing and says so.
pub fn apply(
    tx: &mut WriteTx<'_>,
    feed: &str,
    items: &[Item],
    mut run: FeedRun,
    idempotency_key: Option<&str>,
) -> Result<FeedRun, StoreError> {
    let now = now_ms();
    if let Some(key) = idempotency_key
        && !tx.first_use_of_feed_key(feed, key, now)?
    {
        run.replayed = true;
        return Ok(run);
    }
    let actor = format!("supplier:{feed}");
    let why = Change {
        reason: &actor,
        actor: &actor,
    };
    for item in items {
        if tx.product(&item.sku)?.is_none() {
            run.unknown_sku(&item.sku);
            continue;
        }
        match inventory::set(tx, &item.sku, item.quantity, &why)? {
            Some(_) => run.applied += 1,
            None => run.unchanged += 1,
        }
    }
    run.at_ms = now;
    tx.put_feed_run(feed, &run)?;
    Ok(run)
}
