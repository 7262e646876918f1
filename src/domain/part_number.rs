use std::fmt;

/// A manufacturer part number as the merchant wrote it, plus its search key.
///
/// The key keeps only ASCII letters and digits, upper-cased, so `bp 1042-a`, `BP1042A` and
/// `bp.1042/a` all meet at `BP1042A`. Index time and query time both use [`PartNumber::key_of`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, bincode::Encode, bincode::Decode)]
pub struct PartNumber {
    display: String,
    key: String,
}

impl PartNumber {
    /// `None` when the input has no letters or digits at all.
    pub fn parse(raw: &str) -> Option<PartNumber> {
        let display = raw.trim();
        let key = Self::key_of(display);
        (!key.is_empty()).then(|| PartNumber {
            display: display.to_owned(),
            key,
        })
    }

    pub fn key_of(raw: &str) -> String {
        raw.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for PartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typing_of_a_number_meets_at_one_key() {
        for typed in ["BP-1042-A", "bp1042a", "BP 1042 A", "bp.1042/a", " Bp-1042a "] {
            assert_eq!(PartNumber::parse(typed).unwrap().key(), "BP1042A", "{typed}");
        }
    }

    #[test]
    fn punctuation_alone_is_not_a_part_number() {
        assert!(PartNumber::parse(" -/. ").is_none());
    }
}
