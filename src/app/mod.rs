//! The running state of the terminal app. `App::update` is the only place it changes;
//! the `ui` module only reads it. Each screen is one unit (its state, its keys, what it
//! asks the ledger) in a file of its own here; `App` routes actions to the screen in
//! front and holds what screens share: the session, the language, the clock's last
//! reading and the ledger.

mod approvals;
mod audit;
mod customer;
mod expiring;
pub mod fields;
mod find;
mod form;
mod guidance;
mod home;
mod journal;
mod login;
mod print;
mod refused;
mod screen;
mod token;
mod unlock;
mod withdraw;

pub use approvals::{ApprovalFocus, ApprovalsState};
pub use audit::{AUDIT_PAGE, AuditFocus, AuditState};
pub use customer::CustomerState;
pub use expiring::ExpiringState;
pub use fields::{Check, Choice, FocusRing, TextInput};
pub use find::{FindState, PAGE};
pub use form::{FormField, FormState, SECRET_KINDS};
pub use guidance::{GuidanceFocus, GuidanceState};
pub use home::HomeState;
pub use journal::{JournalFocus, JournalState, Remedy};
pub use login::{LoginFocus, LoginOutcome, LoginState};
pub use refused::RefusedState;
pub use screen::{Ctx, Effect, Screen, ScreenState};

pub use token::{TokenField, TokenOp, TokenState};
pub use unlock::{Cause, UnlockField, UnlockState};
pub use withdraw::{WithdrawState, WithdrawStep};

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::action::Action;
use crate::domain::branch::Branch;
use crate::domain::fees::Receipt;
use crate::domain::permission::Session;
use crate::i18n::{Lang, t};
use crate::keys::{Field, Place};
use crate::service::demo::DemoAccount;
use crate::service::{Ledger, ServiceError};

/// What the yes/no question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    Logout,
    Quit,
    /// Leave a form, to go where the clerk asked, and lose what was typed.
    Discard(Leave),
    RecordGuidance,
    Unlock,
    SubmitForm,
    Approve,
    Reject,
    TokenStep,
    Reversal,
    /// Print a receipt again (F8 on the journal).
    Reprint,
}

impl Question {
    /// A question whose yes throws work away or ends the session: Enter alone answers no.
    pub fn defaults_to_no(self) -> bool {
        matches!(self, Self::Logout | Self::Quit | Self::Discard(_))
    }
}

/// Where a clerk leaving a half-filled form was going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// One screen back (Esc).
    Back,
    /// Straight to Home.
    Home,
    /// To Find customer.
    Find,
}

pub enum Modal {
    Help,
    Confirm(Question),
    /// The idle lock: the screen beneath keeps what was typed.
    IdleLock(TextInput),
    /// A receipt to hand to the customer.
    Receipt(Box<Receipt>),
    /// Withdrawing a pending request, over the Customer screen.
    Withdraw(Box<WithdrawState>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// What the screens show about the ledger itself, read once when the app starts.
pub struct LedgerInfo {
    pub service_name: String,
    pub branches: Vec<Branch>,
    /// The demo staff accounts, listed on the login screen of a demo ledger only.
    pub demo_accounts: Vec<DemoAccount>,
    pub demo: bool,
}

/// The stack of screens: never empty, the login screen or Home at the bottom.
struct Stack {
    base: Screen,
    above: Vec<Screen>,
}

impl Stack {
    fn new(base: Screen) -> Self {
        Self { base, above: Vec::new() }
    }

    fn top(&self) -> &Screen {
        self.above.last().unwrap_or(&self.base)
    }

    fn top_mut(&mut self) -> &mut Screen {
        self.above.last_mut().unwrap_or(&mut self.base)
    }

    /// Opens `s` in front. A screen replaces the one of its kind and whatever stood in
    /// front of that (another customer, another procedure), so that the stack never holds
    /// more than Home, a list, a customer and a procedure: at most three Esc to Home.
    fn push(&mut self, s: Screen) {
        let level = s.level();
        while self.above.last().is_some_and(|top| top.level() >= level) {
            self.above.pop();
        }
        self.above.push(s);
    }

    /// Whether opening a screen at `level` would close one with unsaved input.
    fn would_lose_work(&self, level: u8) -> bool {
        self.above.iter().any(|s| s.level() >= level && s.state().dirty())
    }

    /// Back to the base (Home).
    fn clear(&mut self) {
        self.above.clear();
    }

    /// Leaves the top screen; the base stays.
    fn pop(&mut self) -> Option<Screen> {
        self.above.pop()
    }

    fn depth(&self) -> usize {
        1 + self.above.len()
    }
}

/// How often a ledger that cannot be reached is asked again.
const RETRY_EVERY: Duration = Duration::from_secs(2);

/// How often the open screen asks whether anything was written meanwhile: a lock made
/// through the customer channel shows on the open customer within two seconds.
const WATCH_EVERY: Duration = Duration::from_millis(900);

pub struct App {
    ledger: Ledger,
    pub lang: Lang,
    pub session: Option<Session>,
    stack: Stack,
    pub modal: Option<Modal>,
    pub status: Option<(Level, String)>,
    pub quit: bool,
    /// The ledger clock's time at the last update: what the screens show as now.
    pub now: DateTime<Utc>,
    pub info: LedgerInfo,
    last_input: Instant,
    idle_after: Duration,
    /// While the shared ledger cannot be reached: when it was last asked again.
    unreachable: Option<Instant>,
    /// The ledger's change mark when the screen in front last read it, and when it was
    /// last asked.
    seen: Option<i64>,
    watched_at: Instant,
}

impl App {
    pub fn new(ledger: Ledger, lang: Lang) -> Self {
        let idle_after = Duration::from_secs(u64::from(ledger.config().staff.idle_lock_minutes) * 60);
        let info = LedgerInfo {
            service_name: ledger.config().service_name.clone(),
            branches: ledger.config().branches.clone(),
            demo_accounts: ledger.demo_accounts(),
            demo: ledger.is_demo(),
        };
        let now = ledger.now();
        Self {
            ledger,
            lang,
            session: None,
            stack: Stack::new(Screen::Login(LoginState::new())),
            modal: None,
            status: None,
            quit: false,
            now,
            info,
            last_input: Instant::now(),
            unreachable: None,
            seen: None,
            watched_at: Instant::now(),
            idle_after,
        }
    }

    /// The screen in front.
    /// Whether the ledger failed its integrity check (nothing is written).
    pub fn ledger_refused(&self) -> bool {
        self.ledger.refusal().is_some()
    }

    pub fn screen(&self) -> &Screen {
        self.stack.top()
    }

    /// Whether the staff member logged in may use what `action` opens (a key they may not
    /// use is not offered to them).
    pub fn may(&self, action: Action) -> bool {
        match (&self.session, crate::keys::needs(action)) {
            (Some(s), Some(op)) => s.authorize(op, None).is_ok(),
            _ => true,
        }
    }

    /// What the screen just drawn could show of a scrolled list (the terminal loop tells
    /// after each frame), so that a page moves by exactly what is on screen.
    pub fn shown_page(&mut self, entries: usize) {
        if let Screen::Customer(c) = self.stack.top_mut() {
            c.history_page = entries.max(1);
        }
    }

    /// Whether any open screen holds input that leaving would lose.
    pub fn has_unsaved_work(&self) -> bool {
        self.stack.base.state().dirty() || self.stack.would_lose_work(0)
    }

    /// How many screens are open (the base included).
    pub fn depth(&self) -> usize {
        self.stack.depth()
    }

    /// Where keys go now.
    pub fn place(&self) -> Place {
        match &self.modal {
            Some(Modal::Help) => Place::Help,
            Some(Modal::Receipt(_)) => Place::Receipt,
            Some(Modal::Confirm(_)) => Place::Confirm,
            Some(Modal::IdleLock(_)) => Place::IdleLock,
            Some(Modal::Withdraw(_)) => Place::Withdraw,
            None => self.screen().state().place(),
        }
    }

    /// The kind of field that has the focus.
    pub fn field(&self) -> Option<Field> {
        match &self.modal {
            Some(Modal::IdleLock(_) | Modal::Withdraw(_)) => Some(Field::Secret),
            Some(_) => None,
            None => self.screen().state().field(),
        }
    }

    /// A branch as staff call it, in the UI language.
    pub fn branch_label(&self, code: &str) -> String {
        crate::i18n::branch_label(self.lang, &self.info.branches, code)
    }

    pub fn say(&mut self, level: Level, text: String) {
        self.status = Some((level, text));
    }

    pub fn error(&mut self, e: &ServiceError) {
        if e.is_unreachable() {
            // The screen and what was typed stay; the ledger is asked again every few
            // seconds (see `tick`), and the clerk does the step again once it answers.
            self.unreachable = Some(Instant::now());
            self.say(Level::Error, t(self.lang, "ui.unreachable").into());
            return;
        }
        let text = crate::messages::error(self.lang, &self.info.branches, e);
        self.say(Level::Error, text);
    }

    /// Time passes: lock an idle terminal.
    pub fn tick(&mut self, now: Instant) {
        self.now = self.ledger.now();
        if let Some(asked) = self.unreachable
            && now.duration_since(asked) >= RETRY_EVERY
        {
            if self.ledger.ping().is_ok() {
                self.unreachable = None;
                self.say(Level::Info, t(self.lang, "ui.reachable_again").into());
                self.refresh_top();
            } else {
                self.unreachable = Some(now);
            }
        }
        if now.duration_since(self.watched_at) >= WATCH_EVERY {
            self.watched_at = now;
            self.watch();
        }
        if self.session.is_some()
            && !matches!(self.modal, Some(Modal::IdleLock(_)))
            && now.duration_since(self.last_input) >= self.idle_after
        {
            self.modal = Some(Modal::IdleLock(TextInput::secret(64)));
            self.say(Level::Info, t(self.lang, "ui.idle.locked").into());
        }
    }

    /// Reads the screen in front again when another terminal (or the customer channel)
    /// wrote meanwhile. Not while the terminal is locked, nor while a question is open (it
    /// is about what the screen shows), nor while the ledger is out of reach.
    fn watch(&mut self) {
        if self.session.is_none() || self.modal.is_some() || self.unreachable.is_some() {
            return;
        }
        match self.ledger.change_mark() {
            Ok(mark) => {
                if self.seen.is_some_and(|seen| seen != mark) {
                    self.refresh_top();
                }
                self.seen = Some(mark);
            }
            Err(e) if e.is_unreachable() => self.error(&e),
            // Anything else shows when the clerk next acts.
            Err(_) => {}
        }
    }

    /// A key was turned into an action.
    pub fn update(&mut self, action: Action, now: Instant) {
        self.last_input = now;
        self.now = self.ledger.now();
        if action == Action::ToggleLang {
            self.lang = self.lang.toggled();
            self.status = None;
            return;
        }
        match self.modal.take() {
            Some(Modal::Help) => {
                if !matches!(action, Action::Back | Action::Help | Action::Enter) {
                    self.modal = Some(Modal::Help);
                }
            }
            Some(Modal::Receipt(r)) => {
                if action == Action::Print {
                    self.print_receipt(&r);
                }
                if !matches!(action, Action::Back | Action::Enter) {
                    self.modal = Some(Modal::Receipt(r));
                }
            }
            Some(Modal::Confirm(q)) => match action {
                Action::Yes => self.answer(q),
                Action::Enter if !q.defaults_to_no() => self.answer(q),
                Action::No | Action::Enter => {}
                _ => self.modal = Some(Modal::Confirm(q)),
            },
            Some(Modal::IdleLock(input)) => self.idle_lock(input, action),
            Some(Modal::Withdraw(w)) => self.withdraw(w, action),
            None => self.on_screen(action),
        }
    }

    /// Prints the receipt on the dialog (the customer's copy to hand over).
    fn print_receipt(&mut self, r: &Receipt) {
        let Some(session) = &self.session else { return };
        let printed =
            print::Printer { ledger: &mut self.ledger, session, lang: self.lang }.receipt(&r.branch, r.receipt_no);
        match printed {
            Ok(said) => self.say(Level::Info, said),
            Err(said) => self.say(Level::Error, said),
        }
    }

    fn withdraw(&mut self, mut w: Box<WithdrawState>, action: Action) {
        match w.handle(action) {
            WithdrawStep::Stay => self.modal = Some(Modal::Withdraw(w)),
            WithdrawStep::Cancel => {}
            WithdrawStep::Withdraw(id, reason) => {
                let Some(session) = self.session.clone() else { return };
                match self.ledger.withdraw(&session, id, &reason) {
                    Ok(()) => {
                        self.say(Level::Info, t(self.lang, "ui.withdraw.done").into());
                        self.refresh_top();
                    }
                    Err(e) => {
                        self.error(&e);
                        self.modal = Some(Modal::Withdraw(w));
                    }
                }
            }
        }
    }

    fn answer(&mut self, q: Question) {
        match q {
            Question::Quit => self.quit = true,
            Question::Logout => self.log_out(),
            Question::Discard(leave) => self.leave(leave),
            other => self.with_screen(|s, ctx| s.confirmed(other, ctx)),
        }
    }

    /// Goes where the clerk asked, whatever was typed (they were asked first).
    fn leave(&mut self, leave: Leave) {
        match leave {
            Leave::Back => {
                self.stack.pop();
            }
            Leave::Home => self.stack.clear(),
            Leave::Find => {
                self.stack.push(Screen::Find(Box::default()));
                return;
            }
        }
        self.refresh_top();
    }

    fn log_out(&mut self) {
        self.session = None;
        self.stack = Stack::new(Screen::Login(LoginState::new()));
        self.say(Level::Info, t(self.lang, "ui.login.logged_out").into());
    }

    fn idle_lock(&mut self, mut input: TextInput, action: Action) {
        if input.edit(action) {
            self.modal = Some(Modal::IdleLock(input));
            return;
        }
        if action == Action::Enter
            && let Some(session) = self.session.clone()
        {
            let password = input.take_secret();
            match self.ledger.staff_reauth(&session, &password) {
                Ok(()) => {
                    self.status = None;
                    return;
                }
                Err(ServiceError::StaffLocked | ServiceError::StaffDisabled) => {
                    self.session = None;
                    self.stack = Stack::new(Screen::Login(LoginState::new()));
                    self.say(Level::Error, t(self.lang, "err.staff_locked").into());
                    return;
                }
                Err(e) => self.error(&e),
            }
        }
        self.modal = Some(Modal::IdleLock(input));
    }

    fn on_screen(&mut self, action: Action) {
        // Moving to another screen leaves the last message behind.
        if matches!(
            action,
            Action::Back
                | Action::FindCustomer
                | Action::Guidance
                | Action::Unlock
                | Action::PaperForm
                | Action::HardToken
                | Action::Approvals
                | Action::FeeJournal
                | Action::AuditTrail
                | Action::ExpiringTokens
        ) {
            self.status = None;
        }
        match action {
            Action::Help => {
                self.modal = Some(Modal::Help);
                return;
            }
            Action::Quit => {
                let q = if self.session.is_some() { Question::Logout } else { Question::Quit };
                self.modal = Some(Modal::Confirm(q));
                return;
            }
            Action::FindCustomer if self.session.is_some() && self.stack.top().state().place() != Place::Refused => {
                if let Screen::Find(s) = self.stack.top_mut() {
                    s.focus_query();
                } else if self.stack.would_lose_work(Screen::Find(Box::default()).level()) {
                    self.modal = Some(Modal::Confirm(Question::Discard(Leave::Find)));
                } else {
                    self.leave(Leave::Find);
                }
                return;
            }
            Action::Back => {
                if self.screen().state().dirty() {
                    self.modal = Some(Modal::Confirm(Question::Discard(Leave::Back)));
                } else if self.session.is_some() && self.stack.pop().is_some() {
                    self.refresh_top();
                }
                return;
            }
            Action::Refresh if self.session.is_some() => {
                self.refresh_top();
                self.say(Level::Info, t(self.lang, "ui.refreshed").into());
                return;
            }
            Action::GoHome if self.session.is_some() && self.stack.depth() > 1 => {
                if self.stack.would_lose_work(1) {
                    self.modal = Some(Modal::Confirm(Question::Discard(Leave::Home)));
                } else {
                    self.leave(Leave::Home);
                }
                return;
            }
            _ => {}
        }
        if let Screen::Login(s) = self.stack.top_mut() {
            match s.handle(action, &mut self.ledger) {
                LoginOutcome::Typing => {}
                LoginOutcome::LoggedIn(session) => self.logged_in(session),
                LoginOutcome::NeedId => self.say(Level::Error, t(self.lang, "ui.login.need_id").into()),
                LoginOutcome::Refused(e) => self.error(&e),
            }
            return;
        }
        self.with_screen(|s, ctx| s.handle(action, ctx));
    }

    fn logged_in(&mut self, session: Session) {
        // What the first screens read is at least this new: a write from now on refreshes.
        self.seen = self.ledger.change_mark().ok();
        self.session = Some(session);
        self.stack = Stack::new(Screen::Home(Box::default()));
        self.status = None;
        if self.ledger.refusal().is_some() {
            self.refuse_ledger();
        }
        self.refresh_top();
    }

    /// The ledger failed its integrity check: only the notice, the audit trail beyond it,
    /// and logging out are left.
    fn refuse_ledger(&mut self) {
        let Some(session) = self.session.clone() else { return };
        let mut effects = Vec::new();
        let notice = RefusedState::new(&mut Ctx::new(&mut self.ledger, &session, self.lang, self.now, &mut effects));
        self.stack = Stack::new(Screen::Refused(Box::new(notice)));
    }

    /// Runs `f` on the screen in front with the context it needs, then carries out what it
    /// asked for.
    fn with_screen(&mut self, f: impl FnOnce(&mut dyn ScreenState, &mut Ctx<'_>)) {
        let Some(session) = self.session.clone() else { return };
        let mut effects = Vec::new();
        {
            let mut ctx = Ctx::new(&mut self.ledger, &session, self.lang, self.now, &mut effects);
            f(self.stack.top_mut().state_mut(), &mut ctx);
        }
        for e in effects {
            self.apply(e);
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Open(s) => self.stack.push(s),
            Effect::Close => {
                self.stack.pop();
                self.refresh_top();
            }
            Effect::CloseTo(place) => {
                while self.screen().state().place() != place && self.stack.pop().is_some() {}
                self.refresh_top();
            }
            Effect::Ask(q) => self.modal = Some(Modal::Confirm(q)),
            Effect::Say(level, text) => self.say(level, text),
            Effect::Clear => self.status = None,
            Effect::Fail(e) => {
                self.error(&e);
                // Found tampered just now, by this write: nothing more is written.
                if e.is_tampering()
                    && self.ledger.refusal().is_some()
                    && self.screen().state().place() != Place::Refused
                {
                    self.refuse_ledger();
                }
            }
            Effect::Receipt(r) => self.modal = Some(Modal::Receipt(r)),
            Effect::Withdraw(w) => self.modal = Some(Modal::Withdraw(w)),
        }
    }

    /// Coming back to a screen shows fresh data (another terminal may have written).
    fn refresh_top(&mut self) {
        self.with_screen(|s, ctx| s.refresh(ctx));
    }

    /// A greeting line for Home.
    pub fn who(&self) -> String {
        match &self.session {
            Some(s) => crate::i18n::tf(
                self.lang,
                "ui.top.who",
                &[
                    ("name", &crate::text::inert(&s.name)),
                    ("id", &s.id),
                    ("role", t(self.lang, &format!("msg.role_{}", s.role.code()))),
                ],
            ),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests;
