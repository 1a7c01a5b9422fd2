//! Workflows on the real binary in a pseudo-terminal, each ending by reading the ledger.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::pty::{Term, demo_ledger, key, madoguchi};

fn query_i64(db: &std::path::Path, sql: &str) -> i64 {
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
        query_i64(&db, "SELECT count(*) FROM locks l JOIN users u ON u.id = l.user_id WHERE u.login_id = 'yamada-m' AND l.cleared_at IS NULL AND l.scope = 'service'"),
        1
    );
    assert!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'staff.login' AND actor = 'clerk101'") >= 1);
    t.send(key::CTRL_Q).wait_for("ログアウトしますか").send("y").wait_for("ログアウトしました");
    t.send(key::CTRL_Q).wait_for("終了しますか").send("y");
    assert!(t.wait_exit().success());
    let (code, _) = madoguchi(&db, &["audit", "verify"], "");
    assert_eq!(code, 0);
}

#[test]
fn five_wrong_staff_passwords_lock_the_account() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    let mut t = Term::start(&db, &["--lang", "en"], 80, 24);
    t.wait_for("Staff login").type_text("clerk205").send(key::TAB);
    for remaining in (1..=4).rev() {
        t.type_text("not-my-pass9").send(key::ENTER);
        t.wait_for(&format!("{remaining} tries left"));
    }
    t.type_text("not-my-pass9").send(key::ENTER).wait_for("This staff account is locked");
    // Even the right password is refused now.
    t.type_text("demo-pass-1").send(key::ENTER).wait_for("This staff account is locked");
    assert_eq!(query_i64(&db, "SELECT locked_at IS NOT NULL FROM staff WHERE id = 'clerk205'"), 1);
    assert_eq!(query_i64(&db, "SELECT count(*) FROM audit WHERE action = 'staff.locked' AND subject = 'staff:clerk205'"), 1);
    drop(t);
    // The admin unlocks it from the command line, and the clerk gets in.
    assert_eq!(madoguchi(&db, &["staff", "unlock", "clerk205"], "").0, 0);
    let mut t = Term::start(&db, &["--lang", "en"], 80, 24);
    t.log_in("clerk205", "demo-pass-1").wait_for("Home");
}

#[test]
fn hostile_company_name_is_shown_inert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_ledger(dir.path(), 0);
    {
        // A company name with a clear-screen escape, as a hostile import might carry.
        let mut ledger = madoguchi::service::Ledger::open(&db, madoguchi::config::Config::default()).expect("open");
        ledger
            .write(&madoguchi::service::Actor::cli(), |w| {
                let users = [madoguchi::service::customers::NewCustomerUser {
                    login_id: "evil-m",
                    name: "悪\x1b]0;pwned\x07意",
                    role: madoguchi::domain::credential::UserRole::Master,
                    method: madoguchi::domain::credential::LoginMethod::Password,
                }];
                let secrets = madoguchi::store::customers::SecretIds { login: 1, confirm: 2, pin: 3, approval_pin: 4 };
                let at = w.stamp.clone();
                madoguchi::service::customers::insert_customer(
                    w,
                    &madoguchi::service::customers::NewCustomer {
                        cif: "1019999999",
                        branch: "101",
                        company: "悪意\x1b[2J\x1b[H商事",
                        company_kana: "ｱｸｲｼﾖｳｼﾞ",
                        phone: "03-0000-0000",
                        address: "",
                        users: &users,
                    },
                    secrets,
                    &at,
                    true,
                )
            })
            .expect("write");
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
}
