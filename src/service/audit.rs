//! Audit chain verification, the seal of the head, and verified backups.

use std::path::Path;

use crate::domain::audit::{Break, Breakage, Entry, Seal, Verifier, VerifyReport};
use crate::domain::permission::{Operation, Session};
use crate::store::{self, Db};

use super::{Ledger, Problem, Result, ServiceError};

/// Writes the seal atomically (temp file + rename), mode 0600.
pub fn write_seal(path: &Path, seal: &Seal, mac_key: &[u8; 32]) -> std::io::Result<()> {
    // Never move the seal backwards when another process sealed a later head.
    if let Ok(Some(current)) = read_seal(path, mac_key)
        && current.seq >= seal.seq
    {
        return Ok(());
    }
    let text = format!("{} {} {}\n", seal.seq, hex::encode(seal.hash), hex::encode(seal.mac(mac_key)));
    let tmp = path.with_extension(format!("seal.{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    {
        use std::io::Write;
        // No fsync: a seal lost to a power cut is simply older than the head, which
        // verification accepts; the ledger's own commit is what must be durable.
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
    }
    std::fs::rename(&tmp, path)
}

/// Removes temporary seal files (`ledger.seal.<pid>`) older than a minute: a process killed
/// between writing one and renaming it leaves it behind.
pub fn clean_stale_seal_temps(seal: &Path) {
    let (Some(dir), Some(name)) = (seal.parent(), seal.file_name().and_then(|n| n.to_str())) else { return };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let prefix = format!("{name}.");
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 60);
        if file.starts_with(&prefix) && file[prefix.len()..].bytes().all(|b| b.is_ascii_digit()) && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// A seal file that exists but is not authentic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForgedSeal;

/// Reads the seal; `Ok(None)` when there is none.
pub fn read_seal(path: &Path, mac_key: &[u8; 32]) -> std::result::Result<Option<Seal>, ForgedSeal> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(None) };
    let mut parts = text.split_whitespace();
    let (Some(seq), Some(hash), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ForgedSeal);
    };
    let seq: i64 = seq.parse().map_err(|_| ForgedSeal)?;
    let mut h = [0u8; 32];
    hex::decode_to_slice(hash, &mut h).map_err(|_| ForgedSeal)?;
    let seal = Seal { seq, hash: h };
    if hex::encode(seal.mac(mac_key)) != mac {
        return Err(ForgedSeal);
    }
    Ok(Some(seal))
}

impl Ledger {
    /// How many entries the audit trail holds.
    pub fn audit_count(&mut self) -> Result<i64> {
        Ok(store::audit::count(&mut self.conn)?)
    }

    /// Walks the whole chain and compares its head with the seal.
    pub fn verify_audit(&mut self) -> Result<VerifyReport> {
        let seal = match &self.seal_path {
            Some(path) => match read_seal(path, self.keys.mac_key()) {
                Ok(s) => s,
                Err(ForgedSeal) => {
                    return Ok(VerifyReport {
                        entries: store::audit::count(&mut self.conn)?,
                        first_bad: Some(Break { seq: 0, why: Breakage::Seal }),
                        sealed: true,
                    });
                }
            },
            None => None,
        };
        let entries = store::audit::count(&mut self.conn)?;
        // A ledger that has entries but lost its seal cannot prove its tail.
        if seal.is_none() && self.seal_path.is_some() && entries > 0 {
            return Ok(VerifyReport {
                entries,
                first_bad: Some(Break { seq: entries, why: Breakage::Seal }),
                sealed: false,
            });
        }
        let report = verify_chain(&mut self.conn, self.keys.mac_key(), seal)?;
        Ok(VerifyReport { sealed: seal.is_some(), ..report })
    }

    /// An online, consistent copy through SQLite's backup API, verified after writing:
    /// integrity check and the whole audit chain up to the head copied. The key file is
    /// not copied: keep it apart from the backups.
    pub fn backup(&mut self, dest: &Path) -> Result<VerifyReport> {
        if dest.exists() {
            return Err(ServiceError::Exists(dest.to_path_buf()));
        }
        let copy = store::backup_to(self.conn.raw(), dest)?;
        let mut copy =
            crate::store::sqlite::Conn::new(copy, crate::store::integrity::RowKey::new(*self.keys.row_key()));
        let report = verify_chain(&mut copy, self.keys.mac_key(), None)?;
        Ok(report)
    }
}

/// Why a walk of the chain stopped early: the first bad entry, or the ledger.
enum Stop {
    Bad(Break),
    Ledger(store::StoreError),
}

impl From<store::StoreError> for Stop {
    fn from(e: store::StoreError) -> Self {
        Self::Ledger(e)
    }
}

fn verify_chain(db: &mut dyn Db, key: &[u8; 32], seal: Option<Seal>) -> Result<VerifyReport> {
    let mut verifier = Verifier::new(key, seal);
    let walked = store::audit::for_each(db, |e| verifier.check(e).map_err(Stop::Bad));
    let first_bad = match walked {
        Err(Stop::Bad(b)) => Some(b),
        Err(Stop::Ledger(e)) => return Err(e.into()),
        Ok(()) => None,
    };
    match first_bad {
        Some(b) => Ok(VerifyReport { entries: store::audit::count(db)?, first_bad: Some(b), sealed: false }),
        None => match verifier.finish() {
            Ok(n) => Ok(VerifyReport { entries: n, first_bad: None, sealed: false }),
            Err(b) => Ok(VerifyReport { entries: store::audit::count(db)?, first_bad: Some(b), sealed: false }),
        },
    }
}

/// What staff type into the audit trail's filters.
#[derive(Debug, Clone, Default)]
pub struct TrailQuery {
    /// CIF (`101-0000001` or ten digits) or a login ID.
    pub customer: String,
    pub staff: String,
    pub action: String,
    /// Japan dates, YYYY-MM-DD, inclusive.
    pub from: String,
    pub to: String,
}

impl Ledger {
    /// The audit trail, newest first, a page older than `before`.
    pub fn audit_trail(
        &mut self,
        session: &Session,
        q: &TrailQuery,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Entry>> {
        session.authorize(Operation::ViewAudit, None)?;
        let bad_date = || ServiceError::Invalid(Problem::BadDate);
        let day_start = |s: &str, plus: i64| -> Result<Option<String>> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            let d = crate::format::parse_date(s).ok_or_else(bad_date)?;
            let local = (d + chrono::Duration::days(plus)).and_hms_opt(0, 0, 0).ok_or_else(bad_date)?;
            let utc = local.and_local_timezone(crate::format::JST).single().ok_or_else(bad_date)?;
            Ok(Some(crate::format::stamp(utc.with_timezone(&chrono::Utc))))
        };
        let customer = q.customer.trim();
        let subject_prefix = if customer.is_empty() {
            None
        } else {
            let digits = crate::domain::kana::digits_only(customer);
            let contract = match store::customers::contract_by_cif(&mut self.conn, &digits)? {
                Some(c) => Some(c.id),
                None => store::customers::user_by_login_id(&mut self.conn, customer)?.map(|u| u.contract_id),
            };
            match contract {
                Some(id) => Some(format!("contract:{id}/")),
                None => return Ok(Vec::new()),
            }
        };
        let filter = store::audit::Filter {
            subject_prefix,
            actor: Some(q.staff.trim().to_string()).filter(|s| !s.is_empty()),
            action_prefix: Some(q.action.trim().to_string()).filter(|s| !s.is_empty()),
            from: day_start(&q.from, 0)?,
            to: day_start(&q.to, 1)?,
        };
        Ok(store::audit::search(&mut self.conn, &filter, before, limit)?)
    }
}
