use std::borrow::Cow;
use std::fmt;

use rustc_hash::FxHashMap;

/// An inclusive model-year range. `from <= to` always holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode)]
pub struct YearRange {
    from: u16,
    to: u16,
}

impl YearRange {
    pub const EARLIEST: u16 = 1886;
    pub const LATEST: u16 = 2100;

    pub fn new(from: u16, to: u16) -> Result<YearRange, InvalidFitment> {
        for y in [from, to] {
            if !(Self::EARLIEST..=Self::LATEST).contains(&y) {
                return Err(InvalidFitment::YearOutOfRange(y));
            }
        }
        if from > to {
            return Err(InvalidFitment::YearsBackwards { from, to });
        }
        Ok(YearRange { from, to })
    }

    pub fn from(&self) -> u16 {
        self.from
    }

    pub fn to(&self) -> u16 {
        self.to
    }

    pub fn contains(&self, year: u16) -> bool {
        (self.from..=self.to).contains(&year)
    }
}

impl fmt::Display for YearRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}–{}", self.from, self.to)
        }
    }
}

/// One fitment of a part, borrowed from its [`Fitments`]. Without `submodel` or `engine` it fits
/// every submodel or engine of that year, make and model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FitmentRef<'a> {
    pub years: YearRange,
    pub make: &'a str,
    pub model: &'a str,
    pub submodel: Option<&'a str>,
    pub engine: Option<&'a str>,
}

impl FitmentRef<'_> {
    /// Whether this fitment covers a vehicle; make and model compare case-insensitively.
    pub fn fits(&self, year: u16, make: &str, model: &str) -> bool {
        self.years.contains(year) && same_name(self.make, make) && same_name(self.model, model)
    }
}

/// A part's fitments, stored compactly: each distinct name once, each fitment as a year range and
/// name indices. A part with 200 fitments over a handful of models costs a few hundred bytes and
/// a few allocations instead of hundreds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fitments {
    /// Every distinct name, end to end: two allocations per part rather than one per name.
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<u32>,
    rows: Vec<Row>,
}

/// Indices into `Fitments::names`; 0 means "none" for submodel and engine, otherwise index + 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bincode::Encode, bincode::Decode)]
struct Row {
    years: YearRange,
    make: u16,
    model: u16,
    submodel: u16,
    engine: u16,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidFitment {
    #[error("year {0} is not a plausible model year ({earliest}–{latest})", earliest = YearRange::EARLIEST, latest = YearRange::LATEST)]
    YearOutOfRange(u16),
    #[error("years run backwards: year_from {from} is after year_to {to}")]
    YearsBackwards { from: u16, to: u16 },
    #[error("{0} is missing")]
    Missing(&'static str),
    #[error("{0} is longer than 60 characters")]
    TooLong(&'static str),
    #[error("too many distinct vehicle names")]
    TooManyNames,
}

impl Fitments {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = FitmentRef<'_>> + '_ {
        self.rows.iter().map(|r| FitmentRef {
            years: r.years,
            make: self.name(usize::from(r.make)),
            model: self.name(usize::from(r.model)),
            submodel: self.optional(r.submodel),
            engine: self.optional(r.engine),
        })
    }

    fn optional(&self, index: u16) -> Option<&str> {
        index.checked_sub(1).map(|i| self.name(usize::from(i)))
    }

    fn name(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |before| self.ends[before] as usize);
        &self.text[start..self.ends[i] as usize]
    }

    fn names(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).map(|i| self.name(i))
    }

    /// Starts a part's fitments; names may borrow from the caller's input until `finish`.
    pub fn builder<'a>() -> FitmentsBuilder<'a> {
        FitmentsBuilder::default()
    }
}

/// Stored as the `Vec<String>` of names and the rows it once was, so products written by earlier
/// builds read unchanged.
impl bincode::Encode for Fitments {
    fn encode<E: bincode::enc::Encoder>(&self, encoder: &mut E) -> Result<(), bincode::error::EncodeError> {
        (self.ends.len() as u64).encode(encoder)?;
        for name in self.names() {
            name.encode(encoder)?;
        }
        self.rows.encode(encoder)
    }
}

impl<Context> bincode::Decode<Context> for Fitments {
    fn decode<D: bincode::de::Decoder<Context = Context>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        use bincode::de::read::Reader;
        use bincode::error::DecodeError;
        let length = |decoder: &mut D| {
            let n = u64::decode(decoder)?;
            usize::try_from(n).map_err(|_| DecodeError::OutsideUsizeRange(n))
        };
        let count = length(decoder)?;
        decoder.claim_container_read::<u32>(count)?;
        let mut text = Vec::new();
        let mut ends = Vec::with_capacity(count);
        for _ in 0..count {
            let len = length(decoder)?;
            decoder.claim_container_read::<u8>(len)?;
            let start = text.len();
            text.resize(start + len, 0);
            decoder.reader().read(&mut text[start..])?;
            // Each name on its own, so no slice can ever split a character.
            std::str::from_utf8(&text[start..]).map_err(|inner| DecodeError::Utf8 { inner })?;
            ends.push(u32::try_from(text.len()).map_err(|_| DecodeError::LimitExceeded)?);
        }
        let text = String::from_utf8(text).map_err(|e| DecodeError::Utf8 { inner: e.utf8_error() })?;
        let rows = Vec::<Row>::decode(decoder)?;
        if rows.iter().any(|r| {
            [r.make, r.model].iter().any(|&i| usize::from(i) >= ends.len())
                || [r.submodel, r.engine].iter().any(|&i| usize::from(i) > ends.len())
        }) {
            return Err(DecodeError::Other("a fitment names a vehicle that is not stored"));
        }
        Ok(Fitments { text, ends, rows })
    }
}

bincode::impl_borrow_decode!(Fitments);

/// Collects a part's fitments, finding each name's index by hash: a part with 200 fitments names
/// dozens of vehicles, and a scan of the names for each was a fifth of an import's parsing time.
#[derive(Default)]
pub struct FitmentsBuilder<'a> {
    names: Vec<Cow<'a, str>>,
    index: FxHashMap<Cow<'a, str>, u16>,
    rows: Vec<Row>,
}

impl<'a> FitmentsBuilder<'a> {
    /// Validates and appends a fitment. Names are trimmed with inner whitespace collapsed; blank
    /// submodel or engine means "every one".
    pub fn push(
        &mut self,
        years: YearRange,
        make: Cow<'a, str>,
        model: Cow<'a, str>,
        submodel: Option<Cow<'a, str>>,
        engine: Option<Cow<'a, str>>,
    ) -> Result<(), InvalidFitment> {
        let make = self.required("make", make)?;
        let model = self.required("model", model)?;
        let submodel = self.optional_name("submodel", submodel)?;
        let engine = self.optional_name("engine", engine)?;
        self.rows.push(Row {
            years,
            make,
            model,
            submodel,
            engine,
        });
        Ok(())
    }

    pub fn finish(self) -> Fitments {
        let mut text = String::with_capacity(self.names.iter().map(|n| n.len()).sum());
        let mut ends = Vec::with_capacity(self.names.len());
        for name in &self.names {
            text.push_str(name);
            ends.push(text.len() as u32);
        }
        Fitments {
            text,
            ends,
            rows: self.rows,
        }
    }

    fn required(&mut self, field: &'static str, raw: Cow<'a, str>) -> Result<u16, InvalidFitment> {
        match self.optional_name(field, Some(raw))? {
            0 => Err(InvalidFitment::Missing(field)),
            n => Ok(n - 1),
        }
    }

    /// The name's index + 1 (0 for none), adding it if new.
    fn optional_name(&mut self, field: &'static str, raw: Option<Cow<'a, str>>) -> Result<u16, InvalidFitment> {
        let Some(name) = raw.map(collapse_spaces).filter(|n| !n.is_empty()) else {
            return Ok(0);
        };
        if let Some(&index) = self.index.get(&name) {
            return Ok(index + 1);
        }
        if self.index.is_empty() {
            // A part's fitments name a few dozen vehicles: growing from nothing rehashed five times.
            self.index.reserve(32);
        }
        if name.len() > 60 && name.chars().count() > 60 {
            return Err(InvalidFitment::TooLong(field));
        }
        let index = u16::try_from(self.names.len())
            .ok()
            .filter(|&i| i < u16::MAX)
            .ok_or(InvalidFitment::TooManyNames)?;
        self.names.push(name.clone());
        self.index.insert(name, index);
        Ok(index + 1)
    }
}

/// Trims and collapses runs of whitespace to one space, borrowing when nothing changes.
fn collapse_spaces(raw: Cow<'_, str>) -> Cow<'_, str> {
    // One pass over ASCII names (nearly all of them); anything else takes the careful path.
    let mut previous = b' ';
    let mut tidy = true;
    for &b in raw.as_bytes() {
        let blank = b == b' ';
        if !b.is_ascii() || (b.is_ascii_whitespace() && !blank) || (blank && previous == b' ') {
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

/// Make, model, submodel and engine compare without regard to case or repeated spaces.
pub fn same_name(a: &str, b: &str) -> bool {
    a.split_whitespace()
        .map(str::to_lowercase)
        .eq(b.split_whitespace().map(str::to_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_range_rejects_backwards_and_implausible_years() {
        assert_eq!(
            YearRange::new(2009, 2003),
            Err(InvalidFitment::YearsBackwards { from: 2009, to: 2003 })
        );
        assert_eq!(YearRange::new(1200, 2003), Err(InvalidFitment::YearOutOfRange(1200)));
        assert!(YearRange::new(2003, 2003).unwrap().contains(2003));
    }

    #[test]
    fn fits_compares_make_and_model_loosely() {
        let mut fits = Fitments::builder();
        fits.push(
            YearRange::new(2006, 2011).unwrap(),
            "Honda".into(),
            "Civic".into(),
            None,
            None,
        )
        .unwrap();
        let fits = fits.finish();
        let f = fits.iter().next().unwrap();
        assert!(f.fits(2009, "honda", " civic"));
        assert!(!f.fits(2012, "Honda", "Civic"));
        assert!(!f.fits(2009, "Honda", "Accord"));
    }

    #[test]
    fn fitments_keep_the_stored_layout_of_a_list_of_names_and_rows() {
        #[derive(bincode::Encode, bincode::Decode)]
        struct AsStoredBefore {
            names: Vec<String>,
            rows: Vec<Row>,
        }
        let y = YearRange::new(2003, 2007).unwrap();
        let mut fits = Fitments::builder();
        fits.push(y, "Honda".into(), "Accord".into(), Some("EX".into()), None)
            .unwrap();
        fits.push(y, "Acura".into(), "TSX".into(), None, Some("2.4L L4".into()))
            .unwrap();
        let fits = fits.finish();
        let before = AsStoredBefore {
            names: fits.names().map(str::to_owned).collect(),
            rows: fits.rows.clone(),
        };
        let config = bincode::config::standard();
        let bytes = bincode::encode_to_vec(&before, config).unwrap();
        assert_eq!(bincode::encode_to_vec(&fits, config).unwrap(), bytes);
        let (read, _): (Fitments, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        assert_eq!(read, fits);
        let mut broken = before;
        broken.rows[0].model = 9;
        let bytes = bincode::encode_to_vec(&broken, config).unwrap();
        assert!(bincode::decode_from_slice::<Fitments, _>(&bytes, config).is_err());
    }

    #[test]
    fn names_are_tidied_shared_and_blank_options_mean_every_one() {
        let y = YearRange::new(2000, 2001).unwrap();
        let mut fits = Fitments::builder();
        fits.push(
            y,
            "Ford".into(),
            "F-150".into(),
            Some("  ".into()),
            Some("5.4L  V8".into()),
        )
        .unwrap();
        fits.push(y, " Ford".into(), "F-150".into(), Some("XLT".into()), None)
            .unwrap();
        assert_eq!(
            fits.push(y, " ".into(), "F-150".into(), None, None),
            Err(InvalidFitment::Missing("make"))
        );
        let fits = fits.finish();
        let rows: Vec<_> = fits.iter().collect();
        assert_eq!(rows[0].submodel, None);
        assert_eq!(rows[0].engine, Some("5.4L V8"));
        assert_eq!(rows[1].make, "Ford");
        assert_eq!(fits.names().count(), 4, "Ford and F-150 are stored once");
    }
}
