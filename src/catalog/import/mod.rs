//! The catalog import format (JSON Lines and CSV, see API.md): reading, validating, reporting.
//!
//! Reading never stops at a bad line: each yields a [`Rejected`] with its line number and a reason a
//! merchant understands, and every good line is kept.

mod csv_lines;
mod fitment_scan;
mod raw;
mod validate;

use std::io::BufRead;
use std::path::Path;

pub use csv_lines::CsvLines;
pub use raw::{RawFitment, RawProduct};
pub use validate::{LIMITS, Limits, validate};

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
    let trimmed = line.trim_start_matches('\u{feff}').trim();
    if !trimmed.starts_with('{') {
        return Err("not a JSON object (each line must be one product like {\"sku\":…})".into());
    }
    if let Some((rest, fitments)) = fitment_scan::split_fitments(trimmed)
        && let Ok(mut raw) = serde_json::from_str::<RawProduct>(&rest)
    {
        raw.fitments = Some(fitments);
        return validate(raw, now_ms);
    }
    // Not in the scanner's shape, or bad: serde alone, so a bad line gets serde's message.
    parse_with_serde(trimmed, now_ms)
}

fn parse_with_serde(object: &str, now_ms: u64) -> Result<ProductRecord, String> {
    let raw: RawProduct = serde_json::from_str(object).map_err(|e| format!("malformed JSON: {e}"))?;
    validate(raw, now_ms)
}

/// Reads a whole source as lines of either format. I/O errors end the iteration with `Err`.
pub fn lines<'a, R: BufRead + 'a>(
    reader: R,
    format: Format,
    now_ms: u64,
) -> Box<dyn Iterator<Item = std::io::Result<Line>> + 'a> {
    match format {
        Format::JsonLines => Box::new(JsonLines {
            reader,
            line: 0,
            buf: Vec::new(),
            now_ms,
        }),
        Format::Csv => Box::new(CsvLines::new(reader, now_ms)),
    }
}

/// Parses a run of whole JSON lines held in memory, numbering them from 1, without copying each
/// line out first. Also returns how many lines the text holds (a last line may lack its `\n`).
pub fn json_lines_in(text: &[u8], now_ms: u64) -> (Vec<Line>, u64) {
    let mut out = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    let lines = ends.map(|end| {
        let line = &text[start..end];
        start = end + 1;
        line
    });
    let mut count = 0;
    for (n, line) in (1..).zip(lines) {
        count = n;
        if let Some(parsed) = parse_json_bytes(line, now_ms) {
            out.push((n, parsed));
        }
    }
    // The empty piece after a final line break (or of empty text) is not a line.
    if text.last().is_none_or(|&b| b == b'\n') {
        count -= 1;
    }
    (out, count)
}

/// One JSON Lines line as bytes; `None` for a blank line, which is skipped.
fn parse_json_bytes(line: &[u8], now_ms: u64) -> Option<Result<ProductRecord, String>> {
    match std::str::from_utf8(line) {
        Ok(text) if text.trim().is_empty() => None,
        Ok(text) => Some(parse_json_line(text, now_ms)),
        Err(_) => Some(Err("line is not valid UTF-8 text".into())),
    }
}

struct JsonLines<R> {
    reader: R,
    line: u64,
    buf: Vec<u8>,
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
            if let Some(parsed) = parse_json_bytes(&self.buf, self.now_ms) {
                return Some(Ok((self.line, parsed)));
            }
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

    #[test]
    fn fitments_are_tidied_shared_and_checked_as_they_are_read() {
        let r = parse_json_line(
            r#"{"sku":"F-1","title":"T","price_cents":1,"fitments":[{"year":2009,"make":" Honda ","model":"Civic"},
            {"year_from":"2010","year_to":2011,"make":"Honda","model":"Civic  Si","note":{"a":[1]}}]}"#,
            0,
        )
        .unwrap();
        let rows: Vec<_> = r.product.fitments.iter().collect();
        assert_eq!(
            (rows[0].make, rows[0].years.from(), rows[0].years.to()),
            ("Honda", 2009, 2009)
        );
        assert_eq!((rows[1].model, rows[1].years.to()), ("Civic Si", 2011));
        assert_eq!(
            reason(
                r#"{"sku":"F-2","title":"T","price_cents":1,"fitments":[{"year":2009,"make":"Honda","model":"Civic"},{"year":2009,"make":"Honda"}]}"#
            ),
            "fitment 2: model is missing"
        );
        assert!(
            reason(r#"{"sku":"F-3","title":"T","price_cents":1,"fitments":{"make":"Honda"}}"#)
                .contains("expected a list of fitments")
        );
        assert_eq!(
            reason(r#"{"price_cents":1,"fitments":[{"year":1200,"make":"Honda","model":"Civic"}]}"#),
            "missing sku",
            "the fitment error waits its turn behind the fields checked first"
        );
        let many = vec![r#"{"year":2009,"make":"Honda","model":"Civic"}"#; 5_001].join(",");
        assert_eq!(
            reason(&format!(
                r#"{{"sku":"F-4","title":"T","price_cents":1,"fitments":[{many}]}}"#
            )),
            "more than 5000 fitments"
        );
    }

    #[test]
    fn the_fitment_scanner_reads_every_line_as_serde_alone_would() {
        let mut generated = Vec::new();
        crate::catalog::generator::generate(300, 7, &mut generated).unwrap();
        let generated = String::from_utf8(generated).unwrap();
        let head = r#"{"sku":"F-1","title":"T","price_cents":1,"fitments":"#;
        let lists = [
            r#"[{"year_from":2003,"year_to":2007,"make":"Honda","model":"Accord","submodel":"EX","engine":"2.4L"}]"#,
            r#" [ { "year" : 2009 , "make" : "Honda" , "model" : "Civic" } ] "#,
            r#"[{"year":2009,"make":"Honda","model":"Civic","submodel":null,"engine":null}]"#,
            r#"[{"year":2009,"make":"Hon\u0064a","model":"Civic \"Si\""}]"#,
            r#"[{"year":2009,"make":"Honda","model":"Civic","note":"x"}]"#,
            r#"[{"year":"2009","make":"Honda","model":"Civic"}]"#,
            r#"[{"year":-2009,"make":"Honda","model":"Civic"}]"#,
            r#"[{"year":2009.0,"make":"Honda","model":"Civic"}]"#,
            r#"[{"year":2e3,"make":"Honda","model":"Civic"}]"#,
            r#"[{"year":02009,"make":"Honda","model":"Civic"}]"#,
            r#"[{"year":0999,"make":"Honda","model":"Civic"}]"#,
            r#"[{"make":"Honda","model":"Civic","year":2009}]"#,
            r#"[{"make":"Honda","model":"Civic","year":2009x}]"#,
            r#"[{"year":200,"make":"Honda","model":"Civic"}]"#,
            r#"[{"year":99999999999999999999999,"make":"Honda","model":"Civic"}]"#,
            r#"[{"year":70000,"make":"Honda","model":"Civic"}]"#,
            r#"[{"year_from":2009,"year_to":2003,"make":"Honda","model":"Civic"}]"#,
            r#"[{"year":2009,"make":"Honda","make":"Acura","model":"Civic"}]"#,
            r#"[{"year":2009,"make":"  Honda ","model":"Civic   Si"}]"#,
            r#"[{"year":2009,"make":"Škoda","model":"Octavia"}]"#,
            r#"[{"year":2009,"make":"","model":"Civic"}]"#,
            r#"[{"year":2009,"make":7,"model":"Civic"}]"#,
            r#"[{"year":2009,"make":"Honda","model":{"a":1}}]"#,
            r#"[{"year":2009,"make":"Honda"}]"#,
            r#"[{}]"#,
            r#"[]"#,
            r#"null"#,
            r#"{"make":"Honda"}"#,
            r#"[[2009,2010,"Honda","Civic"]]"#,
            r#"[{"year":2009,"make":"Honda","model":"Civic"},]"#,
            r#"[{"year":2009,"make":"Honda","model":"Civic"}"#,
            r#"[{"year":2009,"make":"Hon	da","model":"Civic"}]"#,
        ];
        let mut lines: Vec<String> = generated.lines().map(str::to_owned).collect();
        for list in lists {
            lines.push(format!("{head}{list}}}"));
            lines.push(format!(
                r#"{{"fitments":{list},"sku":"F-2","title":"T \"quoted\" {{[","price_cents":1,"x":[1,{{"y":null}}]}}"#
            ));
        }
        lines.push(format!(
            r#"{head}[],"fitments":[{{"year":2009,"make":"A","model":"B"}}]}}"#
        ));
        lines.push(format!(r#"{head}[{{"year":2009,"make":"A","model":"B"}}]}} trailing"#));
        lines.push(format!(r#"{head}[{{"year":2009,"make":"A","model":"B"}}],}}"#));
        lines.push(
            r#"{"fit\u006dents":[{"year":2009,"make":"A","model":"B"}],"sku":"F-3","title":"T","price_cents":1}"#
                .to_owned(),
        );
        for line in generated.lines().filter(|l| l.contains(r#""fitments":[{"#)) {
            assert!(fitment_scan::split_fitments(line).is_some(), "not scanned: {line}");
        }
        for line in &lines {
            assert_eq!(parse_json_line(line, 5), parse_with_serde(line.trim(), 5), "{line}");
        }
        // Every cut of a few lines, and each with one byte of its fitments changed: broken lines
        // the scanner must leave to serde.
        for line in lines.iter().filter(|l| l.contains(r#""fitments":[{"#)).take(2) {
            for cut in (1..line.len()).filter(|&n| line.is_char_boundary(n)) {
                let cut = &line[..cut];
                assert_eq!(parse_json_line(cut, 5), parse_with_serde(cut.trim(), 5), "{cut}");
            }
            let at = line.find("fitments").unwrap();
            for i in at..(at + 400).min(line.len()) {
                for byte in [b'"', b'\\', b'{', b']', b',', b'1', b' ', b'x', b'\t'] {
                    let mut bytes = line.clone().into_bytes();
                    bytes[i] = byte;
                    if let Ok(changed) = String::from_utf8(bytes) {
                        let expected = parse_with_serde(changed.trim(), 5);
                        assert_eq!(parse_json_line(&changed, 5), expected, "{changed}");
                    }
                }
            }
        }
    }

    #[test]
    fn sniff_tells_json_lines_from_csv() {
        assert_eq!(Format::sniff(b"  {\"sku\":1}"), Format::JsonLines);
        assert_eq!(Format::sniff(b"sku,title\n"), Format::Csv);
    }
}
