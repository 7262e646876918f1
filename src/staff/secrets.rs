//! Passwords (argon2id) and token secrets (SHA-256 of 160 random bits), compared in constant time.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::random_token;

/// Argon2id with the crate's defaults (19 MiB, 2 passes: OWASP's minimum).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random number generator is unavailable");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password with default parameters")
        .to_string()
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// A hash of a known password, verified when the account does not exist, so that an unknown
/// username takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password"))
}

/// A new API token: (id, secret, the string shown once: `sf_<id>_<secret>`).
pub fn new_token() -> (String, String, String) {
    let id = random_token(5);
    let secret = random_token(20);
    let shown = format!("sf_{id}_{secret}");
    (id, secret, shown)
}

/// Splits `sf_<id>_<secret>`.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("sf_")?;
    let (id, secret) = rest.split_once('_')?;
    (!id.is_empty() && !secret.is_empty()).then_some((id, secret))
}

pub fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

pub fn same_secret(secret: &str, stored: &[u8; 32]) -> bool {
    sha256(secret).ct_eq(stored).into()
}

/// A generated password: 20 base-32 characters (100 bits).
pub fn new_password() -> String {
    random_token(13).chars().take(20).collect()
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_round_trips_as_a_phc_string() {
        let phc = hash_password("correct horse battery staple");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &phc));
        assert!(!verify_password("Correct horse battery staple", &phc));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn tokens_parse_into_id_and_secret_and_only_the_hash_matches() {
        let (id, secret, shown) = new_token();
        assert_eq!(parse_token(&shown), Some((id.as_str(), secret.as_str())));
        assert!(same_secret(&secret, &sha256(&secret)));
        assert!(!same_secret("other", &sha256(&secret)));
        assert_eq!(parse_token("Bearer x"), None);
    }
}
