//! The receipt (領収書): a qualified simplified invoice (適格簡易請求書) on A5 landscape.
//! It names the bank and its registration number, the date of the transaction, what was
//! paid for, the amount with the tax by rate, the customer (宛名), the receipt number,
//! the branch and the staff member. A reversal or waiver prints as 取消 and names the
//! receipt it cancels; a reprint says 再発行.

use krilla::Document;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;

use super::sheet::Sheet;
use super::{A5_LANDSCAPE, PaperError, PaperFont, date_ja, inert, money};
use crate::domain::paper::{ReceiptDoc, purpose_ja};
use crate::format;

/// The receipt as PDF bytes.
pub fn receipt_pdf(doc: &ReceiptDoc, font: &PaperFont) -> Result<Vec<u8>, PaperError> {
    let (w, h) = A5_LANDSCAPE;
    let mut pdf = Document::new();
    pdf.set_metadata(
        Metadata::new().title(format!("領収書 {}-{}", doc.fee.branch, doc.fee.receipt_no)).language("ja".into()),
    );
    let settings = PageSettings::from_wh(w, h).ok_or_else(|| PaperError::Pdf("page size".into()))?;
    let mut page = pdf.start_page_with(settings);
    let mut s = Sheet::new(page.surface(), font);
    draw(&mut s, doc, w);
    s.finish();
    page.finish();
    pdf.finish().map_err(|e| PaperError::Pdf(format!("{e:?}")))
}

fn draw(s: &mut Sheet<'_, '_>, doc: &ReceiptDoc, w: f32) {
    let (left, right) = (40.0, w - 40.0);
    let fee = &doc.fee;
    let cancel = doc.is_cancellation();

    // Title, with the reprint mark where the eye falls first.
    let title = if cancel { "領収書（取消）" } else { "領収書" };
    s.center(w / 2.0, 58.0, 22.0, title);
    let tw = s.width(title, 22.0);
    s.line((w / 2.0 - tw / 2.0 - 8.0, 64.0), (w / 2.0 + tw / 2.0 + 8.0, 64.0), 0.8);
    s.line((w / 2.0 - tw / 2.0 - 8.0, 67.0), (w / 2.0 + tw / 2.0 + 8.0, 67.0), 0.4);
    if doc.print.is_reprint() {
        s.rect(left, 36.0, 64.0, 28.0, 1.2);
        s.center(left + 32.0, 56.0, 16.0, "再発行");
    }
    s.right(right, 42.0, 10.0, &format!("No. {}-{:06}", fee.branch, fee.receipt_no));
    s.right(right, 58.0, 10.0, &date_ja(fee.business_date));

    // 宛名: the customer company.
    let company = fee.company.as_deref().map(inert).unwrap_or_default();
    s.fitted(left, 108.0, 15.0, &company, 300.0);
    s.text(left + 310.0, 108.0, 12.0, "御中");
    s.line((left, 113.0), (left + 340.0, 113.0), 0.6);
    // The CIF only: a login ID is a credential and stays off paper handed over the desk.
    if let Some(cif) = &fee.cif {
        s.text(left, 126.0, 8.5, &format!("お客さま番号（CIF） {}", format::cif(cif)));
    }

    // The amount.
    s.rect(left, 140.0, 340.0, 44.0, 1.0);
    s.text(left + 12.0, 168.0, 11.0, "金額");
    s.right(left + 320.0, 172.0, 22.0, &format!("{}-", money(doc.total())));

    // What for.
    let mut purpose = format!("但し　{}", purpose_ja(fee.kind));
    if let Some(serial) = &fee.serial {
        purpose.push_str(&format!("（シリアル {}）", inert(serial)));
    }
    s.fitted(left, 206.0, 10.5, &purpose, 360.0);
    if let Some(original) = fee.reverses_receipt {
        s.text(left, 222.0, 10.5, &format!("原領収書 No. {}-{:06} の取消", fee.branch, original));
    }
    s.text(left, 240.0, 10.5, "上記正に領収いたしました");

    // The amount by tax rate (適格簡易請求書: 税率ごとの対価の額と消費税額).
    let (bx, by) = (left, 262.0);
    s.rect(bx, by, 220.0, 74.0, 0.6);
    s.text(bx + 8.0, by + 15.0, 9.0, "内訳");
    let rows = [
        (format!("{}%対象", doc.tax_rate), money(doc.total())),
        ("　うち税抜金額".to_string(), money(fee.amount)),
        (format!("　うち消費税額（{}%）", doc.tax_rate), money(fee.tax)),
    ];
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = by + 32.0 + 15.0 * i as f32;
        s.text(bx + 8.0, y, 9.0, label);
        s.right(bx + 212.0, y, 9.0, value);
    }

    // The issuer.
    let ix = 330.0;
    let issuer = &doc.issuer;
    s.text(ix, 270.0, 14.0, &issuer.bank_name);
    s.text(ix, 288.0, 10.0, &format!("{}（店番 {}）", issuer.branch_name, issuer.branch_code));
    s.fitted(ix, 302.0, 8.5, &issuer.branch_address, right - ix);
    s.text(ix, 316.0, 8.5, &format!("登録番号 {}", issuer.invoice_number));
    s.text(ix, 330.0, 8.5, &format!("取扱日時 {}　担当 {}", format::time(fee.at), inert(&fee.staff)));
    s.rect(right - 48.0, 340.0, 48.0, 48.0, 0.6);
    s.center(right - 24.0, 352.0, 7.0, "収納印");

    // The print itself: when, by whom, which copy.
    let copy = if doc.print.is_reprint() {
        format!("　再発行（{}回目の印刷）", doc.print.copy)
    } else {
        String::new()
    };
    s.text(left, 396.0, 7.0, &format!("印刷 {}　{}{}", format::time(doc.print.at), inert(&doc.print.staff), copy));
}
