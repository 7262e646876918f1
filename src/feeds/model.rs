//! Supplier stock feeds: the lines a supplier sends and the report of a run. No I/O.

use crate::domain::Sku;

/// One stock level from a supplier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub sku: Sku,
    pub quantity: u64,
}

/// How many problems a report lists by name (the counts are always complete).
pub const LISTED: usize = 50;

/// What one run of a feed did.
#[derive(Clone, Debug, Default, PartialEq, Eq, bincode::Encode, bincode::Decode, serde::Serialize)]
pub struct FeedRun {
    pub at_ms: u64,
    /// `push` or `pull`.
    pub source: String,
    /// SKUs whose stock changed.
    pub applied: u64,
    /// SKUs already at the level sent.
    pub unchanged: u64,
    pub unknown_count: u64,
    /// The first unknown SKUs.
    pub unknown: Vec<String>,
    pub bad_count: u64,
    /// The first bad lines, each with its line number and what is wrong.
    pub bad_lines: Vec<String>,
    /// Why the run did nothing at all (the feed could not be fetched, say).
    pub error: Option<String>,
    /// A repeated push (same `Idempotency-Key`): nothing was applied again.
    pub replayed: bool,
}

impl FeedRun {
    pub fn unknown_sku(&mut self, sku: &str) {
        self.unknown_count += 1;
        if self.unknown.len() < LISTED {
            self.unknown.push(sku.to_owned());
        }
    }

    pub fn bad_line(&mut self, line: usize, why: &str) {
        self.bad_count += 1;
        if self.bad_lines.len() < LISTED {
            self.bad_lines.push(format!("line {line}: {why}"));
        }
    }
}

/// A feed's lines: JSON `{"items":[{"sku","quantity"}]}` or CSV `sku,quantity` (a header line
/// is optional). Bad lines are reported in `run`, never fatal; a later line for the same SKU wins.
pub fn parse(body: &[u8], run: &mut FeedRun) -> Vec<Item> {
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('{') {
        parse_json(&text, run)
    } else {
        parse_csv(&text, run)
    }
}

fn parse_json(text: &str, run: &mut FeedRun) -> Vec<Item> {
    #[derive(serde::Deserialize)]
    struct Body {
        items: Vec<serde_json::Value>,
    }
    let body: Body = match serde_json::from_str(text) {
        Ok(body) => body,
        Err(e) => {
            run.bad_line(
                e.line(),
                &format!("the body is not {{\"items\":[{{\"sku\",\"quantity\"}}]}}: {e}"),
            );
            return Vec::new();
        }
    };
    let mut items = Vec::with_capacity(body.items.len());
    for (i, value) in body.items.iter().enumerate() {
        let sku = value.get("sku").and_then(|s| s.as_str());
        let quantity = value.get("quantity").and_then(|q| q.as_u64());
        match (sku, quantity) {
            (Some(sku), Some(quantity)) => push(&mut items, sku, quantity, i + 1, run),
            _ => run.bad_line(
                i + 1,
                "an item needs a sku (text) and a quantity (a whole number, 0 or more)",
            ),
        }
    }
    items
}

fn parse_csv(text: &str, run: &mut FeedRun) -> Vec<Item> {
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((sku, quantity)) = line.split_once(',') else {
            run.bad_line(line_no, "expected sku,quantity");
            continue;
        };
        let (sku, quantity) = (sku.trim().trim_matches('"'), quantity.trim().trim_matches('"'));
        if line_no == 1 && sku.eq_ignore_ascii_case("sku") {
            continue;
        }
        match quantity.parse::<u64>() {
            Ok(q) => push(&mut items, sku, q, line_no, run),
            Err(_) => run.bad_line(line_no, &format!("quantity {quantity:?} is not a whole number")),
        }
    }
    items
}

fn push(items: &mut Vec<Item>, sku: &str, quantity: u64, line: usize, run: &mut FeedRun) {
    let sku = match Sku::parse(sku) {
        Ok(sku) => sku,
        Err(e) => return run.bad_line(line, &e.to_string()),
    };
    if quantity > crate::inventory::MAX_UNITS {
        return run.bad_line(line, &format!("quantity is at most {}", crate::inventory::MAX_UNITS));
    }
    items.push(Item { sku, quantity });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_csv_feeds_read_alike_and_bad_lines_are_reported_not_fatal() {
        let mut run = FeedRun::default();
        let json = parse(
            br#"{"items":[{"sku":"A","quantity":3},{"sku":"B"},{"sku":"C","quantity":-1},{"sku":"D","quantity":0}]}"#,
            &mut run,
        );
        assert_eq!(
            json.iter().map(|i| (i.sku.as_str(), i.quantity)).collect::<Vec<_>>(),
            [("A", 3), ("D", 0)]
        );
        assert_eq!(run.bad_count, 2);
        let mut run = FeedRun::default();
        let csv = parse(b"sku,quantity\nA,3\nB,many\n\nD, 0\nnocomma\n", &mut run);
        assert_eq!(
            csv.iter().map(|i| (i.sku.as_str(), i.quantity)).collect::<Vec<_>>(),
            [("A", 3), ("D", 0)]
        );
        assert_eq!(run.bad_count, 2);
        assert!(run.bad_lines[0].starts_with("line 3:"), "{:?}", run.bad_lines);
    }

    #[test]
    fn a_broken_json_body_is_one_bad_line() {
        let mut run = FeedRun::default();
        assert!(parse(b"{\"items\": [", &mut run).is_empty());
        assert_eq!(run.bad_count, 1);
    }
}
