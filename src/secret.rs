//! Hashing of every secret (argon2id with the crate's defaults, OWASP's recommended
//! parameters) and encryption at rest (XChaCha20-Poly1305) bound to the place a value is
//! kept in.
//!
//! A stored hash is itself encrypted with the ledger key ("peppered"): a copy of the
//! ledger without the key gives no hash to try guesses against, and a hash moved to
//! another row no longer opens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

thread_local! {
    /// How many argon2 runs this thread has made (hashing and verifying, real or dummy).
    static ARGON2_RUNS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many argon2 runs this thread has made: so that a test can see that an unknown ID
/// and a wrong secret cost the same work.
pub fn argon2_runs() -> u64 {
    ARGON2_RUNS.with(std::cell::Cell::get)
}

fn one_argon2_run() {
    ARGON2_RUNS.with(|c| c.set(c.get() + 1));
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("could not hash the secret")]
    Hash,
    /// A value that does not open with this key at this place: another key, or an edited or
    /// moved value.
    #[error("an encrypted value does not open with this key at its place")]
    Decrypt,
}

/// Where an encrypted value is kept: table, column and row. It is the associated data of
/// the encryption, so a value copied to another row, column or table does not open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place(String);

impl Place {
    pub fn new(table: &str, column: &str, row: &str) -> Self {
        Self(format!("madoguchi/{table}/{column}/{row}"))
    }

    /// A customer's secret hash, by its row in `secret_hashes`.
    pub fn secret_hash(id: i64) -> Self {
        Self::new("secret_hashes", "phc", &id.to_string())
    }

    /// A staff member's password hash.
    pub fn staff_password(staff_id: &str) -> Self {
        Self::new("staff", "password_hash", staff_id)
    }

    /// A staff member's TOTP secret.
    pub fn staff_totp(staff_id: &str) -> Self {
        Self::new("staff", "totp_secret", staff_id)
    }

    /// A token's seed, by its serial (unique, and known before the row is written).
    pub fn token_seed(serial: &str) -> Self {
        Self::new("tokens", "seed", serial)
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Encrypts `plaintext` for `place` under `key`; the output is nonce || ciphertext.
pub fn seal(key: &[u8; 32], plaintext: &[u8], place: &Place) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    // Encryption with a valid key and nonce cannot fail for in-memory buffers.
    let ct =
        cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: place.bytes() }).unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    out
}

/// Decrypts what [`seal`] produced for the same place; a wrong key, an edited value or a
/// value from another place fails.
pub fn open(key: &[u8; 32], sealed: &[u8], place: &Place) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    if sealed.len() < 24 + 16 {
        return Err(SecretError::Decrypt);
    }
    let (nonce, ct) = sealed.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: place.bytes() })
        .map(Zeroizing::new)
        .map_err(|_| SecretError::Decrypt)
}

/// Opens a value sealed before values were bound to their place (ledgers written by an
/// earlier version), so that the upgrade can seal it again at its place.
pub fn open_unbound(key: &[u8; 32], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    if sealed.len() < 24 + 16 {
        return Err(SecretError::Decrypt);
    }
    let (nonce, ct) = sealed.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), ct)
        .map(Zeroizing::new)
        .map_err(|_| SecretError::Decrypt)
}

/// How a peppered hash is written in the ledger's text columns.
const PEPPERED: &str = "sealed1:";

/// The argon2id PHC string of a secret, encrypted for `place`: what the ledger stores.
pub fn hash(key: &[u8; 32], secret: &SecretString, place: &Place) -> Result<String, SecretError> {
    Ok(pepper(key, &phc(secret)?, place))
}

/// The plain argon2id PHC string of a secret: the slow part of [`hash`], computed before a
/// transaction when the row it will be kept in is not known yet; [`pepper`] it for its
/// place before storing.
pub fn phc(secret: &SecretString) -> Result<Zeroizing<String>, SecretError> {
    one_argon2_run();
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.expose_secret().as_bytes(), &salt)
        .map(|h| Zeroizing::new(h.to_string()))
        .map_err(|_| SecretError::Hash)
}

/// Whether a stored hash is peppered (an earlier version stored plain PHC strings).
pub fn is_peppered(stored: &str) -> bool {
    stored.starts_with(PEPPERED)
}

/// Encrypts a PHC string for `place` (new hashes, and the upgrade of plain ones).
pub fn pepper(key: &[u8; 32], phc: &str, place: &Place) -> String {
    let sealed = seal(key, phc.as_bytes(), place);
    format!("{PEPPERED}{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(sealed))
}

/// Whether `secret` matches the stored hash of `place`. A hash that does not open here
/// (moved, edited, or plain) never matches, but costs the same argon2 time, so that the
/// clock tells nothing either.
pub fn verify(key: &[u8; 32], stored: &str, place: &Place, secret: &SecretString) -> bool {
    let phc = stored
        .strip_prefix(PEPPERED)
        .and_then(|b| base64::engine::general_purpose::STANDARD_NO_PAD.decode(b).ok())
        .and_then(|sealed| open(key, &sealed, place).ok())
        .and_then(|plain| String::from_utf8(plain.to_vec()).ok().map(Zeroizing::new));
    match phc.as_deref().map(|p| PasswordHash::new(p)) {
        Some(Ok(parsed)) => {
            one_argon2_run();
            Argon2::default().verify_password(secret.expose_secret().as_bytes(), &parsed).is_ok()
        }
        _ => {
            verify_dummy(secret);
            false
        }
    }
}

/// A PHC string of the default parameters that no secret matches: verifying against it
/// costs exactly one argon2 run, like a real verification. Written out here rather than
/// made at start-up, so that the first attempt of a process is no slower than the rest.
const DUMMY_PHC: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$bWFkb2d1Y2hpLWR1bW15LXNhbHQ$WtJqCXD5p+kGtE4S8+MA/w8pSCXMx303Cx9uhMMf9Fc";

/// Spends the time of one real verification: an unknown ID and a wrong secret cannot be
/// told apart by the clock.
pub fn verify_dummy(secret: &SecretString) {
    one_argon2_run();
    if let Ok(parsed) = PasswordHash::new(DUMMY_PHC) {
        let _never = Argon2::default().verify_password(secret.expose_secret().as_bytes(), &parsed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7u8; 32];

    #[test]
    fn a_peppered_hash_verifies_only_with_its_key_at_its_place() {
        let s = SecretString::from("Login-pass1");
        let here = Place::new("secret_hashes", "phc", "1");
        let stored = hash(&KEY, &s, &here).expect("hash");
        assert!(stored.starts_with("sealed1:") && !stored.contains("argon2"), "{stored}");
        assert!(verify(&KEY, &stored, &here, &s));
        assert!(!verify(&KEY, &stored, &here, &SecretString::from("Login-pass2")));
        // Another key, another row, or a plain PHC: never a match.
        assert!(!verify(&[8u8; 32], &stored, &here, &s));
        assert!(!verify(&KEY, &stored, &Place::new("secret_hashes", "phc", "2"), &s));
        assert!(!verify(&KEY, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", &here, &s));
        assert!(!verify(&KEY, "not a hash", &here, &s));
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2_run_of_the_default_cost() {
        let parsed = PasswordHash::new(DUMMY_PHC).expect("parses");
        let default = Argon2::default();
        let params = default.params();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(parsed.params.get_decimal("m"), Some(params.m_cost()));
        assert_eq!(parsed.params.get_decimal("t"), Some(params.t_cost()));
        assert_eq!(parsed.params.get_decimal("p"), Some(params.p_cost()));
        assert!(default.verify_password(b"anything", &parsed).is_err());
    }

    #[test]
    fn sealed_values_are_bound_to_their_place() {
        let place = Place::new("tokens", "seed", "HT0001");
        let sealed = seal(&KEY, b"12345678901234567890", &place);
        assert_eq!(open(&KEY, &sealed, &place).expect("open").as_slice(), b"12345678901234567890");
        assert_eq!(open(&[4u8; 32], &sealed, &place), Err(SecretError::Decrypt));
        assert_eq!(open(&KEY, &sealed, &Place::new("tokens", "seed", "HT0002")), Err(SecretError::Decrypt));
        assert_eq!(open(&KEY, &sealed, &Place::new("staff", "totp_secret", "HT0001")), Err(SecretError::Decrypt));
        let mut edited = sealed.clone();
        edited[30] ^= 1;
        assert_eq!(open(&KEY, &edited, &place), Err(SecretError::Decrypt));
        assert_eq!(open(&KEY, b"short", &place), Err(SecretError::Decrypt));
        // A value of an earlier version (no place) opens only through the upgrade path.
        let cipher = XChaCha20Poly1305::new((&KEY).into());
        let nonce = [1u8; 24];
        let mut old = nonce.to_vec();
        old.extend(cipher.encrypt(XNonce::from_slice(&nonce), b"seed".as_slice()).expect("encrypt"));
        assert_eq!(open_unbound(&KEY, &old).expect("old").as_slice(), b"seed");
        assert_eq!(open(&KEY, &old, &place), Err(SecretError::Decrypt));
    }
}
