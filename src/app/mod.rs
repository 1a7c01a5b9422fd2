//! The running state of the terminal app. `App::update` is the only place it changes;
//! the ui module only reads it.

mod approvals;
mod audit;
mod form;
mod guidance;
mod journal;
mod token;
mod unlock;

pub use approvals::{ApprovalFocus, ApprovalsState, QueueItem};
pub use audit::{AUDIT_PAGE, AuditFocus, AuditState};
pub use form::{FormField, FormState, SECRET_KINDS};
pub use guidance::{GuidanceFocus, GuidanceState};
pub use journal::{JournalFocus, JournalState};
pub use token::{ExpiringState, TokenField, TokenOp, TokenState};
pub use unlock::{UnlockField, UnlockState};

use std::time::{Duration, Instant};

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::action::Action;
use crate::i18n::{Lang, t, tf};
use crate::keys::{Field, Place};
use crate::service::customers::{CustomerView, Hit, HomeStats};
use crate::service::staff::Session;
use crate::service::{Ledger, ServiceError};

/// A one-line text field. Secret fields zeroize their content when dropped.
#[derive(Default)]
pub struct TextInput {
    value: Zeroizing<String>,
    pub masked: bool,
    pub max_chars: usize,
}

impl TextInput {
    pub fn new(max_chars: usize) -> Self {
        Self { value: Zeroizing::new(String::new()), masked: false, max_chars }
    }

    pub fn secret(max_chars: usize) -> Self {
        Self { masked: true, ..Self::new(max_chars) }
    }

    pub fn push(&mut self, c: char) {
        if self.value.chars().count() < self.max_chars && !c.is_control() {
            self.value.push(c);
        }
    }

    pub fn pop(&mut self) {
        self.value.pop();
    }

    pub fn clear(&mut self) {
        self.value.clear();
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    /// What the screen shows: the text, or one `•` per character for a secret.
    pub fn shown(&self) -> String {
        if self.masked { "•".repeat(self.value.chars().count()) } else { self.value.to_string() }
    }

    pub fn take_secret(&mut self) -> SecretString {
        let s = SecretString::from(self.value.to_string());
        self.value.clear();
        s
    }
}

/// The next (or previous) of a screen's fields after `current`, wrapping around.
pub(crate) fn cycle<T: PartialEq + Copy>(fields: &[T], current: T, forward: bool) -> T {
    let n = fields.len();
    match fields.iter().position(|f| *f == current) {
        Some(i) if n > 0 => fields[if forward { (i + 1) % n } else { (i + n - 1) % n }],
        _ => fields.first().copied().unwrap_or(current),
    }
}

/// Typing into whichever text field has the focus (none: the keys do nothing). True when
/// the action was typing, so the screen has nothing more to do with it.
pub(crate) fn type_into(field: Option<&mut TextInput>, action: Action) -> bool {
    match (action, field) {
        (Action::Input(c), Some(f)) => f.push(c),
        (Action::Backspace, Some(f)) => f.pop(),
        (Action::Input(_) | Action::Backspace, None) => {}
        _ => return false,
    }
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFocus {
    Id,
    Password,
}

pub struct LoginState {
    pub id: TextInput,
    pub password: TextInput,
    pub focus: LoginFocus,
}

impl LoginState {
    fn new() -> Self {
        Self { id: TextInput::new(32), password: TextInput::secret(64), focus: LoginFocus::Id }
    }
}

pub struct FindState {
    pub query: TextInput,
    pub hits: Vec<Hit>,
    /// Index into `hits` when the cursor is in the results; `None` in the search box.
    pub selected: Option<usize>,
    /// Offset of the first hit of this page in the whole result.
    pub page_start: usize,
    /// Whether a further page exists.
    pub more: bool,
}

pub struct CustomerState {
    pub view: CustomerView,
    pub selected_user: usize,
    /// First history entry shown.
    pub history_scroll: usize,
}

/// One screen of the stack.
pub enum Screen {
    Login(LoginState),
    Home(HomeStats),
    Find(FindState),
    Customer(Box<CustomerState>),
    Guidance(Box<GuidanceState>),
    Unlock(Box<UnlockState>),
    Form(Box<FormState>),
    Approvals(Box<ApprovalsState>),
    Token(Box<TokenState>),
    Journal(Box<JournalState>),
    Expiring(Box<ExpiringState>),
    Audit(Box<AuditState>),
}

impl Screen {
    pub fn place(&self) -> Place {
        match self {
            Self::Login(_) => Place::Login,
            Self::Home(_) => Place::Home,
            Self::Find(_) => Place::Find,
            Self::Customer(_) => Place::Customer,
            Self::Guidance(_) => Place::Guidance,
            Self::Unlock(_) => Place::Unlock,
            Self::Form(_) => Place::Form,
            Self::Approvals(_) => Place::Approvals,
            Self::Token(_) => Place::Token,
            Self::Journal(_) => Place::Journal,
            Self::Expiring(_) => Place::Expiring,
            Self::Audit(_) => Place::Audit,
        }
    }
}

/// What the yes/no question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    Logout,
    Quit,
    /// Leave a form and lose what was typed.
    Discard,
    RecordGuidance,
    Unlock,
    SubmitForm,
    Approve,
    Reject,
    TokenStep,
    Reversal,
}

pub enum Modal {
    Help,
    Confirm(Question),
    /// The idle lock: the screen beneath keeps what was typed.
    IdleLock(TextInput),
    /// A receipt to hand to the customer.
    Receipt(Box<crate::service::tokens::Receipt>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// Results per page of Find customer.
pub const PAGE: usize = 50;

pub struct App {
    pub ledger: Ledger,
    pub lang: Lang,
    pub session: Option<Session>,
    pub screens: Vec<Screen>,
    pub modal: Option<Modal>,
    pub status: Option<(Level, String)>,
    pub quit: bool,
    pub last_input: Instant,
    pub idle_after: Duration,
    /// Demo accounts are listed on the login screen of a demo ledger only.
    pub demo: bool,
}

impl App {
    pub fn new(ledger: Ledger, lang: Lang) -> Self {
        let idle_after = Duration::from_secs(u64::from(ledger.config().staff.idle_lock_minutes) * 60);
        let demo = ledger.is_demo();
        Self {
            ledger,
            lang,
            session: None,
            screens: vec![Screen::Login(LoginState::new())],
            modal: None,
            status: None,
            quit: false,
            last_input: Instant::now(),
            idle_after,
            demo,
        }
    }

    pub fn screen(&self) -> &Screen {
        // The stack is never empty: the login screen or Home is always at the bottom.
        self.screens.last().unwrap_or_else(|| unreachable!())
    }

    fn screen_mut(&mut self) -> &mut Screen {
        self.screens.last_mut().unwrap_or_else(|| unreachable!())
    }

    /// Where keys go now.
    pub fn place(&self) -> Place {
        match &self.modal {
            Some(Modal::Help) => Place::Help,
            Some(Modal::Confirm(_)) => Place::Confirm,
            Some(Modal::IdleLock(_)) => Place::IdleLock,
            Some(Modal::Receipt(_)) => Place::Help,
            None => self.screen().place(),
        }
    }

    /// The kind of field that has the focus.
    pub fn field(&self) -> Option<Field> {
        match (&self.modal, self.screen()) {
            (Some(Modal::IdleLock(_)), _) => Some(Field::Secret),
            (Some(_), _) => None,
            (None, Screen::Login(s)) => {
                Some(if s.focus == LoginFocus::Password { Field::Secret } else { Field::Plain })
            }
            (None, Screen::Find(s)) if s.selected.is_none() => Some(Field::Plain),
            (None, Screen::Unlock(s)) if s.focus == UnlockField::Reason => Some(Field::Secret),
            (None, Screen::Form(s)) if s.free_text() => Some(Field::Secret),
            (None, Screen::Form(s))
                if matches!(s.focus, FormField::FormNo | FormField::Received | FormField::NewLoginId) =>
            {
                Some(Field::Plain)
            }
            (None, Screen::Approvals(s)) if s.focus == ApprovalFocus::Code => Some(Field::Plain),
            (None, Screen::Approvals(s)) if s.focus == ApprovalFocus::Reason => Some(Field::Secret),
            (None, Screen::Token(s)) if s.focus != TokenField::Op => Some(Field::Plain),
            (None, Screen::Journal(s)) if s.focus == JournalFocus::Date => Some(Field::Plain),
            (None, Screen::Journal(s)) if s.focus == JournalFocus::Reason => Some(Field::Secret),
            (None, Screen::Audit(s)) if !matches!(s.focus, AuditFocus::Rows | AuditFocus::Verify) => Some(Field::Plain),
            (None, _) => None,
        }
    }

    pub(crate) fn say(&mut self, level: Level, text: String) {
        self.status = Some((level, text));
    }

    pub(crate) fn error(&mut self, e: &ServiceError) {
        use crate::domain::permission::Denied;
        // A refusal for the branch names the branch as staff know it, with its name.
        let m = match e {
            ServiceError::Denied(Denied::OtherBranch { customer_branch }) => {
                tf(self.lang, "err.denied_other_branch", &[("branch", &crate::ui::branch_label(self, customer_branch))])
            }
            ServiceError::Denied(Denied::CounterOnly { customer_branch }) => {
                tf(self.lang, "err.denied_counter_only", &[("branch", &crate::ui::branch_label(self, customer_branch))])
            }
            other => other.message(self.lang),
        };
        self.say(Level::Error, m);
    }

    /// Time passes: lock an idle terminal.
    pub fn tick(&mut self, now: Instant) {
        if self.session.is_some()
            && !matches!(self.modal, Some(Modal::IdleLock(_)))
            && now.duration_since(self.last_input) >= self.idle_after
        {
            self.modal = Some(Modal::IdleLock(TextInput::secret(64)));
            self.say(Level::Info, t(self.lang, "ui.idle.locked").into());
        }
    }

    /// A key was turned into an action.
    pub fn update(&mut self, action: Action, now: Instant) {
        self.last_input = now;
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
                if !matches!(action, Action::Back | Action::Enter) {
                    self.modal = Some(Modal::Receipt(r));
                }
            }
            Some(Modal::Confirm(q)) => match action {
                Action::Yes => self.answer(q),
                Action::No => {}
                _ => self.modal = Some(Modal::Confirm(q)),
            },
            Some(Modal::IdleLock(input)) => self.idle_lock(input, action),
            None => self.on_screen(action),
        }
    }

    fn answer(&mut self, q: Question) {
        match q {
            Question::Quit => self.quit = true,
            Question::Discard => {
                self.screens.pop();
                self.refresh_top();
            }
            Question::RecordGuidance => self.record_guidance(),
            Question::Unlock => self.commit_unlock(),
            Question::SubmitForm => self.commit_form(),
            Question::Approve => self.decide(true),
            Question::Reject => self.decide(false),
            Question::TokenStep => self.commit_token(),
            Question::Reversal => self.commit_reversal(),
            Question::Logout => {
                self.session = None;
                self.screens = vec![Screen::Login(LoginState::new())];
                self.say(Level::Info, t(self.lang, "ui.login.logged_out").into());
            }
        }
    }

    fn idle_lock(&mut self, mut input: TextInput, action: Action) {
        match action {
            Action::Input(c) => input.push(c),
            Action::Backspace => input.pop(),
            Action::Enter => {
                let Some(session) = self.session.clone() else { return };
                let password = input.take_secret();
                match self.ledger.staff_reauth(&session, &password) {
                    Ok(()) => {
                        self.status = None;
                        return;
                    }
                    Err(ServiceError::StaffLocked | ServiceError::StaffDisabled) => {
                        self.session = None;
                        self.screens = vec![Screen::Login(LoginState::new())];
                        self.say(Level::Error, t(self.lang, "err.staff_locked").into());
                        return;
                    }
                    Err(e) => self.error(&e),
                }
            }
            _ => {}
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
            Action::FindCustomer if self.session.is_some() => {
                self.open_find();
                return;
            }
            Action::Back => {
                let dirty = match self.screen() {
                    Screen::Unlock(s) => s.dirty(),
                    Screen::Form(s) => s.dirty(),
                    _ => false,
                };
                if dirty {
                    self.modal = Some(Modal::Confirm(Question::Discard));
                    return;
                }
                if self.screens.len() > 1 && self.session.is_some() {
                    self.screens.pop();
                    self.refresh_top();
                }
                return;
            }
            _ => {}
        }
        match self.screen().place() {
            Place::Login => self.on_login(action),
            Place::Home => self.on_home(action),
            Place::Find => self.on_find(action),
            Place::Customer => self.on_customer(action),
            Place::Guidance => self.on_guidance(action),
            Place::Unlock => self.on_unlock(action),
            Place::Form => self.on_form(action),
            Place::Approvals => self.on_approvals(action),
            Place::Token => self.on_token(action),
            Place::Journal => self.on_journal(action),
            Place::Expiring => self.on_expiring(action),
            Place::Audit => self.on_audit(action),
            _ => {}
        }
    }

    /// Coming back to a screen shows fresh data (another terminal may have written).
    pub(crate) fn refresh_top(&mut self) {
        let Some(session) = self.session.clone() else { return };
        let fresh = match self.screen() {
            Screen::Home(_) => self.ledger.home_stats(&session).map(Screen::Home).ok(),
            Screen::Customer(c) => {
                let (id, sel) = (c.view.contract.id, c.selected_user);
                self.ledger.customer_view(&session, id).ok().map(|view| {
                    let selected_user = sel.min(view.users.len().saturating_sub(1));
                    Screen::Customer(Box::new(CustomerState { view, selected_user, history_scroll: 0 }))
                })
            }
            _ => None,
        };
        if let Some(s) = fresh {
            *self.screen_mut() = s;
        }
    }

    fn on_login(&mut self, action: Action) {
        let Screen::Login(s) = self.screen_mut() else { return };
        let field = match s.focus {
            LoginFocus::Id => &mut s.id,
            LoginFocus::Password => &mut s.password,
        };
        match action {
            Action::Input(c) => field.push(c),
            Action::Backspace => field.pop(),
            Action::NextField | Action::PrevField | Action::Down | Action::Up => {
                s.focus = if s.focus == LoginFocus::Id { LoginFocus::Password } else { LoginFocus::Id };
            }
            Action::Enter if s.focus == LoginFocus::Id && s.password.is_empty() => s.focus = LoginFocus::Password,
            Action::Enter => self.log_in(),
            _ => {}
        }
    }

    fn log_in(&mut self) {
        let Screen::Login(s) = self.screen_mut() else { return };
        let id = s.id.value().trim().to_string();
        let password = s.password.take_secret();
        if id.is_empty() {
            s.focus = LoginFocus::Id;
            self.say(Level::Error, t(self.lang, "ui.login.need_id").into());
            return;
        }
        match self.ledger.staff_login(&id, &password) {
            Ok(session) => {
                let stats = self.ledger.home_stats(&session).unwrap_or_default();
                self.session = Some(session);
                self.screens = vec![Screen::Home(stats)];
                self.status = None;
            }
            Err(e) => {
                if let Screen::Login(s) = self.screen_mut() {
                    s.focus = LoginFocus::Password;
                }
                self.error(&e);
            }
        }
    }

    fn on_home(&mut self, action: Action) {
        match action {
            Action::Approvals => self.open_approvals(),
            Action::FeeJournal => self.open_journal(),
            Action::AuditTrail => self.open_audit(),
            Action::ExpiringTokens => self.open_expiring(),
            _ => {}
        }
    }

    fn open_find(&mut self) {
        if matches!(self.screen(), Screen::Find(_)) {
            if let Screen::Find(s) = self.screen_mut() {
                s.selected = None;
            }
            return;
        }
        self.screens.push(Screen::Find(FindState {
            query: TextInput::new(40),
            hits: Vec::new(),
            selected: None,
            page_start: 0,
            more: false,
        }));
    }

    fn run_search(&mut self, page_start: usize) {
        let Some(session) = self.session.clone() else { return };
        let Screen::Find(s) = self.screens.last_mut().unwrap_or_else(|| unreachable!()) else { return };
        let query = s.query.value().to_string();
        match self.ledger.find_customers(&session, &query, page_start, PAGE + 1) {
            Ok(mut hits) => {
                let more = hits.len() > PAGE;
                hits.truncate(PAGE);
                s.hits = hits;
                s.more = more;
                s.page_start = page_start;
                if s.selected.is_some() {
                    s.selected = if s.hits.is_empty() { None } else { Some(0) };
                }
                self.status = None;
            }
            Err(e) => self.error(&e),
        }
    }

    fn on_find(&mut self, action: Action) {
        let Screen::Find(s) = self.screen_mut() else { return };
        match action {
            Action::Input(c) => {
                s.selected = None;
                s.query.push(c);
                self.run_search(0);
            }
            Action::Backspace => {
                s.query.pop();
                self.run_search(0);
            }
            Action::Down | Action::NextField => {
                s.selected = match s.selected {
                    None if !s.hits.is_empty() => Some(0),
                    Some(i) if i + 1 < s.hits.len() => Some(i + 1),
                    other => other,
                }
            }
            Action::Up | Action::PrevField => {
                s.selected = match s.selected {
                    Some(0) | None => None,
                    Some(i) => Some(i - 1),
                }
            }
            Action::PageDown if s.more => {
                let next = s.page_start + PAGE;
                self.run_search(next);
            }
            Action::PageUp if s.page_start > 0 => {
                let prev = s.page_start.saturating_sub(PAGE);
                self.run_search(prev);
            }
            Action::Enter => {
                let target = match s.selected {
                    Some(i) => s.hits.get(i),
                    None => s.hits.first(),
                };
                if let Some(hit) = target {
                    let id = hit.contract.id;
                    let query = crate::domain::kana::normalize(s.query.value());
                    self.open_customer(id);
                    // Found by a login ID: that user is the one selected.
                    if let Some(Screen::Customer(c)) = self.screens.last_mut()
                        && let Some(i) =
                            c.view.users.iter().position(|u| crate::domain::kana::normalize(&u.user.login_id) == query)
                    {
                        c.selected_user = i;
                    }
                }
            }
            _ => {}
        }
    }

    /// Opens a customer with one of its users selected (from the expiring list).
    pub(crate) fn open_customer_user(&mut self, contract_id: i64, user_id: i64) {
        self.open_customer(contract_id);
        if let Some(Screen::Customer(c)) = self.screens.last_mut() {
            c.selected_user = c.view.users.iter().position(|u| u.user.id == user_id).unwrap_or(0);
        }
    }

    fn open_customer(&mut self, contract_id: i64) {
        let Some(session) = self.session.clone() else { return };
        match self.ledger.customer_view(&session, contract_id) {
            Ok(view) => self.screens.push(Screen::Customer(Box::new(CustomerState {
                view,
                selected_user: 0,
                history_scroll: 0,
            }))),
            Err(e) => self.error(&e),
        }
    }

    fn on_customer(&mut self, action: Action) {
        let Screen::Customer(s) = self.screen_mut() else { return };
        let users = s.view.users.len();
        match action {
            Action::Down | Action::NextField if s.selected_user + 1 < users => s.selected_user += 1,
            Action::Up | Action::PrevField if s.selected_user > 0 => s.selected_user -= 1,
            Action::PageDown => s.history_scroll = (s.history_scroll + 5).min(s.view.history.len().saturating_sub(1)),
            Action::PageUp => s.history_scroll = s.history_scroll.saturating_sub(5),
            Action::Guidance | Action::Unlock => {
                let contract = s.view.contract.clone();
                let users: Vec<_> = s.view.users.iter().map(|u| u.user.clone()).collect();
                let selected = s.selected_user;
                if action == Action::Guidance {
                    self.open_guidance(contract, users, selected);
                } else if let Some(user) = users.get(selected).cloned() {
                    self.open_unlock(contract, user);
                }
            }
            Action::PaperForm => {
                if let Some(u) = s.view.users.get(s.selected_user) {
                    let (contract, user) = (s.view.contract.clone(), u.user.clone());
                    self.start_form(contract, user, None);
                }
            }
            Action::HardToken => {
                if let Some(u) = s.view.users.get(s.selected_user) {
                    let (contract, user) = (s.view.contract.clone(), u.user.clone());
                    self.open_token(contract, user, None);
                }
            }
            _ => {}
        }
    }

    /// The message of the login screen for a locked staff account, etc.
    pub fn status_text(&self) -> Option<&(Level, String)> {
        self.status.as_ref()
    }

    /// A greeting line for Home.
    pub fn who(&self) -> String {
        match &self.session {
            Some(s) => tf(
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
