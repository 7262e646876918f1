//! The catalog import format (JSON Lines and CSV, see API.md): reading, validating, reporting.
//!
//! Reading never stops at a bad line: each yields a [`Rejected`] with its line number and a reason a
//! merchant understands, and every good line is kept.

mod csv_lines;
mod raw;
mod validate;

use std::io::BufRead;
use std::path::Path;

pub use csv_lines::CsvLines;
pub use raw::{RawFitment, RawProduct};
pub use validate::validate;

use super::model::ProductRecord;

/// The two import formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    /// From a file name: `.csv` is CSV, anything else JSON Lines.
    pub fn from_path(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Format::Csv,
            _ => Format::JsonLines,
        }
    }

    /// From a body's first bytes: JSON Lines starts with `{`.
    pub fn sniff(body: &[u8]) -> Format {
        let first = body
            .iter()
            .copied()
            .find(|b| !(b.is_ascii_whitespace() || [0xEF, 0xBB, 0xBF].contains(b)));
        if first == Some(b'{') {
            Format::JsonLines
        } else {
            Format::Csv
        }
    }
}

/// A line that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub line: u64,
    pub message: String,
}

/// One line's result.
pub type Line = (u64, Result<ProductRecord, String>);

/// Parses one JSON Lines line.
pub fn parse_json_line(line: &str, now_ms: u64) -> Result<ProductRecord, String> {
    JsonParser::default().parse(line, now_ms)
}

/// Parses JSON Lines lines, reusing its buffers from line to line.
///
/// simd-json reads a line in about half the time serde_json takes, which matters when a catalog
/// of parts with hundreds of fitments each is imported. serde_json stays the authority: a line
/// simd-json refuses is parsed again by serde_json, whose messages ("EOF while parsing an object
/// at line 1 column 22") a merchant can act on, and which then decides whether the line is bad.
#[derive(Default)]
pub struct JsonParser {
    scratch: Vec<u8>,
    buffers: Option<simd_json::Buffers>,
}

impl JsonParser {
    pub fn parse(&mut self, line: &str, now_ms: u64) -> Result<ProductRecord, String> {
        let trimmed = line.trim_start_matches('\u{feff}').trim();
        if !trimmed.starts_with('{') {
            return Err("not a JSON object (each line must be one product like {\"sku\":…})".into());
        }
        // simd-json rewrites its input in place, so it reads a copy.
        self.scratch.clear();
        self.scratch.extend_from_slice(trimmed.as_bytes());
        let buffers = self
            .buffers
            .get_or_insert_with(|| simd_json::Buffers::new(trimmed.len()));
        match simd_json::serde::from_slice_with_buffers::<RawProduct>(&mut self.scratch, buffers) {
            Ok(raw) => validate(raw, now_ms),
            Err(_) => {
                let raw: RawProduct = serde_json::from_str(trimmed).map_err(|e| format!("malformed JSON: {e}"))?;
                validate(raw, now_ms)
            }
        }
    }
}

/// Reads a whole source as lines of either format. I/O errors end the iteration with `Err`.
pub fn lines<'a, R: BufRead + 'a>(
    reader: R,
    format: Format,
    now_ms: u64,
) -> Box<dyn Iterator<Item = std::io::Result<Line>> + 'a> {
    lines_numbered_from(reader, format, now_ms, 0)
}

/// Like `lines`, for a piece of a source that starts after `lines_before` lines (JSON Lines;
/// CSV is always read whole).
pub fn lines_numbered_from<'a, R: BufRead + 'a>(
    reader: R,
    format: Format,
    now_ms: u64,
    lines_before: u64,
) -> Box<dyn Iterator<Item = std::io::Result<Line>> + 'a> {
    match format {
        Format::JsonLines => Box::new(JsonLines {
            reader,
            line: lines_before,
            buf: Vec::new(),
            parser: JsonParser::default(),
            now_ms,
        }),
        Format::Csv => Box::new(CsvLines::new(reader, now_ms)),
    }
}

struct JsonLines<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
    parser: JsonParser,
    now_ms: u64,
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return None,
                Ok(_) => self.line += 1,
                Err(e) => return Some(Err(e)),
            }
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                return Some(Ok((self.line, Err("line is not valid UTF-8 text".into()))));
            };
            if text.trim().is_empty() {
                continue;
            }
            return Some(Ok((self.line, self.parser.parse(text, self.now_ms))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(line: &str) -> String {
        parse_json_line(line, 0).unwrap_err()
    }

    #[test]
    fn a_full_line_parses_into_a_product_with_stock() {
        let r = parse_json_line(
            r#"{"sku":"BRK-1042","title":"Pads","brand":"StopTech","category":"Brakes/Pads","price_cents":4999,
            "stock":25,"part_numbers":["BP-1042-A","45022-SDA-A01"],"attributes":{"position":"Front","axle":2},
            "fitments":[{"year_from":2003,"year_to":2007,"make":"Honda","model":"Accord","submodel":"EX"}],
            "warehouse":"B3"}"#,
            0,
        )
        .unwrap();
        assert_eq!(r.stock, Some(25));
        assert_eq!(r.product.part_numbers[1].key(), "45022SDAA01");
        assert_eq!(r.product.fitments.iter().next().unwrap().submodel, Some("EX"));
        assert_eq!(r.product.extra, r#"{"warehouse":"B3"}"#);
    }

    #[test]
    fn bad_lines_get_reasons_a_merchant_understands() {
        assert!(reason(r#"{"sku":"A","title":"T""#).starts_with("malformed JSON"));
        assert_eq!(reason(r#"{"title":"T","price_cents":1}"#), "missing sku");
        assert_eq!(reason(r#"{"sku":"A","price_cents":1}"#), "missing title");
        assert_eq!(reason(r#"{"sku":"A","title":"T"}"#), "missing price_cents");
        assert_eq!(
            reason(r#"{"sku":"A","title":"T","price_cents":-5}"#),
            "price_cents is negative (-5)"
        );
        assert_eq!(
            reason(r#"{"sku":"A","title":"T","price_cents":1,"stock":-2}"#),
            "stock is negative (-2)"
        );
        assert_eq!(
            reason(
                r#"{"sku":"A","title":"T","price_cents":1,"fitments":[{"year_from":2009,"year_to":2003,"make":"Honda","model":"Civic"}]}"#
            ),
            "fitment 1: years run backwards: year_from 2009 is after year_to 2003"
        );
        assert!(reason(r#"{"sku":"A","title":"T","price_cents":12.5}"#).contains("whole number"));
        assert!(reason("[1,2]").starts_with("not a JSON object"));
    }

    /// The parse as it was before the simd-json fast path: the reference.
    fn with_serde_json(line: &str) -> Result<ProductRecord, String> {
        let raw: RawProduct = serde_json::from_str(line.trim()).map_err(|e| format!("malformed JSON: {e}"))?;
        validate(raw, 7)
    }

    #[test]
    fn the_fast_parser_agrees_with_serde_json_on_every_generated_and_odd_line() {
        let mut catalog = Vec::new();
        crate::catalog::generator::generate(300, 5, &mut catalog).unwrap();
        let odd = [
            r#"{"sku":"ESC-1","title":"Caf\u00e9 \"hot\" sauce\n","price_cents":"1299","description":"tab\there \ud83c\udf36"}"#,
            r#"{"sku":"BIG-1","title":"T","price_cents":18446744073709551616}"#,
            r#"{"sku":"NEG-1","title":"T","price_cents":1,"popularity":-3}"#,
            r#"{"sku":"DUP-1","sku":"DUP-2","title":"T","price_cents":1}"#,
            r#"{"sku":"FIT-1","title":"T","price_cents":1,"fitments":[{"year":2009,"make":" Honda ","model":"Civic"},{"year_from":"2010","year_to":2011,"make":"Honda","model":"Civic  Si"}]}"#,
            r#"{"sku":"FIT-2","title":"T","price_cents":1,"fitments":{"make":"Honda"}}"#,
            r#"{"sku":"FIT-3","title":"T","price_cents":1,"fitments":[{"year":2009,"make":5,"model":"Civic","extra":{"a":[1]}}]}"#,
            r#"{"sku":"X","title":"T","price_cents":1} trailing"#,
            r#"{"sku":"X","title":"T","price_cents":1,}"#,
            r#"{"sku":"X","title":"T","price_cents":1,"note":{"deep":[1,2.5,null,true]}}"#,
            r#"{"sku":"X","title":"\ud800","price_cents":1}"#,
            "\u{feff}{\"sku\":\"BOM-1\",\"title\":\"T\",\"price_cents\":1}",
        ];
        let text = String::from_utf8(catalog).unwrap();
        let mut parser = JsonParser::default();
        for line in text.lines().chain(odd) {
            let line = line.trim_start_matches('\u{feff}');
            assert_eq!(parser.parse(line, 7), with_serde_json(line), "{line}");
        }
    }

    #[test]
    fn sniff_tells_json_lines_from_csv() {
        assert_eq!(Format::sniff(b"  {\"sku\":1}"), Format::JsonLines);
        assert_eq!(Format::sniff(b"sku,title\n"), Format::Csv);
    }
}
