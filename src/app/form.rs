//! The Paper form screen's state and keys (R14).

use chrono::NaiveDate;
use secrecy::SecretString;

use crate::action::Action;
use crate::domain::credential::CredentialKind;
use crate::domain::forms::{self, FormRequest};
use crate::domain::unlock::IdDocument;
use crate::i18n::tf;
use crate::service::forms::{DoubleKeyed, FormInput};
use crate::store::customers::{ContractRow, UserRow};

use super::{App, Level, Modal, Question, Screen, TextInput};

/// One field of the form, in screen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Kind,
    FormNo,
    Received,
    BroughtBy,
    Document,
    Seal,
    /// Re-application: the new master's login ID.
    NewLoginId,
    /// A new secret: which one, and whether this is the second entry.
    Secret(CredentialKind, bool),
}

/// The secrets a form can carry, in the order the re-application form lists them.
pub const SECRET_KINDS: [CredentialKind; 4] =
    [CredentialKind::LoginPassword, CredentialKind::ConfirmPassword, CredentialKind::Pin, CredentialKind::ApprovalPin];

pub struct FormState {
    pub contract: ContractRow,
    pub user: UserRow,
    /// Whether the contract has an admin user (R3 decides which forms apply).
    pub has_admin: bool,
    pub kind: usize,
    pub focus: FormField,
    pub form_no: TextInput,
    pub received: TextInput,
    pub brought_by: TextInput,
    pub document: Option<usize>,
    pub seal_matched: bool,
    pub new_login_id: TextInput,
    /// First and second entry of each secret, in `SECRET_KINDS` order.
    pub secrets: [(TextInput, TextInput); 4],
}

fn secret_index(kind: CredentialKind) -> usize {
    SECRET_KINDS.iter().position(|k| *k == kind).unwrap_or(0)
}

impl FormState {
    pub fn request(&self) -> FormRequest {
        FormRequest::ALL[self.kind.min(FormRequest::ALL.len() - 1)]
    }

    /// The fields this kind of form has, in order.
    pub fn fields(&self) -> Vec<FormField> {
        use FormField as F;
        let mut f = vec![F::Kind, F::FormNo, F::Received, F::BroughtBy, F::Document, F::Seal];
        match self.request().credential() {
            Some(k) => f.extend([F::Secret(k, false), F::Secret(k, true)]),
            None => {
                f.push(F::NewLoginId);
                for k in SECRET_KINDS {
                    f.extend([F::Secret(k, false), F::Secret(k, true)]);
                }
            }
        }
        f
    }

    fn step(&mut self, forward: bool) {
        self.focus = super::cycle(&self.fields(), self.focus, forward);
    }

    /// The text field with the focus, if the focus is on one.
    pub fn text_mut(&mut self) -> Option<&mut TextInput> {
        match self.focus {
            FormField::FormNo => Some(&mut self.form_no),
            FormField::Received => Some(&mut self.received),
            FormField::BroughtBy => Some(&mut self.brought_by),
            FormField::NewLoginId => Some(&mut self.new_login_id),
            FormField::Secret(k, second) => {
                let pair = &mut self.secrets[secret_index(k)];
                Some(if second { &mut pair.1 } else { &mut pair.0 })
            }
            FormField::Kind | FormField::Document | FormField::Seal => None,
        }
    }

    pub fn secret(&self, kind: CredentialKind, second: bool) -> &TextInput {
        let pair = &self.secrets[secret_index(kind)];
        if second { &pair.1 } else { &pair.0 }
    }

    /// Whether free text (names, secrets) has the focus: every printable key is input.
    pub fn free_text(&self) -> bool {
        matches!(self.focus, FormField::BroughtBy | FormField::Secret(..))
    }

    pub fn dirty(&self) -> bool {
        !self.form_no.is_empty()
            || !self.brought_by.is_empty()
            || self.document.is_some()
            || self.seal_matched
            || !self.new_login_id.is_empty()
            || self.secrets.iter().any(|(a, b)| !a.is_empty() || !b.is_empty())
    }
}

impl App {
    /// Opens the form for a user; `kind` preselects one (from guidance), else the first kind
    /// that applies to this user.
    pub(super) fn open_form(
        &mut self,
        contract: ContractRow,
        user: UserRow,
        has_admin: bool,
        kind: Option<FormRequest>,
    ) {
        let today = crate::service::business_date(self.ledger.now());
        let mut received = TextInput::new(10);
        for c in today.format("%Y-%m-%d").to_string().chars() {
            received.push(c);
        }
        let kind = kind
            .and_then(|k| FormRequest::ALL.iter().position(|f| *f == k))
            .or_else(|| FormRequest::ALL.iter().position(|f| forms::applies(*f, user.role, has_admin).is_ok()))
            .unwrap_or(2);
        let secret = || (TextInput::secret(32), TextInput::secret(32));
        self.screens.push(Screen::Form(Box::new(FormState {
            contract,
            user,
            has_admin,
            kind,
            focus: FormField::Kind,
            form_no: TextInput::new(8),
            received,
            brought_by: TextInput::new(60),
            document: None,
            seal_matched: false,
            new_login_id: TextInput::new(20),
            secrets: [secret(), secret(), secret(), secret()],
        })));
    }

    pub(super) fn on_form(&mut self, action: Action) {
        let Some(Screen::Form(s)) = self.screens.last_mut() else { return };
        if super::type_into(s.text_mut(), action) {
            return;
        }
        use FormField as F;
        match (action, s.focus) {
            (Action::NextField, _) => s.step(true),
            (Action::PrevField, _) => s.step(false),
            (Action::Down, F::Kind) => s.kind = (s.kind + 1).min(FormRequest::ALL.len() - 1),
            (Action::Up, F::Kind) => s.kind = s.kind.saturating_sub(1),
            (Action::Down, F::Document) => {
                s.document = Some(s.document.map_or(0, |i| (i + 1).min(IdDocument::ALL.len() - 1)));
            }
            (Action::Up, F::Document) => s.document = Some(s.document.map_or(0, |i| i.saturating_sub(1))),
            (Action::Down | Action::Up, F::Seal) => s.seal_matched = action == Action::Down,
            (Action::Down, _) => s.step(true),
            (Action::Up, _) => s.step(false),
            // What can be checked without the ledger is checked before the question.
            (Action::Enter, _) => {
                let today = crate::service::business_date(self.ledger.now());
                let checked = form_input(s)
                    .and_then(|input| crate::service::forms::check_input(&input, today, s.user.role, s.has_admin));
                match checked {
                    Ok(()) => self.modal = Some(Modal::Confirm(Question::SubmitForm)),
                    Err(e) => self.error(&e),
                }
            }
            _ => {}
        }
    }

    /// After the confirmation: file the form for approval.
    pub(super) fn commit_form(&mut self) {
        let Some(session) = self.session.clone() else { return };
        let Some(Screen::Form(s)) = self.screens.last() else { return };
        let result = form_input(s).and_then(|input| self.ledger.submit_form(&session, &input));
        match result {
            Ok(request_id) => {
                self.screens.pop();
                self.refresh_top();
                let text = tf(self.lang, "ui.form.filed", &[("id", &request_id.to_string())]);
                self.say(Level::Info, text);
            }
            Err(e) => self.error(&e),
        }
    }

    /// `f` on a customer: the form for the selected user (or the kind guidance named).
    pub(super) fn start_form(&mut self, contract: ContractRow, user: UserRow, kind: Option<FormRequest>) {
        let has_admin = crate::store::customers::contract_has_admin(self.ledger.conn(), contract.id).unwrap_or(false);
        if let Some(session) = &self.session
            && let Err(e) =
                session.authorize(crate::domain::permission::Operation::CounterProcedure, Some(&contract.branch))
        {
            return self.error(&e);
        }
        self.open_form(contract, user, has_admin, kind);
    }
}

/// The form as typed, for the service; the date must parse first.
fn form_input(s: &FormState) -> Result<FormInput<'_>, crate::service::ServiceError> {
    let request = s.request();
    let received = NaiveDate::parse_from_str(s.received.value().trim(), "%Y-%m-%d")
        .map_err(|_| crate::service::ServiceError::invalid("received", "ui.form.bad_date"))?;
    let kinds: Vec<CredentialKind> = match request.credential() {
        Some(k) => vec![k],
        None => SECRET_KINDS.to_vec(),
    };
    let secrets = kinds
        .into_iter()
        .map(|kind| DoubleKeyed {
            kind,
            first: SecretString::from(s.secret(kind, false).value().to_string()),
            second: SecretString::from(s.secret(kind, true).value().to_string()),
        })
        .collect();
    Ok(FormInput {
        request,
        user_id: s.user.id,
        form_no: s.form_no.value().trim(),
        received,
        brought_by: s.brought_by.value(),
        document: s.document.and_then(|i| IdDocument::ALL.get(i).copied()),
        seal_matched: s.seal_matched,
        secrets,
        new_login_id: (request == FormRequest::CancelAndReapply).then_some(s.new_login_id.value().trim()),
    })
}
