//! `storefront verify`: checks a data dir and says what, if anything, is wrong.

use std::collections::BTreeSet;
use std::path::Path;

use crate::search::SearchIndex;
use crate::store::{Store, StoreError, StoreOptions};

/// The findings: `problems` make the verdict fail; `facts` describe what was checked.
#[derive(Debug, Default)]
pub struct Verdict {
    pub problems: Vec<String>,
    pub facts: Vec<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Runs every check on the (stopped) store in `dir`.
pub fn verify(dir: &Path, options: &StoreOptions) -> Result<Verdict, StoreError> {
    let mut v = Verdict::default();
    if !dir.join(crate::store::STORE_FILE).exists() {
        v.problems.push(format!("{} holds no store", dir.display()));
        return Ok(v);
    }
    match Store::check_file(dir, options)? {
        true => v.facts.push("every page checksum verifies".into()),
        false => v.problems.push("redb found and repaired damaged pages".into()),
    }
    let store = Store::open(dir, options)?;
    let read = store.read()?;
    let ledgers = read.ledger_totals()?;
    check_ledgers(&read, &ledgers, &mut v)?;
    check_orders(&read, &ledgers, &mut v)?;
    check_index(dir, &store, &mut v);
    Ok(v)
}

/// Every SKU's ledger totals: (sum of deltas, last balance).
type LedgerTotals = std::collections::BTreeMap<String, (i64, u64)>;

fn check_ledgers(read: &crate::store::ReadTx, ledgers: &LedgerTotals, v: &mut Verdict) -> Result<(), StoreError> {
    let stock = read.stock_levels()?;
    let skus: BTreeSet<&String> = stock.keys().chain(ledgers.keys()).collect();
    let mut bad = 0;
    for sku in &skus {
        let units = stock.get(*sku).copied().unwrap_or(0);
        let (sum, last) = ledgers.get(*sku).copied().unwrap_or((0, 0));
        if sum != units as i64 || last != units {
            bad += 1;
            v.problems.push(format!(
                "{sku}: stock is {units} but its ledger sums to {sum} (last balance {last})"
            ));
        }
    }
    v.facts.push(format!(
        "{} SKUs: stock equals the ledger sum for {}",
        skus.len(),
        skus.len() - bad
    ));
    Ok(())
}

fn check_orders(read: &crate::store::ReadTx, ledgers: &LedgerTotals, v: &mut Verdict) -> Result<(), StoreError> {
    let mut count = 0u64;
    let mut problems = Vec::new();
    let mut failure = None;
    read.for_each_order(|order| {
        count += 1;
        for line in &order.lines {
            let known = ledgers.contains_key(line.sku.as_str()) || matches!(read.product(&line.sku), Ok(Some(_)));
            if !known {
                problems.push(format!(
                    "order {} sells {}, which the store has never had",
                    order.number, line.sku
                ));
            }
        }
        let lines = order.lines.iter().map(|l| l.line_total.minor()).sum::<i64>();
        let total = order.subtotal.minor() - order.discount.minor() + order.shipping.minor() + order.tax.minor();
        if lines != order.subtotal.minor() || total != order.total.minor() {
            problems.push(format!("order {}: its amounts do not add up", order.number));
        }
        if problems.len() > 1000 {
            failure = Some("stopped after 1000 order problems");
            return false;
        }
        true
    })?;
    v.problems.extend(problems);
    v.problems.extend(failure.map(String::from));
    v.facts.push(format!("{count} orders checked"));
    Ok(())
}

fn check_index(dir: &Path, store: &Store, v: &mut Verdict) {
    match SearchIndex::open_without_rebuild(dir).and_then(|index| index.agrees_with(store)) {
        Ok(Ok(docs)) => v.facts.push(format!("the search index reflects the store ({docs} documents)")),
        Ok(Err(why)) => v.problems.push(format!(
            "the search index does not reflect the store ({why}); it is rebuilt at the next start, or run storefront reindex"
        )),
        Err(e) => v.problems.push(format!("the search index cannot be opened: {e}")),
    }
}
