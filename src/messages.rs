//! The words of every error, in the staff member's language, for the screens and the
//! command line alike. The use cases return facts; this is where they become sentences.

use std::error::Error as _;

use crate::domain::audit::{Break, Breakage};
use crate::domain::branch::Branch;
use crate::domain::permission::Denied;
use crate::i18n::{Lang, branch_label, t, tf};
use crate::keyfile::KeyError;
use crate::paper::PaperError;
use crate::secret::SecretError;
use crate::service::ServiceError;
use crate::store::StoreError;
use crate::text::without_passwords;

/// The message a person reads for `e`. Branches are named as staff know them.
pub fn error(lang: Lang, branches: &[Branch], e: &ServiceError) -> String {
    match e {
        ServiceError::Store(e) => store(lang, e),
        ServiceError::Key(e) => match e {
            KeyError::Missing(p) => tf(lang, "err.key_missing", &[("path", &p.display().to_string())]),
            KeyError::Malformed(p) => tf(lang, "err.key_malformed", &[("path", &p.display().to_string())]),
            KeyError::Exists(p) => tf(lang, "err.exists", &[("path", &p.display().to_string())]),
            KeyError::TooOpen(p) => tf(lang, "err.key_too_open", &[("path", &p.display().to_string())]),
            KeyError::Unreadable { path, message } => {
                tf(lang, "err.key_unreadable", &[("path", &path.display().to_string()), ("detail", message)])
            }
        },
        ServiceError::WrongKey(p) => tf(lang, "err.key_wrong", &[("path", &p.display().to_string())]),
        ServiceError::Exists(p) => tf(lang, "err.exists", &[("path", &without_passwords(&p.display().to_string()))]),
        ServiceError::Io { path, source } => {
            tf(lang, "err.io", &[("detail", &format!("{}: {source}", path.display()))])
        }
        ServiceError::Denied(d) => match d {
            Denied::Role => t(lang, "err.denied_role").into(),
            Denied::OtherBranch { customer_branch } => {
                tf(lang, "err.denied_other_branch", &[("branch", &branch_label(lang, branches, customer_branch))])
            }
            Denied::CounterOnly { customer_branch } => {
                tf(lang, "err.denied_counter_only", &[("branch", &branch_label(lang, branches, customer_branch))])
            }
        },
        ServiceError::Secret(SecretError::Hash) => t(lang, "err.hash").into(),
        ServiceError::Secret(SecretError::Decrypt) => t(lang, "err.decrypt").into(),
        ServiceError::Invalid(p) => t(lang, &p.key()).into(),
        ServiceError::NotFound(what) => tf(lang, "err.not_found", &[("what", t(lang, &what.key()))]),
        ServiceError::BadLogin { remaining } => tf(lang, "err.bad_login", &[("remaining", &remaining.to_string())]),
        ServiceError::StaffLocked => t(lang, "err.staff_locked").into(),
        ServiceError::StaffDisabled => t(lang, "err.staff_disabled").into(),
        ServiceError::DemoOnly => t(lang, "err.demo_only").into(),
        ServiceError::Tampered { found, head } => {
            format!("{} {}", verify_break(lang, *found, *head), t(lang, "msg.audit_refused"))
        }
        ServiceError::AlreadyDone { by } => tf(lang, "err.already_done", &[("by", &crate::text::inert(by))]),
    }
}

/// Why a receipt or journal could not be made or printed.
pub fn paper(lang: Lang, e: &PaperError) -> String {
    match e {
        PaperError::FontUnreadable { path, source } => tf(
            lang,
            "err.font_unreadable",
            &[("path", &crate::text::inert(&path.display().to_string())), ("detail", &source.to_string())],
        ),
        PaperError::FontNotJapanese { path } => {
            tf(lang, "err.font_not_japanese", &[("path", &crate::text::inert(&path.display().to_string()))])
        }
        PaperError::Pdf(detail) => tf(lang, "err.pdf", &[("detail", detail)]),
        PaperError::Save { path, source } => {
            tf(lang, "err.io", &[("detail", &format!("{}: {source}", path.display()))])
        }
        PaperError::Printer { command, detail, path } => tf(
            lang,
            "err.printer",
            &[
                ("command", &crate::text::inert(command)),
                ("detail", detail),
                ("path", &crate::text::inert(&path.display().to_string())),
            ],
        ),
    }
}

/// What a verification found broken, naming both ends of a cut or a rollback: `head` is
/// the ledger's last entry.
pub fn verify_break(lang: Lang, b: Break, head: i64) -> String {
    let args = [("seq", b.seq.to_string()), ("head", head.to_string())];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let key = match b.why {
        Breakage::TailCut => "msg.audit_tail_cut",
        Breakage::Rollback if head < b.seq => "msg.audit_rollback",
        Breakage::Rollback => "msg.audit_rollback_differs",
        Breakage::Seal if b.seq == 0 => "msg.audit_seal_forged",
        Breakage::SealMissing => "msg.audit_seal_missing",
        Breakage::Seal => "msg.audit_seal_differs",
        why => {
            let why = t(lang, &format!("msg.break_{}", why.code()));
            return tf(lang, "msg.audit_bad", &[("seq", &b.seq.to_string()), ("why", why)]);
        }
    };
    tf(lang, key, &args)
}

/// What the database said, without anything that could be a password.
fn pg_detail(e: &postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.source().map_or_else(|| e.to_string(), |s| format!("{e}: {s}")),
    };
    without_passwords(&text)
}

/// The message for a ledger error.
pub fn store(lang: Lang, e: &StoreError) -> String {
    match e {
        StoreError::Missing => t(lang, "err.ledger_missing").into(),
        StoreError::ReadOnly => t(lang, "err.ledger_read_only").into(),
        StoreError::Busy | StoreError::Conflict(_) => t(lang, "err.ledger_busy").into(),
        StoreError::Corrupt(d) => tf(lang, "err.ledger_corrupt", &[("detail", d)]),
        StoreError::TooNew { found, known } => {
            tf(lang, "err.ledger_too_new", &[("found", &found.to_string()), ("known", &known.to_string())])
        }
        StoreError::Duplicate => t(lang, "err.duplicate").into(),
        StoreError::Damaged(d) => tf(lang, "err.ledger_damaged", &[("detail", d)]),
        StoreError::Tampered(row) => tf(lang, "err.ledger_row_tampered", &[("row", &row.to_string())]),
        StoreError::Schema(what) => tf(lang, "err.ledger_schema", &[("what", &crate::text::inert(what))]),
        StoreError::Migration { number, detail } => {
            tf(lang, "err.ledger_migration", &[("number", &number.to_string()), ("detail", &without_passwords(detail))])
        }
        StoreError::Io { path, source } => tf(lang, "err.io", &[("detail", &format!("{}: {source}", path.display()))]),
        StoreError::Unreachable(e) => tf(lang, "err.ledger_unreachable", &[("detail", &pg_detail(e))]),
        StoreError::Refused(e) => tf(lang, "err.ledger_refused", &[("detail", &pg_detail(e))]),
        StoreError::Postgres(e) => tf(lang, "err.ledger_other", &[("detail", &pg_detail(e))]),
        StoreError::Tls(detail) => tf(lang, "err.ledger_tls", &[("detail", &without_passwords(detail))]),
        StoreError::Sqlite(e) => {
            let detail = e.source().map_or_else(|| e.to_string(), |s| format!("{e}: {s}"));
            tf(lang, "err.ledger_other", &[("detail", &detail)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::error::{Missing, Problem};
    use strum::VariantArray;

    #[test]
    fn every_problem_and_missing_thing_has_words_in_both_languages() {
        for lang in [Lang::Ja, Lang::En] {
            for p in Problem::VARIANTS {
                let key = p.key();
                assert_ne!(t(lang, &key), key, "{lang:?} {p:?}");
            }
            for m in Missing::VARIANTS {
                let key = m.key();
                assert_ne!(t(lang, &key), key, "{lang:?} {m:?}");
            }
        }
    }

    #[test]
    fn a_refusal_for_the_branch_names_the_branch_in_either_language() {
        let branches = crate::domain::branch::demo_branches();
        let e = ServiceError::Denied(Denied::OtherBranch { customer_branch: "205".into() });
        assert!(error(Lang::Ja, &branches, &e).contains("205 港支店"), "{}", error(Lang::Ja, &branches, &e));
        assert!(error(Lang::En, &branches, &e).contains("205 Minato Branch"));
        // An unknown code is still named, by its code.
        let e = ServiceError::Denied(Denied::CounterOnly { customer_branch: "777".into() });
        assert!(error(Lang::En, &branches, &e).contains("777"));
    }
}
