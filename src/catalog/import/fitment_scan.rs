//! The fast path for a JSON line's fitments: a scanner reads the `fitments` list straight from the
//! text and serde parses the rest of the line with the list cut out.
//!
//! Fitments are most of an auto-parts catalog's bytes (about 50 per part, up to 5,000), and
//! serde's generic path through them was four fifths of an import's parsing: about 3,600
//! instructions per fitment. The scanner takes only what the generator, exports and most feeds
//! write: objects of the known keys holding strings without escapes, unsigned whole numbers and
//! nulls. For anything else it gives up and the caller parses the whole line with serde, so both
//! paths give the same product and the same reasons for a bad line.
//!
//! The rest of the line is found by skipping its values structurally (strings, escapes and
//! brackets lexed as JSON does), not by checking them: serde checks them when it parses the rest,
//! and a line whose rest it refuses is parsed again whole, for serde's own message.

use super::validate::{CheckedFitments, FitmentCheck, PlainFitment};

/// The line with its `fitments` value replaced by `[]`, and the fitments read from it; `None`
/// when the line has no fitments or is not in the shape the scanner takes.
pub(super) fn split_fitments(line: &str) -> Option<(String, CheckedFitments)> {
    let mut s = Scanner::new(line);
    s.expect(b'{')?;
    let mut found = None;
    if !s.eat(b'}') {
        loop {
            let key = s.plain_string()?;
            s.expect(b':')?;
            s.skip_blank();
            if key == "fitments" {
                if found.is_some() {
                    return None;
                }
                let start = s.at;
                let checked = s.fitments()?;
                found = Some((start, s.at, checked));
            } else {
                s.skip_value()?;
            }
            if s.eat(b'}') {
                break;
            }
            s.expect(b',')?;
        }
    }
    if !s.at_end() {
        return None;
    }
    let (start, end, checked) = found?;
    let mut rest = String::with_capacity(line.len() - (end - start) + 2);
    rest.push_str(&line[..start]);
    rest.push_str("[]");
    rest.push_str(&line[end..]);
    Some((rest, checked))
}

#[derive(Clone, Copy)]
enum Key {
    Make,
    Model,
    Submodel,
    Engine,
    YearFrom,
    YearTo,
    Year,
}

/// A fitment key with its closing quote, as the words `fitment_key` compares: its first 8
/// bytes and the (up to 2) after them, each with a mask of the bytes the key covers.
struct KeyWords {
    key: Key,
    len: usize,
    head: u64,
    head_mask: u64,
    tail: u64,
    tail_mask: u64,
}

/// In the order they are tried: the keys every fitment has first.
const KEYS: [KeyWords; 7] = [
    key_words(b"make\"", Key::Make),
    key_words(b"model\"", Key::Model),
    key_words(b"year_from\"", Key::YearFrom),
    key_words(b"year_to\"", Key::YearTo),
    key_words(b"submodel\"", Key::Submodel),
    key_words(b"engine\"", Key::Engine),
    key_words(b"year\"", Key::Year),
];

const fn key_words(quoted: &[u8], key: Key) -> KeyWords {
    let (mut head, mut head_mask, mut tail, mut tail_mask) = (0u64, 0u64, 0u64, 0u64);
    let mut i = 0;
    while i < quoted.len() {
        let byte = quoted[i] as u64;
        if i < 8 {
            head |= byte << (8 * i);
            head_mask |= 0xff << (8 * i);
        } else {
            tail |= byte << (8 * (i - 8));
            tail_mask |= 0xff << (8 * (i - 8));
        }
        i += 1;
    }
    KeyWords {
        key,
        len: quoted.len(),
        head,
        head_mask,
        tail,
        tail_mask,
    }
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// Consumes `byte` (after any blanks) if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_blank();
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn at_end(&mut self) -> bool {
        self.skip_blank();
        self.at == self.bytes.len()
    }

    /// A string with no escapes and no control characters, borrowed from the text.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.at;
        let len = plain_run(&self.bytes[start..]);
        if self.bytes.get(start + len) != Some(&b'"') {
            return None;
        }
        self.at = start + len + 1;
        // Both ends sit next to an ASCII quote, so the slice is whole characters.
        self.text.get(start..start + len)
    }

    /// Skips one value of any kind, lexing strings and brackets as JSON does.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            self.skip_blank();
            match self.peek()? {
                b'"' => self.skip_string()?,
                b'{' | b'[' => {
                    depth += 1;
                    self.at += 1;
                    continue;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.at += 1;
                }
                b',' | b':' if depth > 0 => {
                    self.at += 1;
                    continue;
                }
                _ => {
                    let start = self.at;
                    while self
                        .peek()
                        .is_some_and(|b| !matches!(b, b',' | b':' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                    {
                        self.at += 1;
                    }
                    if self.at == start {
                        return None;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }

    /// Skips a string, escapes and all.
    fn skip_string(&mut self) -> Option<()> {
        self.at += 1;
        loop {
            self.at += plain_run(self.bytes.get(self.at..)?);
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => self.at += 2,
                // A control character: serde refuses the line when it parses the rest.
                _ => self.at += 1,
            }
        }
    }

    /// The fitments list, each entry checked as it is read.
    fn fitments(&mut self) -> Option<CheckedFitments> {
        let mut check = FitmentCheck::default();
        self.expect(b'[')?;
        if self.eat(b']') {
            return Some(check.finish());
        }
        loop {
            check.add_plain(self.fitment()?);
            if self.eat(b']') {
                return Some(check.finish());
            }
            self.expect(b',')?;
        }
    }

    /// One fitment object of known keys, each at most once.
    fn fitment(&mut self) -> Option<PlainFitment<'a>> {
        let mut f = PlainFitment::default();
        self.expect(b'{')?;
        if self.eat(b'}') {
            return Some(f);
        }
        let mut seen = 0u8;
        loop {
            let key = self.fitment_key()?;
            self.expect(b':')?;
            self.skip_blank();
            let bit = 1 << key as u8;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            match key {
                Key::Make => self.name(&mut f.make),
                Key::Model => self.name(&mut f.model),
                Key::Submodel => self.name(&mut f.submodel),
                Key::Engine => self.name(&mut f.engine),
                Key::YearFrom => self.number(&mut f.year_from),
                Key::YearTo => self.number(&mut f.year_to),
                Key::Year => self.number(&mut f.year),
            }?;
            if self.eat(b'}') {
                return Some(f);
            }
            self.expect(b',')?;
        }
    }

    /// One of the keys a fitment may hold, read past its closing quote; `None` for any other.
    /// Compared as machine words: a call to `memcmp` per key was a tenth of the import's time.
    fn fitment_key(&mut self) -> Option<Key> {
        self.expect(b'"')?;
        let rest = &self.bytes[self.at..];
        // A key is followed by at least `:`, a value and `}]}`, so 10 bytes are there unless the
        // line is cut short, which serde will report.
        let head = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
        let tail = u64::from(u16::from_le_bytes(rest.get(8..10)?.try_into().ok()?));
        let found = KEYS
            .iter()
            .find(|k| head & k.head_mask == k.head && tail & k.tail_mask == k.tail)?;
        self.at += found.len;
        Some(found.key)
    }

    /// Reads text or null (absent, as serde reads a null `Option`) into `slot`.
    fn name(&mut self, slot: &mut Option<&'a str>) -> Option<()> {
        *slot = if self.literal_null() {
            None
        } else {
            Some(self.plain_string()?)
        };
        Some(())
    }

    /// Reads an unsigned whole number of up to 18 digits, or null, as serde would read it.
    fn number(&mut self, slot: &mut Option<u64>) -> Option<()> {
        // Nearly every number here is a four-digit year: take it in one step, as the loop below
        // would (four digits, no leading zero, then a delimiter).
        let ahead = self.bytes.get(self.at..self.at + 5);
        if let Some(&[a, b, c, d, after]) = ahead.and_then(|s| <&[u8; 5]>::try_from(s).ok())
            && (b'1'..=b'9').contains(&a)
            && [b, c, d].iter().all(u8::is_ascii_digit)
            && matches!(after, b',' | b'}')
        {
            self.at += 4;
            *slot = Some([a, b, c, d].iter().fold(0, |n, &x| n * 10 + u64::from(x - b'0')));
            return Some(());
        }
        *slot = if self.literal_null() {
            None
        } else {
            let start = self.at;
            let mut n = 0u64;
            while let Some(digit @ b'0'..=b'9') = self.peek() {
                n = n.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
                self.at += 1;
            }
            let digits = self.at - start;
            let leading_zero = digits > 1 && self.bytes[start] == b'0';
            let delimited = matches!(self.peek(), Some(b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r'));
            if digits == 0 || digits > 18 || leading_zero || !delimited {
                return None;
            }
            Some(n)
        };
        Some(())
    }

    fn literal_null(&mut self) -> bool {
        let null = self.bytes[self.at..].starts_with(b"null");
        if null {
            self.at += 4;
        }
        null
    }
}

/// The length of the run of bytes that may stand in a plain string: up to the first quote,
/// backslash or control character. Eight bytes at a time, as names are short but many.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let stops = |word: u64| {
        // A byte's high bit is set where it is zero (after the xor) or below 0x20.
        let zero_at = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
        zero_at(word ^ (ONES * u64::from(b'"')))
            | zero_at(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS)
    };
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let found = stops(word);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + bytes[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(bytes.len() - at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_run_stops_where_a_byte_by_byte_search_stops() {
        let naive = |b: &[u8]| {
            b.iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(b.len())
        };
        let alphabet = [b'a', b' ', b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80, 0xc5, 0xff, b'!', b'#'];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let pick = (state >> (i % 8 * 8)) as usize + i;
                    // Mostly ordinary letters, so runs are long enough to cross word edges.
                    if pick.is_multiple_of(5) {
                        alphabet[pick / 5 % alphabet.len()]
                    } else {
                        b'a'
                    }
                })
                .collect();
            assert_eq!(plain_run(&bytes), naive(&bytes), "{bytes:?}");
        }
    }

    #[test]
    fn only_the_fitments_value_is_cut_from_the_line() {
        let line = r#"{"sku":"A","fitments":[{"year":2009,"make":"Honda","model":"Civic"}],"title":"T"}"#;
        let (rest, fitments) = split_fitments(line).unwrap();
        assert_eq!(rest, r#"{"sku":"A","fitments":[],"title":"T"}"#);
        assert_eq!(fitments.0.unwrap().len(), 1);
        assert!(split_fitments(r#"{"sku":"A","title":"T"}"#).is_none());
    }
}
