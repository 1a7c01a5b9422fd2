//! Paper for the desk on the real binary: the receipt printed from the fee dialog and the
//! day's journal from the Fee journal screen through `print.command`, and the command
//! line's PDFs read back as text: every field there, amounts that add up to the CSV and
//! JSON of the same day, the chain head that `audit verify` reports, a reprint marked and
//! recorded, and a clear message (and nothing recorded) when there is no usable font.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::flows::{open_user, query_i64};
use crate::support::pty::{Term, demo_ledger, key, madoguchi};
use crate::support::run::as_staff_at_noon;

pub(crate) fn text_of(pdf: &Path) -> String {
    pdf_extract::extract_text(pdf).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()))
}

fn today() -> String {
    madoguchi::format::date(madoguchi::format::business_date(crate::support::run::noon_now()))
}

/// A config whose print command is a script that copies each document into `printer`.
pub(crate) fn printing_config(dir: &Path) -> (String, std::path::PathBuf) {
    let printer = dir.join("printer");
    std::fs::create_dir(&printer).expect("printer dir");
    let script = dir.join("print.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncp \"$1\" {:?}\n", printer.display().to_string())).expect("script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[print]\ncommand = {:?}\nfolder = {:?}\n",
            script.display().to_string(),
            dir.join("prints").display().to_string()
        ),
    )
    .expect("config");
    (config.display().to_string(), printer)
}

pub(crate) fn printed(printer: &Path, prefix: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(printer)
        .expect("printer dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(prefix)))
        .collect();
    out.sort();
    out
}

#[test]
fn the_counter_prints_the_receipt_and_the_days_journal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let (config, printer) = printing_config(dir.path());
    let mut t = Term::start(&db, &["--config", &config], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    open_user(&mut t, "yamada-g1");
    t.send("t").wait_for("ハードトークン").wait_for("(●) 追加発行");
    t.send(key::ENTER).wait_for("実行しますか").send("y").wait_for("F7: 印刷");
    t.send(key::F7).wait_for("を印刷に回しました");
    // A second F7 is a reprint, and says so.
    t.send(key::F7).wait_for("再発行、2 回目");
    t.send(key::ENTER).send(key::CTRL_T).wait_for("検印待ち");
    t.send("j").wait_for("日計（1 件）").send(key::F7).wait_for("の日計表を印刷に回しました");
    // The customer lost it: the receipt is printed again from its row of the journal.
    t.send(key::DOWN).send(key::F8).wait_for("この領収書を再発行（再印刷）しますか").wait_for("受領番号 1");
    t.send("y").wait_for("再発行、3 回目");
    drop(t);

    let receipts = printed(&printer, "receipt-101-");
    assert_eq!(receipts.len(), 3, "{receipts:?}");
    let first = text_of(&receipts[0]);
    for needed in [
        "領収書",
        "OK銀行",
        "T0000000000000",
        "ハードトークン追加発行手数料",
        "¥2,200",
        "¥200",
        "10%対象",
        "御中",
        "clerk101",
        "上記正に領収いたしました",
    ] {
        assert!(first.contains(needed), "{needed} missing from the receipt:\n{first}");
    }
    assert!(!first.contains("再発行"), "{first}");
    assert!(text_of(&receipts[1]).contains("再発行"));
    assert!(text_of(&receipts[2]).contains("再発行（3回目の印刷）"));
    let journals = printed(&printer, "journal-101-");
    assert_eq!(journals.len(), 1, "{journals:?}");
    let journal = text_of(&journals[0]);
    assert!(journal.contains("手数料日計表") && journal.contains(&today()), "{journal}");
    assert!(journal.contains("領収書 1 枚") && journal.contains("¥2,200"), "{journal}");

    // Every print is in the ledger, under the staff member who printed it.
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'receipt.print' AND actor = 'clerk101'"), 3);
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'journal.print' AND actor = 'clerk101'"), 1);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

/// The busiest day of branch 101 in the demo ledger.
fn busiest_day(db: &Path) -> String {
    let c = rusqlite::Connection::open(db).expect("open");
    c.query_row(
        "SELECT business_date FROM fees WHERE branch = '101' GROUP BY business_date ORDER BY count(*) DESC, business_date LIMIT 1",
        [],
        |r| r.get(0),
    )
    .expect("a day with fees")
}

#[test]
fn the_journal_pdf_adds_up_to_the_csv_and_json_and_carries_the_chain_head() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 300);
    let day = busiest_day(&db);
    let (code, json, err) = madoguchi(&db, &["report", "fees", "--date", &day, "--branch", "101", "--json"], "");
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    let (_, csv, _) = madoguchi(&db, &["report", "fees", "--date", &day, "--branch", "101", "--csv"], "");
    let (_, verify, _) = madoguchi(&db, &["audit", "verify", "--json"], "");
    let verify: serde_json::Value = serde_json::from_str(&verify).expect("verify json");
    assert_eq!(verify["intact"], true, "{verify}");

    let pdf = dir.path().join("journal.pdf");
    let (code, _, err) = as_staff_at_noon(
        &db,
        "clerk101",
        &["report", "fees", "--date", &day, "--branch", "101", "--pdf", pdf.to_str().expect("utf-8")],
    );
    assert_eq!(code, 0, "{err}");
    let text = text_of(&pdf);
    let total = json["totals"]["total"].as_i64().expect("total");
    let entries = json["totals"]["entries"].as_i64().expect("entries");
    assert!(entries > 0, "the demo has fees on {day}");
    let yen = |v: i64| format!("¥{}", madoguchi::format::yen(v));
    assert!(
        text.contains(&format!(
            "総合計 {entries} {} {} {}",
            yen(json["totals"]["amount"].as_i64().expect("amount")),
            yen(json["totals"]["tax"].as_i64().expect("tax")),
            yen(total)
        )),
        "{text}"
    );
    // The CSV's total row says the same, to the yen.
    let total_row = csv.lines().find(|l| l.contains(",,total,")).expect("total row");
    assert!(total_row.contains(&format!(",{total},")), "{total_row}");
    for e in json["entries"].as_array().expect("entries") {
        let no = e["receipt_no"].as_i64().expect("no");
        assert!(text.contains(&format!("\n{no} ")), "receipt {no} missing:\n{text}");
    }
    // The chain head printed is the entry the print's own record follows (signing in
    // came between the verification above and the print), and it is a head that
    // verification reports, and that the ledger holds to afterwards.
    let (seq, prev): (i64, Vec<u8>) = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("SELECT seq, prev_hash FROM audit WHERE action = 'journal.print'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("the print is recorded");
    let head = format!("{}:{}", seq - 1, &hex::encode(prev)[..16]);
    assert!(text.contains(&head), "{head} missing:\n{text}");
    let before = verify["head"]["seq"].as_i64().expect("seq");
    assert!(seq - 1 > before, "signing in came after the verification: {before} < {}", seq - 1);
    assert!(text.contains(&format!("領収書 {entries} 枚")), "{text}");
    // And the ledger holds to that paper anchor afterwards.
    assert_eq!(madoguchi(&db, &["audit", "verify", "--expect", &head], "").0, 0);
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'journal.print' AND actor = 'clerk101'"), 1);
}

#[test]
fn a_reprinted_receipt_says_so_and_every_print_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 300);
    let no: i64 = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("SELECT min(receipt_no) FROM fees WHERE branch = '101'", [], |r| r.get(0))
        .expect("a receipt");
    let no = no.to_string();
    let print = |name: &str| {
        let pdf = dir.path().join(name);
        let out = as_staff_at_noon(
            &db,
            "clerk101",
            &["report", "receipt", "--branch", "101", "--number", &no, "--pdf", pdf.to_str().expect("utf-8")],
        );
        (out, pdf)
    };
    let ((code, _, err), first) = print("first.pdf");
    assert_eq!(code, 0, "{err}");
    let ((code, _, err), second) = print("second.pdf");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("再発行"), "{err}");
    let (a, b) = (text_of(&first), text_of(&second));
    assert!(!a.contains("再発行") && b.contains("再発行"), "{a}\n---\n{b}");
    assert!(a.contains(&format!("101-{:06}", no.parse::<i64>().expect("no"))), "{a}");
    let subject = format!("receipt:101:{no}");
    assert_eq!(
        query_i64(&db, &format!("SELECT count(*) FROM audit WHERE action = 'receipt.print' AND subject = '{subject}'")),
        2
    );
    // Another branch's clerk may not print it; an unknown number is named as such.
    let other = dir.path().join("other.pdf");
    let (code, _, err) = as_staff_at_noon(
        &db,
        "clerk102",
        &["report", "receipt", "--branch", "101", "--number", &no, "--pdf", other.to_str().expect("utf-8")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(!other.exists());
    let (code, _, err) = as_staff_at_noon(
        &db,
        "clerk101",
        &[
            "--lang",
            "en",
            "report",
            "receipt",
            "--branch",
            "101",
            "--number",
            "999999",
            "--pdf",
            other.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("Receipt"), "{err}");
    assert_eq!(
        query_i64(&db, &format!("SELECT count(*) FROM audit WHERE action = 'receipt.print' AND subject = '{subject}'")),
        2
    );
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn without_a_usable_font_the_message_names_it_and_nothing_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 300);
    let config = dir.path().join("config.toml");
    for font in [dir.path().join("no-such-font.ttf"), dir.path().join("config.toml")] {
        std::fs::write(&config, format!("[print]\nfont = {:?}\n", font.display().to_string())).expect("config");
        let pdf = dir.path().join("r.pdf");
        let (code, _, err) = as_staff_at_noon(
            &db,
            "clerk101",
            &[
                "--config",
                config.to_str().expect("utf-8"),
                "report",
                "receipt",
                "--branch",
                "101",
                "--number",
                "1",
                "--pdf",
                pdf.to_str().expect("utf-8"),
            ],
        );
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("印刷用フォント") && err.contains(&font.display().to_string()), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!pdf.exists());
    }
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'receipt.print'"), 0);
}

#[test]
fn a_print_the_ledger_refuses_leaves_no_paper_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 300);
    let pdf = dir.path().join("r.pdf");
    let args = ["report", "receipt", "--branch", "101", "--number", "1", "--pdf", pdf.to_str().expect("utf-8")];
    assert_eq!(as_staff_at_noon(&db, "clerk101", &args).0, 0);
    std::fs::remove_file(&pdf).expect("printed");
    // Someone takes the print's record out of the trail to get an unmarked "original".
    let c = rusqlite::Connection::open(&db).expect("open");
    c.execute("DELETE FROM audit WHERE action = 'receipt.print'", []).expect("cut");
    let (code, _, err) = as_staff_at_noon(&db, "clerk101", &args);
    assert_eq!(code, 3, "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("r.pdf"))
        .collect();
    assert!(left.is_empty(), "no receipt and no part of one: {left:?}");
}
