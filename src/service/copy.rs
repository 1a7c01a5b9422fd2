//! `ledger copy`: a whole ledger into an empty SQLite file or PostgreSQL database (a branch
//! pilot moving to the central database, a central ledger handed to an auditor as a file),
//! and the backup of a PostgreSQL ledger into a SQLite file. The source is verified first,
//! the copy after, with the same key: the chain, every row, the same head.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::domain::audit::{Break, Breakage, Seal, SealedHead, VerifyReport};
use crate::headfile::{Durable, HeadFile};
use crate::store::{self, Db, pg};

use super::{LEDGER_ID, Ledger, Result, ServiceError, key_path};

/// What a copy made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub rows: u64,
    pub head: Seal,
    /// Where the copy's key is (the same key as the source's).
    pub key: PathBuf,
}

impl Ledger {
    /// Refuses a source that fails its own check: a copy of a tampered ledger would make a
    /// clean-looking one.
    pub(crate) fn verified_source(&mut self) -> Result<VerifyReport> {
        let source = self.verify_audit()?;
        if let Some(found) = source.first_bad {
            return Err(ServiceError::Tampered { found, head: source.head.map_or(0, |h| h.seq) });
        }
        if let Some((table, key)) = source.bad_rows.first() {
            return Err(ServiceError::Store(store::StoreError::Tampered(store::integrity::BadRow::named(table, key))));
        }
        if !source.intact() {
            return Err(ServiceError::Tampered { found: Break { seq: 0, why: Breakage::State }, head: 0 });
        }
        Ok(source)
    }

    /// Copies every row into `dst` (an empty ledger of the same schema) from one instant of
    /// this ledger, and rebuilds the search index there.
    pub(crate) fn copy_rows_into(&mut self, dst: &mut dyn Db) -> Result<u64> {
        let mut snap = self.conn.snapshot()?;
        let texts = store::copy::contract_texts(&mut snap)?;
        let mut bodies = texts.into_iter().map(|(id, cif, company, kana, phone, logins)| {
            let logins: Vec<&str> = logins.iter().map(String::as_str).collect();
            (id, crate::domain::search::index_contract(id, &cif, &company, &kana, &phone, &logins, &[]).body)
        });
        let rows = store::copy::ledger(&mut snap, dst, &mut bodies)?;
        snap.commit()?;
        Ok(rows)
    }

    /// `ledger copy DEST`: the whole ledger into an empty SQLite file or PostgreSQL
    /// database; the key is put where the copy looks for it (unless the config names one
    /// key for both), its seal written, and the copy verified: intact, at the same head.
    pub fn copy_ledger(&mut self, dest: &Path, cfg: &Config, source_key: &Path) -> Result<Copied> {
        let source = self.verified_source()?;
        let head = source.head.unwrap_or(Seal::EMPTY);
        let url = dest.to_str().filter(|s| pg::is_url(s));
        let dest_key = key_path(dest, cfg);
        if dest_key != source_key && dest_key.exists() {
            return Err(ServiceError::Exists(dest_key));
        }
        let opened = match url {
            Some(url) => match pg::create(url) {
                Err(store::StoreError::Duplicate) => return Err(ServiceError::Exists(dest.to_path_buf())),
                other => super::Opened::Postgres(Box::new(other?), url.to_string()),
            },
            None if dest.exists() => return Err(ServiceError::Exists(dest.to_path_buf())),
            None => super::Opened::Sqlite(store::create(dest)?),
        };
        let mut conn = opened.with_key(&self.keys);
        // The copy is a ledger of its own from here: a new id (so a new anchor: the two go
        // on apart) and a first entry of its own saying where it came from.
        let from = store::meta::get(&mut self.conn, LEDGER_ID)?.unwrap_or_default();
        let id = hex::encode(rand::random::<[u8; 16]>());
        let (rows, copied_head) = {
            let mut tx = conn.begin()?;
            let rows = self.copy_rows_into(&mut tx)?;
            tx.take_tally();
            store::meta::set(&mut tx, LEDGER_ID, &id)?;
            let stamp = crate::format::stamp(self.now());
            let details = serde_json::json!({ "from": from, "head": head.short(), "rows": rows }).to_string();
            let actor = super::Actor::cli().label();
            let entry = store::audit::NewEntry {
                at: &stamp,
                actor: &actor,
                action: "ledger.copy",
                subject: "ledger",
                details: &details,
            };
            let new_head = store::audit::append(&mut tx, self.keys.mac_key(), &entry)?;
            let tally = tx.take_tally();
            store::meta::record_state(&mut tx, &tally, new_head.seq)?;
            tx.commit()?;
            (rows, new_head)
        };
        // Merged trigram index and the planner's statistics, as after a demo.
        store::search::optimize(&mut conn)?;
        drop(conn);
        if dest_key != source_key {
            copy_key(source_key, &dest_key)?;
        }
        let dest_cfg = Config { key_file: Some(dest_key.clone()), ..cfg.clone() };
        let sealed = SealedHead::confirmed(&id, copied_head);
        let anchor = dest_cfg.audit.anchor_file.clone().or_else(|| super::audit::default_anchor(&id));
        for file in std::iter::once(super::seal_path(&dest_key)).chain(anchor) {
            HeadFile::new(file.clone())
                .write(&sealed, self.keys.mac_key(), Durable::Synced)
                .map_err(|source| ServiceError::Io { path: file, source })?;
        }
        let mut copy = Ledger::open(dest, dest_cfg)?;
        let report = copy.verify_audit()?;
        let holds_source = match source.head {
            Some(h) => store::audit::hash_at(&mut copy.conn, h.seq)? == Some(h.hash),
            None => true,
        };
        if !report.intact() || !holds_source {
            let found = report.first_bad.unwrap_or(Break { seq: head.seq, why: Breakage::Rollback });
            return Err(ServiceError::Tampered { found, head: report.head.map_or(0, |h| h.seq) });
        }
        Ok(Copied { rows, head, key: dest_key })
    }
}

/// The source's key file copied for the copy, private.
fn copy_key(from: &Path, to: &Path) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ServiceError::Io { path, source }
    };
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let bytes = zeroize::Zeroizing::new(std::fs::read(from).map_err(io(from))?);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(to).map_err(io(to))?;
    std::io::Write::write_all(&mut f, &bytes).and_then(|()| f.sync_all()).map_err(io(to))
}
