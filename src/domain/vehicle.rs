use std::fmt;

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

/// A range of vehicles a part fits. Without `submodel` or `engine` it fits every submodel or
/// engine of that year, make and model.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode)]
pub struct Fitment {
    pub years: YearRange,
    pub make: String,
    pub model: String,
    pub submodel: Option<String>,
    pub engine: Option<String>,
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
}

impl Fitment {
    pub fn new(
        years: YearRange,
        make: String,
        model: String,
        submodel: Option<String>,
        engine: Option<String>,
    ) -> Result<Fitment, InvalidFitment> {
        Ok(Fitment {
            years,
            make: required_name("make", make)?,
            model: required_name("model", model)?,
            submodel: optional_name("submodel", submodel)?,
            engine: optional_name("engine", engine)?,
        })
    }

    /// Whether this fitment covers a vehicle; make and model compare case-insensitively.
    pub fn fits(&self, year: u16, make: &str, model: &str) -> bool {
        self.years.contains(year) && same_name(&self.make, make) && same_name(&self.model, model)
    }
}

/// Make, model, submodel and engine compare without regard to case or repeated spaces.
pub fn same_name(a: &str, b: &str) -> bool {
    a.split_whitespace()
        .map(str::to_lowercase)
        .eq(b.split_whitespace().map(str::to_lowercase))
}

fn required_name(field: &'static str, raw: String) -> Result<String, InvalidFitment> {
    optional_name(field, Some(raw))?.ok_or(InvalidFitment::Missing(field))
}

fn optional_name(field: &'static str, raw: Option<String>) -> Result<Option<String>, InvalidFitment> {
    let Some(name) = raw.map(collapse_spaces) else {
        return Ok(None);
    };
    if name.chars().count() > 60 {
        return Err(InvalidFitment::TooLong(field));
    }
    Ok((!name.is_empty()).then_some(name))
}

/// Trims and collapses runs of whitespace to one space.
fn collapse_spaces(raw: String) -> String {
    let tidy = !raw.starts_with(char::is_whitespace)
        && !raw.ends_with(char::is_whitespace)
        && !raw
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
        && raw.chars().all(|c| c == ' ' || !c.is_whitespace());
    if tidy {
        raw
    } else {
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }
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
        let f = Fitment::new(
            YearRange::new(2006, 2011).unwrap(),
            "Honda".into(),
            "Civic".into(),
            None,
            None,
        )
        .unwrap();
        assert!(f.fits(2009, "honda", " civic"));
        assert!(!f.fits(2012, "Honda", "Civic"));
        assert!(!f.fits(2009, "Honda", "Accord"));
    }

    #[test]
    fn blank_optional_names_become_none_and_make_is_required() {
        let y = YearRange::new(2000, 2001).unwrap();
        let f = Fitment::new(
            y,
            "Ford".into(),
            "F-150".into(),
            Some("  ".into()),
            Some("5.4L  V8".into()),
        )
        .unwrap();
        assert_eq!(f.submodel, None);
        assert_eq!(f.engine.as_deref(), Some("5.4L V8"));
        assert_eq!(
            Fitment::new(y, " ".into(), "F-150".into(), None, None),
            Err(InvalidFitment::Missing("make"))
        );
    }
}
