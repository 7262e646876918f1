//! The shop's shared vocabulary: small validated types every other module speaks.
//!
//! Nothing here does I/O. Each type is parsed once at the edge (import line, HTTP request) and is
//! valid from then on.

use std::borrow::Cow;

mod category;
mod money;
mod order_number;
mod part_number;
pub mod region;
mod sku;
mod token;
mod vehicle;

pub use category::{CategoryPath, InvalidCategory, slug_of};
pub use money::{Currency, InvalidCurrency, Money, MoneyError, group_thousands};
pub use order_number::{ORDER_SEQUENCE_LIMIT, OrderNumbering, normalize_order_number};
pub use part_number::PartNumber;
pub use sku::{InvalidSku, Sku};
pub use token::{random_token, random_u64};
pub use vehicle::{
    Configuration, Fit, FitmentRef, Fitments, FitmentsBuilder, InvalidFitment, VehicleFilter, YearRange, same_name,
};

/// Trims and collapses runs of whitespace to one space, borrowing when nothing changes.
pub(crate) fn collapse_spaces(raw: Cow<'_, str>) -> Cow<'_, str> {
    // One pass over ASCII names (nearly all of them); anything else takes the careful path.
    let mut previous = b' ';
    let mut tidy = true;
    for &b in raw.as_bytes() {
        let blank = b == b' ';
        // `char::is_whitespace`, unlike `u8::is_ascii_whitespace`, counts the vertical tab, as
        // `split_whitespace` below does.
        if !b.is_ascii() || (char::from(b).is_whitespace() && !blank) || (blank && previous == b' ') {
            tidy = false;
            break;
        }
        previous = b;
    }
    // `previous` starts as a space, so a leading space already failed; check the end.
    if tidy && previous != b' ' {
        raw
    } else {
        Cow::Owned(raw.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// Milliseconds since the Unix epoch: the store's single notion of time.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Milliseconds at 00:00 UTC of a `YYYY-MM-DD` date (proleptic Gregorian).
pub fn day_start_ms(date: &str) -> Option<u64> {
    let mut parts = date.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400_000).ok()
}

/// `2026-11-22T17:05:09Z` for a time in milliseconds since the epoch (UTC, second precision).
pub fn format_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Milliseconds since the epoch of an RFC 3339 time (`2026-12-05T09:00:00-05:00`); a form's
/// `2026-12-05T09:00` without an offset is read as UTC.
pub fn parse_rfc3339(raw: &str) -> Option<u64> {
    use time::format_description::well_known::Rfc3339;
    let raw = raw.trim();
    let at = time::OffsetDateTime::parse(raw, &Rfc3339)
        .or_else(|_| {
            let seconds = if raw.len() == 16 { ":00" } else { "" };
            time::OffsetDateTime::parse(&format!("{raw}{seconds}Z"), &Rfc3339)
        })
        .ok()?;
    u64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// `22 Nov 2026`, for pages.
pub fn format_day(ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, m, d) = civil_from_days((ms / 86_400_000) as i64);
    format!("{d} {} {y}", MONTHS[(m - 1) as usize])
}

/// Howard Hinnant's civil_from_days: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn collapsing_spaces_gives_the_words_joined_by_one_space_and_borrows_tidy_ascii() {
        use rand::{Rng, SeedableRng};
        use std::borrow::Cow;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let pieces = [
            "a", "Z", "9", " ", " ", "\t", "\u{b}", "\u{c}", "\n", "\u{1f}", "\u{a0}", "é",
        ];
        for _ in 0..50_000 {
            let len = rng.random_range(0..12);
            let raw: String = (0..len).map(|_| pieces[rng.random_range(0..pieces.len())]).collect();
            let words = raw.split_whitespace().collect::<Vec<_>>().join(" ");
            let collapsed = super::collapse_spaces(Cow::Borrowed(&raw));
            assert_eq!(collapsed, words, "{raw:?}");
            if words == raw && !raw.is_empty() && raw.is_ascii() {
                assert!(matches!(collapsed, Cow::Borrowed(_)), "{raw:?} was copied");
            }
        }
    }

    #[test]
    fn rfc3339_times_read_with_their_offset_and_form_times_as_utc() {
        assert_eq!(super::parse_rfc3339("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(super::parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(
            super::parse_rfc3339("2026-11-22T01:01"),
            Some(1_795_305_600_000 + 3_660_000)
        );
        assert_eq!(super::parse_rfc3339("tomorrow"), None);
        assert_eq!(super::parse_rfc3339("1960-01-01T00:00:00Z"), None);
    }

    #[test]
    fn times_format_as_utc_dates() {
        assert_eq!(super::format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::format_utc(1_795_305_600_000 + 3_661_000), "2026-11-22T01:01:01Z");
        assert_eq!(super::format_day(1_795_305_600_000), "22 Nov 2026");
        assert_eq!(super::format_utc(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
