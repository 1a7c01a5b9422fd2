//! Hard tokens (R9–R12) and the fees that go with them (R13).

use serde_json::json;

use crate::domain::approval::{RequestDetail, RequestState};
use crate::domain::customer::User;
use crate::domain::fees::{self, FeeKind, Receipt};
use crate::domain::permission::{Operation, Session, StaffRole};
use crate::domain::token::{self, CodeCheck, Expiring, FeeQuote, Token, TokenParams, TokenState};
use crate::domain::view::TokenView;
use crate::format::business_date;
use crate::secret;
use crate::store::{self, Db, fees::NewFee, requests::NewRequest};

use super::{Actor, Ledger, Missing, Problem, Result, ServiceError, Writer};

impl Ledger {
    fn user_and_branch(&mut self, user_id: i64) -> Result<(User, String)> {
        let user =
            store::customers::user(&mut self.conn, user_id)?.ok_or(ServiceError::NotFound(Missing::CustomerUser))?;
        let contract = store::customers::contract(&mut self.conn, user.contract_id)?
            .ok_or(ServiceError::NotFound(Missing::Contract))?;
        if contract.cancelled {
            return Err(ServiceError::Invalid(Problem::ContractCancelled));
        }
        Ok((user, contract.branch))
    }

    pub fn token_view(&mut self, session: &Session, user_id: i64) -> Result<TokenView> {
        self.allowed(session, Operation::SearchCustomers, None)?;
        let (_, branch) = self.user_and_branch(user_id)?;
        let waiting = store::tokens::reserved_for(&mut self.conn, user_id)?;
        let reissue_state = match waiting.iter().find_map(|t| t.request_id) {
            Some(id) => store::requests::get(&mut self.conn, id)?.map(|r| r.state),
            None => None,
        };
        let rate = self.cfg.fees.tax_rate_percent;
        Ok(TokenView {
            held: store::tokens::of_user(&mut self.conn, user_id)?,
            waiting,
            reissue_state,
            stock: store::tokens::stock(&mut self.conn, &branch)?,
            first_in_stock: store::tokens::first_in_stock(&mut self.conn, &branch)?,
            fee_add: FeeQuote::new(self.cfg.fees.token_add, rate),
            fee_reissue: FeeQuote::new(self.cfg.fees.token_reissue, rate),
        })
    }

    /// The fees of an added and a reissued token, with tax (R13), as guidance quotes them.
    pub fn token_fees(&self) -> (FeeQuote, FeeQuote) {
        let rate = self.cfg.fees.tax_rate_percent;
        (FeeQuote::new(self.cfg.fees.token_add, rate), FeeQuote::new(self.cfg.fees.token_reissue, rate))
    }

    /// A token of the branch's stock, by serial.
    fn stock_token(&mut self, serial: &str, branch: &str) -> Result<Token> {
        let t = store::tokens::by_serial(&mut self.conn, serial.trim())?
            .ok_or(ServiceError::Invalid(Problem::TokenUnknown))?;
        if t.branch != branch {
            return Err(ServiceError::Invalid(Problem::TokenOtherBranch));
        }
        if t.state != TokenState::InStock {
            return Err(ServiceError::Invalid(Problem::TokenNotInStock));
        }
        Ok(t)
    }

    /// 追加発行 (R9): sets a stock token aside for the user and collects the fee, in one
    /// transaction. The token is bound to the user at hand-over.
    pub fn add_token(&mut self, session: &Session, user_id: i64, serial: &str) -> Result<Receipt> {
        let (user, branch) = self.user_and_branch(user_id)?;
        self.allowed(session, Operation::CounterProcedure, Some(branch.as_str()))?;
        free_for_a_new_token(&mut self.conn, user_id)?;
        let token = self.stock_token(serial, &branch)?;
        let amount = self.cfg.fees.token_add;
        self.token_write(session, &user, &branch, |w, subject| {
            // Again under the write lock: another terminal may have added one meanwhile.
            free_for_a_new_token(&mut w.tx, user.id)?;
            if !store::tokens::reserve(&mut w.tx, token.id, user.id, TokenState::Reserved, None)? {
                return Err(ServiceError::Invalid(Problem::TokenNotInStock));
            }
            index_serial(w, &token.serial, user.id)?;
            w.audit("token.add", subject, json!({ "serial": token.serial }))?;
            Ok((Some(token.id), Some(token.serial.clone()), FeeKind::TokenAdd, amount))
        })
    }

    /// 紛失届 (R10): the user's token is disabled in the same transaction as the report;
    /// from then on everything that needs a one-time password is refused.
    pub fn report_lost(&mut self, session: &Session, user_id: i64) -> Result<String> {
        self.allowed(session, Operation::ReportLostToken, None)?;
        let (user, _) = self.user_and_branch(user_id)?;
        let held = store::tokens::of_user(&mut self.conn, user_id)?;
        let token = held
            .into_iter()
            .find(|t| t.state == TokenState::Issued)
            .ok_or(ServiceError::Invalid(Problem::TokenNone))?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        let channel = if session.role == StaffRole::Operator { "phone" } else { "counter" };
        self.write(&Actor::staff(session), |w| {
            if !store::tokens::change_state(&mut w.tx, token.id, TokenState::Issued, TokenState::Lost)? {
                return Err(ServiceError::AlreadyDone { by: String::new() });
            }
            // A replacement in the post would otherwise wait behind the lost token for good;
            // the reissue at the counter replaces both.
            let mailed = store::tokens::retire_mailed(&mut w.tx, user.id)?;
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
        self.allowed(session, Operation::CounterProcedure, Some(branch.as_str()))?;
        let lost = store::tokens::of_user(&mut self.conn, user_id)?
            .into_iter()
            .find(|t| t.state == TokenState::Lost)
            .ok_or(ServiceError::Invalid(Problem::TokenNotLost))?;
        if !store::tokens::reserved_for(&mut self.conn, user_id)?.is_empty() {
            return Err(ServiceError::Invalid(Problem::TokenWaiting));
        }
        let token = self.stock_token(serial, &branch)?;
        let amount = self.cfg.fees.token_reissue;
        let staff = session.id.clone();
        let mut request_id = 0;
        let receipt = self.token_write(session, &user, &branch, |w, subject| {
            if !store::tokens::reserve(&mut w.tx, token.id, user.id, TokenState::Reserved, Some(lost.id))? {
                return Err(ServiceError::Invalid(Problem::TokenNotInStock));
            }
            index_serial(w, &token.serial, user.id)?;
            let detail = RequestDetail::TokenReissue {
                token: token.id,
                serial: token.serial.clone(),
                lost_serial: lost.serial.clone(),
            };
            request_id = store::requests::insert(
                &mut w.tx,
                &NewRequest {
                    branch: &branch,
                    contract_id: Some(user.contract_id),
                    user_id: Some(user.id),
                    dedupe: None,
                    detail: &detail,
                    requested_by: &staff,
                    at: w.at,
                },
            )
            .map_err(|e| match e {
                store::StoreError::Duplicate => ServiceError::Invalid(Problem::TokenWaiting),
                other => other.into(),
            })?;
            store::tokens::set_request(&mut w.tx, token.id, request_id)?;
            w.audit(
                "token.reissue",
                subject,
                json!({ "serial": token.serial, "replaces": lost.serial, "request": request_id }),
            )?;
            Ok((Some(token.id), Some(token.serial.clone()), FeeKind::TokenReissue, amount))
        })?;
        Ok((receipt, request_id))
    }

    /// Writes a token step and its fee with a new receipt number, in one transaction.
    fn token_write(
        &mut self,
        session: &Session,
        user: &User,
        branch: &str,
        mut step: impl FnMut(&mut Writer<'_>, &str) -> Result<(Option<i64>, Option<String>, FeeKind, i64)>,
    ) -> Result<Receipt> {
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        let rate = self.cfg.fees.tax_rate_percent;
        let invoice = self.cfg.fees.invoice_number.clone();
        let staff = session.id.clone();
        self.write(&Actor::staff(session), |w| {
            let (token_id, serial, kind, amount) = step(w, &subject)?;
            let receipt = collect_fee(
                w,
                &NewFeeEntry {
                    branch,
                    staff: &staff,
                    kind,
                    user: Some(user),
                    amount,
                    tax: fees::tax(amount, rate),
                    token_id,
                    reverses: None,
                    reason: None,
                },
            )?;
            Ok(Receipt { invoice_number: invoice.clone(), serial, ..receipt })
        })
    }

    /// Hand-over (R11): the customer reads a code off the token; it is bound to the user
    /// only when the code verifies, and no code is accepted twice.
    pub fn hand_over(&mut self, session: &Session, user_id: i64, code: &str) -> Result<String> {
        let (user, branch) = self.user_and_branch(user_id)?;
        self.allowed(session, Operation::CounterProcedure, Some(branch.as_str()))?;
        let token = store::tokens::reserved_for(&mut self.conn, user_id)?
            .into_iter()
            .find(|t| t.state == TokenState::Reserved)
            .ok_or(ServiceError::Invalid(Problem::TokenNothingToHandOver))?;
        if let Some(request_id) = token.request_id {
            let state = store::requests::get(&mut self.conn, request_id)?.map(|r| r.state);
            if state != Some(RequestState::Approved) {
                return Err(ServiceError::Invalid(Problem::TokenReissueNotApproved));
            }
        }
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        // Codes cannot be guessed at the counter: after as many wrong ones as lock a
        // staff account, this token waits for a supervisor.
        if token.code_failures >= HANDOVER_CODE_LIMIT {
            return Err(ServiceError::Invalid(Problem::TokenHandOverLocked));
        }
        let step = match self.check_token_code(&token, code) {
            Err(ServiceError::Invalid(Problem::TokenCodeWrong)) => {
                let locked = self.write(&Actor::staff(session), |w| {
                    let failures = store::tokens::count_code_failure(&mut w.tx, token.id)?;
                    w.audit("token.code_failed", &subject, json!({ "serial": token.serial, "failures": failures }))?;
                    if failures >= HANDOVER_CODE_LIMIT {
                        w.audit("token.handover_locked", &subject, json!({ "serial": token.serial }))?;
                    }
                    Ok(failures >= HANDOVER_CODE_LIMIT)
                })?;
                let problem = if locked { Problem::TokenHandOverLocked } else { Problem::TokenCodeWrong };
                return Err(ServiceError::Invalid(problem));
            }
            other => other?,
        };
        self.write(&Actor::staff(session), |w| {
            if !bind_token(w, &token, user.id, step)? {
                return Err(ServiceError::Invalid(Problem::TokenCodeReplayed));
            }
            w.audit("token.handover", &subject, json!({ "serial": token.serial }))
        })?;
        Ok(token.serial)
    }

    /// A supervisor of the branch lets the hand-over of a token locked by wrong codes be
    /// tried again (after checking the device is the customer's).
    pub fn clear_handover_lock(&mut self, session: &Session, user_id: i64) -> Result<String> {
        let (user, branch) = self.user_and_branch(user_id)?;
        self.allowed(session, Operation::Approve, Some(branch.as_str()))?;
        let token = store::tokens::reserved_for(&mut self.conn, user_id)?
            .into_iter()
            .find(|t| t.state == TokenState::Reserved && t.code_failures >= HANDOVER_CODE_LIMIT)
            .ok_or(ServiceError::Invalid(Problem::TokenHandOverNotLocked))?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        self.write(&Actor::staff(session), |w| {
            store::tokens::clear_code_failures(&mut w.tx, token.id)?;
            w.audit(
                "token.handover_unlocked",
                &subject,
                json!({ "serial": token.serial, "failures": token.code_failures }),
            )
        })?;
        Ok(token.serial)
    }

    /// R12: a replacement mailed by registered mail to the registered address, no fee.
    pub fn mail_replacement(&mut self, session: &Session, user_id: i64, serial: &str, tracking_no: &str) -> Result<()> {
        let (user, branch) = self.user_and_branch(user_id)?;
        self.allowed(session, Operation::CounterProcedure, Some(branch.as_str()))?;
        let tracking = tracking_no.trim();
        if !valid_tracking_no(tracking) {
            return Err(ServiceError::Invalid(Problem::TrackingNo));
        }
        let old = store::tokens::of_user(&mut self.conn, user_id)?
            .into_iter()
            .find(|t| t.state == TokenState::Issued)
            .ok_or(ServiceError::Invalid(Problem::TokenNone))?;
        if !store::tokens::reserved_for(&mut self.conn, user_id)?.is_empty() {
            return Err(ServiceError::Invalid(Problem::TokenWaiting));
        }
        let token = self.stock_token(serial, &branch)?;
        let subject = format!("contract:{}/user:{}", user.contract_id, user.id);
        self.write(&Actor::staff(session), |w| {
            // Again under the write lock: a loss report or another mailing may have landed.
            let still_issued = store::tokens::of_user(&mut w.tx, user.id)?
                .iter()
                .any(|t| t.id == old.id && t.state == TokenState::Issued);
            if !still_issued || !store::tokens::reserved_for(&mut w.tx, user.id)?.is_empty() {
                return Err(ServiceError::Invalid(Problem::TokenWaiting));
            }
            if !store::tokens::reserve(&mut w.tx, token.id, user.id, TokenState::Mailed, Some(old.id))? {
                return Err(ServiceError::Invalid(Problem::TokenNotInStock));
            }
            index_serial(w, &token.serial, user.id)?;
            let at = w.at;
            store::tokens::set_mailed(&mut w.tx, token.id, at, tracking)?;
            w.audit(
                "token.mail",
                &subject,
                json!({
                    "serial": token.serial,
                    "replaces": old.serial,
                    "tracking_no": tracking,
                    "expires_old": crate::format::date(old.expires),
                }),
            )
        })
    }

    /// R12: issued tokens expiring within `within_days` (default from the config), of the
    /// staff member's branch, or of `branch` (all when `None`) from the command line.
    pub fn expiring_tokens(
        &mut self,
        session: Option<&Session>,
        within_days: Option<u32>,
        branch: Option<&str>,
    ) -> Result<Vec<Expiring>> {
        let branch = match session {
            Some(s) => {
                s.authorize(Operation::SearchCustomers, None)?;
                Some(s.branch.clone())
            }
            None => branch.map(str::to_string),
        };
        let days = within_days.unwrap_or(self.cfg.token.expiry_notice_days);
        let until = business_date(self.now())
            .checked_add_days(chrono::Days::new(u64::from(days)))
            .ok_or(ServiceError::Invalid(Problem::WithinDays))?;
        Ok(store::tokens::expiring(&mut self.conn, until, branch.as_deref(), 10_000)?)
    }

    /// Checks a code of a token that is not bound yet; expired tokens never verify.
    pub(crate) fn check_token_code(&self, token: &Token, code: &str) -> Result<i64> {
        if token.expires < business_date(self.now()) {
            return Err(ServiceError::Invalid(Problem::TokenExpired));
        }
        let seed = secret::open(self.keys().enc_key(), &token.seed, &secret::Place::token_seed(&token.serial))?;
        let p = TokenParams { seed: &seed, algorithm: token.algorithm, digits: token.digits, period: token.period };
        let now = u64::try_from(self.now().timestamp()).unwrap_or(0);
        match token::check(&p, code.trim(), now, self.cfg.token.window_steps, token.last_step) {
            CodeCheck::Accepted { step } => Ok(step),
            CodeCheck::Replayed => Err(ServiceError::Invalid(Problem::TokenCodeReplayed)),
            CodeCheck::Wrong => Err(ServiceError::Invalid(Problem::TokenCodeWrong)),
        }
    }
}

/// Wrong codes a token takes at hand-over before a supervisor must clear it.
pub const HANDOVER_CODE_LIMIT: u32 = 5;

/// A registered-mail tracking number: 6–20 ASCII letters, digits and `-`.
pub fn valid_tracking_no(s: &str) -> bool {
    (6..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A user may be given a new token (add) only when they hold none in use, none lost (a
/// lost one is replaced by a reissue, R10) and none waiting for hand-over.
fn free_for_a_new_token(db: &mut dyn Db, user_id: i64) -> Result<()> {
    let held = store::tokens::of_user(db, user_id)?;
    if held.iter().any(|t| t.state == TokenState::Issued) {
        return Err(ServiceError::Invalid(Problem::TokenAlreadyHeld));
    }
    if held.iter().any(|t| t.state == TokenState::Lost) {
        return Err(ServiceError::Invalid(Problem::TokenLostReissue));
    }
    if !store::tokens::reserved_for(db, user_id)?.is_empty() {
        return Err(ServiceError::Invalid(Problem::TokenWaiting));
    }
    Ok(())
}

/// Binds a token to its user, retiring the token it replaces (R10 reissue, R12 mailing).
/// False when the code's step was used meanwhile (another attempt won the race).
pub(crate) fn bind_token(w: &mut Writer<'_>, token: &Token, user_id: i64, step: i64) -> Result<bool> {
    if !store::tokens::bind(&mut w.tx, token.id, user_id, step)? {
        return Ok(false);
    }
    if let Some(old) = token.replaces {
        store::tokens::set_state(&mut w.tx, old, TokenState::Retired)?;
    }
    index_serial(w, &token.serial, user_id)?;
    Ok(true)
}

/// From the moment a token is set aside for a user, its serial finds the customer (and
/// keeps finding them after it is retired: the history stays reachable).
pub(crate) fn index_serial(w: &mut Writer<'_>, serial: &str, user_id: i64) -> Result<()> {
    if let Some(user) = store::customers::user(&mut w.tx, user_id)? {
        store::search::add_term(&mut w.tx, user.contract_id, &crate::domain::search::serial_term(serial))?;
    }
    Ok(())
}

/// A fee to record (R13).
pub(crate) struct NewFeeEntry<'a> {
    pub branch: &'a str,
    pub staff: &'a str,
    pub kind: FeeKind,
    pub user: Option<&'a User>,
    pub amount: i64,
    pub tax: i64,
    pub token_id: Option<i64>,
    /// The fee this entry reverses (a reversal or waiver).
    pub reverses: Option<i64>,
    pub reason: Option<&'a str>,
}

/// Records a fee with the branch's next receipt number (no gaps) and its audit entry.
pub(crate) fn collect_fee(w: &mut Writer<'_>, f: &NewFeeEntry<'_>) -> Result<Receipt> {
    let receipt_no = store::fees::next_receipt(&mut w.tx, f.branch)?;
    let at = w.at;
    let fee_id = store::fees::insert(
        &mut w.tx,
        &NewFee {
            branch: f.branch,
            receipt_no,
            business_date: business_date(at),
            kind: f.kind,
            contract_id: f.user.map(|u| u.contract_id),
            user_id: f.user.map(|u| u.id),
            amount: f.amount,
            tax: f.tax,
            reverses: f.reverses,
            token_id: f.token_id,
            staff: f.staff,
            at,
            reason: f.reason,
        },
    )?;
    let subject = match f.user {
        Some(u) => format!("contract:{}/user:{}", u.contract_id, u.id),
        None => format!("branch:{}", f.branch),
    };
    w.audit(
        "fee.record",
        &subject,
        json!({
            "fee": fee_id,
            "kind": f.kind.code(),
            "receipt": receipt_no,
            "amount": f.amount,
            "tax": f.tax,
            "reverses": f.reverses,
        }),
    )?;
    Ok(Receipt {
        branch: f.branch.to_string(),
        receipt_no,
        kind: f.kind,
        amount: f.amount,
        tax: f.tax,
        invoice_number: String::new(),
        at,
        serial: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::credential::CredentialKind;
    use crate::service::ManualClock;
    use crate::service::ib::IbResult;
    use chrono::{TimeZone, Utc};
    use secrecy::SecretString;

    fn at(unix: i64) -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(unix, 0).single().expect("time")
    }

    use crate::service::testkit::{demo_on as demo, login};

    fn user(l: &mut Ledger, login: &str) -> i64 {
        store::customers::user_by_login_id(l.db(), login).expect("q").expect("user").id
    }

    /// The code the token `serial` shows at `unix` seconds, as its device would.
    fn code_of(l: &mut Ledger, serial: &str, unix: u64) -> String {
        let t = store::tokens::by_serial(l.db(), serial).expect("q").expect("token");
        let seed = secret::open(l.keys().enc_key(), &t.seed, &secret::Place::token_seed(&t.serial)).expect("seed");
        let p = TokenParams { seed: &seed, algorithm: t.algorithm, digits: t.digits, period: t.period };
        token::code_at(&p, unix)
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
                let admin = login(&mut l, "admin");
                let out = l.import_tokens(&admin, "rfc.csv", csv.as_bytes(), None, Some("101"), None).expect("import");
                assert!(matches!(out, crate::service::import::ImportOutcome::Imported { count: 1, .. }), "{out:?}");
                let clerk = login(&mut l, "clerk101");
                let g1 = user(&mut l, "yamada-g1");
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
        let admin = login(&mut l, "admin");
        l.import_tokens(&admin, "rfc.csv", csv.as_bytes(), None, Some("101"), None).expect("import");
        let clerk = login(&mut l, "clerk101");
        let g1 = user(&mut l, "yamada-g1");
        l.add_token(&clerk, g1, "RFC60").expect("add");
        l.hand_over(&clerk, g1, "07081804").expect("60 s token");
    }

    #[test]
    fn token_refusals() {
        let clock = ManualClock::new(at(1_800_000_000));
        let mut l = demo(&clock);
        let clerk = login(&mut l, "clerk101");
        let tel = login(&mut l, "tel900");
        let g1 = user(&mut l, "yamada-g1");
        let key = |r: Result<Receipt>| match r {
            Err(ServiceError::Invalid(p)) => p.key(),
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
        let token = store::tokens::by_serial(l.db(), "HT91010001").expect("q").expect("token");
        let seed =
            secret::open(l.keys().enc_key(), &token.seed, &secret::Place::token_seed(&token.serial)).expect("seed");
        let p = TokenParams { seed: &seed, algorithm: token::Algorithm::Sha1, digits: 6, period: 30 };
        let code = token::code_at(&p, 1_800_000_000);
        assert!(matches!(l.hand_over(&clerk, g1, "000000"), Err(ServiceError::Invalid(Problem::TokenCodeWrong))));
        l.hand_over(&clerk, g1, &code).expect("hand over");
        let replay =
            l.ib_attempt("yamada-g1", CredentialKind::OneTimePassword, &SecretString::from(code.clone())).expect("ib");
        assert_eq!(replay.result, IbResult::Rejected);
        // Lost: a fresh code is refused; the user still logs in.
        l.report_lost(&tel, g1).expect("lost");
        let next = token::code_at(&p, 1_800_000_030);
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
        let sakura = store::tokens::by_serial(l.db(), "HT10000005").expect("q").expect("token");
        clock.set(at(1_800_000_000 + 40 * 86_400));
        let seed =
            secret::open(l.keys().enc_key(), &sakura.seed, &secret::Place::token_seed(&sakura.serial)).expect("seed");
        let p = TokenParams { seed: &seed, algorithm: token::Algorithm::Sha1, digits: 6, period: 30 };
        let late = token::code_at(&p, 1_800_000_000 + 40 * 86_400);
        let r = l.ib_attempt("sakura-m", CredentialKind::OneTimePassword, &SecretString::from(late)).expect("ib");
        assert_eq!(r.result, IbResult::Rejected);
        assert!(l.verify_audit().expect("verify").intact());
    }

    /// Codes cannot be guessed at the counter: five wrong ones stop the hand-over of that
    /// token, each counted and audited, until a supervisor of the branch clears it.
    #[test]
    fn wrong_hand_over_codes_stop_the_token_until_a_supervisor_clears_it() {
        let clock = ManualClock::new(at(1_800_000_000));
        let mut l = demo(&clock);
        let clerk = login(&mut l, "clerk101");
        let sup = login(&mut l, "super101");
        let g1 = user(&mut l, "yamada-g1");
        l.add_token(&clerk, g1, "HT91010001").expect("add");
        let right = code_of(&mut l, "HT91010001", 1_800_000_000);
        let problem = |r: Result<String>| match r {
            Err(ServiceError::Invalid(p)) => Some(p),
            _ => None,
        };
        assert_eq!(problem(l.clear_handover_lock(&sup, g1)), Some(Problem::TokenHandOverNotLocked));
        for n in 1..=HANDOVER_CODE_LIMIT {
            let expected = if n < HANDOVER_CODE_LIMIT { Problem::TokenCodeWrong } else { Problem::TokenHandOverLocked };
            assert_eq!(problem(l.hand_over(&clerk, g1, "000000")), Some(expected), "wrong code {n}");
        }
        // Stopped: even the right code is not checked, and nothing more is counted.
        assert_eq!(problem(l.hand_over(&clerk, g1, &right)), Some(Problem::TokenHandOverLocked));
        let failed = |l: &mut Ledger, action: &str| -> i64 {
            l.db().value("SELECT count(*) FROM audit WHERE action = ?1", &[&action]).expect("count")
        };
        assert_eq!(failed(&mut l, "token.code_failed"), i64::from(HANDOVER_CODE_LIMIT));
        assert_eq!(failed(&mut l, "token.handover_locked"), 1);
        // A clerk may not clear it; the branch's supervisor may.
        assert!(matches!(l.clear_handover_lock(&clerk, g1), Err(ServiceError::Denied(_))));
        assert_eq!(l.clear_handover_lock(&sup, g1).expect("cleared"), "HT91010001");
        assert_eq!(failed(&mut l, "token.handover_unlocked"), 1);
        assert_eq!(l.hand_over(&clerk, g1, &right).expect("handed over"), "HT91010001");
        assert!(l.verify_audit().expect("verify").intact());
    }

    /// A token works through its expiry day (a Japan date) and not a day after; the expiry
    /// list takes a token expiring in exactly N days at N, not at N - 1.
    #[test]
    fn a_token_works_through_its_expiry_day_and_the_list_counts_days_exactly() {
        let clock = ManualClock::new(at(1_800_000_000));
        let mut l = demo(&clock);
        let clerk = login(&mut l, "clerk101");
        let sakura = store::tokens::by_serial(l.db(), "HT10000005").expect("q").expect("token");
        let days = (sakura.expires - business_date(l.now())).num_days();
        let listed = |l: &mut Ledger, n: i64| {
            let n = u32::try_from(n).expect("days");
            l.expiring_tokens(Some(&clerk), Some(n), None).expect("list").iter().any(|t| t.serial == "HT10000005")
        };
        assert!(listed(&mut l, days), "at {days} days");
        assert!(!listed(&mut l, days - 1), "at {} days", days - 1);
        let seed =
            secret::open(l.keys().enc_key(), &sakura.seed, &secret::Place::token_seed(&sakura.serial)).expect("seed");
        let p = TokenParams { seed: &seed, algorithm: token::Algorithm::Sha1, digits: 6, period: 30 };
        // 23:59 and 00:01 in Japan around the end of the expiry day.
        let last_minute = sakura
            .expires
            .and_hms_opt(23, 59, 0)
            .and_then(|t| t.and_local_timezone(crate::format::JST).single())
            .expect("time")
            .with_timezone(&Utc);
        for (when, expected) in
            [(last_minute, IbResult::Accepted), (last_minute + chrono::Duration::minutes(2), IbResult::Rejected)]
        {
            clock.set(when);
            let code = token::code_at(&p, u64::try_from(when.timestamp()).expect("time"));
            let r = l.ib_attempt("sakura-m", CredentialKind::OneTimePassword, &SecretString::from(code)).expect("ib");
            assert_eq!(r.result, expected, "at {when}");
        }
    }

    /// From a code review: the ways a token could get stuck for good are closed.
    #[test]
    fn no_token_gets_stuck() {
        let clock = ManualClock::new(at(1_800_000_000));
        let mut l = demo(&clock);
        let clerk = login(&mut l, "clerk101");
        let sup = login(&mut l, "super101");
        let tel = login(&mut l, "tel900");
        let g1 = user(&mut l, "yamada-g1");
        // Added and handed over, then lost: an add is refused (a reissue is the way).
        l.add_token(&clerk, g1, "HT91010001").expect("add");
        let code = code_of(&mut l, "HT91010001", 1_800_000_000);
        l.hand_over(&clerk, g1, &code).expect("hand over");
        l.report_lost(&tel, g1).expect("lost");
        assert!(matches!(l.add_token(&clerk, g1, "HT91010002"), Err(ServiceError::Invalid(Problem::TokenLostReissue))));
        // A rejected reissue gives its token back to stock, and a new reissue can follow.
        let (_, request) = l.reissue_token(&clerk, g1, "HT91010002").expect("reissue");
        l.reject(&sup, request, "別の端末を使う").expect("reject");
        let back = store::tokens::by_serial(l.db(), "HT91010002").expect("q").expect("token");
        assert_eq!((back.state, back.reserved_for), (TokenState::InStock, None));
        l.reissue_token(&clerk, g1, "HT91010003").expect("second reissue");
        // A loss report retires a replacement still in the post.
        let sakura = user(&mut l, "sakura-m");
        l.mail_replacement(&clerk, sakura, "HT91010004", "RM123456789JP").expect("mail");
        l.report_lost(&tel, sakura).expect("lost");
        let mailed = store::tokens::by_serial(l.db(), "HT91010004").expect("q").expect("token");
        assert_eq!(mailed.state, TokenState::Retired);
        l.reissue_token(&clerk, sakura, "HT91010005").expect("reissue after mailing");
        // A supervisor disabled since logging in approves nothing.
        let admin = login(&mut l, "admin");
        l.staff_disable(crate::service::staff::By::Admin(&admin), "super101").expect("disable");
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
        let g1 = user(&mut l, "yamada-g1");
        l.add_token(&clerk, g1, "HT91010001").expect("add");
        let today = business_date(l.now());
        let fee = store::fees::day(l.db(), today, Some("101")).expect("day")[0].id;
        l.request_reversal(&clerk, fee, false, "金額誤り").expect("reversal");
        assert!(matches!(
            l.request_reversal(&clerk, fee, true, "免除"),
            Err(ServiceError::Invalid(Problem::FeeAlreadyReversed))
        ));
    }
}
