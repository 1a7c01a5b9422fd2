//! The counter as a hurried clerk drives it, on the real binary in a pseudo-terminal:
//! fields that edit, the way home, forms that take typing at once. Each test ends by
//! reading the ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::flows::{open_user, query_i64};
use crate::support::pty::{Term, demo_ledger, key, madoguchi};

#[test]
fn a_typo_in_the_middle_of_a_field_is_mended_where_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    // `clek101`, then Home, three to the right and the missing `r`: `clerk101`.
    t.wait_for("demo-pass-1").type_text("clek101").send(key::HOME);
    t.send(key::RIGHT).send(key::RIGHT).send(key::RIGHT).type_text("r");
    t.wait_for("[clerk101]");
    // A stray character deleted under the cursor, End, and on to the password.
    t.type_text("x").send(key::LEFT).send(key::DELETE).send(key::END).wait_for("[clerk101▏]");
    t.send(key::TAB).type_text("demo-pass-1").send(key::ENTER).wait_for("ホーム");
    // Ctrl-U empties a field: the search box starts over.
    t.send("/").type_text("yamada").wait_for("山田製作所").send(key::CTRL_U).wait_gone("山田製作所");
    t.type_text("aozora-m").wait_for("青空");
    drop(t);
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'staff.login' AND actor = 'clerk101'"), 1);
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'staff.login_failed'"), 0, "no failed login");
}

#[test]
fn home_is_one_key_or_three_esc_away_and_enter_never_throws_work_away() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    // Customer after customer, each with its token screen: the screens replace each other.
    for login in ["yamada-m", "yamada-g1", "aozora-m", "yamada-m"] {
        open_user(&mut t, login);
        t.send("t").wait_for("ハードトークン");
    }
    t.send(key::ESC).wait_for("yamada-m の詳細");
    t.send(key::ESC).wait_for("顧客検索");
    t.send(key::ESC).wait_for("検印待ち");
    // Ctrl-T from a procedure goes straight home.
    open_user(&mut t, "yamada-g1");
    t.send("t").wait_for("ハードトークン").send(key::CTRL_T).wait_for("検印待ち");
    // A half-typed form: Ctrl-T asks, and Enter alone keeps the form as it was.
    open_user(&mut t, "yamada-m");
    t.send("f").wait_for("申込書").send(key::TAB).type_text("4711");
    t.send(key::CTRL_T).wait_for("入力内容を破棄してホームに戻りますか").wait_for("Enter: いいえ");
    t.send(key::ENTER).wait_gone("破棄して").wait_for("4711");
    t.send(key::CTRL_T).wait_for("破棄して").send("y").wait_for("検印待ち");
    // Logging out defaults to no as well.
    t.send(key::CTRL_Q).wait_for("ログアウトしますか").send(key::ENTER).wait_gone("ログアウトしますか");
    t.wait_for("検印待ち");
    drop(t);
    // Nothing was filed by the abandoned form.
    assert_eq!(query_i64(&db, "SELECT count(*) FROM forms"), 0);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn the_journal_and_the_audit_trail_take_typing_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("super101", "demo-pass-1").wait_for("ホーム");
    // The journal opens with the focus on its date: a day typed at once is looked up.
    t.send("j").wait_for("日計").send(key::CTRL_U).type_text("2026-01-05").send(key::ENTER);
    t.wait_for("[2026-01-05");
    t.send(key::ESC).wait_for("検印待ち");
    // The audit trail opens on its customer filter.
    t.send("l").wait_for("監査証跡").type_text("101-0000001").send(key::ENTER).wait_for("誤入力");
    drop(t);
    assert!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'staff.login' AND actor = 'super101'") >= 1);
}

#[test]
fn open_screens_show_what_other_terminals_and_the_customer_channel_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut sup = Term::start(&db, &[], 80, 24);
    sup.log_in("super101", "demo-pass-1").wait_for("ホーム");
    sup.send("a").wait_for("検印待ちはありません");
    let mut clerk = Term::start(&db, &[], 80, 24);
    clerk.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    open_user(&mut clerk, "tozai-g1");
    assert!(!clerk.screen().contains("サービス停止"), "{}", clerk.screen());
    // The customer locks themself out through the internet-banking channel; the open
    // customer screen shows it without a key being pressed.
    for _ in 0..6 {
        let (code, _, err) = madoguchi(&db, &["ib", "login", "--login-id", "tozai-g1"], "Wrong-pass9\n");
        assert_eq!(code, 10, "{err}");
    }
    clerk.wait_for("サービス停止");
    // A form filed at the clerk's terminal reaches the supervisor's open queue.
    crate::flows::key_form(&mut clerk, "yamada-m", 0, "31415926", "New-pass12");
    sup.wait_for("依頼の内容").wait_gone("検印待ちはありません");
    // F5 reads again on demand and says so.
    sup.send(key::F5).wait_for("最新の内容を表示しました");
    drop((sup, clerk));
    assert_eq!(query_i64(&db, "SELECT count(*) FROM forms WHERE form_no = '31415926' AND request_id IS NOT NULL"), 1);
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM locks l JOIN users u ON u.id = l.user_id WHERE u.login_id = 'tozai-g1' AND l.cleared_at IS NULL"
        ),
        1
    );
}

#[test]
fn the_telephone_center_sees_only_the_loss_report_and_takes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("tel900", "demo-pass-1").wait_for("ホーム");
    // Approvals and the fee journal are not the telephone center's: not offered.
    assert!(!t.screen().contains("a 検印") && !t.screen().contains("j 日計"), "{}", t.screen());
    open_user(&mut t, "minato-m");
    t.send("t").wait_for("ハードトークン");
    t.wait_for("窓口でのお手続きが必要です（お取引店:").wait_for("101 本店営業部）");
    // The one step offered is chosen; the counter steps are not on the screen to pick.
    t.wait_for("(●) 紛失届");
    assert!(!t.screen().contains("( )"), "no other step to pick: {}", t.screen());
    t.send(key::ENTER).wait_for("実行しますか").send("y").wait_for("停止しました");
    drop(t);
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.login_id = 'minato-m' AND t.state = 'lost'"
        ),
        1
    );
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn the_journal_screen_writes_the_days_csv_where_the_config_says() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let exports = dir.path().join("exports");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("[export]\ndir = {:?}\n", exports.display().to_string())).expect("config");
    let config_arg = config.display().to_string();
    let mut t = Term::start(&db, &["--config", &config_arg], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    // A fee taken at the counter: a token added for yamada-g1.
    open_user(&mut t, "yamada-g1");
    t.send("t").wait_for("ハードトークン").wait_for("(●) 追加発行");
    t.send(key::ENTER).wait_for("実行しますか").send("y").wait_for("領収書").send(key::ENTER);
    t.send(key::CTRL_T).wait_for("検印待ち");
    t.send("j").wait_for("日計（1 件）").send(key::F6).wait_for("日計のCSVを書き出しました");
    drop(t);
    let today = madoguchi::format::date(madoguchi::format::business_date(crate::support::run::noon_now()));
    let file = exports.join(format!("fees-101-{today}.csv"));
    let written = std::fs::read_to_string(&file).expect("the CSV was written");
    // The same content as the command line's, kinds named in the staff's language beside
    // their codes.
    let (code, printed, _) =
        madoguchi(&db, &["--config", &config_arg, "report", "fees", "--date", &today, "--branch", "101", "--csv"], "");
    assert_eq!(code, 0);
    assert_eq!(written, printed);
    let kinds: Vec<&str> = written.lines().nth(1).expect("a row").split(',').skip(4).take(2).collect();
    assert_eq!(kinds, ["token_add", "追加発行"], "{written}");
}

#[test]
fn a_form_keyed_by_mistake_is_withdrawn_at_the_counter_and_keyed_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    crate::flows::key_form(&mut t, "yamada-m", 0, "31415926", "New-pass12");
    open_user(&mut t, "yamada-m");
    t.wait_for("承認待ち");
    // w: the pending request, a reason, Enter.
    t.send("w").wait_for("依頼の取下げ — yamada-m").type_text("申込書の記入誤り").send(key::ENTER);
    t.wait_for("依頼を取り下げました").wait_for("取下げ: ");
    // The user is free for a new form at once.
    crate::flows::key_form(&mut t, "yamada-m", 0, "31415927", "New-pass12");
    drop(t);
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'request.withdraw' AND actor = 'clerk101'"),
        1
    );
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM requests WHERE state = 'pending' AND requested_by = 'clerk101'"),
        1
    );
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn a_click_picks_a_row_and_the_mouse_can_be_left_to_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    assert!(t.mouse_captured(), "mouse on by default");
    t.send("/").type_text("101-").wait_for("株式会社みなと物流");
    // Click the row of みなと物流 (not the first), then Enter opens that one.
    let row = t.line_of("株式会社みなと物流").expect("the row");
    t.click(20, row).send(key::ENTER).wait_for("minato-m");
    t.wait_for("株式会社みなと物流");
    assert!(!t.screen().contains("株式会社山田製作所"), "{}", t.screen());
    drop(t);
    // `[ui] mouse = false`: the terminal keeps the mouse (to select text).
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[ui]\nmouse = false\n").expect("config");
    let config_arg = config.display().to_string();
    let mut t = Term::start(&db, &["--config", &config_arg], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    assert!(!t.mouse_captured());
    drop(t);
    assert!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'staff.login' AND actor = 'clerk101'") >= 2);
}

/// The history entries (their first lines) in the History box, top to bottom.
fn history(screen: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in screen.lines() {
        if line.contains("┌ 履歴") {
            inside = true;
            continue;
        }
        if inside && line.starts_with('└') {
            break;
        }
        let text = line.trim_start_matches('│').trim_end_matches('│').trim_end();
        if inside && text.starts_with("20") {
            out.push(text.to_string());
        }
    }
    out
}

#[test]
fn a_page_of_history_moves_by_what_is_on_screen_and_skips_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 60);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    open_user(&mut t, "yamada-m");
    let all = history(&t.screen());
    t.resize(80, 24).wait_for("履歴");
    let first_page = history(&t.screen());
    assert!(!first_page.is_empty() && first_page.len() < all.len(), "{first_page:?} of {all:?}");
    t.send("\x1b[6~");
    let second_page = history(&t.screen());
    assert_eq!(second_page.first(), all.get(first_page.len()), "the entry after the last one shown");
}
