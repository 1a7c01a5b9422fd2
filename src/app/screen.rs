//! What every screen is: a state that handles its keys and says what should happen next,
//! and the one list of screens. Adding a screen is a module in `app/`, a variant here, a
//! drawing in `ui/screens/` and a `Place` in the keymap.

use chrono::{DateTime, Utc};

use crate::action::Action;
use crate::domain::fees::Receipt;
use crate::domain::permission::Session;
use crate::i18n::Lang;
use crate::keys::{Field, Place};
use crate::service::{Ledger, ServiceError};

use super::{
    ApprovalsState, AuditState, CustomerState, ExpiringState, FindState, FormState, GuidanceState, HomeState,
    JournalState, Level, LoginState, Question, RefusedState, TokenState, UnlockState,
};

/// What a screen asks the app to do after handling a key.
pub enum Effect {
    /// Open another screen in front.
    Open(Screen),
    /// Leave this screen (the one beneath is refreshed).
    Close,
    /// Leave screens until one of this place is in front (a workflow done, back to the
    /// customer it started from).
    CloseTo(Place),
    /// Ask a yes/no question; the answer comes back to this screen's `confirmed`.
    Ask(Question),
    Say(Level, String),
    /// Clear the status line.
    Clear,
    Fail(ServiceError),
    /// Show a receipt to hand over.
    Receipt(Box<Receipt>),
    /// Ask which pending request to withdraw, and why.
    Withdraw(Box<super::WithdrawState>),
}

/// What a screen may use while it handles a key: the ledger's use cases, who is logged in,
/// the language, the time, and where to put what should happen next.
pub struct Ctx<'a> {
    pub ledger: &'a mut Ledger,
    pub session: &'a Session,
    pub lang: Lang,
    pub now: DateTime<Utc>,
    effects: &'a mut Vec<Effect>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        ledger: &'a mut Ledger,
        session: &'a Session,
        lang: Lang,
        now: DateTime<Utc>,
        effects: &'a mut Vec<Effect>,
    ) -> Self {
        Self { ledger, session, lang, now, effects }
    }

    pub fn open(&mut self, screen: Screen) {
        self.effects.push(Effect::Open(screen));
    }

    pub fn close(&mut self) {
        self.effects.push(Effect::Close);
    }

    pub fn close_to(&mut self, place: Place) {
        self.effects.push(Effect::CloseTo(place));
    }

    pub fn ask(&mut self, q: Question) {
        self.effects.push(Effect::Ask(q));
    }

    /// An information in the UI language, from the catalog.
    pub fn info(&mut self, text: String) {
        self.effects.push(Effect::Say(Level::Info, text));
    }

    pub fn clear(&mut self) {
        self.effects.push(Effect::Clear);
    }

    pub fn fail(&mut self, e: ServiceError) {
        self.effects.push(Effect::Fail(e));
    }

    /// An error message already in the UI language.
    pub fn refuse(&mut self, text: String) {
        self.effects.push(Effect::Say(Level::Error, text));
    }

    pub fn receipt(&mut self, r: Receipt) {
        self.effects.push(Effect::Receipt(Box::new(r)));
    }

    pub fn ask_withdraw(&mut self, w: super::WithdrawState) {
        self.effects.push(Effect::Withdraw(Box::new(w)));
    }

    /// The text of a catalog key in the UI language.
    pub fn t(&self, key: &str) -> &'static str {
        crate::i18n::t(self.lang, key)
    }
}

/// A screen's behaviour.
pub trait ScreenState {
    /// Where its keys are looked up in the keymap.
    fn place(&self) -> Place;

    /// The kind of text field that has the focus, if any.
    fn field(&self) -> Option<Field> {
        None
    }

    /// The catalog keys of the labels a click focuses (see `FocusRing::pick`).
    fn labels(&self) -> Vec<&'static str> {
        Vec::new()
    }

    /// Whether leaving would throw away something typed (Esc asks first).
    fn dirty(&self) -> bool {
        false
    }

    /// A key, as an action.
    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>);

    /// The answer yes to the question this screen asked.
    fn confirmed(&mut self, _q: Question, _ctx: &mut Ctx<'_>) {}

    /// Shown again after the screen in front closed: read the ledger afresh.
    fn refresh(&mut self, _ctx: &mut Ctx<'_>) {}
}

/// One screen of the stack.
pub enum Screen {
    Login(LoginState),
    Home(Box<HomeState>),
    Find(Box<FindState>),
    Customer(Box<CustomerState>),
    Guidance(Box<GuidanceState>),
    Unlock(Box<UnlockState>),
    Form(Box<FormState>),
    Approvals(Box<ApprovalsState>),
    Token(Box<TokenState>),
    Journal(Box<JournalState>),
    Expiring(Box<ExpiringState>),
    Audit(Box<AuditState>),
    Refused(Box<RefusedState>),
}

impl Screen {
    /// How far from Home a screen stands: lists (and Find) open from Home, a customer
    /// from a list, a procedure from a customer. Opening a screen closes those at its
    /// level and beyond.
    pub fn level(&self) -> u8 {
        match self {
            Self::Login(_) | Self::Home(_) | Self::Refused(_) => 0,
            Self::Find(_) | Self::Approvals(_) | Self::Journal(_) | Self::Expiring(_) | Self::Audit(_) => 1,
            Self::Customer(_) => 2,
            Self::Guidance(_) | Self::Unlock(_) | Self::Form(_) | Self::Token(_) => 3,
        }
    }

    pub fn state(&self) -> &dyn ScreenState {
        match self {
            Self::Login(s) => s,
            Self::Home(s) => s.as_ref(),
            Self::Find(s) => s.as_ref(),
            Self::Customer(s) => s.as_ref(),
            Self::Guidance(s) => s.as_ref(),
            Self::Unlock(s) => s.as_ref(),
            Self::Form(s) => s.as_ref(),
            Self::Approvals(s) => s.as_ref(),
            Self::Token(s) => s.as_ref(),
            Self::Journal(s) => s.as_ref(),
            Self::Expiring(s) => s.as_ref(),
            Self::Audit(s) => s.as_ref(),
            Self::Refused(s) => s.as_ref(),
        }
    }

    pub fn state_mut(&mut self) -> &mut dyn ScreenState {
        match self {
            Self::Login(s) => s,
            Self::Home(s) => s.as_mut(),
            Self::Find(s) => s.as_mut(),
            Self::Customer(s) => s.as_mut(),
            Self::Guidance(s) => s.as_mut(),
            Self::Unlock(s) => s.as_mut(),
            Self::Form(s) => s.as_mut(),
            Self::Approvals(s) => s.as_mut(),
            Self::Token(s) => s.as_mut(),
            Self::Journal(s) => s.as_mut(),
            Self::Expiring(s) => s.as_mut(),
            Self::Audit(s) => s.as_mut(),
            Self::Refused(s) => s.as_mut(),
        }
    }
}
