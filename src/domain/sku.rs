use std::fmt;

/// A stock-keeping unit: trimmed, 1 to 64 characters, no whitespace or control characters and no
/// `/`, `?` or `#` (it appears in URLs such as `/p/{sku}`).
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
        Ok(Sku(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
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
    }
}
