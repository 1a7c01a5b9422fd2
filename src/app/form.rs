//! Screen 7, Paper form (R14): the form as keyed from the paper, new secrets keyed twice, masked.

use chrono::NaiveDate;
use secrecy::SecretString;
use strum::VariantArray;

use crate::action::Action;
use crate::domain::credential::CredentialKind;
use crate::domain::customer::{Contract, User};
use crate::domain::forms::{self, FormProblem, FormRequest};
use crate::domain::unlock::IdDocument;
use crate::domain::view::FormContext;
use crate::format::{business_date, date, parse_date};
use crate::keys::{Field, Place};
use crate::service::forms::{DoubleKeyed, FormInput};
use crate::service::{Problem, ServiceError};

use super::screen::{Ctx, ScreenState};
use super::{Check, Choice, FocusRing, Question, TextInput};

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

/// The label a click focuses, for each field (see `FocusRing::pick`).
const LABELS: [(&str, FormField); 7] = [
    ("ui.form.kind", FormField::Kind),
    ("ui.form.form_no", FormField::FormNo),
    ("ui.form.received", FormField::Received),
    ("ui.form.brought_by", FormField::BroughtBy),
    ("ui.unlock.document", FormField::Document),
    ("ui.unlock.seal", FormField::Seal),
    ("ui.form.new_login_id", FormField::NewLoginId),
];

pub struct FormState {
    pub contract: Contract,
    pub user: User,
    /// Whether the contract has an admin user (R3 decides which forms apply).
    pub has_admin: bool,
    pub kind: Choice<FormRequest>,
    pub focus: FocusRing<FormField>,
    pub form_no: TextInput,
    pub received: TextInput,
    pub brought_by: TextInput,
    pub document: Choice<IdDocument>,
    pub seal_matched: Check,
    pub new_login_id: TextInput,
    /// First and second entry of each secret, in `SECRET_KINDS` order.
    pub secrets: [(TextInput, TextInput); 4],
}

fn secret_index(kind: CredentialKind) -> usize {
    SECRET_KINDS.iter().position(|k| *k == kind).unwrap_or(0)
}

impl FormState {
    /// The form for a user; `kind` preselects one (from guidance), else the first kind that
    /// applies to this user. Refused at once when this staff member may not take it.
    pub fn open(ctx: &mut Ctx<'_>, user_id: i64, kind: Option<FormRequest>) -> Result<Self, ServiceError> {
        let FormContext { contract, user, has_admin } = ctx.ledger.form_context(ctx.session, user_id)?;
        let kind = kind
            .or_else(|| FormRequest::ALL.into_iter().find(|f| forms::applies(*f, user.role, has_admin).is_ok()))
            .unwrap_or(FormRequest::PinChange(CredentialKind::Pin));
        let secret = || (TextInput::secret(32), TextInput::secret(32));
        Ok(Self {
            contract,
            user,
            has_admin,
            kind: Choice::new(FormRequest::ALL, Some(kind)),
            focus: FocusRing::new(FormField::Kind),
            form_no: TextInput::new(8),
            received: TextInput::with(10, &date(business_date(ctx.now))),
            brought_by: TextInput::new(60),
            document: Choice::new(IdDocument::VARIANTS, None),
            seal_matched: Check::default(),
            new_login_id: TextInput::new(20),
            secrets: [secret(), secret(), secret(), secret()],
        })
    }

    pub fn request(&self) -> FormRequest {
        self.kind.get().unwrap_or(FormRequest::PinChange(CredentialKind::Pin))
    }

    /// Why the chosen form does not apply to this user (R2–R4), if it does not.
    pub fn not_applicable(&self) -> Option<FormProblem> {
        forms::applies(self.request(), self.user.role, self.has_admin).err()
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

    /// The text field with the focus, if the focus is on one.
    fn text_mut(&mut self) -> Option<&mut TextInput> {
        match self.focus.get() {
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

    /// The form as typed, for the service; the date must parse first.
    fn input(&self) -> Result<FormInput<'_>, ServiceError> {
        let request = self.request();
        let received: NaiveDate =
            parse_date(self.received.value()).ok_or(ServiceError::Invalid(Problem::FormBadDate))?;
        let kinds: Vec<CredentialKind> = match request.credential() {
            Some(k) => vec![k],
            None => SECRET_KINDS.to_vec(),
        };
        let secrets = kinds
            .into_iter()
            .map(|kind| DoubleKeyed {
                kind,
                first: SecretString::from(self.secret(kind, false).value().to_string()),
                second: SecretString::from(self.secret(kind, true).value().to_string()),
            })
            .collect();
        Ok(FormInput {
            request,
            user_id: self.user.id,
            form_no: self.form_no.value().trim(),
            received,
            brought_by: self.brought_by.value(),
            document: self.document.get(),
            seal_matched: self.seal_matched.is_on(),
            secrets,
            new_login_id: (request == FormRequest::CancelAndReapply).then_some(self.new_login_id.value().trim()),
        })
    }
}

impl ScreenState for FormState {
    fn labels(&self) -> Vec<&'static str> {
        LABELS.iter().map(|(k, _)| *k).collect()
    }

    fn place(&self) -> Place {
        Place::Form
    }

    fn field(&self) -> Option<Field> {
        match self.focus.get() {
            // Names and secrets: every printable key is input.
            // Names, secrets and the date (2026/12/01): every printable key is input.
            FormField::BroughtBy | FormField::Secret(..) | FormField::Received => Some(Field::Secret),
            FormField::FormNo | FormField::NewLoginId => Some(Field::Plain),
            FormField::Kind | FormField::Document | FormField::Seal => None,
        }
    }

    fn dirty(&self) -> bool {
        !self.form_no.is_empty()
            || !self.brought_by.is_empty()
            || self.document.is_chosen()
            || self.seal_matched.is_on()
            || !self.new_login_id.is_empty()
            || self.secrets.iter().any(|(a, b)| !a.is_empty() || !b.is_empty())
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        if self.text_mut().is_some_and(|f| f.edit(action)) {
            return;
        }
        let fields = self.fields();
        if self.focus.tab(&fields, action) || self.focus.pick(&LABELS, &fields, action) {
            return;
        }
        let steered = match self.focus.get() {
            FormField::Kind => self.kind.steer(action),
            FormField::Document => self.document.steer(action),
            FormField::Seal => self.seal_matched.steer(action),
            _ if matches!(action, Action::Down | Action::Up) => {
                self.focus.step(&fields, action == Action::Down);
                true
            }
            _ => false,
        };
        if steered || action != Action::Enter {
            return;
        }
        // Everything that would refuse the form is checked before the question: a refusal
        // is never the answer to a yes.
        let checked = self.input().and_then(|input| ctx.ledger.check_form(ctx.session, &input));
        match checked {
            Ok(()) => ctx.ask(Question::SubmitForm),
            Err(e) => ctx.fail(e),
        }
    }

    /// Files the form for approval.
    fn confirmed(&mut self, q: Question, ctx: &mut Ctx<'_>) {
        if q != Question::SubmitForm {
            return;
        }
        let filed = self.input().and_then(|input| ctx.ledger.submit_form(ctx.session, &input));
        match filed {
            Ok(request_id) => {
                ctx.close();
                ctx.info(crate::i18n::tf(ctx.lang, "ui.form.filed", &[("id", &request_id.to_string())]));
            }
            Err(e) => ctx.fail(e),
        }
    }
}
