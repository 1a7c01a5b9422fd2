//! The keys of the internet-banking front end (`api-key add|list|revoke`, administrators
//! only), and their check when `serve` is called. A key is shown once, when added; the
//! ledger keeps only the argon2 hash of its secret, bound to its row.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::domain::api_key::{self, ApiKey};
use crate::domain::permission::{Operation, Session};
use crate::secret::{self, Place};
use crate::store;

use super::{Actor, Ledger, Missing, Problem, Result, ServiceError};

fn place(id: i64) -> Place {
    Place::new("api_keys", "hash", &id.to_string())
}

impl Ledger {
    /// Adds a caller's key and returns it (the only time it is seen).
    pub fn api_key_add(&mut self, session: &Session, name: &str) -> Result<SecretString> {
        self.allowed(session, Operation::Administer, None)?;
        if !api_key::valid_name(name) {
            return Err(ServiceError::Invalid(Problem::ApiKeyName));
        }
        let mut raw = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        let secret_part = zeroize::Zeroizing::new(data_encoding::BASE32_NOPAD.encode(&raw));
        zeroize::Zeroize::zeroize(&mut raw);
        let phc = secret::phc(&SecretString::from(secret_part.to_string()))?;
        let enc = *self.keys.enc_key();
        let id = self.write(&Actor::Command(session.id.clone()), |w| {
            if store::api_keys::exists(&mut w.tx, name)? {
                return Err(ServiceError::Invalid(Problem::ApiKeyExists));
            }
            let id = store::api_keys::insert(&mut w.tx, name, &session.id, w.at)?;
            store::api_keys::set_hash(&mut w.tx, id, &secret::pepper(&enc, &phc, &place(id)))?;
            w.audit("api_key.add", &format!("api:{name}"), json!({ "id": id }))?;
            Ok(id)
        })?;
        Ok(SecretString::from(api_key::token(id, &secret_part)))
    }

    pub fn api_keys(&mut self, session: &Session) -> Result<Vec<ApiKey>> {
        self.allowed(session, Operation::Administer, None)?;
        Ok(store::api_keys::all(&mut self.conn)?)
    }

    /// Revokes a caller's key: `serve` refuses it within seconds.
    pub fn api_key_revoke(&mut self, session: &Session, name: &str) -> Result<()> {
        self.allowed(session, Operation::Administer, None)?;
        self.write(&Actor::Command(session.id.clone()), |w| {
            let stamp = w.stamp.clone();
            let Some(id) = store::api_keys::revoke(&mut w.tx, name, &session.id, &stamp)? else {
                return Err(ServiceError::NotFound(Missing::ApiKey));
            };
            w.audit("api_key.revoke", &format!("api:{name}"), json!({ "id": id }))
        })
    }

    /// The caller a presented key belongs to, or `None` (malformed, unknown, revoked or
    /// wrong). One argon2 run for a key of a known id; nothing is written.
    pub fn api_key_caller(&mut self, presented: &SecretString) -> Result<Option<ApiKey>> {
        let Some((id, secret_part)) = api_key::parse(presented.expose_secret()) else { return Ok(None) };
        let Some((key, hash)) = store::api_keys::active(&mut self.conn, id)? else { return Ok(None) };
        let ok = secret::verify(self.keys.enc_key(), &hash, &place(id), &SecretString::from(secret_part.to_string()));
        Ok(ok.then_some(key))
    }

    /// The ids of the keys not revoked (`serve` forgets a revoked key's cached check).
    pub fn api_keys_active(&mut self) -> Result<Vec<i64>> {
        Ok(store::api_keys::all(&mut self.conn)?.into_iter().filter(ApiKey::active).map(|k| k.id).collect())
    }

    /// Names the API caller in every entry this ledger writes until changed.
    pub fn set_via(&mut self, caller: Option<String>) {
        self.via = caller;
    }
}
