//! Branches (店) of the bank: counters, the telephone center and head office.

use serde::Deserialize;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, strum::EnumString, strum::IntoStaticStr, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BranchKind {
    /// 営業店: a counter that serves its own customers (お取引店).
    Branch,
    /// テレホンセンター: serves every customer, by phone only.
    TelephoneCenter,
    /// 本部: administration, no customers.
    HeadOffice,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// 店番: three digits.
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub kind: BranchKind,
    #[serde(default)]
    pub address: String,
}

/// A 店番 is exactly three ASCII digits.
pub fn is_branch_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The branches of docs/spec.md §8, the default when the config names none.
pub fn demo_branches() -> Vec<Branch> {
    let b = |code: &str, name: &str, name_en: &str, kind, address: &str| Branch {
        code: code.into(),
        name: name.into(),
        name_en: name_en.into(),
        kind,
        address: address.into(),
    };
    vec![
        b("000", "本部", "Head Office", BranchKind::HeadOffice, "東京都千代田区丸の内1-1-1"),
        b("101", "本店営業部", "Main Office", BranchKind::Branch, "東京都千代田区丸の内1-1-1"),
        b("102", "駅前支店", "Ekimae Branch", BranchKind::Branch, "東京都千代田区丸の内2-7-2"),
        b("205", "港支店", "Minato Branch", BranchKind::Branch, "東京都港区海岸1-2-3"),
        b(
            "900",
            "OKメイトテレホンセンター",
            "OK Mate Telephone Center",
            BranchKind::TelephoneCenter,
            "東京都江東区豊洲3-3-3",
        ),
    ]
}
