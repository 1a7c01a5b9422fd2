//! The key kept outside the database: it keys the audit MAC and encrypts token seeds.
//!
//! The file holds 32 random bytes as hex, created with mode 0600. Two sub-keys are derived
//! from it so that the MAC key and the encryption key are never the same bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;
use zeroize::Zeroizing;

use crate::domain::audit::mac;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {0}: missing")]
    Missing(PathBuf),
    #[error("key file {path}: {message}")]
    Unreadable { path: PathBuf, message: String },
    #[error("key file {0}: not 64 hex digits")]
    Malformed(PathBuf),
    #[error("key file {0}: already exists")]
    Exists(PathBuf),
    /// Readable by others than its owner: refused, so that nobody goes on using a key that
    /// may have been copied without noticing.
    #[error("key file {0}: readable by others")]
    TooOpen(PathBuf),
}

/// The derived keys. Never printed: `Debug` shows nothing of them.
pub struct Keys {
    mac: Zeroizing<[u8; 32]>,
    enc: Zeroizing<[u8; 32]>,
    row: Zeroizing<[u8; 32]>,
    ids: Zeroizing<[u8; 32]>,
    check: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    fn derive(master: &[u8; 32]) -> Self {
        Self {
            mac: Zeroizing::new(mac(master, &[b"madoguchi audit mac v1"])),
            enc: Zeroizing::new(mac(master, &[b"madoguchi seed encryption v1"])),
            row: Zeroizing::new(mac(master, &[b"madoguchi row mac v1"])),
            ids: Zeroizing::new(mac(master, &[b"madoguchi login id hash v1"])),
            check: mac(master, &[b"madoguchi key check v1"]),
        }
    }

    /// The audit MAC key.
    pub fn mac_key(&self) -> &[u8; 32] {
        &self.mac
    }

    /// The at-rest encryption key for token seeds, TOTP secrets and secret hashes.
    pub fn enc_key(&self) -> &[u8; 32] {
        &self.enc
    }

    /// The key of the MACs that every covered row carries.
    pub fn row_key(&self) -> &[u8; 32] {
        &self.row
    }

    /// The keyed hash of a login ID that is not a customer's: the shadow failure count is
    /// kept under it, so the ledger never holds the ID someone typed.
    pub fn login_id_hash(&self, login_id: &str) -> [u8; 32] {
        mac(&self.ids, &[b"login id", login_id.as_bytes()])
    }

    /// A value stored in the ledger that proves this is the ledger's key, without
    /// revealing it.
    pub fn check_value(&self) -> String {
        hex::encode(self.check)
    }

    /// Keys for tests and benchmarks.
    pub fn from_bytes(master: [u8; 32]) -> Self {
        Self::derive(&master)
    }

    pub fn load(path: &Path) -> Result<Self, KeyError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                return Err(KeyError::TooOpen(path.to_path_buf()));
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                KeyError::Missing(path.to_path_buf())
            } else {
                KeyError::Unreadable { path: path.to_path_buf(), message: e.to_string() }
            }
        })?);
        let mut master = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), master.as_mut_slice())
            .map_err(|_| KeyError::Malformed(path.to_path_buf()))?;
        Ok(Self::derive(&master))
    }

    /// Creates a new key file (mode 0600); refuses to overwrite one.
    pub fn create(path: &Path) -> Result<Self, KeyError> {
        let mut master = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(master.as_mut_slice());
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let unreadable = |e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::Exists(path.to_path_buf())
            } else {
                KeyError::Unreadable { path: path.to_path_buf(), message: e.to_string() }
            }
        };
        let mut file = opts.open(path).map_err(unreadable)?;
        let hex = Zeroizing::new(hex::encode(master.as_slice()));
        file.write_all(hex.as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(unreadable)?;
        Ok(Self::derive(&master))
    }
}

/// Where the key of a ledger lives: the configured path, or `ledger.key` beside it (docs/spec.md
/// §6), whatever the ledger file is called. One ledger per folder, then, unless the config
/// names the key.
pub fn key_path(db: &Path, configured: Option<&Path>) -> PathBuf {
    match configured {
        Some(p) => p.to_path_buf(),
        None => db.with_file_name("ledger.key"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_key_loads_back_and_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ledger.key");
        let a = Keys::create(&path).expect("create");
        let b = Keys::load(&path).expect("load");
        assert_eq!(a.check_value(), b.check_value());
        assert_ne!(a.mac_key(), a.enc_key());
        assert!(matches!(Keys::create(&path), Err(KeyError::Exists(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{a:?}"), "Keys(..)");
    }

    #[test]
    fn key_path_sits_beside_the_ledger() {
        assert_eq!(key_path(Path::new("/x/ledger.sqlite3"), None), Path::new("/x/ledger.key"));
        assert_eq!(key_path(Path::new("/x/branch.sqlite3"), None), Path::new("/x/ledger.key"));
        assert_eq!(key_path(Path::new("/x/l.db"), Some(Path::new("/k"))), Path::new("/k"));
    }
}
