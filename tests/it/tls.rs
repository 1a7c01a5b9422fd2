//! TLS to the shared ledger, `sslmode` as libpq means it: through a TLS front with
//! certificates of the test's own authority, each mode connects where it should and is
//! refused (with a message saying why, exit 1, nothing written) where it should.

use std::path::Path;
use std::sync::atomic::Ordering;

use crate::support::pg::ScratchDb;
use crate::support::run::madoguchi;
use crate::support::tls_relay::{Authority, TlsRelay};

/// A customer's wrong password through `url`: exit 10 when it reached the ledger.
fn wrong_login(url: &str) -> (i32, String) {
    let (code, _, err) =
        madoguchi(Path::new(url), &["--lang", "en", "ib", "login", "--login-id", "yamada-g1"], "Wrong-pass9\n");
    (code, err)
}

#[test]
fn sslmode_is_honoured_as_libpq_means_it() {
    let Some(pg) = ScratchDb::new("sslmode_is_honoured_as_libpq_means_it") else { return };
    assert_eq!(madoguchi(Path::new(&pg.url), &["demo", "--customers", "0"], "").0, 0);
    let upstream = crate::support::pg::upstream(&pg.url);
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = Authority::new("madoguchi test CA");
    let theirs = Authority::new("someone else's CA");
    let ca = dir.path().join("ca.pem");
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&ca, ours.pem()).expect("ca");
    std::fs::write(&other_ca, theirs.pem()).expect("other ca");
    let rootcert = |p: &Path| format!("sslrootcert={}", p.display());
    let named = TlsRelay::start(&upstream, &ours, &["localhost"]);
    let misnamed = TlsRelay::start(&upstream, &ours, &["db.example"]);
    let failures_before = pg.i64("SELECT count(*) FROM audit");

    // verify-full: the right authority and the right name.
    let url = named.url(&pg.url, "localhost", &format!("sslmode=verify-full&{}", rootcert(&ca)));
    let (code, err) = wrong_login(&url);
    assert_eq!(code, 10, "verify-full, right name: {err}");
    assert!(named.handshakes.load(Ordering::SeqCst) >= 1, "the connection went through TLS");
    let per_login = pg.i64("SELECT count(*) FROM audit") - failures_before;
    assert!(per_login > 0);
    // The right authority, another name: verify-full refuses, verify-ca accepts.
    let url = misnamed.url(&pg.url, "localhost", &format!("sslmode=verify-full&{}", rootcert(&ca)));
    let (code, err) = wrong_login(&url);
    assert_eq!(code, 1, "verify-full, wrong name: {err}");
    assert!(err.contains("Ledger unreachable") && err.contains("certificate"), "{err}");
    let url = misnamed.url(&pg.url, "localhost", &format!("sslmode=verify-ca&{}", rootcert(&ca)));
    assert_eq!(wrong_login(&url).0, 10, "verify-ca ignores the name");
    // Another authority: verify-ca refuses; require (no root certificate) encrypts without checking.
    let url = named.url(&pg.url, "localhost", &format!("sslmode=verify-ca&{}", rootcert(&other_ca)));
    let (code, err) = wrong_login(&url);
    assert_eq!(code, 1, "verify-ca, unknown authority: {err}");
    assert!(err.contains("certificate"), "{err}");
    let url = named.url(&pg.url, "localhost", "sslmode=require");
    assert_eq!(wrong_login(&url).0, 10, "require takes the certificate as it comes");
    // require with a root certificate checks the chain, as libpq does.
    let url = named.url(&pg.url, "localhost", &format!("sslmode=require&{}", rootcert(&other_ca)));
    assert_eq!(wrong_login(&url).0, 1, "require with sslrootcert checks the chain");
    // disable never asks for TLS: the front (which only speaks TLS) hangs up.
    let refused = named.refused.load(Ordering::SeqCst);
    let url = named.url(&pg.url, "localhost", "sslmode=disable");
    assert_eq!(wrong_login(&url).0, 1, "disable");
    assert!(named.refused.load(Ordering::SeqCst) > refused, "the front saw a client that did not ask for TLS");
    // Settings that cannot be used are named, before anything is tried.
    let url = named.url(&pg.url, "localhost", "sslmode=sometimes");
    let (code, err) = wrong_login(&url);
    assert_eq!(code, 1);
    assert!(err.contains("sslmode=sometimes"), "{err}");
    let url = named.url(&pg.url, "localhost", "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem");
    let (code, err) = wrong_login(&url);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    // Three wrong passwords reached the ledger; nothing else was written.
    assert_eq!(pg.i64("SELECT count(*) FROM audit"), failures_before + 3 * per_login);
}

/// Without `sslmode`, a connection to a server that offers TLS is encrypted (libpq's
/// `prefer`); with `sslmode=disable` it is not. Read from the server's own view.
#[test]
fn prefer_encrypts_when_the_server_offers_it() {
    let Some(pg) = ScratchDb::new("prefer_encrypts_when_the_server_offers_it") else { return };
    let on: String = pg.client().query_one("SHOW ssl", &[]).expect("show ssl").get(0);
    if on != "on" {
        println!("skipped: the test server has ssl = {on}");
        return;
    }
    let encrypted = |url: &str| -> bool {
        let mut c = madoguchi::store::pg::connect(url).expect("connect");
        c.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).expect("ssl").get(0)
    };
    assert!(encrypted(&pg.url));
    let sep = if pg.url.contains('?') { '&' } else { '?' };
    assert!(!encrypted(&format!("{}{sep}sslmode=disable", pg.url)));
    assert!(encrypted(&format!("{}{sep}sslmode=require", pg.url)));
}
