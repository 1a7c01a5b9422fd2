//! Generated documents for the benchmarks (`cargo bench`, `madoguchi bench`): a receipt
//! and a journal of any number of receipts, with long Japanese names as the counter sees.

use chrono::{Duration, NaiveDate, TimeZone, Utc};

use crate::domain::fees::{FeeKind, FeeLine, Journal, totals};
use crate::domain::paper::{Issuer, JournalDoc, Print, ReceiptDoc};

/// The demo bank's main office.
pub fn issuer() -> Issuer {
    Issuer {
        bank_name: "OK銀行".into(),
        invoice_number: "T1234567890123".into(),
        branch_code: "101".into(),
        branch_name: "本店営業部".into(),
        branch_address: "東京都千代田区丸の内1-1-1".into(),
    }
}

fn line(n: i64) -> FeeLine {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().unwrap_or_default() + Duration::seconds(n * 20);
    let (kind, amount, tax, reverses_receipt) = match n % 10 {
        9 => (FeeKind::Reversal, -2000, -200, Some(n - 1)),
        3 | 6 => (FeeKind::TokenReissue, 2000, 200, None),
        _ => (FeeKind::TokenAdd, 2000, 200, None),
    };
    FeeLine {
        id: n,
        branch: "101".into(),
        receipt_no: n,
        business_date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
        kind,
        cif: Some(format!("101{:07}", n)),
        company: Some(format!("株式会社サンプル精密機械製作所第{n}営業本部")),
        login_id: Some(format!("c{n:07}m")),
        amount,
        tax,
        reverses: reverses_receipt,
        reverses_receipt,
        serial: Some(format!("HT{:08}", n)),
        staff: "clerk101".into(),
        at,
        reason: None,
        reversed: n % 10 == 8,
        reversal_pending: false,
    }
}

fn print() -> Print {
    Print {
        copy: 1,
        at: Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).single().unwrap_or_default(),
        staff: "clerk101".into(),
    }
}

pub fn receipt() -> ReceiptDoc {
    ReceiptDoc { issuer: issuer(), fee: line(42), tax_rate: 10, print: print() }
}

pub fn journal(receipts: i64) -> JournalDoc {
    let entries: Vec<FeeLine> = (1..=receipts).map(line).collect();
    let totals = totals(entries.iter().map(|e| (e.kind, e.amount, e.tax)));
    JournalDoc {
        issuer: issuer(),
        journal: Journal {
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
            branch: Some("101".into()),
            entries,
            totals,
            invoice_number: "T1234567890123".into(),
            chain_head: "1234:0123456789abcdef".into(),
        },
        print: print(),
    }
}
