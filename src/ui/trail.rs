//! The audit trail in branch staff's words: what happened (a reversal called a reversal),
//! to whom (a company and login ID, never `contract:3/user:7`), and the details as
//! labelled fields (never raw JSON).

use serde_json::Value;

use crate::domain::audit::Subject;
use crate::domain::branch::Branch;
use crate::i18n::{Lang, lookup, t};
use crate::text::inert;

/// The label of an action. A fee entry that reverses or waives is labelled as such.
pub fn action_label(lang: Lang, action: &str, details: &str) -> String {
    let action = match (action, fee_kind(details).as_deref()) {
        ("fee.record", Some("reversal")) => "fee.reversal",
        ("fee.record", Some("waiver")) => "fee.waiver",
        (other, _) => other,
    };
    lookup(lang, &format!("ui.audit_action.{action}")).map_or_else(|| inert(action).into_owned(), str::to_string)
}

fn fee_kind(details: &str) -> Option<String> {
    match serde_json::from_str::<Value>(details) {
        Ok(Value::Object(map)) => map.get("kind").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Whom an entry is about: `株式会社山田製作所・yamada-m`, `職員 clerk101`, a branch.
pub fn subject_label(lang: Lang, branches: &[Branch], subject: &Subject) -> String {
    match subject {
        Subject::Customer { company, login_id: Some(login), .. } => format!("{}・{}", inert(company), inert(login)),
        Subject::Customer { company, .. } => inert(company).into_owned(),
        Subject::Staff(id) => format!("{} {}", t(lang, "ui.audit.staff"), inert(id)),
        Subject::Branch(code) => crate::i18n::branch_label(lang, branches, code),
        Subject::Ledger => t(lang, "ui.audit.ledger").to_string(),
        Subject::Raw(raw) => inert(raw).into_owned(),
    }
}

/// The details of an entry as (label, value) pairs in the staff's language; a value
/// that names a kind of thing (a secret, a document, a request) is named in words.
pub fn detail_fields(lang: Lang, details: &str) -> Vec<(String, String)> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(details) else {
        return if details.trim().is_empty() || details.trim() == "{}" {
            Vec::new()
        } else {
            vec![(String::new(), inert(details).into_owned())]
        };
    };
    map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (field_label(lang, k), value_text(lang, k, v))).collect()
}

/// A detail's key in the staff's words, or the key itself when it has no label.
fn field_label(lang: Lang, key: &str) -> String {
    lookup(lang, &format!("ui.audit_field.{key}")).map_or_else(|| inert(key).into_owned(), str::to_string)
}

fn value_text(lang: Lang, key: &str, v: &Value) -> String {
    match v {
        Value::String(s) => {
            let words = match key {
                "credential" => lookup(lang, &format!("ui.credential.{s}")),
                "document" => lookup(lang, &format!("ui.document.{s}")),
                "situation" => lookup(lang, &format!("ui.situation.{s}")),
                "kind" => {
                    lookup(lang, &format!("ui.request.{s}")).or_else(|| lookup(lang, &format!("ui.fee_kind.{s}")))
                }
                "role" => lookup(lang, &format!("ui.user_role.{s}")).or_else(|| lookup(lang, &format!("msg.role_{s}"))),
                "operation" => lookup(lang, &format!("ui.operation.{s}")),
                "scope" => lookup(lang, &format!("ui.state.{s}_locked")),
                "procedure" => lookup(lang, &format!("ui.procedure.{s}.title")),
                "asker" => lookup(lang, &format!("ui.user_role.{s}")),
                "channel" => lookup(lang, &format!("ui.audit_field.channel_{s}")),
                _ => None,
            };
            words.map_or_else(|| inert(s).into_owned(), str::to_string)
        }
        Value::Number(n) if matches!(key, "amount" | "tax") => {
            crate::i18n::tf(lang, "ui.confirm.yen", &[("yen", &crate::format::yen(n.as_i64().unwrap_or(0)))])
        }
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => t(lang, if *b { "ui.audit.yes" } else { "ui.audit.no" }).to_string(),
        Value::Array(items) => items.iter().map(|i| value_text(lang, key, i)).collect::<Vec<_>>().join("、"),
        // A record within the record (the identity check): its own labelled fields.
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{} {}", field_label(lang, k), value_text(lang, k, v)))
            .collect::<Vec<_>>()
            .join("、"),
        Value::Null => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reversal_is_called_a_reversal_and_details_are_labelled() {
        assert_eq!(action_label(Lang::Ja, "fee.record", r#"{"kind":"reversal","amount":-2000}"#), "手数料取消");
        assert_eq!(action_label(Lang::En, "fee.record", r#"{"kind":"token_add"}"#), "Fee received");
        assert_eq!(action_label(Lang::Ja, "lock.open", "{}"), "利用停止（ロック）");
        let fields = detail_fields(Lang::Ja, r#"{"credential":"login","failures":6,"amount":2000,"reason":"=1+1"}"#);
        assert!(fields.contains(&("暗証の種類".into(), "ログインパスワード".into())), "{fields:?}");
        assert!(fields.contains(&("誤り回数".into(), "6".into())), "{fields:?}");
        assert!(fields.contains(&("金額".into(), "2,000円".into())), "{fields:?}");
        assert!(fields.iter().all(|(_, v)| !v.contains('{')), "no JSON: {fields:?}");
        let nested = detail_fields(
            Lang::Ja,
            r#"{"identity":{"channel":"counter","document":"drivers_license","seal_matched":true},"scope":"service"}"#,
        );
        assert!(nested.iter().all(|(_, v)| !v.contains('{') && !v.contains("drivers_license")), "{nested:?}");
        assert!(nested.contains(&("停止範囲".into(), "サービス停止".into())), "{nested:?}");
        let subject = Subject::Customer {
            company: "株式会社山田製作所".into(),
            cif: "1010000001".into(),
            login_id: Some("yamada-m".into()),
        };
        assert_eq!(subject_label(Lang::Ja, &[], &subject), "株式会社山田製作所・yamada-m");
    }
}
