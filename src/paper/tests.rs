//! The documents drawn from plain data: what a person reads on them is checked on the
//! text extracted from the PDF.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::domain::fees::{FeeKind, FeeLine, Journal, totals};
use crate::domain::paper::{Issuer, JournalDoc, Print, ReceiptDoc};

fn issuer() -> Issuer {
    super::sample::issuer()
}

fn fee(no: i64, kind: FeeKind, amount: i64, tax: i64) -> FeeLine {
    let at = Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).single().expect("time");
    FeeLine {
        id: no,
        branch: "101".into(),
        receipt_no: no,
        business_date: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        kind,
        cif: Some("1010000001".into()),
        company: Some("株式会社\u{1b}[31mサンプル商事".into()),
        login_id: Some("sample01".into()),
        amount,
        tax,
        reverses: None,
        reverses_receipt: None,
        serial: Some("OK0001234".into()),
        staff: "clerk101".into(),
        at,
        reason: None,
        reversed: false,
        reversal_pending: false,
    }
}

fn print(copy: i64) -> Print {
    Print { copy, at: Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).single().expect("time"), staff: "clerk101".into() }
}

fn text_of(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf).expect("text")
}

fn receipt(copy: i64) -> ReceiptDoc {
    ReceiptDoc { issuer: issuer(), fee: fee(42, FeeKind::TokenAdd, 2000, 200), tax_rate: 10, print: print(copy) }
}

#[test]
fn a_receipt_holds_what_a_qualified_simplified_invoice_needs() {
    let font = PaperFont::load(None).expect("bundled font");
    let pdf = receipt_pdf(&receipt(1), &font).expect("pdf");
    assert!(pdf.len() < 100 * 1024, "a receipt is {} bytes", pdf.len());
    let text = text_of(&pdf);
    for needed in [
        "領収書",
        "OK銀行",
        "T1234567890123",
        "2026年12月1日",
        "ハードトークン追加発行手数料",
        "¥2,200",
        "10%対象",
        "¥200",
        "サンプル商事",
        "御中",
        "101-000042",
        "本店営業部",
        "clerk101",
        "上記正に領収いたしました",
    ] {
        assert!(text.contains(needed), "{needed} missing from:\n{text}");
    }
    assert!(!text.contains("再発行"), "a first print is no reprint");
    assert!(!text.contains("sample01"), "no login ID on paper handed over");
    assert!(!text.contains('\u{1b}'), "an escape in a company name is not set as is");
}

#[test]
fn a_reprint_says_so_and_differs_only_in_that_mark() {
    let font = PaperFont::load(None).expect("bundled font");
    let first = receipt_pdf(&receipt(1), &font).expect("pdf");
    assert_eq!(first, receipt_pdf(&receipt(1), &font).expect("pdf"), "the same print is the same bytes");
    let again = text_of(&receipt_pdf(&receipt(2), &font).expect("pdf"));
    assert!(again.contains("再発行"), "{again}");
}

#[test]
fn a_cancellation_names_the_receipt_it_cancels() {
    let font = PaperFont::load(None).expect("bundled font");
    let mut doc = receipt(1);
    doc.fee = FeeLine { reverses: Some(41), reverses_receipt: Some(41), ..fee(43, FeeKind::Reversal, -2000, -200) };
    let text = text_of(&receipt_pdf(&doc, &font).expect("pdf"));
    assert!(text.contains("取消"), "{text}");
    assert!(text.contains("101-000041"), "{text}");
    assert!(text.contains("-¥2,200"), "{text}");
}

fn journal(entries: Vec<FeeLine>) -> JournalDoc {
    let t = totals(entries.iter().map(|e| (e.kind, e.amount, e.tax)));
    JournalDoc {
        issuer: issuer(),
        journal: Journal {
            date: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            branch: Some("101".into()),
            entries,
            totals: t,
            invoice_number: "T1234567890123".into(),
            chain_head: "57:0123456789abcdef".into(),
        },
        print: print(1),
    }
}

#[test]
fn a_journal_lists_every_receipt_its_totals_the_chain_head_and_the_stamp_boxes() {
    let font = PaperFont::load(None).expect("bundled font");
    let mut reversed = fee(1, FeeKind::TokenAdd, 2000, 200);
    reversed.reversed = true;
    let mut reversal = fee(3, FeeKind::Reversal, -2000, -200);
    reversal.reverses_receipt = Some(1);
    let doc = journal(vec![reversed, fee(2, FeeKind::TokenReissue, 2000, 200), reversal]);
    let text = text_of(&journal_pdf(&doc, &font).expect("pdf"));
    for needed in [
        "手数料日計表",
        "2026-12-01",
        "本店営業部",
        "トークン追加発行",
        "トークン再発行",
        "No.1 を取消",
        "取消済",
        "総合計",
        "¥2,200",
        "領収書 3 枚",
        "No.1 〜 No.3",
        "57:0123456789abcdef",
        "担当",
        "検印",
    ] {
        assert!(text.contains(needed), "{needed} missing from:\n{text}");
    }
}

#[test]
fn a_long_journal_runs_over_pages_and_keeps_every_receipt() {
    let font = PaperFont::load(None).expect("bundled font");
    let entries: Vec<FeeLine> = (1..=120).map(|n| fee(n, FeeKind::TokenAdd, 2000, 200)).collect();
    let text = text_of(&journal_pdf(&journal(entries), &font).expect("pdf"));
    assert!(text.contains("¥264,000"), "{text}");
    // 44 rows a page; the last page keeps room for the totals and the stamp boxes.
    assert!(text.contains("1 / 4 頁") && text.contains("4 / 4 頁"), "{text}");
    for n in 1..=120 {
        assert!(text.contains(&format!("\n{n} 10:30 ")), "receipt {n} missing");
    }
    assert!(text.contains("領収書 120 枚"), "{text}");
}

#[test]
fn a_font_that_is_missing_or_not_japanese_is_named_and_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("nothing.ttf");
    assert!(matches!(PaperFont::load(Some(&missing)), Err(PaperError::FontUnreadable { .. })));
    let junk = dir.path().join("junk.ttf");
    std::fs::write(&junk, b"not a font at all").expect("write");
    assert!(matches!(PaperFont::load(Some(&junk)), Err(PaperError::FontNotJapanese { .. })));
}

#[test]
fn the_printer_command_gets_the_saved_file_and_a_failing_one_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let printer = dir.path().join("printer");
    std::fs::create_dir(&printer).expect("printer dir");
    let prints = dir.path().join("prints");
    let cfg = |command: Option<String>| crate::config::Print { command, folder: Some(prints.clone()), font: None };

    let saved = stage_in(&cfg(None), "r.pdf", b"%PDF-1.7").and_then(Staged::keep).expect("saved");
    assert_eq!(std::fs::read(&saved).expect("saved"), b"%PDF-1.7");
    assert!(!send(&cfg(None), &saved).expect("nothing to run"), "no command: saved only");

    assert!(send(&cfg(Some(format!("cp -t {}", printer.display()))), &saved).expect("printed"));
    assert_eq!(std::fs::read(printer.join("r.pdf")).expect("copied"), b"%PDF-1.7");

    let failed = send(&cfg(Some("false".into())), &saved);
    assert!(matches!(failed, Err(PaperError::Printer { .. })), "{failed:?}");
    let missing = send(&cfg(Some("no-such-printer-command-here".into())), &saved);
    assert!(matches!(missing, Err(PaperError::Printer { .. })), "{missing:?}");
}

#[test]
fn a_document_not_kept_leaves_nothing_and_only_a_regular_file_is_replaced() {
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("r.pdf");
    {
        let _staged = stage(&target, b"%PDF-1.7").expect("staged");
        // Dropped without keep (the print was not recorded).
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "no file, no part left");
    std::fs::write(&target, b"old").expect("old file");
    stage(&target, b"new").and_then(Staged::keep).expect("kept");
    assert_eq!(std::fs::read(&target).expect("read"), b"new");
    // A folder (or a device) at the path is never replaced, and no folder is made.
    let folder = dir.path().join("folder.pdf");
    std::fs::create_dir(&folder).expect("folder");
    assert!(matches!(stage(&folder, b"x"), Err(PaperError::Save { .. })));
    assert!(folder.is_dir());
    assert!(matches!(stage(&dir.path().join("missing/r.pdf"), b"x"), Err(PaperError::Save { .. })));
    assert!(!dir.path().join("missing").exists());
}
