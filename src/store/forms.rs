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
