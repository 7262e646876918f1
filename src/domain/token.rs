//! Random identifiers people see: cart ids, order tokens and order numbers.

/// Crockford's base 32: no I, L, O or U, so a number read aloud or copied by hand survives.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `bytes` of OS randomness as lower-case base 32: unguessable ids for carts and order links.
pub fn random_token(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    fill(&mut raw);
    let mut out = String::with_capacity(bytes * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for byte in raw {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize].to_ascii_lowercase() as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (5 - bits)) & 31) as usize].to_ascii_lowercase() as char);
    }
    out
}

/// An order number such as `K7MX-3Q9D`: eight base-32 characters, 40 bits, easy to say on the
/// phone. Not a secret (the order token is); callers retry on the rare collision.
pub fn order_number() -> String {
    let mut raw = [0u8; 5];
    fill(&mut raw);
    let n = raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let chars: String = (0..8)
        .rev()
        .map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
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

fn fill(buf: &mut [u8]) {
    // Without OS randomness ids would be guessable; there is no safe fallback.
    getrandom::fill(buf).expect("the operating system's random number generator is unavailable");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_base32_of_the_asked_entropy() {
        let t = random_token(16);
        assert_eq!(t.len(), 26);
        assert!(t.bytes().all(|b| ALPHABET.contains(&b.to_ascii_uppercase())));
        assert_ne!(t, random_token(16));
    }

    #[test]
    fn order_numbers_survive_being_read_aloud_and_retyped() {
        let n = order_number();
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
