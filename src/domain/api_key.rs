//! The keys of the internet-banking front end that calls the customer channel's HTTP
//! service: `mdg_<id>_<secret>`, the id naming the row and the secret 256 random bits
//! (only its argon2 hash is kept).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A caller's key as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    #[serde(serialize_with = "crate::format::serialize_stamp")]
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl ApiKey {
    pub fn active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

const PREFIX: &str = "mdg_";

/// The key as handed to the caller.
pub fn token(id: i64, secret: &str) -> String {
    format!("{PREFIX}{id}_{secret}")
}

/// The id and secret of a presented key; `None` for anything not shaped like one.
pub fn parse(token: &str) -> Option<(i64, &str)> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
    (secret.len() == 52 && secret.bytes().all(|b| b.is_ascii_alphanumeric())).then_some((id, secret))
}

/// A caller's name: 1 to 40 letters, digits, `-`, `_` or `.` (it appears in the audit
/// trail and in metrics).
pub fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_key_parses() {
        let secret = "A".repeat(52);
        assert_eq!(parse(&token(7, &secret)), Some((7, secret.as_str())));
        for bad in [
            String::new(),
            "mdg_".into(),
            format!("mdg_0_{secret}"),
            format!("mdg_-1_{secret}"),
            format!("mdg_x_{secret}"),
            format!("mdg_7_{}", "A".repeat(51)),
            format!("mdg_7_{}!", "A".repeat(51)),
            format!("xyz_7_{secret}"),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_short_and_plain() {
        assert!(valid_name("ib-frontend.1"));
        for bad in ["", "a b", "名前", &"x".repeat(41), "a\u{1b}[31m"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
