//! Hard tokens (R9–R12) and the fees that go with them (R13).

use serde_json::json;

use crate::domain::fees;
use crate::domain::permission::Operation;
use crate::domain::token::{self, CodeCheck, TokenParams};
use crate::secret;
use crate::store::{self, customers::UserRow, fees::NewFee, requests::NewRequest, tokens::TokenRow};

use super::staff::Session;
use super::{Ledger, Result, ServiceError, Writer, business_date};

/// A receipt as handed to the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub branch: String,
    pub receipt_no: i64,
    pub kind: &'static str,
    pub amount: i64,
    pub tax: i64,
    pub invoice_number: String,
    pub at: String,
    pub serial: Option<String>,
}

impl Receipt {
    pub fn total(&self) -> i64 {
        self.amount + self.tax
    }
}

/// A user's tokens as the Hard token screen shows them.
#[derive(Debug, Clone, Default)]
pub struct TokenView {
    /// Issued or lost tokens the user holds.
    pub held: Vec<TokenRow>,
    /// Tokens set aside for the user: added or reissued and not handed over, or mailed.
    pub waiting: Vec<TokenRow>,
    /// Whether a reissue of this user waits for approval, or was approved.
    pub reissue_state: Option<String>,
    /// The branch's stock by state.
    pub stock: Vec<(String, i64)>,
    pub first_in_stock: Option<String>,
}

impl Ledger {
    fn user_and_branch(&self, user_id: i64) -> Result<(UserRow, String)> {
        let user = store::customers::user(&self.conn, user_id)?.ok_or(ServiceError::NotFound("msg.customer_user"))?;
        let contract =
            store::customers::contract(&self.conn, user.contract_id)?.ok_or(ServiceError::NotFound("msg.contract"))?;
        if contract.cancelled {
            return Err(ServiceError::invalid("contract", "err.contract_cancelled"));
        }
        Ok((user, contract.branch))
    }

    pub fn token_view(&self, session: &Session, user_id: i64) -> Result<TokenView> {
        session.authorize(Operation::SearchCustomers, None)?;
        let (_, branch) = self.user_and_branch(user_id)?;
        let waiting = store::tokens::reserved_for(&self.conn, user_id)?;
        let reissue_state = match waiting.iter().find_map(|t| t.request_id) {
            Some(id) => store::requests::get(&self.conn, id)?.map(|r| r.state),
            None => None,
        };
        Ok(TokenView {
            held: store::tokens::of_user(&self.conn, user_id)?,
            waiting,
            reissue_state,
            stock: store::tokens::stock(&self.conn, &branch)?,
            first_in_stock: store::tokens::first_in_stock(&self.conn, &branch)?,
        })
    }

    /// A token of the branch's stock, by serial.
    fn stock_token(&self, serial: &str, branch: &str) -> Result<TokenRow> {
        let t = store::tokens::by_serial(&self.conn, serial.trim())?
            .ok_or(ServiceError::invalid("serial", "err.token_unknown"))?;
        if t.branch != branch {
            return Err(ServiceError::invalid("serial", "err.token_other_branch"));
        }
        if t.state != "in_stock" {
            return Err(ServiceError::invalid("serial", "err.token_not_in_stock"));
        }
        Ok(t)
    }

    /// 追加発行 (R9): sets a stock token aside for the user and collects the fee, in one
    /// transaction. The token is bound to the user at hand-over.
    pub fn add_token(&mut self, session: &Session, user_id: i64, serial: &str) -> Result<Receipt> {
        let (user, branch) = self.user_and_branch(user_id)?;
        session.authorize(Operation::CounterProcedure, Some(&branch))?;
        free_for_a_new_token(&self.conn, user_id)?;
        let token = self.stock_token(serial, &branch)?;
        let amount = self.cfg.fees.token_add;
        self.token_write(session, &user, &branch, |w, subject| {
            // Again under the write lock: another terminal may have added one meanwhile.
            free_for_a_new_token(&w.tx, user.id)?;
            if !store::tokens::reserve(&w.tx, token.id, user.id, "reserved", None)? {
                return Err(ServiceError::invalid("serial", "err.token_not_in_stock"));
            }
            index_serial(w, &token.serial, user.id)?;
            w.audit("token.add", subject, json!({ "serial": token.serial }))?;
            Ok((Some(token.id), Some(token.serial.clone()), "token_add", amount))
        })
    }

    /// 紛失届 (R10): the user's token is disabled in the same transaction as the report;
    /// from then on everything that needs a one-time password is refused.
    pub fn report_lost(&mut self, session: &Session, user_id: i64) -> Result<String> {
        session.authorize(Operation::ReportLostToken, None)?;
        let (user, _) = self.user_and_branch(user_id)?;
        let held = store::tokens::of_user(&self.conn, user_id)?;
        let token =
            held.into_iter().find(|t| t.state == "issued").ok_or(ServiceError::invalid("user", "err.token_none"))?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        let channel = if session.role == crate::domain::permission::StaffRole::Operator { "phone" } else { "counter" };
        self.write(&session.actor(), |w| {
            if !store::tokens::change_state(&w.tx, token.id, "issued", "lost")? {
                return Err(ServiceError::AlreadyDone { by: String::new() });
            }
            // A replacement in the post would otherwise wait behind the lost token for good;
            // the reissue at the counter replaces both.
            let mailed = store::tokens::retire_mailed(&w.tx, user.id)?;
            w.audit(
                "token.lost",
                &subject,
                json!({ "serial": token.serial, "channel": channel, "mailed_retired": mailed }),
            )
        })?;
        Ok(token.serial)
    }

    /// 再発行 (R10): at the counter with the fee; a new stock token is set aside and the
    /// reissue waits for a supervisor's approval before it can be handed over.
    pub fn reissue_token(&mut self, session: &Session, user_id: i64, serial: &str) -> Result<(Receipt, i64)> {
        let (user, branch) = self.user_and_branch(user_id)?;
        session.authorize(Operation::CounterProcedure, Some(&branch))?;
        let lost = store::tokens::of_user(&self.conn, user_id)?
            .into_iter()
            .find(|t| t.state == "lost")
            .ok_or(ServiceError::invalid("user", "err.token_not_lost"))?;
        if !store::tokens::reserved_for(&self.conn, user_id)?.is_empty() {
            return Err(ServiceError::invalid("user", "err.token_waiting"));
        }
        let token = self.stock_token(serial, &branch)?;
        let amount = self.cfg.fees.token_reissue;
        let staff = session.id.clone();
        let mut request_id = 0;
        let receipt = self.token_write(session, &user, &branch, |w, subject| {
            if !store::tokens::reserve(&w.tx, token.id, user.id, "reserved", Some(lost.id))? {
                return Err(ServiceError::invalid("serial", "err.token_not_in_stock"));
            }
            index_serial(w, &token.serial, user.id)?;
            let at = w.stamp.clone();
            let payload = json!({ "token": token.id, "serial": token.serial, "lost_serial": lost.serial }).to_string();
            request_id = store::requests::insert(
                &w.tx,
                &NewRequest {
                    kind: "token_reissue",
                    branch: &branch,
                    contract_id: Some(user.contract_id),
                    user_id: Some(user.id),
                    credential: None,
                    payload: &payload,
                    requested_by: &staff,
                    at: &at,
                },
            )
            .map_err(|e| match e {
                store::StoreError::Duplicate => ServiceError::invalid("request", "err.token_waiting"),
                other => other.into(),
            })?;
            store::tokens::set_request(&w.tx, token.id, request_id)?;
            w.audit(
                "token.reissue",
                subject,
                json!({ "serial": token.serial, "replaces": lost.serial, "request": request_id }),
            )?;
            Ok((Some(token.id), Some(token.serial.clone()), "token_reissue", amount))
        })?;
        Ok((receipt, request_id))
    }

    /// Writes a token step and its fee with a new receipt number, in one transaction.
    fn token_write(
        &mut self,
        session: &Session,
        user: &UserRow,
        branch: &str,
        step: impl FnOnce(&mut Writer<'_>, &str) -> Result<(Option<i64>, Option<String>, &'static str, i64)>,
    ) -> Result<Receipt> {
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        let rate = self.cfg.fees.tax_rate_percent;
        let invoice = self.cfg.fees.invoice_number.clone();
        let staff = session.id.clone();
        self.write(&session.actor(), |w| {
            let (token_id, serial, kind, amount) = step(w, &subject)?;
            let receipt = collect_fee(
                w,
                branch,
                &staff,
                kind,
                Some(user),
                amount,
                fees::tax(amount, rate),
                token_id,
                None,
                None,
            )?;
            Ok(Receipt { kind, invoice_number: invoice, serial, ..receipt })
        })
    }

    /// Hand-over (R11): the customer reads a code off the token; it is bound to the user
    /// only when the code verifies, and no code is accepted twice.
    pub fn hand_over(&mut self, session: &Session, user_id: i64, code: &str) -> Result<String> {
        let (user, branch) = self.user_and_branch(user_id)?;
        session.authorize(Operation::CounterProcedure, Some(&branch))?;
        let token = store::tokens::reserved_for(&self.conn, user_id)?
            .into_iter()
            .find(|t| t.state == "reserved")
            .ok_or(ServiceError::invalid("user", "err.token_nothing_to_hand_over"))?;
        if let Some(request_id) = token.request_id {
            let state = store::requests::get(&self.conn, request_id)?.map(|r| r.state).unwrap_or_default();
            if state != "approved" {
                return Err(ServiceError::invalid("request", "err.token_reissue_not_approved"));
            }
        }
        let step = self.check_token_code(&token, code)?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        self.write(&session.actor(), |w| {
            if !bind_token(w, &token, user.id, step)? {
                return Err(ServiceError::invalid("code", "err.token_code_replayed"));
            }
            w.audit("token.handover", &subject, json!({ "serial": token.serial }))
        })?;
        Ok(token.serial)
    }

    /// R12: a replacement mailed by registered mail to the registered address, no fee.
    pub fn mail_replacement(&mut self, session: &Session, user_id: i64, serial: &str, tracking_no: &str) -> Result<()> {
        let (user, branch) = self.user_and_branch(user_id)?;
        session.authorize(Operation::CounterProcedure, Some(&branch))?;
        let tracking = tracking_no.trim();
        if !(6..=20).contains(&tracking.len()) || !tracking.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ServiceError::invalid("tracking", "err.tracking_no"));
        }
        let old = store::tokens::of_user(&self.conn, user_id)?
            .into_iter()
            .find(|t| t.state == "issued")
            .ok_or(ServiceError::invalid("user", "err.token_none"))?;
        if !store::tokens::reserved_for(&self.conn, user_id)?.is_empty() {
            return Err(ServiceError::invalid("user", "err.token_waiting"));
        }
        let token = self.stock_token(serial, &branch)?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        self.write(&session.actor(), |w| {
            // Again under the write lock: a loss report or another mailing may have landed.
            let still_issued = store::tokens::of_user(&w.tx, user.id)?.iter().any(|t| t.id == old.id && t.state == "issued");
            if !still_issued || !store::tokens::reserved_for(&w.tx, user.id)?.is_empty() {
                return Err(ServiceError::invalid("user", "err.token_waiting"));
            }
            if !store::tokens::reserve(&w.tx, token.id, user.id, "mailed", Some(old.id))? {
                return Err(ServiceError::invalid("serial", "err.token_not_in_stock"));
            }
            index_serial(w, &token.serial, user.id)?;
            let at = w.stamp.clone();
            store::tokens::set_mailed(&w.tx, token.id, &at, tracking)?;
            w.audit(
                "token.mail",
                &subject,
                json!({ "serial": token.serial, "replaces": old.serial, "tracking_no": tracking, "expires_old": old.expires }),
            )
        })
    }

    /// R12: issued tokens expiring within `within_days` (default from the config), of the
    /// staff member's branch, or of `branch` (all when `None`) from the command line.
    pub fn expiring_tokens(
        &self,
        session: Option<&Session>,
        within_days: Option<u32>,
        branch: Option<&str>,
    ) -> Result<Vec<store::tokens::Expiring>> {
        let branch = match session {
            Some(s) => {
                s.authorize(Operation::SearchCustomers, None)?;
                Some(s.branch.as_str())
            }
            None => branch,
        };
        let days = within_days.unwrap_or(self.cfg.token.expiry_notice_days);
        let until = business_date(self.now())
            .checked_add_days(chrono::Days::new(u64::from(days)))
            .ok_or(ServiceError::invalid("within", "err.within_days"))?;
        Ok(store::tokens::expiring(&self.conn, &until.format("%Y-%m-%d").to_string(), branch, 10_000)?)
    }

    /// Checks a code of a token that is not bound yet; expired tokens never verify.
    pub(crate) fn check_token_code(&self, token: &TokenRow, code: &str) -> Result<i64> {
        let today = business_date(self.now()).format("%Y-%m-%d").to_string();
        if token.expires < today {
            return Err(ServiceError::invalid("code", "err.token_expired"));
        }
        let seed = secret::open(self.keys.enc_key(), &token.seed)?;
        let p = TokenParams { seed: &seed, algorithm: &token.algorithm, digits: token.digits, period: token.period };
        let now = u64::try_from(self.now().timestamp()).unwrap_or(0);
        match token::check(&p, code.trim(), now, self.cfg.token.window_steps, token.last_step) {
            CodeCheck::Accepted { step } => Ok(step),
            CodeCheck::Replayed => Err(ServiceError::invalid("code", "err.token_code_replayed")),
            CodeCheck::Wrong => Err(ServiceError::invalid("code", "err.token_code_wrong")),
        }
    }
}

/// A user may be given a new token (add) only when they hold none in use, none lost (a
/// lost one is replaced by a reissue, R10) and none waiting for hand-over.
fn free_for_a_new_token(conn: &rusqlite::Connection, user_id: i64) -> Result<()> {
    let held = store::tokens::of_user(conn, user_id)?;
    if held.iter().any(|t| t.state == "issued") {
        return Err(ServiceError::invalid("user", "err.token_already_held"));
    }
    if held.iter().any(|t| t.state == "lost") {
        return Err(ServiceError::invalid("user", "err.token_lost_reissue"));
    }
    if !store::tokens::reserved_for(conn, user_id)?.is_empty() {
        return Err(ServiceError::invalid("user", "err.token_waiting"));
    }
    Ok(())
}

/// Binds a token to its user, retiring the token it replaces (R10 reissue, R12 mailing).
/// False when the code's step was used meanwhile (another attempt won the race).
pub(crate) fn bind_token(w: &mut Writer<'_>, token: &TokenRow, user_id: i64, step: i64) -> Result<bool> {
    if !store::tokens::bind(&w.tx, token.id, user_id, step)? {
        return Ok(false);
    }
    if let Some(old) = token.replaces {
        store::tokens::set_state(&w.tx, old, "retired")?;
    }
    index_serial(w, &token.serial, user_id)?;
    Ok(true)
}

/// From the moment a token is set aside for a user, its serial finds the customer (and
/// keeps finding them after it is retired: the history stays reachable).
pub(crate) fn index_serial(w: &mut Writer<'_>, serial: &str, user_id: i64) -> Result<()> {
    if let Some(user) = store::customers::user(&w.tx, user_id)? {
        store::search::add_term(&w.tx, user.contract_id, &crate::domain::search::serial_term(serial))?;
    }
    Ok(())
}

/// Records a fee with the branch's next receipt number (no gaps) and its audit entry.
#[allow(clippy::too_many_arguments)]
pub(crate) fn collect_fee(
    w: &mut Writer<'_>,
    branch: &str,
    staff: &str,
    kind: &'static str,
    user: Option<&UserRow>,
    amount: i64,
    tax: i64,
    token_id: Option<i64>,
    reverses: Option<i64>,
    reason: Option<&str>,
) -> Result<Receipt> {
    let receipt_no = store::fees::next_receipt(&w.tx, branch)?;
    let at = w.stamp.clone();
    let day = business_date(w.at).format("%Y-%m-%d").to_string();
    let fee_id = store::fees::insert(
        &w.tx,
        &NewFee {
            branch,
            receipt_no,
            business_date: &day,
            kind,
            contract_id: user.map(|u| u.contract_id),
            user_id: user.map(|u| u.id),
            amount,
            tax,
            reverses,
            token_id,
            staff,
            at: &at,
            reason,
        },
    )?;
    let subject = match user {
        Some(u) => format!("contract:{}/user:{}", u.contract_id, u.id),
        None => format!("branch:{branch}"),
    };
    w.audit(
        "fee.record",
        &subject,
        json!({ "fee": fee_id, "kind": kind, "receipt": receipt_no, "amount": amount, "tax": tax, "reverses": reverses }),
    )?;
    Ok(Receipt {
        branch: branch.to_string(),
        receipt_no,
        kind,
        amount,
        tax,
        invoice_number: String::new(),
        at,
        serial: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::credential::CredentialKind;
    use crate::service::ib::IbResult;
    use crate::service::{Actor, ManualClock};
    use chrono::{TimeZone, Utc};
    use secrecy::SecretString;

    fn at(unix: i64) -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(unix, 0).single().expect("time")
    }

    use crate::service::testkit::{demo_on as demo, login};

    fn user(l: &Ledger, login: &str) -> i64 {
        store::customers::user_by_login_id(l.conn(), login).expect("q").expect("user").id
    }

    /// RFC 6238 Appendix B through the whole path: the vendor's CSV is imported, the token
    /// added and handed over with the RFC's code at the RFC's time, and the customer's next
    /// code is accepted by the service channel.
    #[test]
    fn rfc6238_vectors_through_import_hand_over_and_ib() {
        let seeds = [
            ("SHA1", hex::encode(b"12345678901234567890")),
            ("SHA256", hex::encode(b"12345678901234567890123456789012")),
            ("SHA512", hex::encode(b"1234567890123456789012345678901234567890123456789012345678901234")),
        ];
        // (time, SHA1, SHA256, SHA512) with 8 digits and 30 s, from the RFC.
        let vectors = [
            (1111111109i64, ["07081804", "68084774", "25091201"]),
            (1234567890, ["89005924", "91819424", "93441116"]),
            (2000000000, ["69279037", "90698825", "38618901"]),
        ];
        for (t, codes) in vectors {
            for ((alg, seed), code) in seeds.iter().zip(codes) {
                let clock = ManualClock::new(at(1_700_000_000));
                let mut l = demo(&clock);
                clock.set(at(t));
                let expires = (business_date(at(t)) + chrono::Duration::days(400)).format("%Y-%m-%d");
                let csv = format!(
                    "serial,secret,algorithm,digits,period,expires\nRFC{alg},hex:{seed},{alg},8,30,{expires}\n"
                );
                let out =
                    l.import_tokens(&Actor::cli(), "rfc.csv", csv.as_bytes(), None, Some("101"), None).expect("import");
                assert!(matches!(out, crate::service::import::ImportOutcome::Imported { count: 1, .. }), "{out:?}");
                let clerk = login(&mut l, "clerk101");
                let g1 = user(&l, "yamada-g1");
                l.add_token(&clerk, g1, &format!("RFC{alg}")).expect("add");
                assert_eq!(l.hand_over(&clerk, g1, code).expect("hand over"), format!("RFC{alg}"), "{alg} at {t}");
                // The same code again is a replay; the next step's code is fresh.
                let again =
                    l.ib_attempt("yamada-g1", CredentialKind::OneTimePassword, &SecretString::from(code)).expect("ib");
                assert_eq!(again.result, IbResult::Rejected, "{alg} replay at {t}");
            }
        }
        // 60 s tokens work too: the code at T is the 30 s code of T / 2.
        let clock = ManualClock::new(at(1_700_000_000));
        let mut l = demo(&clock);
        let t = 2 * 1111111109i64;
        clock.set(at(t));
        let expires = (business_date(at(t)) + chrono::Duration::days(400)).format("%Y-%m-%d");
        let csv =
            format!("serial,secret,algorithm,digits,period,expires\nRFC60,hex:{},SHA1,8,60,{expires}\n", seeds[0].1);
        l.import_tokens(&Actor::cli(), "rfc.csv", csv.as_bytes(), None, Some("101"), None).expect("import");
        let clerk = login(&mut l, "clerk101");
        let g1 = user(&l, "yamada-g1");
        l.add_token(&clerk, g1, "RFC60").expect("add");
        l.hand_over(&clerk, g1, "07081804").expect("60 s token");
    }

    #[test]
    fn token_refusals() {
        let clock = ManualClock::new(at(1_800_000_000));
        let mut l = demo(&clock);
        let clerk = login(&mut l, "clerk101");
        let tel = login(&mut l, "tel900");
        let g1 = user(&l, "yamada-g1");
        let key = |r: Result<Receipt>| match r {
            Err(ServiceError::Invalid { key, .. }) => key.to_string(),
            Err(ServiceError::Denied(d)) => format!("{d:?}"),
            other => format!("{other:?}"),
        };
        // Another branch's stock, an unknown serial, an operator at the counter.
        assert_eq!(key(l.add_token(&clerk, g1, "HT92050002")), "err.token_other_branch");
        assert_eq!(key(l.add_token(&clerk, g1, "NOPE")), "err.token_unknown");
        assert!(key(l.add_token(&tel, g1, "HT91010001")).starts_with("CounterOnly"));
        let receipt = l.add_token(&clerk, g1, "HT91010001").expect("add");
        assert_eq!((receipt.amount, receipt.tax, receipt.total(), receipt.receipt_no), (2000, 200, 2200, 1));
        // A second add while one waits for hand-over.
        assert_eq!(key(l.add_token(&clerk, g1, "HT91010002")), "err.token_waiting");
        // A wrong code, then the right one; the same code never twice.
        let token = store::tokens::by_serial(l.conn(), "HT91010001").expect("q").expect("token");
        let seed = secret::open(l.keys.enc_key(), &token.seed).expect("seed");
        let p = TokenParams { seed: &seed, algorithm: "SHA1", digits: 6, period: 30 };
        let code = token::code_at(&p, 1_800_000_000).expect("code");
        assert!(matches!(
            l.hand_over(&clerk, g1, "000000"),
            Err(ServiceError::Invalid { key: "err.token_code_wrong", .. })
        ));
        l.hand_over(&clerk, g1, &code).expect("hand over");
        let replay =
            l.ib_attempt("yamada-g1", CredentialKind::OneTimePassword, &SecretString::from(code.clone())).expect("ib");
        assert_eq!(replay.result, IbResult::Rejected);
        // Lost: a fresh code is refused; the user still logs in.
        l.report_lost(&tel, g1).expect("lost");
        let next = token::code_at(&p, 1_800_000_030).expect("code");
        clock.set(at(1_800_000_030));
        let lost = l.ib_attempt("yamada-g1", CredentialKind::OneTimePassword, &SecretString::from(next)).expect("ib");
        assert_eq!(lost.result, IbResult::Suspended);
        assert_eq!(
            l.ib_attempt("yamada-g1", CredentialKind::LoginPassword, &SecretString::from("Login-pass1"))
                .expect("ib")
                .result,
            IbResult::Accepted
        );
        // An expired token never verifies: sakura's expires in 30 days.
        let sakura = store::tokens::by_serial(l.conn(), "HT10000005").expect("q").expect("token");
        clock.set(at(1_800_000_000 + 40 * 86_400));
        let seed = secret::open(l.keys.enc_key(), &sakura.seed).expect("seed");
        let p = TokenParams { seed: &seed, algorithm: "SHA1", digits: 6, period: 30 };
        let late = token::code_at(&p, 1_800_000_000 + 40 * 86_400).expect("code");
        let r = l.ib_attempt("sakura-m", CredentialKind::OneTimePassword, &SecretString::from(late)).expect("ib");
        assert_eq!(r.result, IbResult::Rejected);
        assert!(l.verify_audit().expect("verify").intact());
    }

    /// From a code review: the ways a token could get stuck for good are closed.
    #[test]
    fn no_token_gets_stuck() {
        let clock = ManualClock::new(at(1_800_000_000));
        let mut l = demo(&clock);
        let clerk = login(&mut l, "clerk101");
        let sup = login(&mut l, "super101");
        let tel = login(&mut l, "tel900");
        let g1 = user(&l, "yamada-g1");
        // Added and handed over, then lost: an add is refused (a reissue is the way).
        l.add_token(&clerk, g1, "HT91010001").expect("add");
        let token = store::tokens::by_serial(l.conn(), "HT91010001").expect("q").expect("token");
        let seed = secret::open(l.keys.enc_key(), &token.seed).expect("seed");
        let p = TokenParams { seed: &seed, algorithm: "SHA1", digits: 6, period: 30 };
        l.hand_over(&clerk, g1, &token::code_at(&p, 1_800_000_000).expect("code")).expect("hand over");
        l.report_lost(&tel, g1).expect("lost");
        assert!(matches!(
            l.add_token(&clerk, g1, "HT91010002"),
            Err(ServiceError::Invalid { key: "err.token_lost_reissue", .. })
        ));
        // A rejected reissue gives its token back to stock, and a new reissue can follow.
        let (_, request) = l.reissue_token(&clerk, g1, "HT91010002").expect("reissue");
        l.reject(&sup, request, "別の端末を使う").expect("reject");
        let back = store::tokens::by_serial(l.conn(), "HT91010002").expect("q").expect("token");
        assert_eq!((back.state.as_str(), back.reserved_for), ("in_stock", None));
        l.reissue_token(&clerk, g1, "HT91010003").expect("second reissue");
        // A loss report retires a replacement still in the post.
        let sakura = user(&l, "sakura-m");
        l.mail_replacement(&clerk, sakura, "HT91010004", "RM123456789JP").expect("mail");
        l.report_lost(&tel, sakura).expect("lost");
        let mailed = store::tokens::by_serial(l.conn(), "HT91010004").expect("q").expect("token");
        assert_eq!(mailed.state, "retired");
        l.reissue_token(&clerk, sakura, "HT91010005").expect("reissue after mailing");
        // A supervisor disabled since logging in approves nothing.
        l.staff_disable(&crate::service::Actor::cli(), "super101").expect("disable");
        assert!(matches!(l.approve(&sup, request + 1, "000000"), Err(ServiceError::StaffDisabled)));
        // Days far beyond the calendar are refused, not a panic.
        assert!(l.expiring_tokens(None, Some(u32::MAX), None).is_err());
        assert!(l.verify_audit().expect("verify").intact());
    }

    #[test]
    fn one_reversal_or_waiver_per_fee() {
        let clock = ManualClock::new(at(1_800_000_000));
        let mut l = demo(&clock);
        let clerk = login(&mut l, "clerk101");
        let g1 = user(&l, "yamada-g1");
        l.add_token(&clerk, g1, "HT91010001").expect("add");
        let fee = store::fees::day(l.conn(), &business_date(l.now()).format("%Y-%m-%d").to_string(), Some("101"))
            .expect("day")[0]
            .id;
        l.request_reversal(&clerk, fee, false, "金額誤り").expect("reversal");
        assert!(matches!(
            l.request_reversal(&clerk, fee, true, "免除"),
            Err(ServiceError::Invalid { key: "err.fee_already_reversed", .. })
        ));
    }
}
