//! Files for the desk and for spreadsheets: the fee journal as CSV, the same from the
//! command line (`report fees --csv`) and from the Fee journal screen. UTF-8 with a BOM
//! and CRLF line ends, so that Excel opens it right; every cell safe to open in a
//! spreadsheet (see [`spreadsheet_safe`](crate::text::spreadsheet_safe)).

use crate::domain::fees::Journal;
use crate::format;
use crate::i18n::{Lang, t};

/// A CSV writer for Excel: BOM first, CRLF line ends.
pub fn csv_writer() -> csv::Writer<Vec<u8>> {
    let mut buf = Vec::new();
    buf.extend_from_slice("\u{feff}".as_bytes());
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buf)
}

/// Writes one row, every cell made safe for a spreadsheet.
pub fn row<I, T>(w: &mut csv::Writer<Vec<u8>>, cells: I) -> csv::Result<()>
where
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    let safe: Vec<String> = cells.into_iter().map(|c| crate::text::spreadsheet_safe(c.as_ref()).into_owned()).collect();
    w.write_record(&safe)
}

/// The bytes written so far.
pub fn finish(w: csv::Writer<Vec<u8>>) -> csv::Result<Vec<u8>> {
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

const JOURNAL_HEADER: [&str; 16] = [
    "branch",
    "receipt_no",
    "business_date",
    "at",
    "kind",
    "kind_name",
    "cif",
    "company",
    "login_id",
    "amount",
    "tax",
    "total",
    "reverses_receipt",
    "serial",
    "staff",
    "reason",
];

/// The fee journal of a day as CSV: one row per receipt (the kind as its code and, in
/// `lang`, its name), the totals by kind and in all, and the chain's head for the
/// supervisor's 検印.
pub fn journal_csv(lang: Lang, j: &Journal) -> csv::Result<Vec<u8>> {
    let mut w = csv_writer();
    row(&mut w, JOURNAL_HEADER)?;
    let kind_name = |code: &str| t(lang, &format!("ui.fee_kind.{code}")).to_string();
    for e in &j.entries {
        row(
            &mut w,
            [
                e.branch.clone(),
                e.receipt_no.to_string(),
                format::date(e.business_date),
                format::time(e.at),
                e.kind.code().to_string(),
                kind_name(e.kind.code()),
                e.cif.clone().unwrap_or_default(),
                e.company.clone().unwrap_or_default(),
                e.login_id.clone().unwrap_or_default(),
                e.amount.to_string(),
                e.tax.to_string(),
                (e.amount + e.tax).to_string(),
                e.reverses_receipt.map(|n| n.to_string()).unwrap_or_default(),
                e.serial.clone().unwrap_or_default(),
                e.staff.clone(),
                e.reason.clone().unwrap_or_default(),
            ],
        )?;
    }
    // Totals as rows of their own, so the sheet shows what the screen shows.
    let blank = |n: usize| vec![String::new(); n];
    let day = format::date(j.date);
    let branch = j.branch.clone().unwrap_or_default();
    for (kind, k) in &j.totals.by_kind {
        let mut cells = vec![branch.clone(), String::new(), day.clone(), String::new()];
        cells.extend([format!("total:{}", kind.code()), kind_name(kind.code())]);
        cells.extend(blank(3));
        cells.extend([k.amount.to_string(), k.tax.to_string(), k.total.to_string()]);
        cells.extend(blank(4));
        row(&mut w, cells)?;
    }
    let mut cells = vec![branch, String::new(), day, String::new()];
    cells.extend(["total".to_string(), t(lang, "ui.journal.total_name").to_string()]);
    cells.extend(blank(3));
    cells.extend([j.totals.amount.to_string(), j.totals.tax.to_string(), j.totals.total.to_string()]);
    cells.extend(blank(4));
    row(&mut w, cells)?;
    // The chain's head, for the supervisor's 検印: a paper anchor. The head right after
    // its tag, as scripts read it (`chain_head,SEQ:HASH`), then its name.
    let mut cells = blank(4);
    cells.extend(["chain_head".to_string(), j.chain_head.clone(), t(lang, "ui.journal.chain_head_name").to_string()]);
    cells.extend(blank(9));
    row(&mut w, cells)?;
    finish(w)
}

/// The file name of a journal export: branch and day, so that a day exported twice
/// replaces its own file and never another.
pub fn journal_file_name(j: &Journal) -> String {
    format!("fees-{}-{}.csv", j.branch.as_deref().unwrap_or("all"), format::date(j.date))
}

/// Writes the journal's CSV into `folder` (made if missing) and returns the file's path.
/// Written beside and renamed into place, so that a reader never sees half a file.
pub fn write_journal(folder: &std::path::Path, lang: Lang, j: &Journal) -> std::io::Result<std::path::PathBuf> {
    let bytes = journal_csv(lang, j).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(folder)?;
    let path = folder.join(journal_file_name(j));
    let part = folder.join(format!(".{}.part", journal_file_name(j)));
    std::fs::write(&part, bytes)?;
    std::fs::rename(&part, &path)?;
    Ok(path)
}
