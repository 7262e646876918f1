//! Feature flags and how each variant did; the waiting room's settings.

use redb::ReadableTable;

use super::codec::{decode, encode};
use super::tables::{FLAG_STATS, FLAGS};
use super::{ReadTx, StoreError, WriteTx};
use crate::flags::model::Flag;

/// (flag, variant code, page views, orders)
pub type FlagStat = (String, u8, u64, u64);

impl ReadTx {
    /// Every flag the merchant has set, by name.
    pub fn flags(&self) -> Result<Vec<Flag>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(FLAGS)?.iter()? {
            out.push(decode(row?.1.value())?);
        }
        Ok(out)
    }

    pub fn flag_stats(&self) -> Result<Vec<FlagStat>, StoreError> {
        let mut out = Vec::new();
        for row in self.table(FLAG_STATS)?.iter()? {
            let (k, v) = row?;
            let ((flag, variant), (views, orders)) = (k.value(), v.value());
            out.push((flag.to_owned(), variant, views, orders));
        }
        Ok(out)
    }
}

impl WriteTx<'_> {
    pub fn flag(&self, name: &str) -> Result<Option<Flag>, StoreError> {
        self.txn()
            .open_table(FLAGS)?
            .get(name)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    pub fn put_flag(&mut self, flag: &Flag) -> Result<(), StoreError> {
        self.txn()
            .open_table(FLAGS)?
            .insert(flag.name.as_str(), encode(flag)?.as_slice())?;
        Ok(())
    }

    /// Adds counted page views and orders to each variant's totals.
    pub fn add_flag_stats(&mut self, stats: &[FlagStat]) -> Result<(), StoreError> {
        let mut table = self.txn().open_table(FLAG_STATS)?;
        for (flag, variant, views, orders) in stats {
            let (v, o) = table.get((flag.as_str(), *variant))?.map_or((0, 0), |x| x.value());
            table.insert((flag.as_str(), *variant), (v + views, o + orders))?;
        }
        Ok(())
    }
}

const WAITING_ROOM: &str = "waiting_room";

impl ReadTx {
    /// The waiting room as the merchant last set it, if they did.
    pub fn waiting_room_settings(&self) -> Result<Option<crate::waiting_room::model::Settings>, StoreError> {
        self.table(super::tables::SETTINGS)?
            .get(WAITING_ROOM)?
            .map(|v| decode(v.value()))
            .transpose()
    }
}

impl WriteTx<'_> {
    pub fn waiting_room_settings(&self) -> Result<Option<crate::waiting_room::model::Settings>, StoreError> {
        self.txn()
            .open_table(super::tables::SETTINGS)?
            .get(WAITING_ROOM)?
            .map(|v| decode(v.value()))
            .transpose()
    }

    pub fn put_waiting_room_settings(
        &mut self,
        settings: &crate::waiting_room::model::Settings,
    ) -> Result<(), StoreError> {
        self.txn()
            .open_table(super::tables::SETTINGS)?
            .insert(WAITING_ROOM, encode(settings)?.as_slice())?;
        Ok(())
    }
}
