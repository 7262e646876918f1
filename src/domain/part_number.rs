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
        Self::parse_owned(raw.to_owned()).ok()
    }

    /// `parse` for text already owned, which becomes the display form without a copy when it
    /// needs no trimming; gives the text back when it has no letters or digits.
    pub fn parse_owned(raw: String) -> Result<PartNumber, String> {
        let trimmed = raw.trim();
        let key = Self::key_of(trimmed);
        if key.is_empty() {
            return Err(raw);
        }
        let display = if trimmed.len() == raw.len() {
            raw
        } else {
            trimmed.to_owned()
        };
        Ok(PartNumber { display, key })
    }

    pub fn key_of(raw: &str) -> String {
        // Bytes rather than characters: every byte of a non-ASCII character is above 0x7f, so
        // none passes the ASCII test, as no such character would.
        let mut key = String::with_capacity(raw.len());
        for b in raw.bytes().filter(u8::is_ascii_alphanumeric) {
            key.push(char::from(b.to_ascii_uppercase()));
        }
        key
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
    fn an_owned_number_parses_as_a_borrowed_one() {
        for typed in ["BP-1042-A", " bp1042a ", "Ölfilter 7", "--", "", " ", "ß-12"] {
            let borrowed = PartNumber::parse(typed);
            let owned = PartNumber::parse_owned(typed.to_owned());
            assert_eq!(owned.as_ref().ok(), borrowed.as_ref(), "{typed:?}");
            if borrowed.is_none() {
                assert_eq!(owned, Err(typed.to_owned()));
            }
        }
        assert_eq!(PartNumber::key_of("Öl-Filter ß7"), "LFILTER7");
    }

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
