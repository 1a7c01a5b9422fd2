//! The daily fee journal (日計表) of a branch on A4: every receipt of the business day in
//! number order, totals by kind and overall, the count and the first and last numbers (so
//! a gap shows), the audit chain's head for the supervisor's 検印 (an anchor on paper that
//! `audit verify --expect` holds the ledger to later), and boxes for the stamps.

use krilla::Document;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;

use super::sheet::Sheet;
use super::{A4, PaperError, PaperFont, inert, money};
use crate::domain::fees::{FeeKind, FeeLine};
use crate::domain::paper::JournalDoc;
use crate::format;

const TOP: f32 = 118.0;
const ROW: f32 = 15.0;
const BOTTOM: f32 = 790.0;
/// Room the totals, the chain head and the stamp boxes take on the last page.
const SUMMARY: f32 = 230.0;
const SIZE: f32 = 8.0;
const LEFT: f32 = 36.0;
const RIGHT: f32 = A4.0 - 36.0;

/// The journal's kind column.
fn kind_ja(kind: FeeKind) -> &'static str {
    match kind {
        FeeKind::TokenAdd => "トークン追加発行",
        FeeKind::TokenReissue => "トークン再発行",
        FeeKind::Reversal => "取消",
        FeeKind::Waiver => "免除",
    }
}

/// The reversal marks of an entry.
fn marks(e: &FeeLine) -> String {
    match (e.reverses_receipt, e.reversed, e.reversal_pending) {
        (Some(n), _, _) => format!("No.{n} を取消"),
        (None, true, _) => "取消済".into(),
        (None, false, true) => "取消依頼中".into(),
        _ => String::new(),
    }
}

/// Rows per page: full pages, then the last with room for the summary.
fn pages(rows: usize) -> Vec<std::ops::Range<usize>> {
    let full = ((BOTTOM - TOP) / ROW) as usize;
    let last = ((BOTTOM - TOP - SUMMARY) / ROW) as usize;
    let mut out = Vec::new();
    let mut start = 0;
    while rows - start > last {
        let end = (start + full).min(rows);
        out.push(start..end);
        start = end;
        if start == rows {
            // The summary goes on a page of its own.
            out.push(rows..rows);
            return out;
        }
    }
    out.push(start..rows);
    out
}

/// The journal as PDF bytes.
pub fn journal_pdf(doc: &JournalDoc, font: &PaperFont) -> Result<Vec<u8>, PaperError> {
    let (w, h) = A4;
    let mut pdf = Document::new();
    pdf.set_metadata(
        Metadata::new()
            .title(format!("手数料日計表 {} {}", doc.issuer.branch_code, format::date(doc.journal.date)))
            .language("ja".into()),
    );
    let split = pages(doc.journal.entries.len());
    let count = split.len();
    for (n, range) in split.into_iter().enumerate() {
        let settings = PageSettings::from_wh(w, h).ok_or_else(|| PaperError::Pdf("page size".into()))?;
        let mut page = pdf.start_page_with(settings);
        let mut s = Sheet::new(page.surface(), font);
        header(&mut s, doc, n + 1, count);
        let shown = range.len();
        for (i, e) in doc.journal.entries[range].iter().enumerate() {
            row(&mut s, e, TOP + ROW * (i as f32 + 1.0));
        }
        if n + 1 == count {
            summary(&mut s, doc, TOP + ROW * (shown as f32 + 1.0) + 14.0);
        }
        s.finish();
        page.finish();
    }
    pdf.finish().map_err(|e| PaperError::Pdf(format!("{e:?}")))
}

/// Where each column starts (text) or ends (numbers, right-aligned).
mod col {
    pub const NUMBER_END: f32 = 58.0;
    pub const TIME: f32 = 64.0;
    pub const CIF: f32 = 90.0;
    pub const CUSTOMER: f32 = 150.0;
    pub const KIND: f32 = 256.0;
    pub const AMOUNT_END: f32 = 360.0;
    pub const TAX_END: f32 = 400.0;
    pub const TOTAL_END: f32 = 446.0;
    pub const STAFF: f32 = 454.0;
    pub const MARKS: f32 = 496.0;
}

fn header(s: &mut Sheet<'_, '_>, doc: &JournalDoc, page: usize, pages: usize) {
    let issuer = &doc.issuer;
    // A journal printed again is the day as it stands now, not a copy of the first:
    // its footer says which print it is, with no 再発行 mark.
    s.center(A4.0 / 2.0, 52.0, 16.0, "手数料日計表");
    s.text(LEFT, 80.0, 10.0, &format!("{}　{}（店番 {}）", issuer.bank_name, issuer.branch_name, issuer.branch_code));
    s.right(RIGHT, 80.0, 10.0, &format!("営業日 {}", format::date(doc.journal.date)));
    s.right(RIGHT, 94.0, 8.0, &format!("{page} / {pages} 頁"));
    let y = TOP;
    s.right(col::NUMBER_END, y, SIZE, "番号");
    s.text(col::TIME, y, SIZE, "時刻");
    s.text(col::CIF, y, SIZE, "CIF");
    s.text(col::CUSTOMER, y, SIZE, "お客さま");
    s.text(col::KIND, y, SIZE, "種類");
    s.right(col::AMOUNT_END, y, SIZE, "税抜");
    s.right(col::TAX_END, y, SIZE, "消費税");
    s.right(col::TOTAL_END, y, SIZE, "合計");
    s.text(col::STAFF, y, SIZE, "担当");
    s.text(col::MARKS, y, SIZE, "備考");
    s.line((LEFT, y + 4.0), (RIGHT, y + 4.0), 0.6);
}

fn row(s: &mut Sheet<'_, '_>, e: &FeeLine, y: f32) {
    s.right(col::NUMBER_END, y, SIZE, &e.receipt_no.to_string());
    s.text(col::TIME, y, SIZE, &format::clock(e.at));
    s.text(col::CIF, y, SIZE, &e.cif.as_deref().map(format::cif).unwrap_or_default());
    let company = e.company.as_deref().map(inert).unwrap_or_default();
    s.fitted(col::CUSTOMER, y, SIZE, &company, col::KIND - col::CUSTOMER - 6.0);
    s.text(col::KIND, y, SIZE, kind_ja(e.kind));
    s.right(col::AMOUNT_END, y, SIZE, &money(e.amount));
    s.right(col::TAX_END, y, SIZE, &money(e.tax));
    s.right(col::TOTAL_END, y, SIZE, &money(e.amount + e.tax));
    s.fitted(col::STAFF, y, SIZE, &inert(&e.staff), col::MARKS - col::STAFF - 4.0);
    s.fitted(col::MARKS, y, SIZE - 1.0, &marks(e), RIGHT - col::MARKS);
    s.line((LEFT, y + 4.0), (RIGHT, y + 4.0), 0.2);
}

fn summary(s: &mut Sheet<'_, '_>, doc: &JournalDoc, top: f32) {
    let t = &doc.journal.totals;
    let mut y = top;
    s.text(LEFT, y, 10.0, "合計");
    s.line((LEFT, y + 4.0), (LEFT + 330.0, y + 4.0), 0.6);
    let heads = ["種類", "件数", "税抜", "消費税", "合計"];
    let xs = [LEFT, 170.0, 230.0, 290.0, 366.0];
    y += 18.0;
    for (i, h) in heads.iter().enumerate() {
        if i == 0 { s.text(xs[i], y, SIZE, h) } else { s.right(xs[i], y, SIZE, h) }
    }
    let line = |s: &mut Sheet<'_, '_>, y: f32, name: &str, n: i64, amount: i64, tax: i64, total: i64| {
        s.text(xs[0], y, SIZE, name);
        s.right(xs[1], y, SIZE, &n.to_string());
        s.right(xs[2], y, SIZE, &money(amount));
        s.right(xs[3], y, SIZE, &money(tax));
        s.right(xs[4], y, SIZE, &money(total));
    };
    for (kind, k) in &t.by_kind {
        y += 14.0;
        line(s, y, kind_ja(*kind), k.entries, k.amount, k.tax, k.total);
    }
    y += 6.0;
    s.line((LEFT, y), (LEFT + 330.0, y), 0.4);
    y += 12.0;
    line(s, y, "総合計", t.entries, t.amount, t.tax, t.total);

    y += 24.0;
    let numbers = match doc.number_range() {
        Some((first, last)) => format!("領収書 {} 枚　No.{first} 〜 No.{last}", t.entries),
        None => "領収書 0 枚".to_string(),
    };
    s.text(LEFT, y, 9.0, &numbers);
    y += 16.0;
    let own = doc.journal.chain_head.split(':').next().and_then(|n| n.parse::<i64>().ok()).map(|n| n + 1);
    let recorded = own.map(|n| format!("（この印刷は {n} 番に記録）")).unwrap_or_default();
    s.text(LEFT, y, 9.0, &format!("検印用 監査証跡の最新記録　{}{recorded}", doc.journal.chain_head));
    y += 14.0;
    s.text(LEFT, y, 7.5, &format!("登録番号 {}", doc.issuer.invoice_number));

    // Stamp boxes: 担当 and 検印.
    let (bw, bh) = (64.0, 64.0);
    let by = top + 4.0;
    for (i, label) in ["担当", "検印"].iter().enumerate() {
        let x = RIGHT - bw * (2 - i) as f32;
        s.rect(x, by, bw, 16.0, 0.6);
        s.rect(x, by + 16.0, bw, bh, 0.6);
        s.center(x + bw / 2.0, by + 12.0, 8.0, label);
    }

    let copy = if doc.print.is_reprint() { format!("　{}回目の印刷", doc.print.copy) } else { String::new() };
    s.text(
        LEFT,
        BOTTOM + 20.0,
        7.0,
        &format!("印刷 {}　{}{}", format::time(doc.print.at), inert(&doc.print.staff), copy),
    );
}

#[cfg(test)]
mod tests {
    use super::pages;

    #[test]
    fn every_row_is_on_one_page_and_the_last_has_room_for_the_summary() {
        for rows in [0, 1, 10, 30, 44, 45, 46, 100, 1000] {
            let split = pages(rows);
            let covered: usize = split.iter().map(|r| r.len()).sum();
            assert_eq!(covered, rows, "{rows}");
            let mut next = 0;
            for r in &split {
                assert_eq!(r.start, next, "{rows}: contiguous");
                next = r.end;
            }
            let last = split.last().expect("a page").len();
            assert!(TOP + ROW * last as f32 + super::SUMMARY <= BOTTOM + ROW, "{rows}: summary fits");
        }
    }
    use super::{BOTTOM, ROW, TOP};
}
