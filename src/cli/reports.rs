//! `report fees` and `tokens expiring`: the journal and the expiry list for scripts and
//! spreadsheets. CSV is UTF-8 with a BOM and CRLF line ends, so that Excel opens it right.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use super::{Context, Failure, Outcome};
use crate::format;
use crate::i18n::{t, tf};
use crate::messages;
use crate::paper::{self, PaperFont};

/// Writes one CSV row; a failure to write is reported, never dropped.
fn row<I, T>(w: &mut csv::Writer<Vec<u8>>, cells: I) -> Result<(), Failure>
where
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    crate::export::row(w, cells).map_err(|e| Failure::say(e.to_string()))
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Outcome, Failure> {
    let bytes = crate::export::finish(w).map_err(|e| Failure::say(e.to_string()))?;
    write_out(&bytes)
}

fn write_out(bytes: &[u8]) -> Result<Outcome, Failure> {
    std::io::stdout().write_all(bytes).map_err(|e| Failure::say(e.to_string()))?;
    Ok(Outcome::Done)
}

fn check_branch(ctx: &Context, branch: Option<&str>) -> Result<(), Failure> {
    match branch {
        Some(b) if ctx.cfg.branch(b).is_none() => Err(Failure::say(t(ctx.lang, "err.unknown_branch"))),
        _ => Ok(()),
    }
}

pub fn fees(
    ctx: &Context,
    date: &str,
    branch: Option<&str>,
    json_out: bool,
    csv_out: bool,
) -> Result<Outcome, Failure> {
    let date = format::parse_date(date).ok_or_else(|| Failure::say(t(ctx.lang, "err.bad_date")))?;
    check_branch(ctx, branch)?;
    let mut ledger = crate::service::Ledger::open_read_only(&ctx.db, ctx.cfg.clone()).map_err(|e| ctx.fail(e))?;
    let j = ledger.fee_journal(None, date, branch).map_err(|e| ctx.fail(e))?;
    if json_out {
        println!("{}", serde_json::to_string(&j).unwrap_or_default());
        return Ok(Outcome::Done);
    }
    if csv_out {
        let bytes = crate::export::journal_csv(ctx.lang, &j).map_err(|e| Failure::say(e.to_string()))?;
        return write_out(&bytes);
    }
    let mut out = std::io::stdout().lock();
    for e in &j.entries {
        let _ = writeln!(
            out,
            "{} {:>6} {} {:<14} {:>8} {:>6} {:>8} {}",
            e.branch,
            e.receipt_no,
            format::time(e.at),
            e.kind.code(),
            e.amount,
            e.tax,
            e.amount + e.tax,
            crate::text::inert(e.company.as_deref().unwrap_or_default())
        );
    }
    let _ = writeln!(
        out,
        "total {} entries, amount {}, tax {}, total {}",
        j.totals.entries, j.totals.amount, j.totals.tax, j.totals.total
    );
    let _ = writeln!(out, "chain head {}", j.chain_head);
    Ok(Outcome::Done)
}

/// The font documents are set in, or the clear message of why there is none.
fn paper_font(ctx: &Context) -> Result<PaperFont, Failure> {
    PaperFont::load(ctx.cfg.print.font.as_deref()).map_err(|e| Failure::say(messages::paper(ctx.lang, &e)))
}

/// Says where the document was written.
fn saved(ctx: &Context, path: &Path, copy: i64, journal: bool) -> Result<Outcome, Failure> {
    let key = match (copy > 1, journal) {
        (false, _) => "msg.printed",
        (true, false) => "msg.printed_again",
        (true, true) => "msg.printed_again_journal",
    };
    eprintln!("{}", tf(ctx.lang, key, &[("path", &path.display().to_string()), ("copy", &copy.to_string())]));
    Ok(Outcome::Done)
}

/// `report receipt --pdf`: the receipt, its print recorded (a reprint says 再発行).
pub fn receipt_pdf(ctx: &Context, branch: &str, number: i64, path: &Path) -> Result<Outcome, Failure> {
    check_branch(ctx, Some(branch))?;
    let mut ledger = ctx.open()?;
    let session = ctx.sign_in(&mut ledger)?;
    let font = paper_font(ctx)?;
    // Written beside its place before the print is recorded, and put there after: a file
    // that cannot be written is no print, and a print not recorded leaves no file.
    let made =
        ledger.print_receipt(&session, branch, number, |doc| paper::stage(path, &paper::receipt_pdf(doc, &font)?));
    let (doc, staged) = made.map_err(|e| ctx.fail(e))?.map_err(|e| Failure::say(messages::paper(ctx.lang, &e)))?;
    staged.keep().map_err(|e| Failure::say(messages::paper(ctx.lang, &e)))?;
    saved(ctx, path, doc.print.copy, false)
}

/// `report fees --pdf`: the branch's daily fee journal (日計表), its print recorded.
pub fn journal_pdf(ctx: &Context, date: &str, branch: Option<&str>, path: &Path) -> Result<Outcome, Failure> {
    let date = format::parse_date(date).ok_or_else(|| Failure::say(t(ctx.lang, "err.bad_date")))?;
    check_branch(ctx, branch)?;
    let mut ledger = ctx.open()?;
    let session = ctx.sign_in(&mut ledger)?;
    let branch = branch.map_or_else(|| session.branch.clone(), str::to_string);
    let font = paper_font(ctx)?;
    let made =
        ledger.print_journal(&session, &branch, date, |doc| paper::stage(path, &paper::journal_pdf(doc, &font)?));
    let (doc, staged) = made.map_err(|e| ctx.fail(e))?.map_err(|e| Failure::say(messages::paper(ctx.lang, &e)))?;
    staged.keep().map_err(|e| Failure::say(messages::paper(ctx.lang, &e)))?;
    saved(ctx, path, doc.print.copy, true)
}

pub fn expiring(
    ctx: &Context,
    within: Option<u32>,
    branch: Option<&str>,
    json_out: bool,
    csv_out: bool,
) -> Result<Outcome, Failure> {
    check_branch(ctx, branch)?;
    let mut ledger = crate::service::Ledger::open_read_only(&ctx.db, ctx.cfg.clone()).map_err(|e| ctx.fail(e))?;
    let rows = ledger.expiring_tokens(None, within, branch).map_err(|e| ctx.fail(e))?;
    let days = within.unwrap_or(ctx.cfg.token.expiry_notice_days);
    if json_out {
        println!("{}", json!({ "within_days": days, "tokens": rows }));
        return Ok(Outcome::Done);
    }
    if csv_out {
        let mut w = crate::export::csv_writer();
        row(
            &mut w,
            ["serial", "expires", "expires_device", "branch", "cif", "company", "login_id", "replacement_mailed"],
        )?;
        for r in &rows {
            row(
                &mut w,
                [
                    r.serial.clone(),
                    format::date(r.expires),
                    r.expires.format("%m/%d/%Y").to_string(),
                    r.branch.clone(),
                    r.cif.clone(),
                    r.company.clone(),
                    r.login_id.clone(),
                    r.replacement_mailed.to_string(),
                ],
            )?;
        }
        return finish(w);
    }
    let mut out = std::io::stdout().lock();
    for r in &rows {
        let _ = writeln!(
            out,
            "{} {} {} {} {}{}",
            r.serial,
            format::date(r.expires),
            r.cif,
            crate::text::inert(&r.company),
            r.login_id,
            if r.replacement_mailed { " (mailed)" } else { "" }
        );
    }
    Ok(Outcome::Done)
}
