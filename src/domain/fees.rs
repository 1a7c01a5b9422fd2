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
