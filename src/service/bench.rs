//! The figures of `madoguchi bench`, measured on a generated ledger through the same use
//! cases the screens call. Timing only: nothing here decides anything.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use crate::domain::credential::CredentialKind;
use crate::domain::permission::Session;
use crate::store;

use super::{Actor, Ledger, Result};

/// The p-th percentile (0–100) of samples.
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[rank.min(samples.len() - 1)]
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One core's argon2 rate: secret checks a second on this thread, the ceiling of every
/// channel call.
pub fn argon2_per_s() -> f64 {
    let secret = secrecy::SecretString::from("Wrong-pass9".to_string());
    let started = std::time::Instant::now();
    let n = 20;
    for _ in 0..n {
        crate::secret::verify_dummy(&secret);
    }
    f64::from(n) / started.elapsed().as_secs_f64()
}

/// Search queries are prefixes of this many contracts' names, kana, CIFs and phones…
const SAMPLES: usize = 400;

/// …and of further ones, up to this many, for the lengths few of those reach (names of 16
/// characters or more), until each length has [`PER_LENGTH`] queries: the p99 of fewer is
/// the slowest one alone, and one pause of the machine decides it.
const SAMPLES_AT_MOST: usize = 4_000;
const PER_LENGTH: usize = 100;

/// The queries of `len` characters measured: the prefixes of that length of the first
/// [`SAMPLES`] samples long enough, then of later ones until there are [`PER_LENGTH`].
fn queries(samples: &[String], len: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        if i >= SAMPLES && out.len() >= PER_LENGTH {
            break;
        }
        if s.chars().count() >= len {
            out.push(s.chars().take(len).collect());
        }
    }
    out
}

/// What the ledger-side measurements found.
pub struct Figures {
    pub customers: i64,
    /// Query length (`"1"`…`"20"`, `"no_hit"`, `"max"`) → p99 µs.
    pub search_p99_us: Map<String, Value>,
    /// The first search after the ledger is opened (its indexes not yet read), µs.
    pub search_first_us: f64,
    pub serial_lookup_us: f64,
    pub handover_verify_p99_us: Option<f64>,
    pub commit_p99_us: f64,
    pub audit_verify_per_s: f64,
    pub audit_intact: bool,
    /// The whole of `audit verify`: chain, seal, anchor, every row and the sealed state.
    pub ledger_verify_s: f64,
    pub rows_checked: i64,
}

impl Ledger {
    /// Fills a demo (scratch) ledger's audit trail up to `entries`, to measure verification
    /// on a realistic size; refused on a real ledger.
    pub fn fill_audit_for_bench(&mut self, entries: i64) -> Result<()> {
        if !self.is_demo() {
            return Err(super::ServiceError::DemoOnly);
        }
        let have = store::audit::count(&mut self.conn)?;
        if have >= entries {
            return Ok(());
        }
        self.write(&Actor::cli(), |w| {
            for i in have..entries {
                w.audit("bench.fill", "ledger", json!({ "i": i }))?;
            }
            Ok(())
        })
    }

    /// Measures search, serial lookup, hand-over verification, the lockout write path and
    /// audit verification on this (scratch) ledger of `generated` contracts.
    pub fn measure(&mut self, session: &Session, generated: u64) -> Result<Figures> {
        let mut rng = StdRng::seed_from_u64(42);
        let n = store::customers::count_contracts(&mut self.conn)?;
        // Search: prefixes of real names, kana, CIFs and phones, and queries with no hit.
        let mut samples: Vec<String> = Vec::new();
        for _ in 0..SAMPLES_AT_MOST {
            let id = rng.gen_range(1..=n.max(1));
            if let Some(c) = store::customers::contract(&mut self.conn, id)? {
                samples.push(match rng.gen_range(0..4) {
                    0 => c.company,
                    1 => c.company_kana,
                    2 => c.cif,
                    _ => c.phone,
                });
            }
        }
        // The first search of a terminal just started: the indexes are read from the disk
        // (or the server's) for the first time.
        let first: String = samples.first().map(|s| s.chars().take(5).collect()).unwrap_or_default();
        let t = Instant::now();
        self.find_customers(session, &first, 0, 51)?;
        let search_first_us = t.elapsed().as_secs_f64() * 1e6;
        // The targets are for a warm terminal: one untimed pass first, as a clerk's day
        // has had its first searches before the ones that count.
        for len in 1..=20usize {
            for q in queries(&samples, len) {
                self.find_customers(session, &q, 0, 51)?;
            }
        }
        let mut by_len = Map::new();
        let mut worst: f64 = 0.0;
        for len in 1..=20usize {
            let mut times = Vec::new();
            for q in queries(&samples, len) {
                let t = Instant::now();
                self.find_customers(session, &q, 0, 51)?;
                times.push(t.elapsed().as_secs_f64() * 1e6);
            }
            let p99 = percentile(&mut times, 99.0);
            worst = worst.max(p99);
            by_len.insert(len.to_string(), json!(round2(p99)));
        }
        let mut no_hit = Vec::new();
        for len in 1..=20usize {
            for _ in 0..20 {
                let q: String = (0..len).map(|_| char::from(b'q' + rng.gen_range(0..8u8))).collect::<String>() + "ヴ";
                let t = Instant::now();
                self.find_customers(session, &q, 0, 51)?;
                no_hit.push(t.elapsed().as_secs_f64() * 1e6);
            }
        }
        let no_hit_p99 = percentile(&mut no_hit, 99.0);
        worst = worst.max(no_hit_p99);
        by_len.insert("no_hit".into(), json!(round2(no_hit_p99)));
        by_len.insert("max".into(), json!(round2(worst)));

        // Token lookup by serial.
        let mut serial_times = Vec::new();
        for _ in 0..2000 {
            let s = format!("HT{:08}", 20_000_000 + rng.gen_range(0..generated.max(1)));
            let t = Instant::now();
            store::tokens::by_serial(&mut self.conn, &s)?;
            serial_times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let serial_lookup_us = percentile(&mut serial_times, 50.0);

        // One hand-over verification: decrypt the seed, check the code across the window.
        let mut some_token = None;
        for k in 0..1000u64 {
            some_token = store::tokens::by_serial(&mut self.conn, &format!("HT{:08}", 20_000_000 + k))?;
            if some_token.is_some() {
                break;
            }
        }
        let handover_verify_p99_us = some_token.map(|token| {
            let mut times = Vec::new();
            for _ in 0..1000 {
                let t = Instant::now();
                // A wrong code: the whole window is checked.
                let _wrong = self.check_token_code(&token, "000000");
                times.push(t.elapsed().as_secs_f64() * 1e6);
            }
            round2(percentile(&mut times, 99.0))
        });

        // The lockout write path (rule + write + audit), excluding argon2. Users drawn
        // afresh each run: the scratch ledger keeps what earlier runs wrote, and a user
        // locked by then would be refused before any write.
        let mut fresh = rand::thread_rng();
        let mut commit_times = Vec::new();
        for _ in 0..500 {
            let login = format!("c{:07}m", 1000 + fresh.gen_range(0..generated.max(1)));
            let Some(user) = store::customers::user_by_login_id(&mut self.conn, &login)? else { continue };
            let t = Instant::now();
            self.ib_record_failure(&user, CredentialKind::Pin)?;
            commit_times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let commit_p99_us = percentile(&mut commit_times, 99.0);

        // Audit verification rate, on at least 200,000 entries: the chain walk, then the
        // whole check with every row.
        self.fill_audit_for_bench(200_000)?;
        let t = Instant::now();
        let (entries, chain_intact) = self.verify_chain_only()?;
        let verify_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let report = self.verify_audit()?;
        let ledger_verify_s = t.elapsed().as_secs_f64();
        Ok(Figures {
            customers: n,
            search_p99_us: by_len,
            search_first_us: round2(search_first_us),
            serial_lookup_us: round2(serial_lookup_us),
            handover_verify_p99_us,
            commit_p99_us: round2(commit_p99_us),
            audit_verify_per_s: (entries as f64 / verify_s).round(),
            audit_intact: chain_intact && report.intact(),
            ledger_verify_s: round2(ledger_verify_s),
            rows_checked: report.rows,
        })
    }
}

/// Creates the (scratch) PostgreSQL database `url` names when its server has none of that
/// name, for `bench --pg`.
pub fn ensure_database(url: &str) -> Result<()> {
    Ok(store::pg::ensure_database(url)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_length_is_measured_on_a_hundred_queries_when_the_samples_have_them() {
        // Every tenth sample is a long name.
        let samples: Vec<String> =
            (0..SAMPLES_AT_MOST).map(|i| if i % 10 == 0 { "ア".repeat(18) } else { "ア".repeat(5) }).collect();
        // Short lengths: every one of the first samples, no more.
        assert_eq!(queries(&samples, 3).len(), SAMPLES);
        // Long ones: further samples until there are a hundred.
        let long = queries(&samples, 16);
        assert_eq!(long.len(), PER_LENGTH);
        assert!(long.iter().all(|q| q.chars().count() == 16));
        // None of that length: none.
        assert!(queries(&samples, 19).is_empty());
    }
}
