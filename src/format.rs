//! Time, dates, money and customer numbers as the bank writes them, for the screens,
//! the command line and the ledger alike. Times are kept in UTC and shown in Japan time;
//! a business day is a Japan date.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};

/// Japan Standard Time (no daylight saving).
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    // Nine hours is a valid offset: this arm is never compiled into a panic at run time.
    None => panic!("JST offset"),
};

/// The business day (a Japan date) of a moment.
pub fn business_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&JST).date_naive()
}

/// A moment as the ledger stores it: UTC, RFC 3339, milliseconds. The audit chain hashes
/// this text, so its form never changes.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored moment read back.
pub fn parse_stamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// A moment in Japan time, to the minute: `2026-11-26 00:30`.
pub fn time(at: DateTime<Utc>) -> String {
    at.with_timezone(&JST).format("%Y-%m-%d %H:%M").to_string()
}

/// The clock time alone in Japan time: `09:05`.
pub fn clock(at: DateTime<Utc>) -> String {
    at.with_timezone(&JST).format("%H:%M").to_string()
}

/// A date as typed and stored: `2026-11-25`.
pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A date typed by a person: `YYYY-MM-DD`, surrounding spaces ignored.
/// A date as staff type it: `2026-12-01` or, as Japanese forms write it, `2026/12/01`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d")).ok()
}

/// A token's expiry as the device prints it on its back (month/day/year), then as a date.
pub fn expiry(d: NaiveDate) -> String {
    format!("{} ({})", d.format("%m/%d/%Y"), d.format("%Y-%m-%d"))
}

/// Yen with thousands separators: `2,200`, `-1,234,567`.
pub fn yen(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A CIF as staff read it: 店番-顧客番号, `101-0000001`. Anything else is shown as it
/// is, made inert.
pub fn cif(c: &str) -> String {
    match (c.len(), c.get(..3), c.get(3..)) {
        (10, Some(branch), Some(no)) if c.bytes().all(|b| b.is_ascii_digit()) => format!("{branch}-{no}"),
        _ => crate::text::inert(c).into_owned(),
    }
}

/// Serde helper: a stored moment in JSON as the ledger writes it.
pub fn serialize_stamp<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&stamp(*at))
}

/// Serde helper: a date in JSON as `YYYY-MM-DD`.
pub fn serialize_date<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date(*d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_typed_with_hyphens_or_slashes() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1);
        assert_eq!(parse_date("2026-12-01"), d);
        assert_eq!(parse_date(" 2026/12/01 "), d);
        assert_eq!(parse_date("2026.12.01"), None);
        assert_eq!(parse_date("20261201"), None);
    }
    use chrono::TimeZone;

    #[test]
    fn formats() {
        assert_eq!(yen(2200), "2,200");
        assert_eq!(yen(0), "0");
        assert_eq!(yen(-1_234_567), "-1,234,567");
        assert_eq!(yen(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(cif("1010000001"), "101-0000001");
        assert_eq!(cif("10100"), "10100");
        assert_eq!(cif("１２３４５６７８９０"), "１２３４５６７８９０");
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 15, 30, 0).single().expect("time");
        assert_eq!(time(at), "2026-11-26 00:30");
        assert_eq!(clock(at), "00:30");
        assert_eq!(stamp(at), "2026-11-25T15:30:00.000Z");
        assert_eq!(parse_stamp(&stamp(at)), Some(at));
        assert_eq!(business_date(at), NaiveDate::from_ymd_opt(2026, 11, 26).expect("date"));
        let d = NaiveDate::from_ymd_opt(2031, 3, 9).expect("date");
        assert_eq!(expiry(d), "03/09/2031 (2031-03-09)");
        assert_eq!(parse_date(" 2031-03-09 "), Some(d));
        assert_eq!(parse_date("2031-02-30"), None);
    }

    #[test]
    fn a_business_day_turns_at_midnight_in_japan() {
        let before = Utc.with_ymd_and_hms(2026, 11, 25, 14, 59, 59).single().expect("time");
        let after = Utc.with_ymd_and_hms(2026, 11, 25, 15, 0, 0).single().expect("time");
        assert_eq!(business_date(before), NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"));
        assert_eq!(business_date(after), NaiveDate::from_ymd_opt(2026, 11, 26).expect("date"));
    }
}
