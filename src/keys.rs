//! The one keymap (docs/spec.md §4). The hint bar and the `?` help are drawn from this same
//! table, so what the screen says and what the key does cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::action::Action;

/// Which screen (or modal) is in front, as far as keys care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Login,
    Home,
    Find,
    Customer,
    Guidance,
    Unlock,
    Form,
    Approvals,
    Token,
    Journal,
    Expiring,
    Audit,
    /// The notice of a ledger that failed its integrity check.
    Refused,
    /// A yes/no question.
    Confirm,
    /// The popup that withdraws a pending request.
    Withdraw,
    Help,
    /// The receipt shown after a fee was taken.
    Receipt,
    /// The idle lock asking for the password again.
    IdleLock,
}

/// The kind of text field that has the focus, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Passwords and free text: every printable character is input.
    Secret,
    /// IDs and the search box: `/` and `?` stay commands, since neither occurs in them.
    Plain,
    /// A date: `/` is typed (2026/12/01), `?` stays the help key.
    Date,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub code: KeyCode,
    pub mods: KeyModifiers,
    /// How the key is written in hints.
    pub label: &'static str,
    pub action: Action,
    /// Catalog key of what it does.
    pub hint: &'static str,
    /// Where the binding applies.
    pub places: fn(Place) -> bool,
    /// Shown in the hint bar (all are shown in `?` help).
    pub in_bar: bool,
}

const fn key(
    code: KeyCode,
    mods: KeyModifiers,
    label: &'static str,
    action: Action,
    hint: &'static str,
    places: fn(Place) -> bool,
    in_bar: bool,
) -> Binding {
    Binding { code, mods, label, action, hint, places, in_bar }
}

use KeyCode as K;
use Place as P;
const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
/// Every screen (not a popup).
fn screens(p: Place) -> bool {
    !matches!(p, P::Help | P::Receipt | P::Confirm | P::IdleLock | P::Withdraw)
}
/// Every screen after login (the notice of a refused ledger leads nowhere but the audit
/// trail).
fn after_login(p: Place) -> bool {
    screens(p) && !matches!(p, P::Login | P::Refused)
}
/// Screens with fields or rows to move between.
fn moving(p: Place) -> bool {
    screens(p) && !matches!(p, P::Home | P::Refused)
}
/// Screens with choices picked with ↑↓.
fn workflows(p: Place) -> bool {
    matches!(p, P::Guidance | P::Unlock | P::Form | P::Approvals | P::Token | P::Journal)
}
/// What Esc leaves: every screen after login but Home, and the help.
fn back(p: Place) -> bool {
    (after_login(p) && p != P::Home) || matches!(p, P::Help | P::Receipt)
}
/// Screens with text fields, where the editing keys apply.
fn typing(p: Place) -> bool {
    matches!(p, P::Login | P::Find | P::Unlock | P::Form | P::Approvals | P::Token | P::Journal | P::Audit)
}
/// Screens that show what the ledger holds now, and read it again on F5.
fn live(p: Place) -> bool {
    matches!(p, P::Home | P::Customer | P::Approvals | P::Journal | P::Expiring | P::Audit)
}
/// What the Home key leaves: every screen after login but Home itself.
fn away(p: Place) -> bool {
    after_login(p) && p != P::Home
}
/// F2 works everywhere.
fn anywhere(_: Place) -> bool {
    true
}

pub const KEYMAP: &[Binding] = &[
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.login", |p| matches!(p, P::Login), true),
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.open", |p| matches!(p, P::Find), true),
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.unlock_screen", |p| matches!(p, P::IdleLock), true),
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.record", |p| matches!(p, P::Guidance), true),
    key(
        K::Enter,
        NONE,
        "Enter",
        Action::Enter,
        "ui.key.submit",
        |p| matches!(p, P::Unlock | P::Form | P::Token | P::Journal),
        true,
    ),
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.open", |p| matches!(p, P::Expiring), true),
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.search", |p| matches!(p, P::Audit), true),
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.decide", |p| matches!(p, P::Approvals), true),
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.close", |p| matches!(p, P::Help | P::Receipt), true),
    key(K::Tab, NONE, "Tab", Action::NextField, "ui.key.next", moving, true),
    key(K::BackTab, SHIFT, "Shift-Tab", Action::PrevField, "ui.key.prev", moving, false),
    key(K::Down, NONE, "↓", Action::Down, "ui.key.down", moving, false),
    key(K::Up, NONE, "↑", Action::Up, "ui.key.up", moving, false),
    key(K::Down, NONE, "↑↓", Action::Down, "ui.key.choose", workflows, true),
    key(
        K::PageDown,
        NONE,
        "PgDn",
        Action::PageDown,
        "ui.key.page_down",
        |p| matches!(p, P::Find | P::Customer | P::Audit),
        true,
    ),
    key(
        K::PageUp,
        NONE,
        "PgUp",
        Action::PageUp,
        "ui.key.page_up",
        |p| matches!(p, P::Find | P::Customer | P::Audit),
        false,
    ),
    key(K::Char('g'), NONE, "g", Action::Guidance, "ui.key.guidance", |p| matches!(p, P::Customer), true),
    key(K::Char('u'), NONE, "u", Action::Unlock, "ui.key.unlock", |p| matches!(p, P::Customer), true),
    key(K::Char('f'), NONE, "f", Action::PaperForm, "ui.key.form", |p| matches!(p, P::Customer), true),
    key(K::Char('t'), NONE, "t", Action::HardToken, "ui.key.token", |p| matches!(p, P::Customer), true),
    key(K::Char('w'), NONE, "w", Action::Withdraw, "ui.key.withdraw", |p| matches!(p, P::Customer), true),
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.withdraw", |p| matches!(p, P::Withdraw), true),
    key(K::Down, NONE, "↑↓", Action::Down, "ui.key.choose", |p| matches!(p, P::Withdraw), true),
    key(K::Up, NONE, "", Action::Up, "ui.key.choose", |p| matches!(p, P::Withdraw), false),
    key(K::Esc, NONE, "Esc", Action::Back, "ui.key.cancel", |p| matches!(p, P::Withdraw), true),
    key(K::Char('a'), NONE, "a", Action::Approvals, "ui.key.approvals", |p| matches!(p, P::Home), true),
    key(K::Char('j'), NONE, "j", Action::FeeJournal, "ui.key.journal", |p| matches!(p, P::Home), true),
    key(K::Char('l'), NONE, "l", Action::AuditTrail, "ui.key.audit", |p| matches!(p, P::Home | P::Refused), true),
    key(K::Char('e'), NONE, "e", Action::ExpiringTokens, "ui.key.expiring", |p| matches!(p, P::Home), true),
    key(K::Char('/'), NONE, "/", Action::FindCustomer, "ui.key.find", after_login, true),
    key(K::Char('y'), NONE, "y", Action::Yes, "ui.key.yes", |p| matches!(p, P::Confirm), true),
    // Enter answers yes to a step of a procedure, no to a question that would throw work
    // away (the app knows which).
    key(K::Enter, NONE, "Enter", Action::Enter, "ui.key.default", |p| matches!(p, P::Confirm), false),
    key(K::Char('n'), NONE, "n", Action::No, "ui.key.no", |p| matches!(p, P::Confirm), true),
    key(K::Esc, NONE, "Esc", Action::No, "ui.key.no", |p| matches!(p, P::Confirm), false),
    key(K::Esc, NONE, "Esc", Action::Back, "ui.key.back", back, true),
    key(K::Char('t'), CTRL, "Ctrl-T", Action::GoHome, "ui.key.go_home", away, true),
    key(K::F(5), NONE, "F5", Action::Refresh, "ui.key.refresh", live, true),
    key(K::F(6), NONE, "F6", Action::Export, "ui.key.export", |p| matches!(p, P::Journal), true),
    key(K::F(7), NONE, "F7", Action::Print, "ui.key.print", |p| matches!(p, P::Journal | P::Receipt), true),
    key(K::F(8), NONE, "F8", Action::PrintReceipt, "ui.key.print_receipt", |p| matches!(p, P::Journal), true),
    key(K::Left, NONE, "←→", Action::Left, "ui.key.left_right", moving, false),
    key(K::Right, NONE, "", Action::Right, "ui.key.left_right", moving, false),
    key(K::Home, NONE, "Home/End", Action::LineStart, "ui.key.line_ends", typing, false),
    key(K::End, NONE, "", Action::LineEnd, "ui.key.line_ends", typing, false),
    key(K::Delete, NONE, "Del", Action::Delete, "ui.key.delete", typing, false),
    key(K::Char('u'), CTRL, "Ctrl-U", Action::ClearField, "ui.key.clear_field", typing, false),
    key(K::Char(' '), NONE, "Space", Action::Toggle, "ui.key.toggle", |p| matches!(p, P::Unlock | P::Form), false),
    key(K::Char('?'), NONE, "?", Action::Help, "ui.key.help", screens, true),
    key(K::F(2), NONE, "F2", Action::ToggleLang, "ui.key.lang", anywhere, true),
    key(K::Char('q'), CTRL, "Ctrl-Q", Action::Quit, "ui.key.quit", screens, true),
];

/// The action a key means in `place`, with `field` focused.
pub fn action_for(event: KeyEvent, place: Place, field: Option<Field>) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let plain = event.modifiers.difference(KeyModifiers::SHIFT).is_empty();
    if let (Some(field), KeyCode::Char(c), true) = (field, event.code, plain) {
        let command = match field {
            Field::Plain => c == '/' || c == '?',
            Field::Date => c == '?',
            Field::Secret => false,
        };
        if !command && !c.is_control() {
            return Some(Action::Input(c));
        }
    }
    if field.is_some()
        && let Some(edit) = editing(event)
    {
        return Some(edit);
    }
    let mods = if matches!(event.code, KeyCode::Char(_)) {
        // Upper-case letters and symbols arrive with SHIFT; the table names the character.
        event.modifiers.difference(KeyModifiers::SHIFT)
    } else {
        event.modifiers
    };
    KEYMAP
        .iter()
        .find(|b| {
            (b.places)(place)
                && b.code == event.code
                && (b.mods == mods || (b.code == KeyCode::BackTab && mods.difference(SHIFT).is_empty()))
        })
        .map(|b| b.action)
}

/// What a key's screen needs a staff member to be allowed to do, for keys that open a
/// screen only some roles may use: the hint bar shows them only to those roles.
pub fn needs(action: Action) -> Option<crate::domain::permission::Operation> {
    use crate::domain::permission::Operation as O;
    match action {
        Action::Approvals => Some(O::Approve),
        Action::FeeJournal => Some(O::ViewFeeJournal),
        Action::AuditTrail => Some(O::ViewAudit),
        _ => None,
    }
}

/// The keys that edit a focused text field (they mean nothing else there).
fn editing(event: KeyEvent) -> Option<Action> {
    let ctrl = event.modifiers == CTRL;
    Some(match event.code {
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Delete => Action::Delete,
        KeyCode::Left => Action::Left,
        KeyCode::Right => Action::Right,
        KeyCode::Home => Action::LineStart,
        KeyCode::End => Action::LineEnd,
        KeyCode::Char('a') if ctrl => Action::LineStart,
        KeyCode::Char('e') if ctrl => Action::LineEnd,
        KeyCode::Char('u') if ctrl => Action::ClearField,
        _ => return None,
    })
}

/// The bindings of a place, for the hint bar (`bar_only`) or the help.
pub fn bindings(place: Place, bar_only: bool) -> impl Iterator<Item = &'static Binding> {
    // A binding without a label is the second key of one listed just before (→ of ←→).
    KEYMAP.iter().filter(move |b| (b.places)(place) && (b.in_bar || !bar_only) && !b.label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn the_spec_keymap() {
        let table = [
            (K::Tab, NONE, P::Login, None, Some(Action::NextField)),
            (K::Enter, NONE, P::Login, None, Some(Action::Enter)),
            (K::Char('/'), NONE, P::Home, None, Some(Action::FindCustomer)),
            (K::Char('/'), NONE, P::Customer, None, Some(Action::FindCustomer)),
            (K::Char('/'), NONE, P::Login, None, None),
            (K::F(2), NONE, P::Login, None, Some(Action::ToggleLang)),
            (K::Char('?'), NONE, P::Find, Some(Field::Plain), Some(Action::Help)),
            (K::Char('?'), NONE, P::Login, Some(Field::Secret), Some(Action::Input('?'))),
            // A date field types `/` (2026/12/01) but `?` is still the help.
            (K::Char('/'), NONE, P::Journal, Some(Field::Date), Some(Action::Input('/'))),
            (K::Char('?'), NONE, P::Journal, Some(Field::Date), Some(Action::Help)),
            (K::Char('q'), CTRL, P::Home, None, Some(Action::Quit)),
            (K::Char('g'), NONE, P::Customer, None, Some(Action::Guidance)),
            (K::Char('u'), NONE, P::Customer, None, Some(Action::Unlock)),
            (K::Char('f'), NONE, P::Customer, None, Some(Action::PaperForm)),
            (K::Char('t'), NONE, P::Customer, None, Some(Action::HardToken)),
            (K::Char('a'), NONE, P::Home, None, Some(Action::Approvals)),
            (K::Char('j'), NONE, P::Home, None, Some(Action::FeeJournal)),
            (K::Char('l'), NONE, P::Home, None, Some(Action::AuditTrail)),
            (K::Char('e'), NONE, P::Home, None, Some(Action::ExpiringTokens)),
            (K::Char('g'), NONE, P::Home, None, None),
            (K::Char('a'), NONE, P::Find, Some(Field::Plain), Some(Action::Input('a'))),
            (K::Char('A'), SHIFT, P::Find, Some(Field::Plain), Some(Action::Input('A'))),
            (K::Esc, NONE, P::Customer, None, Some(Action::Back)),
            (K::BackTab, SHIFT, P::Login, None, Some(Action::PrevField)),
            (K::Down, NONE, P::Find, Some(Field::Plain), Some(Action::Down)),
            (K::Char('y'), NONE, P::Confirm, None, Some(Action::Yes)),
            (K::Char('q'), CTRL, P::Find, Some(Field::Plain), Some(Action::Quit)),
            // Editing keys in a field; the same arrows choose in a row elsewhere.
            (K::Home, NONE, P::Login, Some(Field::Plain), Some(Action::LineStart)),
            (K::Right, NONE, P::Login, Some(Field::Plain), Some(Action::Right)),
            (K::Left, NONE, P::Unlock, None, Some(Action::Left)),
            (K::Char('u'), CTRL, P::Form, Some(Field::Secret), Some(Action::ClearField)),
            (K::Delete, NONE, P::Audit, Some(Field::Plain), Some(Action::Delete)),
            (K::Char(' '), NONE, P::Form, None, Some(Action::Toggle)),
            (K::Char(' '), NONE, P::Form, Some(Field::Secret), Some(Action::Input(' '))),
            (K::Char('t'), CTRL, P::Token, Some(Field::Plain), Some(Action::GoHome)),
            (K::Char('t'), CTRL, P::Home, None, None),
            (K::F(5), NONE, P::Customer, None, Some(Action::Refresh)),
        ];
        for (code, mods, place, field, expected) in table {
            assert_eq!(action_for(ev(code, mods), place, field), expected, "{code:?} {mods:?} on {place:?}");
        }
    }

    #[test]
    fn every_binding_has_a_hint_in_both_languages() {
        for b in KEYMAP {
            for lang in [crate::i18n::Lang::Ja, crate::i18n::Lang::En] {
                assert_ne!(crate::i18n::t(lang, b.hint), b.hint, "missing {}", b.hint);
            }
        }
    }
}
