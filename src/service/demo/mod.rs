//! The demo ledger (docs/spec.md §8): the fixed staff and scenario contracts that every training
//! session and test relies on, plus N generated contracts, deterministic for a seed.
//!
//! The scenario locks are made the honest way, by failed attempts through the customer
//! channel. Generated contracts are written in one bulk transaction with one audit entry;
//! their users share one precomputed hash per public demo secret.

pub mod names;

use std::path::Path;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use serde_json::json;

use crate::config::Config;
use crate::domain::branch::BranchKind;
use crate::domain::credential::{CredentialKind, LoginMethod, UserRole};
use crate::domain::fees::FeeKind;
use crate::domain::lockout::scope_of;
use crate::domain::permission::{Session, StaffRole};
use crate::domain::token::{Algorithm, TokenParams, TokenState, code_at};
use crate::format::business_date;
use crate::secret;
use crate::service::customers::{NewCustomer, NewCustomerUser, insert_customer};
use crate::service::{Actor, Ledger, Result};
use crate::store::customers::{NewContract, NewUser, SecretIds};
use crate::store::{self, Db, bulk, fees::NewFee, tokens::NewToken};
use chrono::{DateTime, Utc};
use strum::VariantArray;

pub const STAFF_PASSWORD: &str = "demo-pass-1";
pub const LOGIN_PASSWORD: &str = "Login-pass1";
pub const CONFIRM_PASSWORD: &str = "Confirm-pass1";
pub const PIN: &str = "1234";
pub const APPROVAL_PIN: &str = "5678";
/// The demo supervisors' TOTP secret (base32), for trying approvals.
pub const SUPERVISOR_TOTP: &str = "JBSWY3DPEHPK3PXP";

/// (id, name, role, branch)
pub const STAFF: [(&str, &str, StaffRole, &str); 9] = [
    ("clerk101", "窓口 花子", StaffRole::Clerk, "101"),
    ("clerk205", "港 一郎", StaffRole::Clerk, "205"),
    ("super101", "役席 健太", StaffRole::Supervisor, "101"),
    // A second supervisor at 101: a supervisor's own request is decided by another.
    ("super101b", "検印 美咲", StaffRole::Supervisor, "101"),
    // Branch 102's own counter, for 東西トレーディング.
    ("clerk102", "駅前 三郎", StaffRole::Clerk, "102"),
    ("super102", "駅前 由美", StaffRole::Supervisor, "102"),
    ("super205", "港 直美", StaffRole::Supervisor, "205"),
    ("tel900", "電話 次郎", StaffRole::Operator, "900"),
    ("admin", "管理 太郎", StaffRole::Admin, "000"),
];

/// A demo staff account, as the login screen of a demo ledger lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub id: &'static str,
    pub name: &'static str,
    pub role: StaffRole,
    pub branch: &'static str,
}

impl Ledger {
    /// The demo staff accounts of a demo ledger (none on a real one).
    pub fn demo_accounts(&self) -> Vec<DemoAccount> {
        if !self.is_demo() {
            return Vec::new();
        }
        STAFF
            .iter()
            .filter(|(_, _, _, branch)| self.config().branch(branch).is_some())
            .map(|&(id, name, role, branch)| DemoAccount { id, name, role, branch })
            .collect()
    }
}

/// Called with (done, total) while generating.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Creates the demo ledger at `db` with `customers` generated contracts.
pub fn create(db: &Path, cfg: Config, customers: u64, seed: u64, progress: Progress<'_>) -> Result<Ledger> {
    if db.to_str().is_some_and(store::pg::is_url) {
        return create_on_server(db, cfg, customers, seed, progress);
    }
    let mut ledger = Ledger::create(db, cfg, true)?;
    populate(&mut ledger, customers, seed, progress)?;
    Ok(ledger)
}

/// A demo ledger on PostgreSQL. A database that already holds a ledger (even one this
/// machine has no key for) is refused before the demo is generated; a server out of reach
/// is said as such.
fn create_on_server(db: &Path, cfg: Config, customers: u64, seed: u64, progress: Progress<'_>) -> Result<Ledger> {
    let dest_key = crate::service::key_path(db, &cfg);
    if dest_key.exists() {
        return Err(crate::service::ServiceError::Exists(dest_key));
    }
    match Ledger::open(db, cfg.clone()) {
        Err(e) if e.is_missing_ledger() => {}
        Err(e) if e.is_unreachable() || matches!(e, crate::service::ServiceError::Store(store::StoreError::Tls(_))) => {
            return Err(e);
        }
        _ => return Err(crate::service::ServiceError::Exists(db.to_path_buf())),
    }
    let mut ledger = Ledger::create(db, cfg, true)?;
    populate(&mut ledger, customers, seed, progress)?;
    Ok(ledger)
}

/// Fills a fresh ledger with the demo content.
pub fn populate(ledger: &mut Ledger, customers: u64, seed: u64, progress: Progress<'_>) -> Result<()> {
    let by = crate::service::staff::By::Demo;
    for (id, name, role, branch) in STAFF {
        if ledger.config().branch(branch).is_some() {
            ledger.staff_add(by, id, name, role, branch, &SecretString::from(STAFF_PASSWORD))?;
        }
    }
    let totp = data_encoding::BASE32_NOPAD.decode(SUPERVISOR_TOTP.as_bytes()).unwrap_or_default();
    for (id, _, role, branch) in STAFF {
        if role == StaffRole::Supervisor && ledger.config().branch(branch).is_some() {
            ledger.staff_enroll_totp(by, id, Some(&totp))?;
        }
    }
    stock(ledger)?;
    let secrets = shared_secrets(ledger)?;
    scenarios(ledger, secrets)?;
    generate(ledger, secrets, customers, seed, progress)
}

/// Token stock in each branch and at head office: 30 devices each, valid five years.
fn stock(ledger: &mut Ledger) -> Result<()> {
    let branches: Vec<String> = ledger
        .config()
        .branches
        .iter()
        .filter(|b| matches!(b.kind, BranchKind::Branch | BranchKind::HeadOffice))
        .map(|b| b.code.clone())
        .collect();
    let token = ledger.config().token;
    let expires = business_date(ledger.now()) + Duration::days(365 * i64::from(token.life_years));
    let enc = *ledger.keys().enc_key();
    ledger.write(&Actor::Demo, |w| {
        let at = w.at;
        for branch in &branches {
            for n in 1..=30 {
                let serial = format!("HT9{branch}{n:04}");
                let t = DemoToken { serial: &serial, branch, expires, state: TokenState::InStock, user_id: None, at };
                insert_demo_token(&mut w.tx, &enc, token, &t)?;
            }
        }
        w.audit("tokens.import", "ledger", json!({ "demo_stock_per_branch": 30, "branches": branches }))
    })
}

/// A session of a demo staff member, for the scenario steps that staff take.
fn demo_session(id: &str) -> Session {
    let (_, name, role, branch) = STAFF.iter().find(|s| s.0 == id).copied().unwrap_or(STAFF[0]);
    Session { id: id.into(), name: name.into(), role, branch: branch.into() }
}

/// One hash per public demo secret, shared by all demo users.
fn shared_secrets(ledger: &mut Ledger) -> Result<SecretIds> {
    let hashes = [LOGIN_PASSWORD, CONFIRM_PASSWORD, PIN, APPROVAL_PIN].map(|s| secret::phc(&SecretString::from(s)));
    let [a, b, c, d] = hashes;
    let (a, b, c, d) = (a?, b?, c?, d?);
    ledger.write(&Actor::Demo, |w| {
        let ids = SecretIds {
            login: w.insert_secret_hash(&a)?,
            confirm: w.insert_secret_hash(&b)?,
            pin: w.insert_secret_hash(&c)?,
            approval_pin: w.insert_secret_hash(&d)?,
        };
        w.audit("demo.secrets", "ledger", json!({ "shared_hashes": 4 }))?;
        Ok(ids)
    })
}

struct Scenario {
    cif: &'static str,
    company: &'static str,
    kana: &'static str,
    phone: &'static str,
    users: &'static [(&'static str, &'static str, UserRole, LoginMethod)],
}

const SCENARIOS: [Scenario; 6] = [
    Scenario {
        cif: "1010000001",
        company: "株式会社山田製作所",
        kana: "ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ",
        phone: "03-3211-0001",
        users: &[
            ("yamada-m", "山田 太郎", UserRole::Master, LoginMethod::Password),
            ("yamada-g1", "山田 花子", UserRole::General, LoginMethod::Password),
        ],
    },
    Scenario {
        cif: "1010000002",
        company: "有限会社青空商事",
        kana: "ﾕ)ｱｵｿﾞﾗｼﾖｳｼﾞ",
        phone: "03-3211-0002",
        users: &[
            ("aozora-m", "青空 一郎", UserRole::Master, LoginMethod::Password),
            ("aozora-a", "青空 次郎", UserRole::Admin, LoginMethod::Password),
            ("aozora-g1", "青空 三郎", UserRole::General, LoginMethod::Password),
        ],
    },
    Scenario {
        cif: "1010000003",
        company: "株式会社みなと物流",
        kana: "ｶ)ﾐﾅﾄﾌﾞﾂﾘﾕｳ",
        phone: "03-3211-0003",
        users: &[
            ("minato-m", "港 正男", UserRole::Master, LoginMethod::Password),
            ("minato-g1", "港 由美", UserRole::General, LoginMethod::Password),
        ],
    },
    Scenario {
        cif: "2050000004",
        company: "合同会社ひかりソフト",
        kana: "ﾄﾞ)ﾋｶﾘｿﾌﾄ",
        phone: "03-5400-0004",
        users: &[("hikari-m", "光 一", UserRole::Master, LoginMethod::Password)],
    },
    Scenario {
        cif: "1010000005",
        company: "医療法人さくら会",
        kana: "ｲ)ｻｸﾗｶｲ",
        phone: "03-3211-0005",
        users: &[("sakura-m", "桜井 良子", UserRole::Master, LoginMethod::Certificate)],
    },
    Scenario {
        cif: "1020000006",
        company: "株式会社東西トレーディング",
        kana: "ｶ)ﾄｳｻﾞｲﾄﾚ-ﾃﾞｲﾝｸﾞ",
        phone: "03-3211-0006",
        users: &[
            ("tozai-m", "東 西男", UserRole::Master, LoginMethod::Password),
            ("tozai-g1", "西 東子", UserRole::General, LoginMethod::Password),
            ("tozai-g2", "南 北斗", UserRole::General, LoginMethod::Password),
        ],
    },
];

/// Demo token seeds are derived from the serial, so that a demo ledger is the same for
/// the same seed; real tokens come from the vendor's import file.
fn demo_seed(serial: &str) -> [u8; 20] {
    let digest = crate::domain::audit::mac(&[0x5a; 32], &[b"demo token", serial.as_bytes()]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&digest[..20]);
    out
}

/// A demo token, its seed derived from the serial and sealed with the ledger's key.
struct DemoToken<'a> {
    serial: &'a str,
    branch: &'a str,
    expires: NaiveDate,
    state: TokenState,
    user_id: Option<i64>,
    at: DateTime<Utc>,
}

/// A demo token's seed as stored: derived from the serial, sealed with the ledger's key
/// for the token's row.
fn sealed_seed(enc: &[u8; 32], serial: &str) -> Vec<u8> {
    secret::seal(enc, &demo_seed(serial), &secret::Place::token_seed(serial))
}

fn insert_demo_token(db: &mut dyn Db, enc: &[u8; 32], token: crate::config::Token, t: &DemoToken<'_>) -> Result<i64> {
    let sealed = sealed_seed(enc, t.serial);
    Ok(store::tokens::insert(
        db,
        &NewToken {
            serial: t.serial,
            branch: t.branch,
            seed: &sealed,
            algorithm: Algorithm::Sha1,
            digits: token.digits,
            period: token.period,
            expires: t.expires,
            state: t.state,
            user_id: t.user_id,
            at: t.at,
        },
    )?)
}

fn add_token(ledger: &mut Ledger, serial: &str, branch: &str, user_id: i64, expires: NaiveDate) -> Result<i64> {
    let (enc, token) = (*ledger.keys().enc_key(), ledger.config().token);
    let user = store::customers::user(ledger.db(), user_id)?;
    let subject = format!("contract:{}/user:{user_id}", user.map_or(0, |u| u.contract_id));
    ledger.write(&Actor::Demo, |w| {
        let at = w.at;
        let t = DemoToken { serial, branch, expires, state: TokenState::Issued, user_id: Some(user_id), at };
        let id = insert_demo_token(&mut w.tx, &enc, token, &t)?;
        crate::service::tokens::index_serial(w, serial, user_id)?;
        w.audit("token.issue", &subject, json!({ "serial": serial, "expires": expires.to_string() }))?;
        Ok(id)
    })
}

fn scenarios(ledger: &mut Ledger, secrets: SecretIds) -> Result<()> {
    let mut users = std::collections::HashMap::new();
    for s in &SCENARIOS {
        let branch = &s.cif[..3];
        if ledger.config().branch(branch).is_none() {
            continue;
        }
        let new_users: Vec<NewCustomerUser<'_>> = s
            .users
            .iter()
            .map(|(login_id, name, role, method)| NewCustomerUser { login_id, name, role: *role, method: *method })
            .collect();
        let (_, ids) = ledger.write(&Actor::Demo, |w| {
            let at = w.at;
            insert_customer(
                w,
                &NewCustomer {
                    cif: s.cif,
                    branch,
                    company: s.company,
                    company_kana: s.kana,
                    phone: s.phone,
                    address: "東京都千代田区丸の内1-2-3",
                    users: &new_users,
                },
                secrets,
                at,
            )
        })?;
        for ((login_id, ..), id) in s.users.iter().zip(ids) {
            users.insert(*login_id, id);
        }
    }
    let today = business_date(ledger.now());
    let far = today + Duration::days(365 * 3);
    let wrong = SecretString::from("Wrong-pass9");
    // 株式会社山田製作所: the master mistyped the login password until suspended.
    if users.contains_key("yamada-m") {
        for _ in 0..ledger.config().lockout.password {
            ledger.ib_attempt("yamada-m", CredentialKind::LoginPassword, &wrong)?;
        }
    }
    // 株式会社みなと物流: the master holds a token and mistyped its codes until the OTP
    // services were suspended.
    if let Some(&minato) = users.get("minato-m") {
        add_token(ledger, "HT10000003", "101", minato, far)?;
        for _ in 0..ledger.config().lockout.otp {
            let bad = wrong_code(ledger, "HT10000003");
            ledger.ib_attempt("minato-m", CredentialKind::OneTimePassword, &SecretString::from(bad))?;
        }
    }
    // 合同会社ひかりソフト: token reported lost by phone, reissue keyed at the counter with
    // its fee, waiting for the supervisor's approval.
    if let Some(&hikari) = users.get("hikari-m") {
        add_token(ledger, "HT10000004", "205", hikari, far)?;
        ledger.report_lost(&demo_session("tel900"), hikari)?;
        if let Some(serial) = store::tokens::first_in_stock(ledger.db(), "205")? {
            ledger.reissue_token(&demo_session("clerk205"), hikari, &serial)?;
        }
    }
    // 医療法人さくら会: certificate user whose token expires in 30 days.
    if let Some(&sakura) = users.get("sakura-m") {
        add_token(ledger, "HT10000005", "101", sakura, today + Duration::days(30))?;
    }
    Ok(())
}

/// A code that the token does not show now (nor one step either side).
fn wrong_code(ledger: &Ledger, serial: &str) -> String {
    let seed = demo_seed(serial);
    let p = TokenParams {
        seed: &seed,
        algorithm: Algorithm::Sha1,
        digits: ledger.config().token.digits,
        period: ledger.config().token.period,
    };
    let now = u64::try_from(ledger.now().timestamp()).unwrap_or(0);
    let step = u64::from(p.period);
    let near: Vec<String> = [now.saturating_sub(step), now, now + step].iter().map(|t| code_at(&p, *t)).collect();
    (0..10u32).map(|d| d.to_string().repeat(p.digits as usize)).find(|c| !near.contains(c)).unwrap_or_default()
}

/// Adds one more contract to a demo ledger, its users with the demo secrets (training
/// material and tests use it for a customer of their own, a hostile name say).
pub fn add_contract(ledger: &mut Ledger, c: &NewCustomer<'_>) -> Result<i64> {
    if !ledger.is_demo() {
        return Err(crate::service::ServiceError::DemoOnly);
    }
    let secrets = shared_secrets(ledger)?;
    let (id, _) = ledger.write(&Actor::Demo, |w| {
        let at = w.at;
        insert_customer(w, c, secrets, at)
    })?;
    Ok(id)
}

/// The current code of a demo token (`madoguchi tokens code`).
pub fn current_code(ledger: &mut Ledger, serial: &str) -> Result<Option<String>> {
    if !ledger.is_demo() {
        return Err(crate::service::ServiceError::DemoOnly);
    }
    let Some(t) = store::tokens::by_serial(ledger.db(), serial)? else { return Ok(None) };
    let seed = secret::open(ledger.keys().enc_key(), &t.seed, &secret::Place::token_seed(&t.serial))?;
    let p = TokenParams { seed: &seed, algorithm: t.algorithm, digits: t.digits, period: t.period };
    Ok(Some(code_at(&p, u64::try_from(ledger.now().timestamp()).unwrap_or(0))))
}

const PREFECTURES: [&str; 8] = [
    "東京都千代田区",
    "東京都港区",
    "東京都中央区",
    "東京都品川区",
    "神奈川県横浜市",
    "埼玉県さいたま市",
    "千葉県千葉市",
    "東京都江東区",
];

/// The next id of each table the generator writes: ids are given here, in the order the
/// rows are made, as the tables' own keys would have given them.
struct NextIds {
    contract: i64,
    user: i64,
    certificate: i64,
    lock: i64,
    token: i64,
    fee: i64,
}

impl NextIds {
    fn of(db: &mut dyn Db) -> Result<Self> {
        Ok(Self {
            contract: bulk::next_id(db, "contracts")?,
            user: bulk::next_id(db, "users")?,
            certificate: bulk::next_id(db, "certificates")?,
            lock: bulk::next_id(db, "locks")?,
            token: bulk::next_id(db, "tokens")?,
            fee: bulk::next_id(db, "fees")?,
        })
    }
}

fn take(id: &mut i64) -> i64 {
    *id += 1;
    *id - 1
}

/// What a stretch of generated contracts adds, sealed in memory, until it is loaded.
struct Batch {
    contracts: bulk::Sealed,
    users: bulk::Sealed,
    certificates: bulk::Sealed,
    failures: bulk::Sealed,
    locks: bulk::Sealed,
    tokens: bulk::Sealed,
    fees: bulk::Sealed,
    terms: Vec<(String, i64)>,
    bodies: Vec<(i64, String)>,
    /// The grams of every body loaded so far, written once after the last batch.
    grams: crate::domain::search::GramCounts,
}

impl Batch {
    fn new() -> Self {
        use store::integrity::{CERTIFICATES, CONTRACTS, FAILURES, FEES, LOCKS, TOKENS, USERS};
        Self {
            contracts: bulk::Sealed::new(&CONTRACTS),
            users: bulk::Sealed::new(&USERS),
            certificates: bulk::Sealed::new(&CERTIFICATES),
            failures: bulk::Sealed::new(&FAILURES),
            locks: bulk::Sealed::new(&LOCKS),
            tokens: bulk::Sealed::new(&TOKENS),
            fees: bulk::Sealed::new(&FEES),
            terms: Vec::new(),
            bodies: Vec::new(),
            grams: Default::default(),
        }
    }

    /// Loads what waits, each table after those it refers to.
    fn load(&mut self, db: &mut dyn Db) -> Result<()> {
        for t in [
            &mut self.contracts,
            &mut self.users,
            &mut self.certificates,
            &mut self.failures,
            &mut self.locks,
            &mut self.tokens,
            &mut self.fees,
        ] {
            t.load(db)?;
        }
        // In key order: each term lands next to the one before in the index, not at a
        // random page.
        self.terms.sort_unstable();
        store::search::terms_in(db, &mut self.terms.drain(..))?;
        store::search::bodies_in(db, &mut self.bodies.drain(..), &mut self.grams)?;
        Ok(())
    }
}

/// Contracts generated between two loads: enough that a load is a long stream, few enough
/// that a million contracts never sit in memory at once.
const BATCH: u64 = 32_768;

/// The bulk part: `n` contracts with users, certificates, tokens and a few locks, made in
/// memory with their ids and MACs and loaded a batch at a time (one `COPY` a table on
/// PostgreSQL, prepared inserts on SQLite), in one transaction with one audit entry.
fn generate(ledger: &mut Ledger, secrets: SecretIds, n: u64, seed: u64, progress: Progress<'_>) -> Result<()> {
    let branches: Vec<String> =
        ledger.config().branches.iter().filter(|b| b.kind == BranchKind::Branch).map(|b| b.code.clone()).collect();
    if branches.is_empty() || n == 0 {
        return Ok(());
    }
    let cfg = ledger.config().clone();
    let enc = *ledger.keys().enc_key();
    let now = ledger.now();
    let today = business_date(now);
    let mut rng = StdRng::seed_from_u64(seed);
    // A large page cache only pays for large ledgers; the first start of the app (2,000
    // contracts) stays small.
    if n >= 100_000 {
        store::set_cache_mib(ledger.db(), 256)?;
    }
    let result = ledger.write(&Actor::Demo, |w| {
        let key = w.tx.row_key().clone();
        let mut next = NextIds::of(&mut w.tx)?;
        let mut receipts: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
        for b in &branches {
            receipts.insert(b.clone(), store::fees::last_receipt(&mut w.tx, b)?.unwrap_or(0));
        }
        let receipts_before = receipts.clone();
        let aside = bulk::set_aside(&mut w.tx)?;
        let mut batch = Batch::new();
        let (mut tokens, mut locks, mut users_total, mut fees) = (0u64, 0u64, 0u64, 0u64);
        for i in 0..n {
            let no = 1000 + i;
            let branch = &branches[rng.gen_range(0..branches.len())];
            let cif = format!("{branch}{no:07}");
            let company = names::company(&mut rng);
            let phone =
                format!("0{}-{:04}-{:04}", rng.gen_range(3..=99), rng.gen_range(1000..10000), rng.gen_range(0..10000));
            let address = format!(
                "{}{}-{}-{}",
                PREFECTURES[rng.gen_range(0..PREFECTURES.len())],
                rng.gen_range(1..9),
                rng.gen_range(1..30),
                rng.gen_range(1..20)
            );
            let mut logins: Vec<(String, String, UserRole, LoginMethod)> = Vec::with_capacity(4);
            let method =
                |rng: &mut StdRng| if rng.gen_bool(0.2) { LoginMethod::Certificate } else { LoginMethod::Password };
            logins.push((format!("c{no:07}m"), names::person(&mut rng).0, UserRole::Master, method(&mut rng)));
            if rng.gen_bool(0.3) {
                logins.push((format!("c{no:07}a"), names::person(&mut rng).0, UserRole::Admin, method(&mut rng)));
            }
            for g in 1..=rng.gen_range(0..=2) {
                logins.push((format!("c{no:07}g{g}"), names::person(&mut rng).0, UserRole::General, method(&mut rng)));
            }
            // Spread over the past year in order, so that receipt numbers follow the dates.
            let minutes_ago = 525_600 - (i as i64 * 525_000 / n as i64) - rng.gen_range(0..30);
            let created_at = now - Duration::minutes(minutes_ago.max(60));
            let contract_id = take(&mut next.contract);
            batch.contracts.push(
                &key,
                bulk::contract(
                    contract_id,
                    &NewContract {
                        cif: &cif,
                        branch,
                        company: &company.kanji,
                        company_kana: &company.kana,
                        phone: &phone,
                        address: &address,
                        at: created_at,
                    },
                ),
            );
            let mut ids = Vec::with_capacity(logins.len());
            for (login_id, name, role, login_method) in &logins {
                let id = take(&mut next.user);
                let u = NewUser {
                    contract_id,
                    login_id,
                    name,
                    role: *role,
                    login_method: *login_method,
                    secrets,
                    at: created_at,
                };
                batch.users.push(&key, bulk::user(id, &u));
                if *login_method == LoginMethod::Certificate {
                    batch.certificates.push(&key, bulk::certificate(take(&mut next.certificate), id, created_at));
                }
                ids.push(id);
            }
            users_total += ids.len() as u64;
            let mut serials = Vec::new();
            if rng.gen_bool(0.1) {
                let serial = format!("HT{:08}", 20_000_000 + i);
                let expires = today + Duration::days(rng.gen_range(1..365 * cfg.token.life_years as i64));
                let sealed = sealed_seed(&enc, &serial);
                let token_id = take(&mut next.token);
                let t = NewToken {
                    serial: &serial,
                    branch,
                    seed: &sealed,
                    algorithm: Algorithm::Sha1,
                    digits: cfg.token.digits,
                    period: cfg.token.period,
                    expires,
                    state: TokenState::Issued,
                    user_id: Some(ids[0]),
                    at: created_at,
                };
                batch.tokens.push(&key, bulk::token(token_id, &t));
                // Half of them were added at the counter, with the fee.
                if rng.gen_bool(0.5) {
                    let amount = cfg.fees.token_add;
                    let receipt_no = receipts.entry(branch.clone()).or_default();
                    *receipt_no += 1;
                    let f = NewFee {
                        branch,
                        receipt_no: *receipt_no,
                        business_date: business_date(created_at),
                        kind: FeeKind::TokenAdd,
                        contract_id: Some(contract_id),
                        user_id: Some(ids[0]),
                        amount,
                        tax: crate::domain::fees::tax(amount, cfg.fees.tax_rate_percent),
                        reverses: None,
                        token_id: Some(token_id),
                        staff: "demo",
                        at: created_at,
                        reason: None,
                    };
                    batch.fees.push(&key, bulk::fee(take(&mut next.fee), &f));
                    fees += 1;
                }
                serials.push(serial);
                tokens += 1;
            }
            if rng.gen_bool(0.01) {
                let kind = CredentialKind::VARIANTS[rng.gen_range(0..CredentialKind::VARIANTS.len())];
                let user = ids[rng.gen_range(0..ids.len())];
                let threshold = cfg.threshold(kind);
                let at = now - Duration::minutes(rng.gen_range(1..43_200));
                batch.failures.push(&key, bulk::failures(user, kind, threshold, at));
                batch.locks.push(&key, bulk::lock(take(&mut next.lock), user, kind, scope_of(kind), threshold, at));
                locks += 1;
            }
            let login_ids: Vec<&str> = logins.iter().map(|l| l.0.as_str()).collect();
            let serial_refs: Vec<&str> = serials.iter().map(String::as_str).collect();
            let ix = crate::domain::search::index_contract(
                contract_id,
                &cif,
                &company.kanji,
                &company.kana,
                &phone,
                &login_ids,
                &serial_refs,
            );
            batch.terms.extend(ix.terms.into_iter().map(|t| (t, contract_id)));
            batch.bodies.push((contract_id, ix.body));
            if (i + 1) % BATCH == 0 {
                batch.load(&mut w.tx)?;
                progress(i + 1, n);
            }
        }
        batch.load(&mut w.tx)?;
        store::search::count_grams(&mut w.tx, &batch.grams)?;
        bulk::put_back(&mut w.tx, aside)?;
        for (branch, last) in &receipts {
            if receipts_before.get(branch) != Some(last) {
                store::fees::set_last_receipt(&mut w.tx, branch, *last)?;
            }
        }
        bulk::continue_identities(&mut w.tx)?;
        progress(n, n);
        w.audit(
            "demo.generate",
            "ledger",
            json!({ "contracts": n, "users": users_total, "tokens": tokens, "fees": fees, "locks": locks, "seed": seed }),
        )
    });
    result?;
    store::search::optimize(ledger.db())?;
    store::set_cache_mib(ledger.db(), 2)?;
    Ok(())
}
