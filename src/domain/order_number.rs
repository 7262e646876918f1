//! Order numbers such as `K7MX-3Q9D`: eight base-32 characters, 40 bits, easy to say on the phone.
//!
//! A number is the store's order sequence run through a keyed permutation of 40 bits (a Feistel
//! network), so numbers look random (they do not reveal how many orders a shop takes, and one
//! number does not lead to the next) while the store files orders by sequence: each new order is
//! appended, where random keys cost a page write per order in every commit of a flash sale.
//! Not a secret, nor a cryptographic cipher (its rounds are xxh3): the order token guards an
//! order's page.

use super::token::ALPHABET;

/// Sequences and numbers cover 40 bits.
pub const ORDER_SEQUENCE_LIMIT: u64 = 1 << 40;
const HALF_BITS: u32 = 20;
const HALF_MASK: u64 = (1 << HALF_BITS) - 1;
const ROUNDS: u64 = 6;

/// The permutation of one store, fixed by its key (kept in the store, copied by backups). No
/// `Debug`: with the key, anyone could tell the next order's number.
#[derive(Clone, Copy)]
pub struct OrderNumbering {
    key: u64,
}

impl OrderNumbering {
    pub fn new(key: u64) -> OrderNumbering {
        OrderNumbering { key }
    }

    /// The number of the order with this sequence (below `ORDER_SEQUENCE_LIMIT`).
    pub fn number(&self, sequence: u64) -> String {
        let (mut left, mut right) = ((sequence >> HALF_BITS) & HALF_MASK, sequence & HALF_MASK);
        for round in 0..ROUNDS {
            (left, right) = (right, left ^ self.scramble(round, right));
        }
        format_number((left << HALF_BITS) | right)
    }

    /// The sequence behind a normalized number (`K7MX-3Q9D`, see `normalize_order_number`).
    pub fn sequence(&self, number: &str) -> Option<u64> {
        let value = parse_number(number)?;
        let (mut left, mut right) = (value >> HALF_BITS, value & HALF_MASK);
        for round in (0..ROUNDS).rev() {
            (left, right) = (right ^ self.scramble(round, left), left);
        }
        Some((left << HALF_BITS) | right)
    }

    fn scramble(&self, round: u64, half: u64) -> u64 {
        xxhash_rust::xxh3::xxh3_64_with_seed(&half.to_le_bytes(), self.key ^ round) & HALF_MASK
    }
}

fn format_number(value: u64) -> String {
    let chars: String = (0..8)
        .rev()
        .map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

fn parse_number(number: &str) -> Option<u64> {
    let bytes = number.as_bytes();
    if bytes.len() != 9 || bytes[4] != b'-' {
        return None;
    }
    bytes.iter().filter(|b| **b != b'-').try_fold(0u64, |acc, b| {
        Some((acc << 5) | ALPHABET.iter().position(|a| a == b)? as u64)
    })
}

/// Normalizes an order number as typed: case, spaces, and the look-alikes Crockford allows.
pub fn normalize_order_number(raw: &str) -> Option<String> {
    let chars: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if chars.len() != 8 || !chars.bytes().all(|b| ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &chars[..4], &chars[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_map_back_to_their_sequence() {
        let numbering = OrderNumbering::new(0x5eed);
        for sequence in (0..2_000).chain([ORDER_SEQUENCE_LIMIT - 1, 123_456_789_012]) {
            let number = numbering.number(sequence);
            assert_eq!(numbering.sequence(&number), Some(sequence), "{number}");
        }
    }

    #[test]
    fn consecutive_orders_get_unrelated_numbers_that_differ_between_stores() {
        let (a, b) = (OrderNumbering::new(1), OrderNumbering::new(2));
        let numbers: std::collections::HashSet<String> = (1..=1_000).map(|s| a.number(s)).collect();
        assert_eq!(numbers.len(), 1_000);
        let shared_prefix = (1..=1_000)
            .filter(|s| a.number(*s)[..4] == a.number(s + 1)[..4])
            .count();
        assert!(shared_prefix < 10, "{shared_prefix} neighbours share their first half");
        assert_ne!(a.number(1), b.number(1));
    }

    #[test]
    fn every_well_formed_number_names_some_sequence() {
        let numbering = OrderNumbering::new(7);
        let sequence = numbering.sequence("K7MX-3Q9D").expect("parses");
        assert!(sequence < ORDER_SEQUENCE_LIMIT);
        assert_eq!(numbering.number(sequence), "K7MX-3Q9D");
        assert_eq!(numbering.sequence("K7MX3Q9D"), None, "only normalized numbers");
        assert_eq!(numbering.sequence("K7MX-3Q9U"), None);
    }

    #[test]
    fn order_numbers_survive_being_read_aloud_and_retyped() {
        let n = OrderNumbering::new(3).number(42);
        assert_eq!(n.len(), 9);
        assert_eq!(
            normalize_order_number(&n.to_lowercase().replace('-', " ")),
            Some(n.clone())
        );
        assert_eq!(normalize_order_number("k7mx-3q9o"), Some("K7MX-3Q90".into()));
        assert_eq!(normalize_order_number("nope"), None);
        assert_eq!(normalize_order_number("K7MX-3Q9U"), None);
    }
}
