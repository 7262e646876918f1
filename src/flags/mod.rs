//! Feature flags: `model` holds the rules (rollouts, sticky buckets); `Flags` is the live set
//! every handler and template asks (`on`), changed through `set` (audited) and in effect for
//! every worker as soon as the change commits.

pub mod model;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use model::{BUILT_IN, Flag, Variant};

use crate::staff::{Admin, Staff, ops as staff};
use crate::store::{Store, StoreError, TxError, TxResult, WriteTx, refuse};

/// The flags in force, shared by every worker.
#[derive(Default)]
pub struct Flags {
    current: RwLock<Arc<BTreeMap<String, Flag>>>,
    /// Page views and orders per (flag, variant) since the last flush, counted only for flags
    /// rolled out to part of the visitors (where there is something to compare).
    counts: Mutex<HashMap<(String, Variant), (u64, u64)>>,
    /// Bumped by every reload: pages rendered under older flags are not served again.
    generation: AtomicU64,
}

/// The flags that are on for one visitor, for templates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlagSet(Vec<String>);

impl FlagSet {
    pub fn on(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == name)
    }

    /// Every built-in flag on: what a shop shows before the merchant changes anything.
    pub fn all_built_in() -> FlagSet {
        FlagSet(BUILT_IN.iter().map(|(n, _)| (*n).to_owned()).collect())
    }
}

impl Flags {
    /// The built-in flags, overridden by what the merchant set in `store`.
    pub fn load(store: &Store) -> Result<Flags, StoreError> {
        let flags = Flags::default();
        flags.reload(store)?;
        Ok(flags)
    }

    pub fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let mut map: BTreeMap<String, Flag> = BUILT_IN
            .iter()
            .map(|(name, description)| ((*name).to_owned(), Flag::default_for(name, description)))
            .collect();
        for flag in store.read()?.flags()? {
            map.insert(flag.name.clone(), flag);
        }
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(map);
        self.generation.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn snapshot(&self) -> Arc<BTreeMap<String, Flag>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether flag `name` is on for a visitor with `bucket_id`; an unknown flag is off.
    pub fn on(&self, name: &str, bucket_id: Option<&str>) -> bool {
        self.snapshot()
            .get(name)
            .is_some_and(|f| f.variant_for(bucket_id) == Variant::On)
    }

    pub fn for_visitor(&self, bucket_id: Option<&str>) -> FlagSet {
        FlagSet(
            self.snapshot()
                .values()
                .filter(|f| f.variant_for(bucket_id) == Variant::On)
                .map(|f| f.name.clone())
                .collect(),
        )
    }

    pub fn all(&self) -> Vec<Flag> {
        self.snapshot().values().cloned().collect()
    }

    /// What sets this visitor's copy of a page apart: the flags' generation, and the visitor's
    /// side of each partly rolled-out flag (none, usually, so every visitor shares one copy).
    pub fn variant_key(&self, bucket_id: Option<&str>) -> String {
        let sides: String = self
            .snapshot()
            .values()
            .filter(|f| f.is_partial())
            .map(|f| {
                if f.variant_for(bucket_id) == Variant::On {
                    '1'
                } else {
                    '0'
                }
            })
            .collect();
        format!("{}{sides}", self.generation.load(Ordering::Relaxed))
    }

    /// Counts a page view for each partly rolled-out flag, in the visitor's variant.
    pub fn count_view(&self, bucket_id: Option<&str>) {
        self.count(bucket_id, crate::telemetry::metrics::FLAG_VIEWS, |c| c.0 += 1);
    }

    /// Counts an order for each partly rolled-out flag, in the visitor's variant.
    pub fn count_order(&self, bucket_id: Option<&str>) {
        self.count(bucket_id, crate::telemetry::metrics::FLAG_ORDERS, |c| c.1 += 1);
    }

    fn count(&self, bucket_id: Option<&str>, metric: &'static str, add: impl Fn(&mut (u64, u64))) {
        let flags = self.snapshot();
        let partial: Vec<&Flag> = flags.values().filter(|f| f.is_partial()).collect();
        if partial.is_empty() {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        for flag in partial {
            let variant = flag.variant_for(bucket_id);
            metrics::counter!(metric, "flag" => flag.name.clone(), "variant" => variant.as_str()).increment(1);
            add(counts.entry((flag.name.clone(), variant)).or_default());
        }
    }

    /// The counts since the last call, to add to the stored totals.
    pub fn take_counts(&self) -> Vec<crate::store::FlagStat> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts
            .drain()
            .map(|((flag, variant), (views, orders))| (flag, variant.code(), views, orders))
            .collect()
    }
}

/// A flag change as the merchant asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagChange {
    pub enabled: bool,
    pub percent: u8,
    pub description: Option<String>,
}

/// Sets a flag (audited); `Flags::reload` puts it in force once committed.
pub fn set(
    tx: &mut WriteTx<'_>,
    who: &Staff<Admin>,
    name: &str,
    change: FlagChange,
    now_ms: u64,
) -> TxResult<Flag, String> {
    model::check_name(name).map_err(TxError::Refused)?;
    if change.percent > 100 {
        return refuse("percent is 0 to 100".into());
    }
    let before = tx.flag(name)?.or_else(|| {
        BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, d)| Flag::default_for(n, d))
    });
    let description = change
        .description
        .map(|d| d.trim().chars().take(200).collect())
        .or_else(|| before.as_ref().map(|b| b.description.clone()))
        .unwrap_or_default();
    let flag = Flag {
        name: name.to_owned(),
        enabled: change.enabled,
        percent: change.percent,
        description,
        updated_ms: now_ms,
        updated_by: who.actor().to_owned(),
    };
    tx.put_flag(&flag)?;
    // Pages cached in front show the old side of the flag: purge them all (when purges are set up).
    tx.purge_all_catalog_pages(now_ms)?;
    let show = |f: &Flag| format!("enabled={} percent={}", f.enabled, f.percent);
    staff::record(
        tx,
        who.actor(),
        "flag.set",
        &format!("flag:{name}"),
        &before.as_ref().map(show).unwrap_or_default(),
        &show(&flag),
    )?;
    Ok(flag)
}
