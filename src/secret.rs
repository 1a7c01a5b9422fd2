//! Hashing of every secret (argon2id with the crate's defaults, which are OWASP's
//! recommended parameters) and at-rest encryption of token seeds.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("could not hash the secret")]
    Hash,
    #[error("an encrypted value does not decrypt with this key")]
    Decrypt,
}

/// The argon2id PHC string of a secret.
pub fn hash(secret: &SecretString) -> Result<String, SecretError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| SecretError::Hash)
}

/// Whether `secret` matches the PHC string. A malformed stored hash never matches.
pub fn verify(phc: &str, secret: &SecretString) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(secret.expose_secret().as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Spends the same time as a real verification, so that an unknown ID cannot be told
/// from a wrong secret by the clock.
pub fn verify_dummy(secret: &SecretString) {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash(&SecretString::from("madoguchi-dummy")).unwrap_or_default());
    let _ = verify(phc, secret);
}

/// Encrypts with XChaCha20-Poly1305 under `key`; the output is nonce || ciphertext.
pub fn seal(key: &[u8; 32], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    // Encryption with a valid key and nonce cannot fail for in-memory buffers.
    let ct = cipher.encrypt(XNonce::from_slice(&nonce), plaintext).unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    out
}

/// Decrypts what [`seal`] produced; a wrong key or an edited value fails.
pub fn open(key: &[u8; 32], sealed: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, SecretError> {
    if sealed.len() < 24 + 16 {
        return Err(SecretError::Decrypt);
    }
    let (nonce, ct) = sealed.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), ct)
        .map(zeroize::Zeroizing::new)
        .map_err(|_| SecretError::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let s = SecretString::from("Login-pass1");
        let phc = hash(&s).expect("hash");
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify(&phc, &s));
        assert!(!verify(&phc, &SecretString::from("Login-pass2")));
        assert!(!verify("not a hash", &s));
    }

    #[test]
    fn sealed_values_round_trip_and_resist_tampering() {
        let key = [3u8; 32];
        let sealed = seal(&key, b"12345678901234567890");
        assert_eq!(open(&key, &sealed).expect("open").as_slice(), b"12345678901234567890");
        assert_eq!(open(&[4u8; 32], &sealed), Err(SecretError::Decrypt));
        let mut edited = sealed.clone();
        edited[30] ^= 1;
        assert_eq!(open(&key, &edited), Err(SecretError::Decrypt));
        assert_eq!(open(&key, b"short"), Err(SecretError::Decrypt));
    }
}
