//! Paper forms as keyed (R14).

use chrono::{DateTime, NaiveDate, Utc};

use super::Result;
use super::integrity::{self, FORMS};
use super::sql::{Db, FromRow, Row};
use crate::domain::forms::{FormRequest, KeyedForm};
use crate::domain::unlock::IdDocument;

pub struct NewForm<'a> {
    pub branch: &'a str,
    pub form_no: &'a str,
    pub kind: FormRequest,
    pub contract_id: i64,
    pub user_id: Option<i64>,
    pub received_on: NaiveDate,
    pub brought_by: &'a str,
    pub id_document: IdDocument,
    pub seal_checked: bool,
    pub request_id: i64,
    pub keyed_by: &'a str,
    pub at: DateTime<Utc>,
}

/// Whether the branch has keyed a form with this number already (numbers are printed on
/// the paper and used once).
pub fn number_used(db: &mut dyn Db, branch: &str, form_no: &str) -> Result<bool> {
    db.value("SELECT EXISTS (SELECT 1 FROM forms WHERE branch = ?1 AND form_no = ?2)", &[&branch, &form_no])
}

/// Records a form; a form number already used in the branch is `Duplicate`.
pub fn insert(db: &mut dyn Db, f: &NewForm<'_>) -> Result<i64> {
    let id: i64 = db.value(
        "INSERT INTO forms (branch, form_no, kind, contract_id, user_id, received_on, brought_by, id_document,
                            seal_checked, request_id, keyed_by, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id",
        &[
            &f.branch,
            &f.form_no,
            &f.kind.code(),
            &f.contract_id,
            &f.user_id,
            &f.received_on,
            &f.brought_by,
            &f.id_document,
            &f.seal_checked,
            &f.request_id,
            &f.keyed_by,
            &f.at,
        ],
    )?;
    integrity::inserted(db, &FORMS, &[&id])?;
    Ok(id)
}

impl FromRow for KeyedForm {
    /// From the covered columns of `forms`.
    fn from_row(r: &Row) -> Result<Self> {
        Ok(Self {
            form_no: r.get(2)?,
            received_on: r.get(6)?,
            brought_by: r.get(7)?,
            id_document: r.get(8)?,
            seal_checked: r.get(9)?,
            keyed_by: r.get(11)?,
        })
    }
}

/// The form behind a request, if the request came from one.
pub fn for_request(db: &mut dyn Db, request_id: i64) -> Result<Option<KeyedForm>> {
    db.sealed_first(&FORMS, &format!("SELECT {}, mac FROM forms WHERE request_id = ?1", FORMS.columns), &[&request_id])
}
