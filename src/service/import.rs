//! Token inventory import: the whole file is validated first (format, then serials against
//! the ledger); one bad record and nothing is imported. Seeds are encrypted at rest.

use serde_json::json;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::token::TokenState;
use crate::format::business_date;
use crate::import::{self, Format, ImportError, TokenRecord};
use crate::secret;
use crate::store::{self, tokens::NewToken};

use super::{Actor, Ledger, Problem, Result, ServiceError};
use crate::domain::permission::{Operation, Session};

/// One reason a file was refused: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub location: String,
    pub problem: import::Problem,
}

impl From<ImportError> for Refusal {
    fn from(e: ImportError) -> Self {
        Self { location: e.location, problem: e.problem }
    }
}

/// What an import did, or why it did nothing.
#[derive(Debug)]
pub enum ImportOutcome {
    /// `defaulted`: the keys the file gave no expiry, with the one they were given.
    Imported {
        count: usize,
        branch: String,
        defaulted: Vec<(String, NaiveDate)>,
    },
    Refused {
        branch: String,
        errors: Vec<Refusal>,
    },
}

impl Ledger {
    /// Parses, validates and imports a vendor file into `branch`'s stock (head office by
    /// default), in one transaction with its audit entry.
    pub fn import_tokens(
        &mut self,
        session: &Session,
        file_name: &str,
        bytes: &[u8],
        format: Option<Format>,
        branch: Option<&str>,
        key_file: Option<&[u8]>,
    ) -> Result<ImportOutcome> {
        self.allowed(session, Operation::Administer, None)?;
        let actor = Actor::Command(session.id.clone());
        let branch = branch.unwrap_or(self.cfg.head_office()).to_string();
        if self.cfg.branch(&branch).is_none() {
            return Err(ServiceError::Invalid(Problem::UnknownBranch));
        }
        let format = format.unwrap_or_else(|| import::detect_format(file_name, bytes));
        let today = business_date(self.now());
        // A key without an expiry lasts the token's usual life from today.
        let life = chrono::Months::new(12 * self.cfg.token.life_years);
        let default_expiry = today.checked_add_months(life).ok_or(ServiceError::Invalid(Problem::BadDate))?;
        let records = match import::parse(bytes, format, key_file, today, default_expiry) {
            Ok(r) => r,
            Err(errors) => {
                return Ok(ImportOutcome::Refused { branch, errors: errors.into_iter().map(Refusal::from).collect() });
            }
        };
        let serials: Vec<&str> = records.iter().map(|r| r.serial.as_str()).collect();
        let taken = store::tokens::existing_serials(&mut self.conn, &serials)?;
        if !taken.is_empty() {
            // Named where the file has them: the CSV line or the PSKC key.
            let errors = records
                .iter()
                .filter(|r| taken.iter().any(|t| t.eq_ignore_ascii_case(&r.serial)))
                .map(|r| Refusal { location: r.location.clone(), problem: import::Problem::DuplicateInLedger })
                .collect();
            return Ok(ImportOutcome::Refused { branch, errors });
        }
        let enc = *self.keys().enc_key();
        let count = records.len();
        let defaulted: Vec<(String, NaiveDate)> =
            records.iter().filter(|r| r.expiry_defaulted).map(|r| (r.serial.clone(), r.expires)).collect();
        let defaulted_serials: Vec<&str> = defaulted.iter().map(|(s, _)| s.as_str()).collect();
        let name = crate::text::inert(file_name).into_owned();
        self.write(&actor, |w| {
            let at = w.at;
            for r in &records {
                insert(w, r, &branch, &enc, at)?;
            }
            w.audit(
                "tokens.import",
                &format!("branch:{branch}"),
                json!({
                    "count": count, "branch": branch, "file": name, "format": format.name(),
                    "expiry_defaulted": defaulted_serials,
                }),
            )
        })?;
        Ok(ImportOutcome::Imported { count, branch, defaulted })
    }
}

fn insert(w: &mut super::Writer<'_>, r: &TokenRecord, branch: &str, enc: &[u8; 32], at: DateTime<Utc>) -> Result<()> {
    let sealed = secret::seal(enc, &r.secret, &secret::Place::token_seed(&r.serial));
    store::tokens::insert(
        &mut w.tx,
        &NewToken {
            serial: &r.serial,
            branch,
            seed: &sealed,
            algorithm: r.algorithm,
            digits: r.digits,
            period: r.period,
            expires: r.expires,
            state: TokenState::InStock,
            user_id: None,
            at,
        },
    )
    .map_err(|e| match e {
        store::StoreError::Duplicate => ServiceError::Invalid(Problem::ImportDuplicateInLedger),
        other => other.into(),
    })?;
    Ok(())
}
