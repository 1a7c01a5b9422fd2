//! Workflows on the real binary in a pseudo-terminal, each ending by reading the ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::pty::{Term, demo_ledger, key, madoguchi};
use crate::support::run::totp;

pub(crate) fn query_i64(db: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open ledger");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

#[test]
fn clerk_finds_yamada_by_zengin_kana_and_sees_the_masters_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 20);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    t.send("/").wait_for("顧客検索");
    t.type_text("ｶ)ﾔﾏﾀﾞ").wait_for("株式会社山田製作所");
    // Move the cursor down to the row of 株式会社山田製作所 and open it.
    let header = t.line_of("CIF").expect("results header");
    let row = t.line_of("株式会社山田製作所").expect("the row");
    for _ in header..row {
        t.send(key::DOWN);
    }
    t.send(key::ENTER).wait_for("yamada-m の詳細");
    t.wait_for("サービス停止").wait_for("ログインパスワード 6回連続誤り");
    // F2 switches the language at once.
    t.send(key::F2).wait_for("Suspended").wait_for("Details of yamada-m");
    t.send(key::F2).wait_for("yamada-m の詳細");
    // The ledger agrees: one open service lock, and the staff login was audited.
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM locks l JOIN users u ON u.id = l.user_id WHERE u.login_id = 'yamada-m' AND l.cleared_at IS NULL AND l.scope = 'service'"
        ),
        1
    );
    assert!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'staff.login' AND actor = 'clerk101'") >= 1);
    t.send(key::CTRL_Q).wait_for("ログアウトしますか").send("y").wait_for("ログアウトしました");
    t.send(key::CTRL_Q).wait_for("終了しますか").send("y");
    assert!(t.wait_exit().success());
    let (code, _, _) = madoguchi(&db, &["audit", "verify"], "");
    assert_eq!(code, 0);
}

#[test]
fn five_wrong_staff_passwords_lock_the_account() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &["--lang", "en"], 80, 24);
    t.wait_for("Staff login").type_text("clerk205").send(key::TAB);
    // The message never says how many tries are left: that would tell a real staff ID
    // from an unknown one.
    for _ in 1..=4 {
        t.type_text("not-my-pass9").send(key::ENTER);
        t.wait_for("Wrong staff ID or password");
        assert!(!t.screen().contains("tries left"));
    }
    t.type_text("not-my-pass9").send(key::ENTER).wait_for("This staff account is locked");
    // Even the right password is refused now.
    t.type_text("demo-pass-1").send(key::ENTER).wait_for("This staff account is locked");
    assert_eq!(query_i64(&db, "SELECT locked_at IS NOT NULL FROM staff WHERE id = 'clerk205'"), 1);
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'staff.locked' AND subject = 'staff:clerk205'"),
        1
    );
    drop(t);
    // The admin unlocks it from the command line, and the clerk gets in.
    assert_eq!(crate::support::run::as_admin(&db, &["staff", "unlock", "clerk205"], "").0, 0);
    let mut t = Term::start(&db, &["--lang", "en"], 80, 24);
    t.log_in("clerk205", "demo-pass-1").wait_for("Home");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

#[test]
fn hostile_company_name_is_shown_inert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    {
        // A company name with a clear-screen escape, as a hostile import might carry.
        let mut ledger = open_at_noon(&db);
        let users = [madoguchi::service::customers::NewCustomerUser {
            login_id: "evil-m",
            name: "悪\x1b]0;pwned\x07意",
            role: madoguchi::domain::credential::UserRole::Master,
            method: madoguchi::domain::credential::LoginMethod::Password,
        }];
        madoguchi::service::demo::add_contract(
            &mut ledger,
            &madoguchi::service::customers::NewCustomer {
                cif: "1019999999",
                branch: "101",
                company: "悪意\x1b[2J\x1b[H商事",
                company_kana: "ｱｸｲｼﾖｳｼﾞ",
                phone: "03-0000-0000",
                address: "",
                users: &users,
            },
        )
        .expect("add the hostile contract");
    }
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    t.send("/").type_text("evil-m").wait_for("␛[2J␛[H商事");
    t.send(key::ENTER).wait_for("evil-m の詳細");
    let screen = t.screen();
    // The screen was not cleared: the frame around it is still there, the name is inert.
    assert!(screen.contains("悪意␛[2J␛[H商事"), "{screen}");
    assert!(screen.contains("悪␛]0;pwned␇意"), "{screen}");
    assert!(screen.contains("利用者"), "{screen}");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

/// `ib login` with a wrong password until suspended, as the customer would.
fn lock_out_by_ib(db: &std::path::Path, login_id: &str) {
    for n in 1..=6 {
        let (code, json, _) = madoguchi(db, &["ib", "login", "--login-id", login_id, "--json"], "Wrong-pass9\n");
        assert_eq!(code, 10, "attempt {n}: {json}");
    }
    let (code, json, _) = madoguchi(db, &["ib", "login", "--login-id", login_id, "--json"], "Login-pass1\n");
    assert_eq!(code, 11, "suspended now: {json}");
    assert!(json.contains("\"suspended\":\"service\""), "{json}");
}

/// Opens the customer of `login_id`; found by its login ID, that user is selected.
pub(crate) fn open_user(t: &mut Term, login_id: &str) {
    t.send("/").type_text(login_id).wait_for("CIF").send(key::ENTER).wait_for("利用者");
    t.wait_for(&format!("{login_id} の詳細"));
}

#[test]
fn counter_unlock_after_ib_lockout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    lock_out_by_ib(&db, "yamada-g1");
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    open_user(&mut t, "yamada-g1");
    t.wait_for("サービス停止");
    t.send("u").wait_for("ロック解除 — yamada-g1");
    // An empty identity check is refused with a message before anything is asked or written.
    t.send(key::ENTER).wait_for("本人確認書類の種類を選んでください");
    assert!(!t.screen().contains("ロックを解除しますか"));
    // Lock, cause, document (運転免許証), seal, reason.
    t.send(key::TAB).send(key::TAB).send(key::DOWN).send(key::TAB).send(key::DOWN).send(key::TAB);
    t.type_text("本人来店、誤入力のため").send(key::ENTER).wait_for("ロックを解除しますか").send("y");
    t.wait_for("ロックを解除しました").wait_for("yamada-g1 の詳細");
    let (code, json, _) = madoguchi(&db, &["ib", "login", "--login-id", "yamada-g1", "--json"], "Login-pass1\n");
    assert_eq!(code, 0, "{json}");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let (by, kind, identity, reason): (String, String, String, String) = conn
        .query_row(
            "SELECT cleared_by, clear_kind, identity_check, clear_reason FROM locks l JOIN users u ON u.id = l.user_id
             WHERE u.login_id = 'yamada-g1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("the lock");
    assert_eq!((by.as_str(), kind.as_str()), ("clerk101", "unlock"));
    assert!(identity.contains("drivers_license") && identity.contains("\"seal_matched\":true"), "{identity}");
    assert_eq!(reason, "本人来店、誤入力のため");
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM audit a JOIN users u ON a.subject = 'contract:' || u.contract_id || '/user:' || u.id
             WHERE u.login_id = 'yamada-g1' AND a.action = 'lock.open'"
        ),
        1
    );
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'lock.clear' AND actor = 'clerk101'"), 1);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn phone_unlock_by_the_telephone_center() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    lock_out_by_ib(&db, "aozora-g1");
    let mut t = Term::start(&db, &["--lang", "en"], 80, 24);
    t.log_in("tel900", "demo-pass-1").wait_for("Home");
    t.send("/").type_text("aozora-g1").wait_for("CIF").send(key::ENTER).wait_for("Users");
    t.send(key::DOWN).send(key::DOWN).wait_for("Details of aozora-g1");
    t.send("u").wait_for("Unlock — aozora-g1");
    // Lock, cause, call back, reason.
    t.send(key::TAB).send(key::TAB).send(key::DOWN).send(key::TAB);
    t.type_text("called back, mistyped").send(key::ENTER).wait_for("lift the lock?").send("y");
    t.wait_for("Lock lifted.");
    assert_eq!(madoguchi(&db, &["ib", "login", "--login-id", "aozora-g1"], "Login-pass1\n").0, 0);
    let identity: String = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("SELECT identity_check FROM locks WHERE cleared_by = 'tel900'", [], |r| r.get(0))
        .expect("lifted by tel900");
    assert!(identity.contains("\"channel\":\"phone\"") && identity.contains("\"called_back\":true"), "{identity}");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn otp_lock_leaves_login_working_until_lifted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    // みなと物流's master is OTP-suspended in the demo: OTP refused, login fine.
    let (code, json, _) =
        madoguchi(&db, &["ib", "verify", "--login-id", "minato-m", "--secret", "otp", "--json"], "123456\n");
    assert_eq!(code, 11, "{json}");
    assert!(json.contains("\"suspended\":\"otp\""), "{json}");
    assert_eq!(madoguchi(&db, &["ib", "login", "--login-id", "minato-m"], "Login-pass1\n").0, 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    open_user(&mut t, "minato-m");
    t.wait_for("OTP停止").send("u").wait_for("ワンタイムパスワード 6回連続誤り");
    t.send(key::TAB).send(key::TAB).send(key::DOWN).send(key::DOWN).send(key::TAB).send(key::DOWN).send(key::TAB);
    t.type_text("本人来店")
        .send(key::ENTER)
        .wait_for("ロックを解除しますか")
        .send("y")
        .wait_for("ロックを解除しました");
    let (code, code_text, _) = madoguchi(&db, &["tokens", "code", "HT10000003"], "");
    assert_eq!(code, 0);
    let (code, json, _) = madoguchi(
        &db,
        &["ib", "verify", "--login-id", "minato-m", "--secret", "otp", "--json"],
        &format!("{}\n", code_text.trim()),
    );
    assert_eq!(code, 0, "{json}");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

#[test]
fn third_unlock_in_thirty_days_waits_for_a_supervisor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    // Two unlocks already this month, through the same use case the screen calls.
    for _ in 0..2 {
        lock_out_by_ib(&db, "yamada-g1");
        let mut ledger = open_at_noon(&db);
        let clerk = ledger.staff_login("clerk101", &secrecy::SecretString::from("demo-pass-1")).expect("login");
        let lock: i64 = crate::support::peek::open(&db).one(
            "SELECT l.id FROM locks l JOIN users u ON u.id = l.user_id WHERE u.login_id = 'yamada-g1' AND l.cleared_at IS NULL",
            &[],
        );
        let check = madoguchi::domain::unlock::IdentityCheck::Counter {
            document: Some(madoguchi::domain::unlock::IdDocument::Passport),
            seal_matched: true,
        };
        ledger.unlock(&clerk, lock, check, "誤入力").expect("unlock");
    }
    lock_out_by_ib(&db, "yamada-g1");
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    open_user(&mut t, "yamada-g1");
    t.send("u").wait_for("ロック解除 — yamada-g1");
    t.send(key::TAB).send(key::TAB).send(key::DOWN).send(key::TAB).send(key::DOWN).send(key::TAB);
    t.type_text("三度目").send(key::ENTER).wait_for("ロックを解除しますか").send("y");
    t.wait_for("役席の承認待ち").wait_for("承認待ち: ロック解除");
    assert_eq!(query_i64(&db, "SELECT count(*) FROM requests WHERE kind = 'unlock' AND state = 'pending'"), 1);
    // Still suspended until a supervisor approves.
    assert_eq!(madoguchi(&db, &["ib", "login", "--login-id", "yamada-g1"], "Login-pass1\n").0, 11);
    let mut sup = Term::start(&db, &[], 80, 24);
    sup.log_in("super101", "demo-pass-1").wait_for("ホーム");
    sup.send("a").wait_for("ログインパスワードのロックを解除します").wait_for("三度目");
    sup.send(key::ENTER).type_text(&supervisor_code(0)).send(key::ENTER).wait_for("承認しますか").send("y");
    sup.wait_for("承認しました");
    assert_eq!(madoguchi(&db, &["ib", "login", "--login-id", "yamada-g1"], "Login-pass1\n").0, 0);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn guidance_is_recorded_and_the_phone_sends_counter_work_to_the_branch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("tel900", "demo-pass-1").wait_for("ホーム");
    t.send("/").type_text("101-0000001").wait_for("株式会社山田製作所").send(key::ENTER).wait_for("yamada-m の詳細");
    t.send("g").wait_for("どなたから");
    // The master of a contract without an admin forgot the password: the paper form.
    t.send(key::DOWN).wait_for("所定の申込書でパスワードを再登録します");
    t.wait_for("窓口でのお手続きが必要です").wait_for("本店営業部").wait_for("丸の内");
    t.send(key::ENTER).wait_for("記録しますか").send("y").wait_for("案内を履歴に記録しました");
    let details: String = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("SELECT details FROM audit WHERE action = 'guidance.given' AND actor = 'tel900'", [], |r| r.get(0))
        .expect("guidance recorded");
    assert!(details.contains("form_password") && details.contains("\"send_to_branch\":true"), "{details}");
    // Back on the customer, the history shows what the customer was told.
    t.send(key::ESC).wait_for("案内");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

#[test]
fn another_branch_cannot_unlock_and_two_terminals_do_not_lift_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    lock_out_by_ib(&db, "yamada-g1");
    let fill = |t: &mut Term| {
        t.send(key::TAB).send(key::TAB).send(key::DOWN).send(key::TAB).send(key::DOWN).send(key::TAB);
        t.type_text("誤入力");
    };
    // 港支店's clerk is told to send the customer to their branch.
    let mut other = Term::start(&db, &[], 80, 24);
    other.log_in("clerk205", "demo-pass-1").wait_for("ホーム");
    open_user(&mut other, "yamada-g1");
    // The refusal comes at once, before anything is filled in.
    other.send("u").wait_for("お取引店（101 本店営業部）でのお手続きが必要です");
    assert!(!other.screen().contains("ロック解除 — yamada-g1"));
    assert_eq!(query_i64(&db, "SELECT count(*) FROM locks WHERE cleared_at IS NOT NULL"), 0);
    // Two terminals of the right branch on the same lock: the second sees who lifted it.
    let mut a = Term::start(&db, &[], 80, 24);
    let mut b = Term::start(&db, &[], 80, 24);
    for t in [&mut a, &mut b] {
        t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
        open_user(t, "yamada-g1");
        t.send("u").wait_for("ロック解除 — yamada-g1");
        fill(t);
    }
    a.send(key::ENTER).send("y").wait_for("ロックを解除しました");
    b.send(key::ENTER).send("y").wait_for("すでに clerk101 が処理しました");
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'lock.clear'"), 1);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

/// The demo supervisors' current authenticator code, `steps` periods from now.
fn supervisor_code(steps: i64) -> String {
    totp::code_at_noon(&totp::demo_secret(), steps)
}

/// Keys a form from the Customer screen of `login_id`: kind (↓ presses from the first
/// kind that applies), form number, who brought it, 運転免許証, seal, the secret twice.
pub(crate) fn key_form(t: &mut Term, login_id: &str, kind_downs: usize, form_no: &str, secret: &str) {
    open_user(t, login_id);
    t.send("f").wait_for("申込書の種類");
    for _ in 0..kind_downs {
        t.send(key::DOWN);
    }
    t.send(key::TAB).type_text(form_no).send(key::TAB).send(key::TAB).type_text("山田 太郎");
    t.send(key::TAB).send(key::DOWN).send(key::TAB).send(key::DOWN).send(key::TAB);
    t.type_text(secret).send(key::TAB).type_text(secret);
    t.send(key::ENTER).wait_for("検印に回しますか").send("y").wait_for("役席の検印待ちです");
}

/// Approves the oldest request in the queue with a code.
fn approve_first(t: &mut Term, code: &str) {
    t.send("a").wait_for("依頼の内容").send(key::ENTER).type_text(code).send(key::ENTER);
    t.wait_for("承認しますか").send("y");
}

#[test]
fn password_form_approved_by_a_supervisor_then_changed_by_the_customer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut clerk = Term::start(&db, &[], 80, 24);
    clerk.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    key_form(&mut clerk, "yamada-m", 0, "12345678", "New-pass123");
    clerk.wait_for("承認待ち: パスワード再登録");
    // Pending: nothing has changed for the customer.
    assert_eq!(madoguchi(&db, &["ib", "login", "--login-id", "yamada-m"], "New-pass123\n").0, 11);
    // The supervisor approves with a code from the demo authenticator.
    let mut sup = Term::start(&db, &[], 80, 24);
    sup.log_in("super101", "demo-pass-1").wait_for("ホーム").wait_for("検印待ち  1");
    approve_first(&mut sup, &supervisor_code(0));
    sup.wait_for("承認しました").wait_for("検印待ちはありません");
    let (code, json, _) = madoguchi(&db, &["ib", "login", "--login-id", "yamada-m", "--json"], "New-pass123\n");
    assert_eq!(code, 12, "{json}");
    assert!(json.contains("must_change"), "{json}");
    let (code, json, _) = madoguchi(
        &db,
        &["ib", "change-password", "--login-id", "yamada-m", "--kind", "login", "--json"],
        "New-pass123\nMy-own-pass7\n",
    );
    assert_eq!(code, 0, "{json}");
    assert_eq!(madoguchi(&db, &["ib", "login", "--login-id", "yamada-m"], "My-own-pass7\n").0, 0);
    let conn = rusqlite::Connection::open(&db).expect("open");
    let (state, by): (String, String) = conn
        .query_row("SELECT state, decided_by FROM requests WHERE kind = 'form_password'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("request");
    assert_eq!((state.as_str(), by.as_str()), ("approved", "super101"));
    let form: (String, String, i64) = conn
        .query_row("SELECT form_no, id_document, seal_checked FROM forms", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("form");
    assert_eq!(form, ("12345678".into(), "drivers_license".into(), 1));
    // The new password never reached the ledger in the clear.
    let bytes = std::fs::read(&db).expect("read");
    assert!(!bytes.windows(11).any(|w| w == b"New-pass123"));
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn pin_change_approved_and_own_request_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut sup = Term::start(&db, &[], 80, 24);
    sup.log_in("super101", "demo-pass-1").wait_for("ホーム");
    // A supervisor may key a form, but never approve it.
    key_form(&mut sup, "yamada-g1", 0, "22223333", "4321");
    sup.send(key::ESC).send(key::ESC).send(key::ESC).wait_for("ホーム");
    approve_first(&mut sup, &supervisor_code(0));
    sup.wait_for("自分が依頼した手続きは検印できません");
    // Reject it instead? Not one's own either; another clerk keys a fresh one.
    let mut clerk = Term::start(&db, &[], 80, 24);
    clerk.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    key_form(&mut clerk, "aozora-m", 0, "22224444", "9876");
    sup.send(key::ESC).wait_for("ホーム");
    sup.send("a").wait_for("依頼の内容").send(key::DOWN);
    sup.send(key::ENTER).type_text(&supervisor_code(1)).send(key::ENTER).wait_for("承認しますか").send("y");
    sup.wait_for("承認しました");
    assert_eq!(madoguchi(&db, &["ib", "verify", "--login-id", "aozora-m", "--secret", "pin"], "9876\n").0, 0);
    assert_eq!(madoguchi(&db, &["ib", "verify", "--login-id", "aozora-m", "--secret", "pin"], "1234\n").0, 10);
    // The supervisor's own request is still pending.
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM requests WHERE state = 'pending' AND requested_by = 'super101'"),
        1
    );
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

#[test]
fn rejection_reason_reaches_the_clerk_and_two_terminals_decide_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut clerk = Term::start(&db, &[], 80, 24);
    clerk.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    key_form(&mut clerk, "yamada-g1", 0, "33334444", "4321");
    let mut a = Term::start(&db, &[], 80, 24);
    let mut b = Term::start(&db, &[], 80, 24);
    for t in [&mut a, &mut b] {
        t.log_in("super101", "demo-pass-1").wait_for("ホーム");
        t.send("a").wait_for("依頼の内容");
    }
    // One rejects with a reason; the other, a moment later, tries to approve.
    a.send(key::TAB).send(key::TAB).type_text("届出印が不鮮明").send(key::ENTER).wait_for("却下しますか").send("y");
    a.wait_for("却下しました");
    b.send(key::ENTER).type_text(&supervisor_code(0)).send(key::ENTER).wait_for("承認しますか").send("y");
    b.wait_for("すでに super101 が処理しました");
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action IN ('request.approve', 'request.reject')"), 1);
    // The clerk sees the reason on the customer.
    open_user(&mut clerk, "yamada-g1");
    clerk.wait_for("却下: 暗証番号変更").wait_for("届出印が不鮮明");
    assert_eq!(madoguchi(&db, &["ib", "verify", "--login-id", "yamada-g1", "--secret", "pin"], "1234\n").0, 0);
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

/// A code of a seed we imported ourselves, `steps` periods from now.
fn code_of(seed: &[u8], steps: i64) -> String {
    totp::code_at_noon(seed, steps)
}

/// Chooses the step on the Hard token screen by pressing ↑ to the top, then ↓ `n` times.
fn choose_step(t: &mut Term, n: usize) {
    for _ in 0..5 {
        t.send(key::UP);
    }
    for _ in 0..n {
        t.send(key::DOWN);
    }
}

#[test]
fn import_add_hand_over_lose_reissue_and_use_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    // The vendor's CSV for branch 101: two tokens with seeds we know.
    let seeds = [b"imported-seed-number-1".to_vec(), b"imported-seed-number-2".to_vec()];
    let expires = (crate::support::run::noon_now() + chrono::Duration::days(900)).format("%Y-%m-%d");
    let mut csv = String::from("serial,secret,algorithm,digits,period,expires\r\n");
    for (i, s) in seeds.iter().enumerate() {
        csv.push_str(&format!("IMP000{},hex:{},SHA1,6,30,{expires}\r\n", i + 1, hex::encode(s)));
    }
    let file = dir.path().join("tokens.csv");
    std::fs::write(&file, csv).expect("write csv");
    let (code, json, _) = crate::support::run::as_admin(
        &db,
        &["tokens", "import", file.to_str().expect("path"), "--branch", "101", "--json"],
        "",
    );
    assert_eq!(code, 0, "{json}");
    assert!(json.contains("\"imported\":2") && json.contains("\"branch\":\"101\""), "{json}");

    // 追加発行 for yamada-g1 with the fee, then hand-over with the code on the device.
    let mut clerk = Term::start(&db, &[], 80, 24);
    clerk.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    open_user(&mut clerk, "yamada-g1");
    clerk.send("t").wait_for("ハードトークン — 株式会社山田製作所");
    choose_step(&mut clerk, 0);
    clerk.send(key::TAB);
    for _ in 0..12 {
        clerk.send(key::BACKSPACE);
    }
    clerk.type_text("IMP0001").send(key::ENTER).wait_for("実行しますか").send("y");
    clerk.wait_for("領収書").wait_for("2,200円").wait_for("T0000000000000").send(key::ENTER);
    clerk.wait_for("受け渡しでコードを確認してください");
    // Before hand-over the token is not the user's: a code is a wrong code (and counts).
    assert_eq!(madoguchi(&db, &["ib", "verify", "--login-id", "yamada-g1", "--secret", "otp"], "123456\n").0, 10);
    choose_step(&mut clerk, 1);
    clerk.send(key::TAB).type_text("000000").send(key::ENTER).send("y").wait_for("トークンのコードが一致しません");
    // The code on the device, as `tokens code` shows it on a demo ledger.
    let (_, on_device, _) = madoguchi(&db, &["tokens", "code", "IMP0001"], "");
    clerk.type_text(on_device.trim()).send(key::ENTER).send("y").wait_for("トークン IMP0001 を受け渡しました");
    let otp = |steps| format!("{}\n", code_of(&seeds[0], steps));
    assert_eq!(madoguchi(&db, &["ib", "verify", "--login-id", "yamada-g1", "--secret", "otp"], &otp(1)).0, 0);

    // Lost, reported by phone: OTP refused at once, login still works.
    let mut tel = Term::start(&db, &[], 80, 24);
    tel.log_in("tel900", "demo-pass-1").wait_for("ホーム");
    open_user(&mut tel, "yamada-g1");
    tel.send("t").wait_for("ハードトークン");
    choose_step(&mut tel, 2);
    tel.send(key::ENTER).send("y").wait_for("トークン IMP0001 を停止しました");
    // A telephone operator cannot reissue: that is a counter procedure.
    choose_step(&mut tel, 3);
    tel.send(key::ENTER).send("y").wait_for("窓口でのお手続きが必要です");
    let (code, json, _) =
        madoguchi(&db, &["ib", "verify", "--login-id", "yamada-g1", "--secret", "otp", "--json"], &otp(1));
    assert_eq!(code, 11, "{json}");
    assert_eq!(madoguchi(&db, &["ib", "login", "--login-id", "yamada-g1"], "Login-pass1\n").0, 0);

    // Reissue at the counter with the fee; hand-over waits for the supervisor.
    clerk.send(key::ESC).wait_for("yamada-g1 の詳細").send("t").wait_for("紛失");
    choose_step(&mut clerk, 3);
    clerk.send(key::TAB);
    for _ in 0..12 {
        clerk.send(key::BACKSPACE);
    }
    clerk.type_text("IMP0002").send(key::ENTER).send("y").wait_for("領収書").send(key::ENTER);
    clerk.wait_for("役席の承認待ち");
    choose_step(&mut clerk, 1);
    clerk.send(key::TAB).type_text(&code_of(&seeds[1], 0)).send(key::ENTER).send("y").wait_for("承認されるまで");
    let mut sup = Term::start(&db, &[], 80, 24);
    sup.log_in("super101", "demo-pass-1").wait_for("ホーム");
    sup.send("a").wait_for("IMP0002").send(key::ENTER).type_text(&supervisor_code(0)).send(key::ENTER);
    sup.wait_for("承認しますか").send("y").wait_for("承認しました");
    clerk.type_text(&code_of(&seeds[1], 0)).send(key::ENTER).send("y").wait_for("トークン IMP0002 を受け渡しました");
    let otp2 = format!("{}\n", code_of(&seeds[1], 1));
    assert_eq!(madoguchi(&db, &["ib", "verify", "--login-id", "yamada-g1", "--secret", "otp"], &otp2).0, 0);
    // The ledger: old and new tokens linked, the old one retired, two fees with receipts 1, 2.
    let conn = rusqlite::Connection::open(&db).expect("open");
    let (state, replaces): (String, String) = conn
        .query_row(
            "SELECT o.state, n.serial FROM tokens n JOIN tokens o ON o.id = n.replaces WHERE n.serial = 'IMP0002'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("linked");
    assert_eq!((state.as_str(), replaces.as_str()), ("retired", "IMP0002"));
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM fees WHERE branch = '101' AND receipt_no IN (1, 2) AND amount = 2000 AND tax = 200"
        ),
        2
    );
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn fee_reversal_needs_approval_and_the_csv_matches_the_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut clerk = Term::start(&db, &[], 80, 24);
    clerk.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    open_user(&mut clerk, "yamada-g1");
    clerk.send("t").wait_for("ハードトークン");
    choose_step(&mut clerk, 0);
    clerk.send(key::ENTER).send("y").wait_for("領収書").send(key::ENTER);
    clerk.send(key::ESC);
    // tozai is 102's customer: clerk101 is not offered an add there, only told where.
    open_user(&mut clerk, "tozai-g1");
    clerk.send("t").wait_for("ハードトークン").wait_for("窓口でのお手続きが必要です（お取引店:");
    assert!(!clerk.screen().contains("追加発行"), "{}", clerk.screen());
    clerk.send(key::ESC);
    open_user(&mut clerk, "aozora-g1");
    clerk.send("t").wait_for("ハードトークン");
    choose_step(&mut clerk, 0);
    clerk.send(key::ENTER).send("y").wait_for("領収書").send(key::ENTER);
    // The journal shows two receipts; the second is reversed by request.
    for _ in 0..12 {
        clerk.send(key::ESC);
    }
    clerk.wait_for("ホーム");
    clerk.send("j").wait_for("日計（2 件）").wait_for("総計 2 件　金額 4,000円　消費税 400円　合計 4,400円");
    // The date has the focus; ↓ goes into the rows, ↓ again to the second.
    clerk.send(key::DOWN).send(key::DOWN).send(key::TAB).send(key::TAB).type_text("金額誤り").send(key::ENTER);
    // The question names the receipt and the amount.
    clerk.wait_for("取消・免除を依頼しますか").wait_for("受領番号 2・2,200円・取消");
    clerk.send("y").wait_for("役席の承認待ち");
    // Not posted until approved.
    let today = madoguchi::format::date(madoguchi::format::business_date(crate::support::run::noon_now()));
    let (_, json, _) = madoguchi(&db, &["report", "fees", "--date", &today, "--branch", "101", "--json"], "");
    assert!(json.contains("\"total\":4400"), "{json}");
    let mut sup = Term::start(&db, &[], 80, 24);
    sup.log_in("super101", "demo-pass-1").wait_for("ホーム");
    sup.send("a")
        .wait_for("領収書 No.2（2,200円）の手数料を取消として記帳します")
        .send(key::ENTER)
        .type_text(&supervisor_code(0))
        .send(key::ENTER);
    sup.wait_for("承認しますか").send("y").wait_for("承認しました");
    // The journal now has the reversal as a third receipt, and totals of 2,200.
    clerk.send(key::ESC).send("j").wait_for("日計（3 件）").wait_for("No.2取消");
    clerk.wait_for("総計 3 件　金額 2,000円　消費税 200円　合計 2,200円");
    let (code, csv, _) = madoguchi(&db, &["report", "fees", "--date", &today, "--branch", "101", "--csv"], "");
    assert_eq!(code, 0);
    assert!(csv.starts_with('\u{feff}') && csv.contains("\r\n"), "BOM and CRLF for Excel");
    let total_row = csv.lines().find(|l| l.contains(",,total,")).expect("total row");
    assert!(total_row.ends_with(",2000,200,2200,,,,"), "{total_row}");
    assert!(csv.lines().any(|l| l.contains(",reversal,") && l.contains(",-2000,-200,-2200,2,")), "{csv}");
    let (_, json, _) = madoguchi(&db, &["report", "fees", "--date", &today, "--branch", "101", "--json"], "");
    assert!(json.contains("\"total\":2200") && json.contains("\"entries\":3"), "{json}");
    // The reversal prints as its own receipt (取消) that names the one it cancels.
    let pdf = db.with_file_name("reversal.pdf");
    let args = ["report", "receipt", "--branch", "101", "--number", "3", "--pdf", pdf.to_str().expect("utf-8")];
    let (code, _, err) = crate::support::run::as_staff_at_noon(&db, "clerk101", &args);
    assert_eq!(code, 0, "{err}");
    let text = pdf_extract::extract_text(&pdf).expect("text");
    assert!(text.contains("領収書（取消）") && text.contains("原領収書 No. 101-000002 の取消"), "{text}");
    assert!(text.contains("-¥2,200"), "{text}");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0);
}

#[test]
fn expiring_tokens_and_a_replacement_by_mail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let (code, json, _) = madoguchi(&db, &["tokens", "expiring", "--json"], "");
    assert_eq!(code, 0);
    assert!(json.contains("HT10000005") && json.contains("sakura-m"), "{json}");
    let mut clerk = Term::start(&db, &[], 80, 24);
    clerk.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    clerk.send("e").wait_for("90日以内に有効期限を迎えるトークン").wait_for("HT10000005");
    clerk.send(key::ENTER).wait_for("sakura-m の詳細").send("t").wait_for("ハードトークン");
    choose_step(&mut clerk, 4);
    clerk.send(key::TAB).send(key::TAB).type_text("RM123456789JP").send(key::ENTER).send("y");
    clerk.wait_for("の郵送を記録しました");
    let serial: String = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("SELECT serial FROM tokens WHERE state = 'mailed' AND tracking_no = 'RM123456789JP'", [], |r| {
            r.get(0)
        })
        .expect("mailed");
    // The old token still works until the new one is first used; then it is retired.
    let (_, old, _) = madoguchi(&db, &["tokens", "code", "HT10000005"], "");
    assert_eq!(madoguchi(&db, &["ib", "verify", "--login-id", "sakura-m", "--secret", "otp"], &old).0, 0);
    let (_, new, _) = madoguchi(&db, &["tokens", "code", &serial], "");
    assert_eq!(madoguchi(&db, &["ib", "verify", "--login-id", "sakura-m", "--secret", "otp"], &new).0, 0);
    assert_eq!(query_i64(&db, "SELECT count(*) FROM tokens WHERE serial = 'HT10000005' AND state = 'retired'"), 1);
    assert_eq!(
        query_i64(&db, "SELECT count(*) FROM fees f JOIN users u ON u.id = f.user_id WHERE u.login_id = 'sakura-m'"),
        0,
        "a replacement is free"
    );
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

#[test]
fn audit_trail_screen_filters_and_finds_tampering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("super101", "demo-pass-1").wait_for("ホーム");
    t.send("l").wait_for("監査証跡（1 ページ目");
    // Filter on the customer (the first filter has the focus): only 株式会社山田製作所's
    // entries.
    t.type_text("101-0000001").send(key::ENTER).wait_for("利用停止（ロック）").wait_for("誤入力");
    assert!(!t.screen().contains("職員ログイン"), "{}", t.screen());
    // Subjects are named, details are labelled: no ids, no JSON.
    t.wait_for("株式会社山田製作所・yamada-m").wait_for("誤り回数: ");
    assert!(!t.screen().contains("contract:") && !t.screen().contains("{\""), "{}", t.screen());
    // The action filter takes the label staff read (from the rows, Tab round to it).
    t.send(key::TAB).send(key::TAB).send(key::TAB).type_text("利用停止").send(key::ENTER);
    t.wait_for("監査証跡（1 ページ目、1 件").wait_for("利用停止（ロック）");
    // The tamper check passes, then fails once a row is edited behind the app's back.
    t.send(key::BACKTAB).wait_for("ここで Enter").send(key::ENTER).wait_for("改ざんなし");
    rusqlite::Connection::open(&db)
        .expect("open")
        .execute("UPDATE audit SET details = '{\"failures\":1}' WHERE seq = 5", [])
        .expect("tamper");
    t.send(key::ENTER).wait_for("改ざんを検出しました: 記録 #5");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 3, "the CLI agrees: tampered");
}

#[test]
fn a_tiny_terminal_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &[], 80, 24);
    t.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    t.resize(20, 5).wait_for("画面が小さすぎ");
    t.resize(80, 24).wait_for("ホーム").wait_for("検印待ち");
    t.send("/").wait_for("顧客検索");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

#[test]
fn cancellation_and_reapplication_opens_a_linked_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut clerk = Term::start(&db, &[], 80, 24);
    clerk.log_in("clerk101", "demo-pass-1").wait_for("ホーム");
    // 株式会社山田製作所 has no admin user: its master's forgotten login ID means 解約・再申込.
    open_user(&mut clerk, "yamada-m");
    clerk.send("f").wait_for("申込書の種類");
    for _ in 0..4 {
        clerk.send(key::DOWN);
    }
    clerk.wait_for("新しいマスターのログインID");
    clerk.send(key::TAB).type_text("44445555").send(key::TAB).send(key::TAB).type_text("山田 太郎");
    clerk.send(key::TAB).send(key::DOWN).send(key::TAB).send(key::DOWN).send(key::TAB);
    clerk.type_text("yamada-new").send(key::TAB);
    for secret in ["Fresh-pass1", "Fresh-conf1", "2468", "1357"] {
        clerk.type_text(secret).send(key::TAB).type_text(secret).send(key::TAB);
    }
    clerk.send(key::ENTER).wait_for("検印に回しますか").send("y").wait_for("役席の検印待ちです");
    let mut sup = Term::start(&db, &[], 80, 24);
    sup.log_in("super101", "demo-pass-1").wait_for("ホーム");
    sup.send("a").wait_for("yamada-new").send(key::ENTER).type_text(&supervisor_code(0)).send(key::ENTER);
    sup.wait_for("承認しますか").send("y").wait_for("承認しました");
    // The old contract's users are gone from the channel; the new master must change the
    // password the bank keyed.
    assert_eq!(madoguchi(&db, &["ib", "login", "--login-id", "yamada-g1"], "Login-pass1\n").0, 10);
    let (code, json, _) = madoguchi(&db, &["ib", "login", "--login-id", "yamada-new", "--json"], "Fresh-pass1\n");
    assert_eq!(code, 12, "{json}");
    assert!(json.contains("must_change"), "{json}");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let (old_state, new_cif, new_company): (String, String, String) = conn
        .query_row(
            "SELECT o.state, n.cif, n.company FROM contracts n JOIN contracts o ON o.id = n.replaces WHERE o.cif = '1010000001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("a new contract linked to the old one");
    assert_eq!(old_state, "cancelled");
    assert!(new_cif.starts_with("101") && new_cif != "1010000001", "{new_cif}");
    assert_eq!(new_company, "株式会社山田製作所");
    // Staff find both: the old one marked cancelled.
    clerk.send("/").type_text("101-0000001").wait_for("【解約済】");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 0, "the chain verifies");
}

/// A panic in the app gives the terminal back before it reports: raw mode off (the shell
/// echoes and reads lines again), the alternate screen left, the cursor shown, mouse
/// capture off, and a short
/// message saying what happened.
#[test]
fn a_panic_leaves_the_terminal_usable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let script =
        format!("'{}' --db '{}'; echo \"exit=$?\"; stty -a; echo END-OF-TEST", crate::support::run::BIN, db.display());
    let mut t = Term::shell(&script, &[("MADOGUCHI_TEST_PANIC", "1")], 120, 40);
    t.wait_for("END-OF-TEST");
    let screen = t.screen();
    assert!(screen.contains("madoguchi stopped unexpectedly"), "{screen}");
    assert!(!screen.contains("exit=0"), "a panic is not a success: {screen}");
    let words: Vec<&str> = screen.split_whitespace().collect();
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            words.contains(&mode) && !words.contains(&format!("-{mode}").as_str()),
            "{mode} after the panic: {screen}"
        );
    }
    assert!(!t.on_alternate_screen(), "the alternate screen was left");
    assert!(!t.cursor_hidden(), "the cursor is shown");
    assert!(!t.mouse_captured(), "the mouse is the terminal's again");
}

/// The ledger opened in this process on the workflow tests' mid-day clock, like every
/// process they start.
fn open_at_noon(db: &std::path::Path) -> madoguchi::service::Ledger {
    let mut ledger = madoguchi::service::Ledger::open(db, madoguchi::config::Config::default()).expect("open");
    let offset = chrono::Duration::seconds(crate::support::run::noon_offset());
    ledger.set_clock(Box::new(madoguchi::service::OffsetClock(offset)));
    ledger
}

/// A ledger whose tail was cut while nobody was looking: the app says so on the login
/// screen, after login shows only the notice and the audit trail, and writes nothing — not
/// even the login.
#[test]
fn a_tampered_ledger_opens_to_a_notice_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    rusqlite::Connection::open(&db)
        .expect("open the file")
        .execute("DELETE FROM audit WHERE seq > (SELECT max(seq) - 2 FROM audit)", [])
        .expect("cut the tail");
    let before = query_i64(&db, "SELECT count(*) FROM audit");
    let mut t = Term::start(&db, &["--lang", "en"], 80, 24);
    t.wait_for("The ledger failed its integrity check");
    t.log_in("clerk101", "demo-pass-1").wait_for("entries cut from the end");
    // Finding a customer leads nowhere; the audit trail opens and comes back.
    t.send("/");
    assert!(t.screen().contains("Every write to this ledger"), "{}", t.screen());
    t.send("l").wait_for("Audit trail");
    t.send(key::ESC).wait_for("Every write to this ledger");
    t.send(key::CTRL_Q).send("y").wait_for("Staff ID");
    drop(t);
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit"), before, "nothing written");
    assert_eq!(madoguchi(&db, &["audit", "verify"], "").0, 3);
}
