//! Screen 8, Hard token (R9–R12): add, hand over, report lost, reissue, mail a replacement.

use crate::action::Action;
use crate::domain::customer::{Contract, User};
use crate::domain::fees::Receipt;
use crate::domain::permission::Operation;
use crate::domain::token::{FeeQuote, TokenState as Life};
use crate::domain::view::TokenView;
use crate::keys::{Field, Place};
use crate::service::ServiceError;

use super::screen::{Ctx, ScreenState};
use super::{Choice, FocusRing, Question, TextInput};

/// What staff do with the token of the selected user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum TokenOp {
    /// 追加発行, with the fee.
    Add,
    /// 受け渡し: the customer reads a code off the device.
    HandOver,
    /// 紛失届: disabled at once.
    ReportLost,
    /// 再発行, with the fee, after approval.
    Reissue,
    /// 期限前交換: mailed, no fee.
    Mail,
    /// A supervisor lets a hand-over stopped by wrong codes be tried again.
    ClearHandOver,
}

impl TokenOp {
    pub fn code(self) -> &'static str {
        self.into()
    }

    pub fn needs_serial(self) -> bool {
        matches!(self, Self::Add | Self::Reissue | Self::Mail)
    }

    /// What a staff member must be allowed to do to take this step.
    pub fn operation(self) -> Operation {
        match self {
            Self::ReportLost => Operation::ReportLostToken,
            Self::ClearHandOver => Operation::Approve,
            Self::Add | Self::HandOver | Self::Reissue | Self::Mail => Operation::CounterProcedure,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenField {
    Op,
    Serial,
    Code,
    Tracking,
}

/// The label a click focuses, for each field (see `FocusRing::pick`).
const LABELS: [(&str, TokenField); 4] = [
    ("ui.token.op", TokenField::Op),
    ("ui.token.serial", TokenField::Serial),
    ("ui.token.code", TokenField::Code),
    ("ui.token.tracking", TokenField::Tracking),
];

pub struct TokenState {
    pub contract: Contract,
    pub user: User,
    pub view: TokenView,
    pub op: Choice<TokenOp>,
    pub focus: FocusRing<TokenField>,
    pub serial: TextInput,
    pub code: TextInput,
    pub tracking: TextInput,
    /// Whether counter procedures are refused to this staff member for this customer (the
    /// telephone center, another branch).
    pub counter_refused: bool,
}

/// Where the Hard token screen starts: the step the user's situation calls for, or none
/// when nothing is due (a token in use and far from expiry). Never the loss report, which
/// disables a token and must be chosen on purpose.
fn default_step(view: &TokenView, today: chrono::NaiveDate, notice_days: u32) -> Option<TokenOp> {
    let due = today + chrono::Duration::days(i64::from(notice_days));
    if view.waiting.iter().any(|t| t.state == Life::Reserved) {
        Some(TokenOp::HandOver)
    } else if view.held.iter().any(|t| t.state == Life::Lost) {
        Some(TokenOp::Reissue)
    } else if view.held.iter().any(|t| t.state == Life::Issued && t.expires <= due) {
        Some(TokenOp::Mail)
    } else if view.held.iter().any(|t| t.state == Life::Issued) {
        None
    } else {
        Some(TokenOp::Add)
    }
}

impl TokenState {
    /// The Hard token screen; `op` preselects a step (from guidance).
    pub fn open(ctx: &mut Ctx<'_>, contract: Contract, user: User, op: Option<TokenOp>) -> Result<Self, ServiceError> {
        let view = ctx.ledger.token_view(ctx.session, user.id)?;
        let counter_refused = ctx.session.authorize(Operation::CounterProcedure, Some(&contract.branch)).is_err();
        // Only the steps this staff member may take for this customer are offered, so that
        // nothing is filled in and confirmed only to be refused; the rest are named as
        // counter work at the customer's branch.
        let allowed: Vec<TokenOp> = <TokenOp as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .filter(|op| ctx.session.authorize(op.operation(), Some(&contract.branch)).is_ok())
            .collect();
        let today = crate::format::business_date(ctx.now);
        let wanted = op.or_else(|| default_step(&view, today, ctx.ledger.config().token.expiry_notice_days));
        let op = match wanted {
            Some(w) if allowed.contains(&w) => Some(w),
            // A step this staff member may not take is not preselected; when only one step
            // is theirs, it is.
            _ if allowed.len() == 1 => allowed.first().copied(),
            _ => None,
        };
        let mut s = Self {
            contract,
            user,
            view,
            op: Choice::new(allowed, op),
            focus: FocusRing::new(TokenField::Op),
            serial: TextInput::new(32),
            code: TextInput::new(8),
            tracking: TextInput::new(20),
            counter_refused,
        };
        s.suggest_serial();
        Ok(s)
    }

    pub fn op(&self) -> TokenOp {
        self.op.get().unwrap_or(TokenOp::Add)
    }

    /// The fee the chosen step collects, if it collects one.
    pub fn fee(&self) -> Option<FeeQuote> {
        match self.op.get() {
            Some(TokenOp::Add) => Some(self.view.fee_add),
            Some(TokenOp::Reissue) => Some(self.view.fee_reissue),
            _ => None,
        }
    }

    pub fn fields(&self) -> Vec<TokenField> {
        let mut f = vec![TokenField::Op];
        match self.op.get() {
            Some(TokenOp::Add | TokenOp::Reissue) => f.push(TokenField::Serial),
            Some(TokenOp::Mail) => f.extend([TokenField::Serial, TokenField::Tracking]),
            Some(TokenOp::HandOver) => f.push(TokenField::Code),
            Some(TokenOp::ReportLost | TokenOp::ClearHandOver) | None => {}
        }
        f
    }

    fn text_mut(&mut self) -> Option<&mut TextInput> {
        match self.focus.get() {
            TokenField::Serial => Some(&mut self.serial),
            TokenField::Code => Some(&mut self.code),
            TokenField::Tracking => Some(&mut self.tracking),
            TokenField::Op => None,
        }
    }

    /// The stock serial offered by default for a step that needs one.
    fn suggest_serial(&mut self) {
        if self.op.get().is_some_and(TokenOp::needs_serial)
            && self.serial.is_empty()
            && let Some(s) = &self.view.first_in_stock
        {
            self.serial = TextInput::with(32, s);
        }
    }

    /// What the chosen step would refuse on its face, checked before the question: a step
    /// this staff member may not take, a missing serial or code, a malformed tracking
    /// number.
    fn precheck(&self) -> Result<(), ServiceError> {
        use crate::service::{Problem, ServiceError as E};
        let op = self.op.get().ok_or(E::Invalid(Problem::TokenStepNotChosen))?;
        // A loss report or a replacement needs a token in use.
        let in_use = self.view.held.iter().any(|t| t.state == Life::Issued);
        if matches!(op, TokenOp::ReportLost | TokenOp::Mail) && !in_use {
            return Err(E::Invalid(Problem::TokenNone));
        }
        if op.needs_serial() && self.serial.value().trim().is_empty() {
            return Err(E::Invalid(Problem::TokenNotInStock));
        }
        if op == TokenOp::HandOver && self.code.value().trim().is_empty() {
            return Err(E::Invalid(Problem::TokenCodeMissing));
        }
        if op == TokenOp::Mail && !crate::service::tokens::valid_tracking_no(self.tracking.value()) {
            return Err(E::Invalid(Problem::TrackingNo));
        }
        Ok(())
    }

    /// Carries out the chosen step: the serial it concerns, and a receipt if it took a fee.
    fn carry_out(&mut self, ctx: &mut Ctx<'_>) -> Result<(String, Option<Receipt>), ServiceError> {
        let (user, serial) = (self.user.id, self.serial.value().to_string());
        let code = self.code.take_secret();
        let l = &mut *ctx.ledger;
        let s = ctx.session;
        match self.op() {
            TokenOp::Add => l.add_token(s, user, &serial).map(|r| (serial, Some(r))),
            TokenOp::Reissue => l.reissue_token(s, user, &serial).map(|(r, _)| (serial, Some(r))),
            TokenOp::HandOver => l.hand_over(s, user, secrecy::ExposeSecret::expose_secret(&code)).map(|s| (s, None)),
            TokenOp::ReportLost => l.report_lost(s, user).map(|s| (s, None)),
            TokenOp::ClearHandOver => l.clear_handover_lock(s, user).map(|s| (s, None)),
            TokenOp::Mail => l.mail_replacement(s, user, &serial, self.tracking.value()).map(|()| (serial, None)),
        }
    }
}

impl ScreenState for TokenState {
    fn labels(&self) -> Vec<&'static str> {
        LABELS.iter().map(|(k, _)| *k).collect()
    }

    fn place(&self) -> Place {
        Place::Token
    }

    fn field(&self) -> Option<Field> {
        (!self.focus.is(TokenField::Op)).then_some(Field::Plain)
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        if self.text_mut().is_some_and(|f| f.edit(action)) {
            return;
        }
        let fields = self.fields();
        if self.focus.pick(&LABELS, &fields, action) {
            return;
        }
        match (action, self.focus.get()) {
            (Action::Down | Action::Up, TokenField::Op) => {
                self.op.steer(action);
                self.suggest_serial();
            }
            (Action::NextField | Action::Down, _) => self.focus.step(&fields, true),
            (Action::PrevField | Action::Up, _) => self.focus.step(&fields, false),
            (Action::Enter, _) => match self.precheck() {
                Ok(()) => ctx.ask(Question::TokenStep),
                Err(e) => ctx.fail(e),
            },
            _ => {}
        }
    }

    fn confirmed(&mut self, q: Question, ctx: &mut Ctx<'_>) {
        if q != Question::TokenStep {
            return;
        }
        let op = self.op();
        match self.carry_out(ctx) {
            Ok((serial, receipt)) => {
                match TokenState::open(ctx, self.contract.clone(), self.user.clone(), None) {
                    Ok(fresh) => *self = fresh,
                    Err(e) => return ctx.fail(e),
                }
                let key = format!("ui.token.done_{}", op.code());
                ctx.info(crate::i18n::tf(ctx.lang, &key, &[("serial", &crate::text::inert(&serial))]));
                if let Some(r) = receipt {
                    ctx.receipt(r);
                }
            }
            Err(e) => ctx.fail(e),
        }
    }
}
