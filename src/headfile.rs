//! The head of the audit chain kept in a file: the seal beside the ledger and the anchor
//! outside its folder. A file is written whole or not at all (a new file created
//! exclusively, synced, renamed over the old one, and the folder synced), is private
//! (0600), and carries a MAC under the ledger key, so that only the key's holder writes
//! one that verifies.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::domain::audit::{Seal, SealedHead};

/// A head file that exists but does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the file is not an authentic sealed head")]
pub struct Forged;

/// What a head file holds, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// No file there.
    Missing,
    /// Written by this version, for the ledger it names.
    Head(SealedHead),
    /// Written by the earlier version (no ledger id, no pending head).
    Legacy(Seal),
}

/// One head file.
#[derive(Debug, Clone)]
pub struct HeadFile {
    path: PathBuf,
}

const MAGIC: &str = "madoguchi-head 2";

/// Whether a head file is synced to the disk when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durable {
    /// The file and its folder synced (the confirmed head, after COMMIT).
    Synced,
    /// Written and renamed only (the pending head, before COMMIT: should a power cut lose
    /// it, the head before still holds).
    Renamed,
}

impl HeadFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads and authenticates the file.
    pub fn read(&self, key: &[u8; 32]) -> Result<Read, Forged> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::Missing),
            Err(_) => return Err(Forged),
        };
        parse(&text, key)
    }

    /// Replaces the file with `head`, whole or not at all (a new file renamed over the old
    /// one). `durable`: the file and the folder are synced, so that the new head survives a
    /// power cut; without it a power cut may leave the old head, which still holds (the
    /// chain holds its older entries), only not the newest.
    pub fn write(&self, head: &SealedHead, key: &[u8; 32], durable: Durable) -> std::io::Result<()> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        private_dirs(&dir)?;
        let name = self.path.file_name().and_then(|n| n.to_str()).unwrap_or("head");
        let tmp = dir.join(format!(".{name}.{}.{:016x}", std::process::id(), rand::random::<u64>()));
        let written = (|| {
            // `create_new` refuses anything already there, a symlink planted at that name
            // included, so the write never lands anywhere but this new file.
            let mut f = private_new(&tmp)?;
            f.write_all(format(head, key).as_bytes())?;
            if durable == Durable::Synced {
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &self.path)?;
            if durable == Durable::Synced {
                File::open(&dir)?.sync_all()?;
            }
            Ok(())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// Holds the file's lock until the guard is dropped: writers of the same file take
    /// turns, so that no process seals over another's newer head.
    pub fn lock(&self) -> std::io::Result<File> {
        let lock_path = self.path.with_extension("lock");
        if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dirs(dir)?;
        }
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        private(&mut opts);
        let f = opts.open(&lock_path)?;
        f.lock()?;
        Ok(f)
    }
}

/// Creates the folders of a head file that are missing, readable by their owner only.
fn private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn private(opts: &mut OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
}

fn private_new(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    private(&mut opts);
    opts.open(path)
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok().map(|()| out)
}

fn format(head: &SealedHead, key: &[u8; 32]) -> String {
    let pending = match head.pending {
        Some(p) => format!("{} {}", p.seq, hex::encode(p.hash)),
        None => "- -".into(),
    };
    format!(
        "{MAGIC} {} {} {} {pending} {}\n",
        head.ledger,
        head.confirmed.seq,
        hex::encode(head.confirmed.hash),
        hex::encode(head.mac(key))
    )
}

fn parse(text: &str, key: &[u8; 32]) -> Result<Read, Forged> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let seq = |s: &str| s.parse::<i64>().ok().filter(|n| *n >= 0);
    if let Some(rest) = text.strip_prefix(MAGIC) {
        let p: Vec<&str> = rest.split_whitespace().collect();
        let [ledger, cseq, chash, pseq, phash, mac] = p.as_slice() else { return Err(Forged) };
        let confirmed = Seal { seq: seq(cseq).ok_or(Forged)?, hash: hex32(chash).ok_or(Forged)? };
        let pending = match (*pseq, *phash) {
            ("-", "-") => None,
            (s, h) => Some(Seal { seq: seq(s).ok_or(Forged)?, hash: hex32(h).ok_or(Forged)? }),
        };
        let head = SealedHead { ledger: (*ledger).to_string(), confirmed, pending };
        let mac = hex32(mac).ok_or(Forged)?;
        return if crate::domain::audit::same(&head.mac(key), &mac) { Ok(Read::Head(head)) } else { Err(Forged) };
    }
    // The earlier version's seal: "SEQ HASH MAC", the MAC over "seal", SEQ and HASH.
    let [s, h, m] = parts.as_slice() else { return Err(Forged) };
    let seal = Seal { seq: seq(s).ok_or(Forged)?, hash: hex32(h).ok_or(Forged)? };
    let expected = crate::domain::audit::mac(key, &[b"seal", &seal.seq.to_be_bytes(), &seal.hash]);
    let mac = hex32(m).ok_or(Forged)?;
    if crate::domain::audit::same(&expected, &mac) { Ok(Read::Legacy(seal)) } else { Err(Forged) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [3; 32];

    fn head() -> SealedHead {
        SealedHead {
            ledger: "0123abcd".into(),
            confirmed: Seal { seq: 41, hash: [1; 32] },
            pending: Some(Seal { seq: 42, hash: [2; 32] }),
        }
    }

    #[test]
    fn a_head_file_reads_back_only_with_its_key_and_unedited() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = HeadFile::new(dir.path().join("ledger.seal"));
        assert_eq!(f.read(&KEY), Ok(Read::Missing));
        f.write(&head(), &KEY, Durable::Synced).expect("write");
        assert_eq!(f.read(&KEY), Ok(Read::Head(head())));
        assert_eq!(f.read(&[4; 32]), Err(Forged));
        let text = std::fs::read_to_string(f.path()).expect("read");
        for (from, to) in [(" 41 ", " 40 "), ("0123abcd", "0123abce"), (" 42 ", " 43 ")] {
            std::fs::write(f.path(), text.replacen(from, to, 1)).expect("edit");
            assert_eq!(f.read(&KEY), Err(Forged), "{from} -> {to}");
        }
        std::fs::write(f.path(), "").expect("empty");
        assert_eq!(f.read(&KEY), Err(Forged));
        // Nothing but the file itself is left in the folder, and it is private.
        f.write(&head(), &KEY, Durable::Synced).expect("write again");
        let names: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").map(|e| e.expect("e").file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("ledger.seal")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(f.path()).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
    }

    #[test]
    fn the_earlier_seal_reads_as_legacy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = HeadFile::new(dir.path().join("ledger.seal"));
        let seal = Seal { seq: 7, hash: [9; 32] };
        let mac = crate::domain::audit::mac(&KEY, &[b"seal", &7i64.to_be_bytes(), &seal.hash]);
        std::fs::write(f.path(), format!("7 {} {}\n", hex::encode(seal.hash), hex::encode(mac))).expect("write");
        assert_eq!(f.read(&KEY), Ok(Read::Legacy(seal)));
        assert_eq!(f.read(&[1; 32]), Err(Forged));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_in_place_of_the_file_is_replaced_never_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").expect("victim");
        let f = HeadFile::new(dir.path().join("ledger.seal"));
        std::os::unix::fs::symlink(&victim, f.path()).expect("symlink");
        f.write(&head(), &KEY, Durable::Synced).expect("write");
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "precious");
        assert!(!std::fs::symlink_metadata(f.path()).expect("meta").file_type().is_symlink());
    }
}
