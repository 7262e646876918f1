//! The waiting room's rules, without I/O: when the room is open, a first-come line of numbered
//! tickets admitted at a steady rate, and signed tickets and passes a shopper carries in cookies.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether the room may open.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, bincode::Encode, bincode::Decode,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Off,
    /// Opens by itself when checkout is over capacity (behind the `waiting_room_auto` flag).
    #[default]
    Auto,
    On,
}

/// What the room stands in front of.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, bincode::Encode, bincode::Decode,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Checkout,
    Site,
}

#[derive(Clone, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Settings {
    pub mode: Mode,
    pub scope: Scope,
    pub admit_per_second: u32,
    /// How long an admitted shopper may take, from admission.
    pub pass_minutes: u32,
    /// Checkouts in progress at once beyond which `auto` opens the room.
    pub capacity: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            mode: Mode::Auto,
            scope: Scope::Checkout,
            admit_per_second: 200,
            pass_minutes: 10,
            capacity: 512,
        }
    }
}

impl Settings {
    pub fn check(&self) -> Result<(), String> {
        if !(1..=100_000).contains(&self.admit_per_second) {
            return Err("admit_per_second is 1 to 100000".into());
        }
        if !(1..=24 * 60).contains(&self.pass_minutes) {
            return Err("pass_minutes is 1 to 1440".into());
        }
        if !(1..=1_000_000).contains(&self.capacity) {
            return Err("capacity is 1 to 1000000".into());
        }
        Ok(())
    }
}

/// After the last moment checkout was over capacity, `auto` keeps the room open this long.
pub const AUTO_LINGER_MS: u64 = 30_000;

/// The line: tickets numbered in order of arrival; every number up to `served` is admitted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    issued: u64,
    served: u64,
    /// Admission time accounted up to here.
    clock_ms: u64,
    /// When checkout was last seen over capacity.
    overloaded_ms: Option<u64>,
}

impl Line {
    /// A new number at the end of the line.
    pub fn take_ticket(&mut self) -> u64 {
        self.issued += 1;
        self.issued
    }

    /// Admits the next numbers at `rate` per second for the time since the last call. An empty
    /// line saves no admissions for later: a burst after a quiet spell still waits its turn.
    pub fn advance(&mut self, now_ms: u64, rate: u32) {
        let rate = u64::from(rate.max(1));
        if self.served >= self.issued || now_ms < self.clock_ms {
            self.clock_ms = self.clock_ms.max(now_ms);
            return;
        }
        let admitted = (now_ms - self.clock_ms) * rate / 1000;
        if admitted > 0 {
            self.served = (self.served + admitted).min(self.issued);
            self.clock_ms += admitted * 1000 / rate;
        }
    }

    pub fn admitted(&self, number: u64) -> bool {
        number <= self.served
    }

    /// Shoppers ahead of ticket `number`, itself included (1: next in).
    pub fn position(&self, number: u64) -> u64 {
        number.saturating_sub(self.served)
    }

    pub fn waiting(&self) -> u64 {
        self.issued - self.served
    }

    pub fn admitted_total(&self) -> u64 {
        self.served
    }

    pub fn overloaded(&mut self, now_ms: u64) {
        self.overloaded_ms = Some(now_ms);
    }

    /// Whether shoppers without a pass must take a ticket now.
    pub fn is_open(&self, settings: &Settings, auto_allowed: bool, now_ms: u64) -> bool {
        match settings.mode {
            Mode::Off => false,
            Mode::On => true,
            Mode::Auto => {
                auto_allowed && (self.waiting() > 0 || self.overloaded_ms.is_some_and(|t| now_ms < t + AUTO_LINGER_MS))
            }
        }
    }
}

/// Seconds until `position` is admitted at `rate` per second.
pub fn eta_seconds(position: u64, rate: u32) -> u64 {
    position.div_ceil(u64::from(rate.max(1)))
}

/// Signs tickets and passes with a key only this server holds.
#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
}

impl Signer {
    pub fn new(key: [u8; 32]) -> Signer {
        Signer { key }
    }

    fn mac(&self, text: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length works");
        mac.update(text.as_bytes());
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn signed(&self, text: String) -> String {
        let sig = self.mac(&text);
        format!("{text}.{sig}")
    }

    fn verify<'a>(&self, token: &'a str, kind: &str) -> Option<Vec<&'a str>> {
        let (text, sig) = token.rsplit_once('.')?;
        let expected = self.mac(text);
        if !crate::staff::secrets::constant_time_eq(sig.as_bytes(), expected.as_bytes()) {
            return None;
        }
        let mut parts = text.split('.');
        (parts.next()? == kind).then(|| parts.collect())
    }

    /// The cookie value of ticket `number`.
    pub fn ticket(&self, number: u64) -> String {
        self.signed(format!("t.{number}"))
    }

    /// The number of a ticket this server signed; `None` for anything else (a forged one).
    pub fn ticket_number(&self, token: &str) -> Option<u64> {
        self.verify(token, "t")?.first()?.parse().ok()
    }

    /// The cookie value of a pass good until `until_ms`.
    pub fn pass(&self, until_ms: u64) -> String {
        self.signed(format!("p.{until_ms}"))
    }

    /// Whether `token` is a pass this server signed that is still good at `now_ms`.
    pub fn pass_valid(&self, token: &str, now_ms: u64) -> bool {
        self.verify(token, "p")
            .and_then(|p| p.first()?.parse::<u64>().ok())
            .is_some_and(|until| now_ms < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_admits_in_order_at_its_rate_and_saves_nothing_while_empty() {
        let mut line = Line::default();
        line.advance(0, 10);
        line.advance(60_000, 10);
        let tickets: Vec<u64> = (0..25).map(|_| line.take_ticket()).collect();
        assert_eq!(line.position(tickets[24]), 25, "a quiet minute saved no admissions");
        line.advance(60_500, 10);
        assert_eq!(line.admitted_total(), 5);
        assert!(line.admitted(tickets[4]) && !line.admitted(tickets[5]));
        line.advance(60_550, 10);
        line.advance(60_600, 10);
        assert_eq!(line.admitted_total(), 6, "fractions of a second add up");
        line.advance(70_000, 10);
        assert_eq!(
            (line.admitted_total(), line.waiting()),
            (25, 0),
            "never past the last ticket"
        );
        assert_eq!(eta_seconds(25, 10), 3);
    }

    #[test]
    fn auto_opens_on_overload_stays_while_anyone_waits_and_lingers_a_little() {
        let settings = Settings::default();
        let mut line = Line::default();
        assert!(!line.is_open(&settings, true, 1_000));
        line.overloaded(1_000);
        assert!(line.is_open(&settings, true, 1_000));
        assert!(!line.is_open(&settings, false, 1_000), "not without its flag");
        line.take_ticket();
        assert!(
            line.is_open(&settings, true, 1_000 + AUTO_LINGER_MS),
            "someone still waits"
        );
        line.advance(1_000 + AUTO_LINGER_MS, 200);
        assert!(!line.is_open(&settings, true, 1_000 + AUTO_LINGER_MS + 1));
        let on = Settings {
            mode: Mode::On,
            ..settings.clone()
        };
        let off = Settings {
            mode: Mode::Off,
            ..settings
        };
        assert!(on.check().is_ok() && line.is_open(&on, false, 0) && !line.is_open(&off, true, 0));
    }

    #[test]
    fn tickets_and_passes_verify_only_as_signed_and_passes_expire() {
        let signer = Signer::new([7; 32]);
        let ticket = signer.ticket(42);
        assert_eq!(signer.ticket_number(&ticket), Some(42));
        assert_eq!(
            signer.ticket_number(&ticket.replace("t.42", "t.1")),
            None,
            "a forged number"
        );
        assert_eq!(
            Signer::new([8; 32]).ticket_number(&ticket),
            None,
            "another server's ticket"
        );
        assert_eq!(signer.ticket_number(&signer.pass(10)), None, "a pass is not a ticket");
        let pass = signer.pass(1_000);
        assert!(signer.pass_valid(&pass, 999) && !signer.pass_valid(&pass, 1_000));
        assert!(!signer.pass_valid(&ticket, 0));
    }
}
