//! Paper forms as keyed (R14).

use rusqlite::{Transaction, params};

use super::{Result, StoreError};

pub struct NewForm<'a> {
    pub branch: &'a str,
    pub form_no: &'a str,
    pub kind: &'a str,
    pub contract_id: i64,
    pub user_id: Option<i64>,
    pub received_on: &'a str,
    pub brought_by: &'a str,
    pub id_document: &'a str,
    pub seal_checked: bool,
    pub request_id: i64,
    pub keyed_by: &'a str,
    pub at: &'a str,
}

/// Records a form; a form number already used in the branch is `Duplicate`.
pub fn insert(tx: &Transaction<'_>, f: &NewForm<'_>) -> Result<i64> {
    tx.execute(
        "INSERT INTO forms (branch, form_no, kind, contract_id, user_id, received_on, brought_by, id_document,
                            seal_checked, request_id, keyed_by, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            f.branch,
            f.form_no,
            f.kind,
            f.contract_id,
            f.user_id,
            f.received_on,
            f.brought_by,
            f.id_document,
            f.seal_checked,
            f.request_id,
            f.keyed_by,
            f.at
        ],
    )
    .map_err(StoreError::from)?;
    Ok(tx.last_insert_rowid())
}

/// A keyed form, as the approver checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    pub form_no: String,
    pub received_on: String,
    pub brought_by: String,
    pub id_document: String,
    pub seal_checked: bool,
    pub keyed_by: String,
}

/// The form behind a request, if the request came from one.
pub fn for_request(conn: &rusqlite::Connection, request_id: i64) -> Result<Option<FormRow>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT form_no, received_on, brought_by, id_document, seal_checked, keyed_by FROM forms WHERE request_id = ?1",
        )?
        .query_row([request_id], |r| {
            Ok(FormRow {
                form_no: r.get(0)?,
                received_on: r.get(1)?,
                brought_by: r.get(2)?,
                id_document: r.get(3)?,
                seal_checked: r.get(4)?,
                keyed_by: r.get(5)?,
            })
        })
        .optional()?)
}
