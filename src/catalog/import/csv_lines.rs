//! CSV import: the same fields as JSON Lines, in columns a spreadsheet can hold.
//!
//! Lists (`part_numbers`, `fitments`) separate items with `;`; a fitment is
//! `YEARS|Make|Model|Submodel|Engine` with YEARS as `2003-2007` or `2005`. Attributes and options
//! go in `attr.NAME` and `option.NAME` columns; a bundle's components are `SKU*QUANTITY;…`. Any
//! list or map cell may instead hold JSON.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::raw::{Loose, RawBundlePart, RawFitment, RawProduct};
use super::validate::CheckedFitments;
use super::{Line, validate};

pub struct CsvLines<R> {
    records: csv::StringRecordsIntoIter<LineStarts<R>>,
    headers: Option<Vec<String>>,
    reader_error: Option<String>,
    now_ms: u64,
    /// Byte offsets at which each line of the input starts, as read so far.
    starts: Arc<Mutex<Vec<u64>>>,
}

/// Passes bytes through, noting where each line starts: after `\n`, and after a `\r` that no
/// `\n` follows. The csv crate's own line count is one short for CRLF files (Excel's, and any
/// text pasted into a browser form), so line numbers come from here.
struct LineStarts<R> {
    inner: R,
    offset: u64,
    after_cr: bool,
    starts: Arc<Mutex<Vec<u64>>>,
}

impl<R: std::io::Read> std::io::Read for LineStarts<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut starts = self.starts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (i, &b) in buf[..n].iter().enumerate() {
            let at = self.offset + i as u64;
            if self.after_cr && b != b'\n' {
                starts.push(at);
            }
            if b == b'\n' {
                starts.push(at + 1);
            }
            self.after_cr = b == b'\r';
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> CsvLines<R> {
    /// The 1-based line a record starting at byte `at` is on. A record may be said to start on
    /// the `\n` of the CRLF before it; that belongs to the next line.
    fn line_at(&self, at: u64) -> u64 {
        let starts = self.starts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        starts.partition_point(|&start| start < at) as u64 + 1
    }
}

impl<R: BufRead> CsvLines<R> {
    pub fn new(reader: R, now_ms: u64) -> CsvLines<R> {
        let starts = Arc::new(Mutex::new(vec![0]));
        let counted = LineStarts {
            inner: reader,
            offset: 0,
            after_cr: false,
            starts: starts.clone(),
        };
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(counted);
        let (headers, reader_error) = match rdr.headers() {
            Ok(h) => (
                Some(
                    h.iter()
                        .map(|s| s.trim().trim_start_matches('\u{feff}').to_owned())
                        .collect(),
                ),
                None,
            ),
            Err(e) => (None, Some(e.to_string())),
        };
        CsvLines {
            records: rdr.into_records(),
            headers,
            reader_error,
            now_ms,
            starts,
        }
    }
}

impl<R: BufRead> Iterator for CsvLines<R> {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(message) = self.reader_error.take() {
            return Some(Ok((1, Err(format!("unreadable CSV header: {message}")))));
        }
        let headers = self.headers.as_ref()?;
        let record = match self.records.next()? {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| self.line_at(p.byte()));
                return match e.into_kind() {
                    csv::ErrorKind::Io(io) => Some(Err(io)),
                    other => Some(Ok((line, Err(format!("malformed CSV: {other:?}"))))),
                };
            }
        };
        let line = record.position().map_or(0, |p| self.line_at(p.byte()));
        if record.iter().all(|cell| cell.trim().is_empty()) {
            return self.next();
        }
        let parsed = raw_from_row(headers, &record).and_then(|raw| validate(raw, self.now_ms));
        Some(Ok((line, parsed)))
    }
}

fn raw_from_row<'r>(headers: &'r [String], record: &'r csv::StringRecord) -> Result<RawProduct<'r>, String> {
    let mut raw = RawProduct::default();
    let mut attributes = BTreeMap::new();
    let mut options = BTreeMap::new();
    for (header, cell) in headers.iter().zip(record.iter()) {
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let text = || Some(Loose::Text(Cow::Borrowed(cell)));
        match header.as_str() {
            "sku" => raw.sku = text(),
            "title" => raw.title = text(),
            "description" => raw.description = text(),
            "brand" => raw.brand = text(),
            "category" => raw.category = text(),
            "price_cents" => raw.price_cents = text(),
            "currency" => raw.currency = text(),
            "stock" => raw.stock = text(),
            "universal" => raw.universal = text(),
            "group" => raw.group = text(),
            "featured" => raw.featured = text(),
            "popularity" => raw.popularity = text(),
            "sale_price_cents" => raw.sale_price_cents = text(),
            "sale_starts" => raw.sale_starts = text(),
            "sale_ends" => raw.sale_ends = text(),
            "bundle" => raw.bundle = Some(bundle_cell(cell)?),
            "part_numbers" => raw.part_numbers = Some(list_cell("part_numbers", cell)?),
            "fitments" => raw.fitments = Some(fitments_cell(cell)?),
            "attributes" => attributes.extend(map_cell("attributes", cell)?),
            "options" => options.extend(map_cell("options", cell)?),
            h => {
                if let Some(name) = h.strip_prefix("attr.").or_else(|| h.strip_prefix("attributes.")) {
                    attributes.insert(Cow::Borrowed(name), scalar(cell));
                } else if let Some(name) = h.strip_prefix("option.").or_else(|| h.strip_prefix("options.")) {
                    options.insert(Cow::Borrowed(name), Loose::Text(Cow::Borrowed(cell)));
                } else if !h.is_empty() {
                    raw.extra.insert(h.to_owned(), Value::String(cell.to_owned()));
                }
            }
        }
    }
    raw.attributes = (!attributes.is_empty()).then_some(attributes);
    raw.options = (!options.is_empty()).then_some(options);
    Ok(raw)
}

/// A spreadsheet cell: `true`/`false` and plain numbers become typed so they facet the same way
/// as the JSON form.
fn scalar(cell: &str) -> Loose<'_> {
    match cell {
        "true" => Loose::Bool(true),
        "false" => Loose::Bool(false),
        _ => match cell.parse::<i64>() {
            Ok(n) if !cell.starts_with('0') || cell == "0" => Loose::Int(n),
            _ => Loose::Text(Cow::Borrowed(cell)),
        },
    }
}

fn list_cell<'r>(name: &str, cell: &'r str) -> Result<Loose<'r>, String> {
    if cell.starts_with('[') {
        return serde_json::from_str(cell).map_err(|e| format!("{name}: malformed JSON list: {e}"));
    }
    Ok(Loose::List(
        cell.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Loose::Text(Cow::Borrowed(s)))
            .collect(),
    ))
}

fn map_cell<'r>(name: &str, cell: &'r str) -> Result<BTreeMap<Cow<'r, str>, Loose<'r>>, String> {
    serde_json::from_str(cell).map_err(|e| format!("{name}: must be a JSON object: {e}"))
}

/// A bundle's components: `;`-separated `SKU` or `SKU*QUANTITY`, or a JSON list of objects.
fn bundle_cell(cell: &str) -> Result<Vec<RawBundlePart<'_>>, String> {
    if cell.starts_with('[') {
        return serde_json::from_str(cell).map_err(|e| format!("bundle: malformed JSON list: {e}"));
    }
    Ok(cell
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (sku, quantity) = part.rsplit_once('*').unwrap_or((part, "1"));
            RawBundlePart {
                sku: Some(Loose::Text(Cow::Borrowed(sku.trim()))),
                quantity: Some(Loose::Text(Cow::Borrowed(quantity.trim()))),
            }
        })
        .collect())
}

fn fitments_cell(cell: &str) -> Result<CheckedFitments, String> {
    if cell.starts_with('[') {
        return serde_json::from_str(cell).map_err(|e| format!("fitments: malformed JSON list: {e}"));
    }
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, f)| fitment_cell(i, f))
        .collect::<Result<Vec<_>, _>>()
        .map(CheckedFitments::from_iter)
}

/// `2003-2007|Honda|Accord|EX|2.4L L4`
fn fitment_cell<'a>(i: usize, s: &'a str) -> Result<RawFitment<'a>, String> {
    let mut parts = s.split('|').map(str::trim);
    let years = parts.next().unwrap_or_default();
    let (from, to) = years.split_once('-').unwrap_or((years, years));
    let value = |p: Option<&'a str>| p.filter(|v| !v.is_empty()).map(|v| Loose::Text(Cow::Borrowed(v)));
    let fitment = RawFitment {
        year_from: value(Some(from.trim())),
        year_to: value(Some(to.trim())),
        year: None,
        make: value(parts.next()),
        model: value(parts.next()),
        submodel: value(parts.next()),
        engine: value(parts.next()),
    };
    if fitment.make.is_none() {
        return Err(format!(
            "fitment {}: expected YEARS|Make|Model[|Submodel|Engine], got {s:?}",
            i + 1
        ));
    }
    Ok(fitment)
}

#[cfg(test)]
mod tests {
    use super::super::{Format, lines};

    #[test]
    fn csv_rows_carry_the_same_fields_as_json_lines() {
        let csv = "sku,title,price_cents,stock,part_numbers,fitments,attr.position,option.size,note\n\
                   BRK-1,Front Pads,4999,3,BP-1;45022-SDA,2003-2007|Honda|Accord|EX;2010|Acura|TSX,Front,,hello\n\
                   BAD-1,No price,,1,,,,,\n";
        let out: Vec<_> = lines(csv.as_bytes(), Format::Csv, 0).map(Result::unwrap).collect();
        let good = out[0].1.as_ref().unwrap();
        assert_eq!(out[0].0, 2);
        assert_eq!(good.product.part_numbers.len(), 2);
        assert_eq!(good.product.fitments.iter().nth(1).unwrap().years.from(), 2010);
        assert_eq!(good.product.extra, r#"{"note":"hello"}"#);
        assert_eq!(out[1], (3, Err("missing price_cents".into())));
    }

    #[test]
    fn csv_rows_carry_scheduled_prices_and_bundles() {
        let csv = "sku,title,price_cents,sale_price_cents,sale_starts,sale_ends,bundle\n\
                   TRIO,Holiday trio,2400,1999,2026-12-05T09:00:00Z,,HS-1;HS-2*2\n\
                   BAD,Too cheap,100,200,,,\n";
        let out: Vec<_> = lines(csv.as_bytes(), Format::Csv, 0).map(Result::unwrap).collect();
        let trio = &out[0].1.as_ref().unwrap().product;
        let sale = trio.sale.as_ref().unwrap();
        assert_eq!(
            (sale.price.minor(), sale.starts_ms, sale.ends_ms),
            (1999, Some(1_796_461_200_000), None)
        );
        let parts: Vec<_> = trio.bundle.iter().map(|p| (p.sku.as_str(), p.quantity)).collect();
        assert_eq!(parts, vec![("HS-1", 1), ("HS-2", 2)]);
        assert!(out[1].1.as_ref().unwrap_err().contains("not below price_cents"));
    }

    #[test]
    fn a_bad_row_is_reported_on_its_own_line_whatever_ends_the_lines() {
        let rows = [
            "sku,title,price_cents",
            "A-1,One,100",
            "A-2,Two,200",
            "BAD-1,No price,",
            "A-3,Three,300",
            "BAD-2,\"Quoted,\nover two lines\",",
            "A-4,Four,400",
        ];
        for ending in ["\n", "\r\n", "\r"] {
            let csv = rows.join(ending) + ending;
            let bad: Vec<u64> = lines(csv.as_bytes(), Format::Csv, 0)
                .map(Result::unwrap)
                .filter(|(_, parsed)| parsed.is_err())
                .map(|(line, _)| line)
                .collect();
            assert_eq!(bad, vec![4, 6], "lines ended by {ending:?}");
        }
    }
}
