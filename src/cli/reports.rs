//! `report fees` and `tokens expiring`: the journal and the expiry list for scripts and
//! spreadsheets. CSV is UTF-8 with a BOM and CRLF line ends, so that Excel opens it right.

use std::io::Write;

use chrono::NaiveDate;
use serde_json::json;

use super::{Context, Failure, Outcome};
use crate::i18n::t;

/// CSV for Excel: BOM first, CRLF line ends.
fn csv_writer() -> csv::Writer<Vec<u8>> {
    let mut buf = Vec::new();
    buf.extend_from_slice("\u{feff}".as_bytes());
    csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buf)
}

fn finish(w: csv::Writer<Vec<u8>>) -> Result<Outcome, Failure> {
    let bytes = w.into_inner().map_err(|e| Failure(e.to_string()))?;
    std::io::stdout().write_all(&bytes).map_err(|e| Failure(e.to_string()))?;
    Ok(Outcome::Done)
}

fn check_branch(ctx: &Context, branch: Option<&str>) -> Result<(), Failure> {
    match branch {
        Some(b) if ctx.cfg.branch(b).is_none() => Err(Failure(t(ctx.lang, "err.unknown_branch").into())),
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
    let date =
        NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| Failure(t(ctx.lang, "ui.form.bad_date").into()))?;
    check_branch(ctx, branch)?;
    let ledger = crate::service::Ledger::open_read_only(&ctx.db, ctx.cfg.clone()).map_err(|e| ctx.fail(e))?;
    let j = ledger.fee_journal(None, date, branch).map_err(|e| ctx.fail(e))?;
    if json_out {
        println!("{}", serde_json::to_string(&j).unwrap_or_default());
        return Ok(Outcome::Done);
    }
    if csv_out {
        let mut w = csv_writer();
        let header = [
            "branch",
            "receipt_no",
            "business_date",
            "at",
            "kind",
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
        let _ = w.write_record(header);
        for e in &j.entries {
            let _ = w.write_record([
                e.branch.clone(),
                e.receipt_no.to_string(),
                e.business_date.clone(),
                crate::ui::widgets::jst(&e.at),
                e.kind.clone(),
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
            ]);
        }
        // Totals as rows of their own, so the sheet shows what the screen shows.
        let blank = |n: usize| vec![String::new(); n];
        for (kind, k) in &j.totals.by_kind {
            let mut row = vec![j.branch.clone().unwrap_or_default(), String::new(), j.date.clone(), String::new()];
            row.push(format!("total:{kind}"));
            row.extend(blank(3));
            row.extend([k.amount.to_string(), k.tax.to_string(), k.total.to_string()]);
            row.extend(blank(4));
            let _ = w.write_record(row);
        }
        let mut row = vec![j.branch.clone().unwrap_or_default(), String::new(), j.date.clone(), String::new()];
        row.push("total".into());
        row.extend(blank(3));
        row.extend([j.totals.amount.to_string(), j.totals.tax.to_string(), j.totals.total.to_string()]);
        row.extend(blank(4));
        let _ = w.write_record(row);
        return finish(w);
    }
    let mut out = std::io::stdout().lock();
    for e in &j.entries {
        let _ = writeln!(
            out,
            "{} {:>6} {} {:<14} {:>8} {:>6} {:>8} {}",
            e.branch,
            e.receipt_no,
            crate::ui::widgets::jst(&e.at),
            e.kind,
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
    Ok(Outcome::Done)
}

pub fn expiring(
    ctx: &Context,
    within: Option<u32>,
    branch: Option<&str>,
    json_out: bool,
    csv_out: bool,
) -> Result<Outcome, Failure> {
    check_branch(ctx, branch)?;
    let ledger = crate::service::Ledger::open_read_only(&ctx.db, ctx.cfg.clone()).map_err(|e| ctx.fail(e))?;
    let rows = ledger.expiring_tokens(None, within, branch).map_err(|e| ctx.fail(e))?;
    let days = within.unwrap_or(ctx.cfg.token.expiry_notice_days);
    if json_out {
        println!("{}", json!({ "within_days": days, "tokens": rows }));
        return Ok(Outcome::Done);
    }
    if csv_out {
        let mut w = csv_writer();
        let _ = w.write_record([
            "serial",
            "expires",
            "expires_device",
            "branch",
            "cif",
            "company",
            "login_id",
            "replacement_mailed",
        ]);
        for r in &rows {
            let device = NaiveDate::parse_from_str(&r.expires, "%Y-%m-%d")
                .map(|d| d.format("%m/%d/%Y").to_string())
                .unwrap_or_default();
            let _ = w.write_record([
                r.serial.clone(),
                r.expires.clone(),
                device,
                r.branch.clone(),
                r.cif.clone(),
                r.company.clone(),
                r.login_id.clone(),
                r.replacement_mailed.to_string(),
            ]);
        }
        return finish(w);
    }
    let mut out = std::io::stdout().lock();
    for r in &rows {
        let _ = writeln!(
            out,
            "{} {} {} {} {}{}",
            r.serial,
            r.expires,
            r.cif,
            crate::text::inert(&r.company),
            r.login_id,
            if r.replacement_mailed { " (mailed)" } else { "" }
        );
    }
    Ok(Outcome::Done)
}
