//! Criterion benchmarks of the hot paths: Find customer by query length, the lockout
//! write path (rule + write + audit, argon2 excluded), audit verification, and the PDF
//! receipt and journal.
//! `madoguchi bench` measures the same on a million contracts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use madoguchi::config::Config;
use madoguchi::domain::credential::CredentialKind;
use madoguchi::service::Ledger;
use secrecy::SecretString;

const CONTRACTS: u64 = 20_000;

fn ledger(dir: &std::path::Path) -> Ledger {
    let db = dir.join("bench.sqlite3");
    // The anchor stays with the throwaway ledger, not in the state directory.
    let mut cfg = Config::default();
    cfg.audit.anchor_file = Some(dir.join("bench.anchor"));
    madoguchi::service::demo::create(&db, cfg, CONTRACTS, 3, &mut |_, _| {}).expect("demo")
}

fn search(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut l = ledger(dir.path());
    let session = l.staff_login("clerk101", &SecretString::from("demo-pass-1")).expect("login");
    let mut group = c.benchmark_group("find_customer");
    for q in ["ｶ", "ﾔﾏ", "ﾔﾏﾀﾞ", "山田製作所", "ﾔﾏﾀﾞｾｲｻｸｼﾖ", "101-0000001", "3211", "yamada-m", "zzzzqqqq"]
    {
        group.bench_with_input(BenchmarkId::from_parameter(q), q, |b, q| {
            b.iter(|| l.find_customers(&session, q, 0, 51).expect("find"))
        });
    }
    group.finish();
}

fn lockout_write(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut l = ledger(dir.path());
    let users: Vec<_> =
        (0..CONTRACTS).filter_map(|i| l.find_user(&format!("c{:07}m", 1000 + i)).ok().flatten()).collect();
    let mut i = 0usize;
    c.bench_function("ib_failure_write_path", |b| {
        b.iter(|| {
            i = (i + 1) % users.len();
            l.ib_record_failure(&users[i], CredentialKind::Pin).expect("failure")
        })
    });
}

/// A wrong login password of a customer against a login ID that is no one's: the same
/// work, the same time (each attempt uses a fresh user or ID, so none is locked yet).
fn ib_known_vs_unknown(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut l = ledger(dir.path());
    let wrong = SecretString::from("Wrong-pass9");
    let mut group = c.benchmark_group("ib_wrong_login");
    group.sample_size(20);
    let mut i = 0u64;
    group.bench_function("known_id", |b| {
        b.iter(|| {
            i += 1;
            let login = format!("c{:07}m", 1000 + (i % CONTRACTS));
            l.ib_attempt(&login, CredentialKind::LoginPassword, &wrong).expect("attempt")
        })
    });
    let mut j = 0u64;
    group.bench_function("unknown_id", |b| {
        b.iter(|| {
            j += 1;
            l.ib_attempt(&format!("nobody-{j}"), CredentialKind::LoginPassword, &wrong).expect("attempt")
        })
    });
    group.finish();
}

fn audit_verify(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut l = ledger(dir.path());
    l.fill_audit_for_bench(50_000).expect("fill");
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.bench_function("verify_50k", |b| b.iter(|| assert!(l.verify_audit().expect("verify").intact())));
    group.finish();
}

/// Paper: a receipt, and a journal of 1,000 receipts, drawn as PDF.
fn paper(c: &mut Criterion) {
    use madoguchi::paper::{PaperFont, journal_pdf, receipt_pdf, sample};
    let font = PaperFont::load(None).expect("font");
    let receipt = sample::receipt();
    let journal = sample::journal(1000);
    let mut group = c.benchmark_group("paper");
    group.sample_size(10);
    group.bench_function("receipt", |b| b.iter(|| receipt_pdf(&receipt, &font).expect("receipt")));
    group.bench_function("journal_1000", |b| b.iter(|| journal_pdf(&journal, &font).expect("journal")));
    group.finish();
}

criterion_group!(benches, search, lockout_write, ib_known_vs_unknown, audit_verify, paper);
criterion_main!(benches);
