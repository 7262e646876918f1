use std::borrow::Cow;
use std::fmt;

use rustc_hash::FxHashMap;

use super::collapse_spaces;

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

/// A shopper's vehicle. Make and model match case-insensitively; without a submodel or engine,
/// a part fits when it fits at least one configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VehicleFilter {
    pub year: u16,
    pub make: String,
    pub model: String,
    pub submodel: Option<String>,
    pub engine: Option<String>,
}

impl VehicleFilter {
    /// Whether a part fits this vehicle: the one rule. The search filter answers the same (its
    /// index terms come from `search::vehicles`; the search tests compare both over a generated
    /// catalog), and product cards and pages ask this.
    pub fn is_fitted_by<'a>(&self, universal: bool, mut fitments: impl Iterator<Item = FitmentRef<'a>>) -> bool {
        let open = |have: Option<&str>, want: &Option<String>| {
            want.as_deref().is_none_or(|w| have.is_none_or(|h| same_name(h, w)))
        };
        universal
            || fitments.any(|f| {
                f.fits(self.year, &self.make, &self.model)
                    && open(f.submodel, &self.submodel)
                    && open(f.engine, &self.engine)
            })
    }
}

/// A fitment's condition as the vehicle settles it: `None` when they conflict, `Some(None)` when
/// the vehicle meets it (or there is none), `Some(Some(need))` when the vehicle has not said.
fn unsettled<'a>(need: Option<&'a str>, have: &Option<String>) -> Option<Option<&'a str>> {
    match (need, have) {
        (Some(n), None) => Some(Some(n)),
        (Some(n), Some(h)) if !same_name(n, h) => None,
        _ => Some(None),
    }
}

/// A submodel and/or engine that decides whether a part fits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Configuration {
    pub submodel: Option<String>,
    pub engine: Option<String>,
}

impl Configuration {
    /// "V6", "GT 4.6L V8".
    pub fn label(&self) -> String {
        [self.submodel.as_deref(), self.engine.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The vehicle with this configuration settled (what it had stays).
    pub fn applied_to(&self, v: &VehicleFilter) -> VehicleFilter {
        VehicleFilter {
            submodel: self.submodel.clone().or_else(|| v.submodel.clone()),
            engine: self.engine.clone().or_else(|| v.engine.clone()),
            ..v.clone()
        }
    }
}

/// How certainly a part fits a shopper's vehicle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fit {
    /// Certain: a universal part, or a fitment that covers the vehicle as far as it is known.
    Yes,
    /// Only some configurations of the vehicle (its submodel or engine decides, and the shopper
    /// has not said which): these.
    Only(Vec<Configuration>),
    No,
}

impl VehicleFilter {
    /// Whether a part fits, and how certainly: "fits" only when it is certain. The search filter
    /// (`is_fitted_by`) keeps every part that is `Yes` or `Only` (the tests check both agree).
    pub fn fit<'a>(&self, universal: bool, fitments: impl Iterator<Item = FitmentRef<'a>>) -> Fit {
        if universal {
            return Fit::Yes;
        }
        let mut only = Vec::new();
        for f in fitments.filter(|f| f.fits(self.year, &self.make, &self.model)) {
            let (Some(sub), Some(engine)) = (unsettled(f.submodel, &self.submodel), unsettled(f.engine, &self.engine))
            else {
                continue; // conflicts with what the shopper said
            };
            if sub.is_none() && engine.is_none() {
                return Fit::Yes;
            }
            let which = Configuration {
                submodel: sub.map(str::to_owned),
                engine: engine.map(str::to_owned),
            };
            if !only.contains(&which) {
                only.push(which);
            }
        }
        if only.is_empty() { Fit::No } else { Fit::Only(only) }
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
        use bincode::enc::write::Writer;
        (self.ends.len() as u64).encode(encoder)?;
        for name in self.names() {
            name.encode(encoder)?;
        }
        // The rows as `Vec<Row>` writes them. Six integers a row, each through bincode's
        // writer, were a twentieth of an import; under the store's config (checked, not
        // assumed) they are laid out here and written a few dozen rows at a time.
        (self.rows.len() as u64).encode(encoder)?;
        if !writes_little_endian_varints(encoder.config()) {
            return self.rows.iter().try_for_each(|row| row.encode(encoder));
        }
        const ROWS: usize = 64;
        let mut bytes = [0u8; ROWS * Row::MAX_VARINT_BYTES];
        for rows in self.rows.chunks(ROWS) {
            let len = rows.iter().fold(0, |at, row| row.put_varints(&mut bytes, at));
            encoder.writer().write(&bytes[..len])?;
        }
        Ok(())
    }
}

/// Whether `config` writes integers as little-endian varints (bincode's standard config, the
/// store's), the layout `Row::put_varints` writes: 300 is then the marker 251 and two bytes.
fn writes_little_endian_varints<C: bincode::config::Config>(config: &C) -> bool {
    let mut probe = [0u8; 8];
    bincode::encode_into_slice(300u16, &mut probe, *config).is_ok_and(|n| probe[..n] == [251, 44, 1])
}

impl Row {
    const MAX_VARINT_BYTES: usize = 6 * 3;

    /// Writes the row's six numbers as bincode varints into `out` at `at`; returns the end.
    fn put_varints(&self, out: &mut [u8], mut at: usize) -> usize {
        let numbers = [
            self.years.from,
            self.years.to,
            self.make,
            self.model,
            self.submodel,
            self.engine,
        ];
        for n in numbers {
            if n <= 250 {
                out[at] = n as u8;
                at += 1;
            } else {
                out[at] = 251;
                out[at + 1..at + 3].copy_from_slice(&n.to_le_bytes());
                at += 3;
            }
        }
        at
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
    /// Names of up to 15 bytes (nearly all), by their bytes packed in words.
    short: FxHashMap<ShortName, u16>,
    /// Longer names, and names that needed tidying.
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
        let Some(raw) = raw else {
            return Ok(0);
        };
        // A short tidy name (nearly every one) skips the tidying and is hashed and compared as
        // words, about half the work per name; a part names vehicles four times per fitment.
        let (name, short) = match ShortName::of_tidy(&raw) {
            Some(short) => (raw, Some(short)),
            None => {
                let name = collapse_spaces(raw);
                let short = ShortName::of_tidy(&name);
                (name, short)
            }
        };
        if name.is_empty() {
            return Ok(0);
        }
        // Each tidy name has one home, chosen by `of_tidy` from the tidy name alone.
        if let Some(short) = short {
            if let Some(&index) = self.short.get(&short) {
                return Ok(index + 1);
            }
            if self.short.is_empty() {
                // A part's fitments name a few dozen vehicles: growing from nothing rehashed five times.
                self.short.reserve(32);
            }
            let index = self.add(name)?;
            self.short.insert(short, index);
            return Ok(index + 1);
        }
        if let Some(&index) = self.index.get(&name) {
            return Ok(index + 1);
        }
        if name.len() > 60 && name.chars().count() > 60 {
            return Err(InvalidFitment::TooLong(field));
        }
        let index = self.add(name.clone())?;
        self.index.insert(name, index);
        Ok(index + 1)
    }

    fn add(&mut self, name: Cow<'a, str>) -> Result<u16, InvalidFitment> {
        let index = u16::try_from(self.names.len())
            .ok()
            .filter(|&i| i < u16::MAX)
            .ok_or(InvalidFitment::TooManyNames)?;
        self.names.push(name);
        Ok(index)
    }
}

/// A name of 1 to 15 bytes as two words and its length, which between them hold every byte: the
/// words overlap when the name is shorter than 16 bytes, and the second is 0 below 8 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ShortName(u64, u64, u8);

impl ShortName {
    /// The packed name, if `name` is short and certainly tidy: printable ASCII with single
    /// spaces between words, which `collapse_spaces` leaves as it is. `None` sends the name the
    /// long way, so this may refuse a tidy name but never takes an untidy one.
    #[inline]
    fn of_tidy(name: &str) -> Option<ShortName> {
        let b = name.as_bytes();
        let len = b.len();
        let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
        let half = |at: usize| u64::from(u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default()));
        let (first, second) = match len {
            8..=15 => (word(0), word(len - 8)),
            4..=7 => (half(0) | half(len - 4) << 32, 0),
            // The three bytes, then letters, so no byte is zero (a zero reads as a control
            // character below).
            1..=3 => (
                u64::from(b[0]) | u64::from(b[len / 2]) << 8 | u64::from(b[len - 1]) << 16 | 0x4141_4141_4100_0000,
                0,
            ),
            _ => return None,
        };
        let tidy = b[0] != b' '
            && b[len - 1] != b' '
            && printable_single_spaced(first)
            && (len < 8 || printable_single_spaced(second));
        tidy.then_some(ShortName(first, second, len as u8))
    }
}

/// Whether all eight bytes are printable ASCII and no two neighbouring bytes are both spaces.
#[inline]
fn printable_single_spaced(word: u64) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // High bit of each byte set exactly where the byte is zero (no borrow between bytes).
    let zeros = |x: u64| !(((x & LOWS) + LOWS) | x | LOWS);
    let spaces = zeros(word ^ (ONES * u64::from(b' ')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    word & HIGHS == 0 && control == 0 && spaces & (spaces << 8) == 0
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

    fn mustang_strut() -> Fitments {
        let mut fits = Fitments::builder();
        let y = YearRange::new(2005, 2010).unwrap();
        fits.push(y, "Ford".into(), "Mustang".into(), Some("V6".into()), None)
            .unwrap();
        fits.push(
            y,
            "Ford".into(),
            "Mustang".into(),
            Some("GT".into()),
            Some("4.6L V8".into()),
        )
        .unwrap();
        fits.finish()
    }

    fn mustang(submodel: Option<&str>, engine: Option<&str>) -> VehicleFilter {
        VehicleFilter {
            year: 2008,
            make: "Ford".into(),
            model: "Mustang".into(),
            submodel: submodel.map(String::from),
            engine: engine.map(String::from),
        }
    }

    #[test]
    fn a_part_fits_for_certain_only_when_every_condition_is_settled_and_the_search_filter_agrees() {
        let fits = mustang_strut();
        let only = |list: &[(Option<&str>, Option<&str>)]| {
            Fit::Only(
                list.iter()
                    .map(|(s, e)| Configuration {
                        submodel: s.map(String::from),
                        engine: e.map(String::from),
                    })
                    .collect(),
            )
        };
        let cases = [
            (
                mustang(None, None),
                only(&[(Some("V6"), None), (Some("GT"), Some("4.6L V8"))]),
            ),
            (mustang(Some("V6"), None), Fit::Yes),
            (mustang(Some("v6"), Some("4.0L V6")), Fit::Yes),
            (mustang(Some("GT"), None), only(&[(None, Some("4.6L V8"))])),
            (mustang(Some("GT"), Some("4.6L V8")), Fit::Yes),
            (mustang(Some("GT"), Some("5.4L V8")), Fit::No),
            (mustang(Some("Shelby"), None), Fit::No),
        ];
        for (vehicle, expected) in cases {
            let fit = vehicle.fit(false, fits.iter());
            assert_eq!(fit, expected, "{vehicle:?}");
            assert_eq!(
                vehicle.is_fitted_by(false, fits.iter()),
                fit != Fit::No,
                "the search filter keeps what may fit: {vehicle:?}"
            );
        }
        let other_year = VehicleFilter {
            year: 2012,
            ..mustang(None, None)
        };
        assert_eq!(other_year.fit(false, fits.iter()), Fit::No);
        assert_eq!(other_year.fit(true, fits.iter()), Fit::Yes, "universal");
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
        // More rows than are written at a time, and name indices past a varint's one byte.
        let models: Vec<String> = (0..300).map(|i| format!("Model {i}")).collect();
        for (i, model) in models.iter().enumerate() {
            let engine = (i % 3 == 0).then(|| Cow::from("1.8L"));
            fits.push(y, "Honda".into(), model.as_str().into(), None, engine)
                .unwrap();
        }
        let fits = fits.finish();
        assert!(fits.rows.iter().any(|r| r.model > 250));
        let before = AsStoredBefore {
            names: fits.names().map(str::to_owned).collect(),
            rows: fits.rows.clone(),
        };
        let fixed = bincode::config::standard().with_fixed_int_encoding();
        assert_eq!(
            bincode::encode_to_vec(&fits, fixed).unwrap(),
            bincode::encode_to_vec(&before, fixed).unwrap(),
            "another config writes each row through bincode"
        );
        let config = bincode::config::standard();
        let bytes = bincode::encode_to_vec(&before, config).unwrap();
        assert_eq!(bincode::encode_to_vec(&fits, config).unwrap(), bytes);
        let (read, _): (Fitments, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        assert_eq!(read, fits);
        let mut broken = before;
        broken.rows[0].model = broken.names.len() as u16;
        let bytes = bincode::encode_to_vec(&broken, config).unwrap();
        assert!(bincode::decode_from_slice::<Fitments, _>(&bytes, config).is_err());
    }

    /// Random names from bytes that matter to tidying: letters, spaces, a tab, a control
    /// character, DEL and a two-byte letter, 0 to 19 bytes long.
    fn awkward_names(count: usize) -> Vec<String> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let pieces = ["a", "B", "7", ".", " ", " ", " ", "\t", "\u{1}", "\u{7f}", "ë"];
        (0..count)
            .map(|_| {
                let len = rng.random_range(0..20);
                let mut name = String::new();
                while name.len() < len {
                    name.push_str(pieces[rng.random_range(0..pieces.len())]);
                }
                name
            })
            .collect()
    }

    #[test]
    fn short_names_take_the_fast_path_only_when_already_tidy_and_never_collide() {
        let mut seen: std::collections::HashMap<ShortName, String> = std::collections::HashMap::new();
        let mut taken = 0;
        for name in awkward_names(200_000) {
            let Some(short) = ShortName::of_tidy(&name) else {
                continue;
            };
            taken += 1;
            assert!(
                matches!(collapse_spaces(Cow::Borrowed(&name)), Cow::Borrowed(t) if t == name),
                "{name:?} needs tidying"
            );
            let first = seen.entry(short).or_insert_with(|| name.clone());
            assert_eq!(*first, name, "two names packed alike");
        }
        assert!(taken > 10_000, "only {taken} names took the fast path");
        for name in [
            "Honda",
            "Civic",
            "EX",
            "Kia",
            "A",
            "1.8L L4",
            "Grand Cherokee",
            "F-150 Super Duty",
        ] {
            assert_eq!(ShortName::of_tidy(name).is_some(), name.len() <= 15, "{name}");
        }
    }

    #[test]
    fn a_name_is_stored_once_however_it_is_spelled_and_whichever_path_it_takes() {
        let names = awkward_names(3_000);
        let y = YearRange::new(2000, 2001).unwrap();
        let mut fits = Fitments::builder();
        let mut expected: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        let tidy = |n: &str| n.split_whitespace().collect::<Vec<_>>().join(" ");
        for pair in names.chunks(2) {
            let (make, model) = (pair[0].as_str(), pair[1].as_str());
            if tidy(make).is_empty() || tidy(model).is_empty() {
                continue;
            }
            fits.push(y, make.into(), model.into(), None, None).unwrap();
            for name in [tidy(make), tidy(model)] {
                if !expected.contains(&name) {
                    expected.push(name);
                }
            }
            rows.push((tidy(make), tidy(model)));
        }
        let fits = fits.finish();
        assert_eq!(fits.names().collect::<Vec<_>>(), expected);
        let stored: Vec<_> = fits.iter().map(|f| (f.make.to_owned(), f.model.to_owned())).collect();
        assert_eq!(stored, rows);
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
