//! R13: fee amounts with consumption tax, in whole yen.

/// Consumption tax on `amount` yen at `rate_percent`, rounded down (one rounding per
/// receipt).
pub fn tax(amount: i64, rate_percent: u32) -> i64 {
    (amount * i64::from(rate_percent)).div_euclid(100)
}

/// The amount with tax.
pub fn with_tax(amount: i64, rate_percent: u32) -> i64 {
    amount + tax(amount, rate_percent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_is_rounded_down() {
        let table = [(2000, 10, 200, 2200), (1999, 10, 199, 2198), (1, 10, 0, 1), (105, 8, 8, 113), (0, 10, 0, 0)];
        for (amount, rate, t, total) in table {
            assert_eq!(tax(amount, rate), t, "{amount} at {rate}%");
            assert_eq!(with_tax(amount, rate), total);
        }
    }
}

/// The fee kinds of the journal.
pub const KINDS: [&str; 4] = ["token_add", "token_reissue", "reversal", "waiver"];

/// Totals of a journal: per kind (entries, amount, tax) and overall, reversals negative.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    pub by_kind: std::collections::BTreeMap<String, KindTotal>,
    pub entries: i64,
    pub amount: i64,
    pub tax: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindTotal {
    pub entries: i64,
    pub amount: i64,
    pub tax: i64,
    pub total: i64,
}

/// Adds up (kind, amount, tax) entries.
pub fn totals<'a>(entries: impl IntoIterator<Item = (&'a str, i64, i64)>) -> Totals {
    let mut t = Totals::default();
    for (kind, amount, tax) in entries {
        let k = t.by_kind.entry(kind.to_string()).or_default();
        k.entries += 1;
        k.amount += amount;
        k.tax += tax;
        k.total += amount + tax;
        t.entries += 1;
        t.amount += amount;
        t.tax += tax;
        t.total += amount + tax;
    }
    t
}

#[cfg(test)]
mod totals_tests {
    use super::*;

    #[test]
    fn totals_by_kind_with_reversals() {
        let t = totals([
            ("token_add", 2000, 200),
            ("token_add", 2000, 200),
            ("token_reissue", 2000, 200),
            ("reversal", -2000, -200),
        ]);
        assert_eq!((t.entries, t.amount, t.tax, t.total), (4, 4000, 400, 4400));
        assert_eq!(t.by_kind["token_add"], KindTotal { entries: 2, amount: 4000, tax: 400, total: 4400 });
        assert_eq!(t.by_kind["reversal"].total, -2200);
        assert_eq!(totals([]).total, 0);
    }
}
