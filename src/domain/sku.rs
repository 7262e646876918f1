use std::fmt;

/// A stock-keeping unit: trimmed, 1 to 64 characters, no whitespace or control characters and no
/// `/`, `?` or `#` (it appears in URLs such as `/p/{sku}`), and no invisible formatting
/// characters (a zero-width space or a right-to-left override would make two SKUs that look
/// the same).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode)]
pub struct Sku(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidSku {
    #[error("sku is empty")]
    Empty,
    #[error("sku is longer than 64 characters")]
    TooLong,
    #[error("sku {0:?} contains a space, a control character or one of / ? # %")]
    BadChar(String),
    #[error("sku {0:?} contains an invisible character (zero-width or a direction mark); type it again")]
    Invisible(String),
}

impl Sku {
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Sku, InvalidSku> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(InvalidSku::Empty);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(InvalidSku::TooLong);
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%'))
        {
            return Err(InvalidSku::BadChar(s.to_owned()));
        }
        if s.chars().any(invisible) {
            return Err(InvalidSku::Invisible(s.to_owned()));
        }
        Ok(Sku(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Unicode's format characters that render as nothing: zero-width space and joiners, direction
/// marks, embeddings, overrides and isolates, the word joiner and invisible operators, and the
/// byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Read-only, so the checks `parse` made still hold: a `&Sku` goes wherever a `&str` is read.
impl std::ops::Deref for Sku {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Sku {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Sku {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Sku {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Sku {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl serde::Serialize for Sku {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Parsed, so a request naming a SKU no product could have is refused with the reason.
impl<'de> serde::Deserialize<'de> for Sku {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Sku, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Sku::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_trims_and_keeps_case() {
        assert_eq!(Sku::parse("  BRK-1042 ").unwrap().as_str(), "BRK-1042");
    }

    #[test]
    fn parse_rejects_empty_long_and_url_breaking_input() {
        assert_eq!(Sku::parse("   "), Err(InvalidSku::Empty));
        assert_eq!(Sku::parse(&"x".repeat(65)), Err(InvalidSku::TooLong));
        assert!(Sku::parse("a b").is_err());
        assert!(Sku::parse("a/b").is_err());
        assert!(Sku::parse("a?b").is_err());
        for sneaky in ["OIL-PF48\u{200B}-WIX", "A\u{202E}B", "\u{FEFF}X", "A\u{2066}B"] {
            assert!(
                matches!(Sku::parse(sneaky), Err(InvalidSku::Invisible(_))),
                "{sneaky:?}"
            );
        }
    }
}
