//! The ledger's integrity beyond the audit chain: sealing every covered row (and the
//! upgrade that seals a ledger written before rows were sealed).

use serde_json::json;

use crate::secret::{self, Place};
use crate::store;

use super::{Actor, Ledger, Result, Writer};

/// What the upgrade found and did, for its audit entry.
#[derive(Debug, Default, serde::Serialize)]
struct Upgraded {
    seeds_bound: u32,
    totp_bound: u32,
    hashes_peppered: u32,
    /// Encrypted values that opened neither at their place nor unbound: left as they are,
    /// to be reported as tampering.
    unopenable: Vec<String>,
}

impl Ledger {
    /// Seals the rows of a ledger that were never sealed (a new one, or one written by an
    /// earlier version): binds encrypted values to their place, peppers plain hashes, seals
    /// every covered row and the row counts, and records it in the audit trail. Runs once:
    /// the audit entry it writes is what says it ran.
    pub(crate) fn seal_rows_once(&mut self) -> Result<()> {
        if store::upgrade::was_sealed(&mut self.conn)? {
            return Ok(());
        }
        let id = hex::encode(rand::random::<[u8; 16]>());
        self.write(&Actor::cli(), |w| seal_rows(w, &id))
    }
}

pub(super) fn seal_rows(w: &mut Writer<'_>, ledger_id: &str) -> Result<()> {
    let enc = *w.keys.enc_key();
    // The ledger's id names its anchor from now on.
    store::meta::set_uncounted(&mut w.tx, super::LEDGER_ID, ledger_id)?;
    let mut done = Upgraded::default();
    for (id, serial, seed) in store::upgrade::token_seeds(&mut w.tx)? {
        let place = Place::token_seed(&serial);
        match rebind(&enc, &seed, &place) {
            Rebound::Already => {}
            Rebound::Now(sealed) => {
                store::upgrade::set_token_seed(&mut w.tx, id, &sealed)?;
                done.seeds_bound += 1;
            }
            Rebound::Never => done.unopenable.push(format!("tokens/seed/{serial}")),
        }
    }
    for (id, password, totp) in store::upgrade::staff_secrets(&mut w.tx)? {
        let mut new_password = password.clone();
        if !secret::is_peppered(&password) {
            new_password = secret::pepper(&enc, &password, &Place::staff_password(&id));
            done.hashes_peppered += 1;
        }
        let mut new_totp = totp.clone();
        if let Some(sealed) = &totp {
            match rebind(&enc, sealed, &Place::staff_totp(&id)) {
                Rebound::Already => {}
                Rebound::Now(s) => {
                    new_totp = Some(s);
                    done.totp_bound += 1;
                }
                Rebound::Never => done.unopenable.push(format!("staff/totp_secret/{id}")),
            }
        }
        if new_password != password || new_totp != totp {
            store::upgrade::set_staff_secrets(&mut w.tx, &id, &new_password, new_totp.as_deref())?;
        }
    }
    for (id, phc) in store::upgrade::secret_hashes(&mut w.tx)? {
        if !secret::is_peppered(&phc) {
            store::upgrade::set_secret_hash(&mut w.tx, id, &secret::pepper(&enc, &phc, &Place::secret_hash(id)))?;
            done.hashes_peppered += 1;
        }
    }
    let counts = store::upgrade::seal_everything(&mut w.tx)?;
    // The head is the one this write ends at, noted when it commits.
    store::meta::set_state_to_tables(&mut w.tx, 0)?;
    w.audit("ledger.integrity", "ledger", json!({ "sealed_rows": counts, "upgrade": done }))
}

enum Rebound {
    Already,
    Now(Vec<u8>),
    Never,
}

/// An encrypted value bound to its place: as it is when it already opens there, sealed
/// again when it opens only unbound (an earlier version's), else neither.
fn rebind(enc: &[u8; 32], sealed: &[u8], place: &Place) -> Rebound {
    if secret::open(enc, sealed, place).is_ok() {
        return Rebound::Already;
    }
    match secret::open_unbound(enc, sealed) {
        Ok(plain) => Rebound::Now(secret::seal(enc, &plain, place)),
        Err(_) => Rebound::Never,
    }
}
