//! The waiting room: when checkout (or the whole shop) is over capacity, or the merchant turns it
//! on, shoppers without a pass take a numbered ticket and wait their turn; admitted ones carry a
//! pass for `pass_minutes`. `model` holds the rules; `Room` is the live line every worker shares.
//! The line lives in memory: one process serves the shop, and a restart lets everyone in again.

pub mod model;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use model::{Line, Settings, Signer, eta_seconds};

use crate::staff::{Admin, Staff, ops as staff};
use crate::store::{StoreError, WriteTx};

/// What a shopper without a pass is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The room is closed, or the shopper holds a pass.
    Proceed,
    /// Their turn came: carry this pass from now on.
    Admitted { pass: String },
    /// In line; `ticket` is set when the shopper is new to the line (their cookie to keep).
    Wait {
        ticket: Option<String>,
        position: u64,
        eta_seconds: u64,
    },
}

/// How the room stands, for the back office, the API and metrics.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub open: bool,
    pub waiting: u64,
    pub admitted: u64,
    pub checkouts_in_progress: u64,
}

pub struct Room {
    settings: RwLock<Settings>,
    line: Mutex<Line>,
    in_flight: AtomicU64,
    signer: Signer,
}

/// A checkout in progress, counted until dropped.
pub struct InProgress<'a>(&'a AtomicU64);

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Room {
    pub fn new(settings: Settings) -> Room {
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        Room {
            settings: RwLock::new(settings),
            line: Mutex::new(Line::default()),
            in_flight: AtomicU64::new(0),
            signer: Signer::new(key),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_settings(&self, settings: Settings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    fn line(&self) -> std::sync::MutexGuard<'_, Line> {
        self.line.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a checkout in progress; at capacity, `auto` opens the room for those who follow.
    pub fn checkout_started(&self, now_ms: u64) -> InProgress<'_> {
        let now_in = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        if now_in >= u64::from(self.settings().capacity) {
            self.line().overloaded(now_ms);
        }
        InProgress(&self.in_flight)
    }

    /// Whether a shopper with these cookies goes on, is let in now, or waits.
    pub fn decide(&self, ticket: Option<&str>, pass: Option<&str>, auto_allowed: bool, now_ms: u64) -> Decision {
        if pass.is_some_and(|p| self.signer.pass_valid(p, now_ms)) {
            return Decision::Proceed;
        }
        let settings = self.settings();
        let mut line = self.line();
        line.advance(now_ms, settings.admit_per_second);
        if !line.is_open(&settings, auto_allowed, now_ms) {
            return Decision::Proceed;
        }
        let (number, new) = match ticket.and_then(|t| self.signer.ticket_number(t)) {
            Some(n) => (n, false),
            // No ticket, or a forged one: the end of the line.
            None => (line.take_ticket(), true),
        };
        if line.admitted(number) {
            let until = now_ms + u64::from(settings.pass_minutes) * 60_000;
            return Decision::Admitted {
                pass: self.signer.pass(until),
            };
        }
        let position = line.position(number);
        Decision::Wait {
            ticket: new.then(|| self.signer.ticket(number)),
            position,
            eta_seconds: eta_seconds(position, settings.admit_per_second),
        }
    }

    pub fn status(&self, auto_allowed: bool, now_ms: u64) -> Status {
        let settings = self.settings();
        let mut line = self.line();
        line.advance(now_ms, settings.admit_per_second);
        Status {
            open: line.is_open(&settings, auto_allowed, now_ms),
            waiting: line.waiting(),
            admitted: line.admitted_total(),
            checkouts_in_progress: self.in_flight.load(Ordering::Relaxed),
        }
    }
}

/// Changes the room's settings (audited); the caller puts them in force once committed.
pub fn save_settings(
    tx: &mut WriteTx<'_>,
    who: &Staff<Admin>,
    settings: &Settings,
) -> Result<Result<(), String>, StoreError> {
    if let Err(e) = settings.check() {
        return Ok(Err(e));
    }
    let before = tx.waiting_room_settings()?;
    tx.put_waiting_room_settings(settings)?;
    let show = |s: &Settings| format!("{s:?}");
    staff::record(
        tx,
        who.actor(),
        "waiting_room.set",
        "waiting_room",
        &before.as_ref().map(show).unwrap_or_default(),
        &show(settings),
    )?;
    Ok(Ok(()))
}
