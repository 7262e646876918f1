//! Random identifiers people see: cart ids and order tokens.

/// Crockford's base 32: no I, L, O or U, so a number read aloud or copied by hand survives.
pub(super) const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

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

/// A random `u64`, for keys the store keeps (such as its order numbering).
pub fn random_u64() -> u64 {
    let mut raw = [0u8; 8];
    fill(&mut raw);
    u64::from_le_bytes(raw)
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
}
