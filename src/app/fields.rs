//! The pieces every form is made of, each written once: a text input (secrets wiped from
//! memory), a choice among typed options, a check box, and the ring of fields that Tab
//! walks.

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::action::Action;

/// A one-line text field. Its content is wiped from memory when it is cleared or dropped,
/// so that a secret typed into it does not linger.
#[derive(Default)]
pub struct TextInput {
    value: Zeroizing<String>,
    masked: bool,
    max_chars: usize,
}

impl TextInput {
    pub fn new(max_chars: usize) -> Self {
        Self { value: Zeroizing::new(String::new()), masked: false, max_chars }
    }

    /// A field whose characters are shown as `•`.
    pub fn secret(max_chars: usize) -> Self {
        Self { masked: true, ..Self::new(max_chars) }
    }

    /// A field that starts with `text` (a date prefilled with today, a suggested serial).
    pub fn with(max_chars: usize, text: &str) -> Self {
        let mut f = Self::new(max_chars);
        for c in text.chars() {
            f.push(c);
        }
        f
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
        // Zeroizing<String>::clear keeps the buffer; wipe it first.
        zeroize::Zeroize::zeroize(&mut *self.value);
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    pub fn is_masked(&self) -> bool {
        self.masked
    }

    /// What the screen shows: the text, or one `•` per character for a secret.
    pub fn shown(&self) -> String {
        if self.masked { "•".repeat(self.value.chars().count()) } else { self.value.to_string() }
    }

    /// The content as a secret, leaving the field empty.
    pub fn take_secret(&mut self) -> SecretString {
        let s = SecretString::from(self.value.to_string());
        self.clear();
        s
    }

    /// Applies a typing action; true when it was one (so the screen has nothing more to do).
    pub fn edit(&mut self, action: Action) -> bool {
        match action {
            Action::Input(c) => self.push(c),
            Action::Backspace => self.pop(),
            _ => return false,
        }
        true
    }
}

/// One of a fixed set of options, chosen with ↑↓; `None` until a person chooses when the
/// form must not suggest an answer (an identity document, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<T> {
    options: Vec<T>,
    selected: Option<usize>,
}

impl<T: Copy + PartialEq> Choice<T> {
    /// A choice that starts on `initial` (if it is one of the options).
    pub fn new(options: impl Into<Vec<T>>, initial: Option<T>) -> Self {
        let options = options.into();
        let selected = initial.and_then(|v| options.iter().position(|o| *o == v));
        Self { options, selected }
    }

    /// A choice that starts on its first option.
    pub fn first(options: impl Into<Vec<T>>) -> Self {
        let options = options.into();
        let selected = (!options.is_empty()).then_some(0);
        Self { options, selected }
    }

    pub fn get(&self) -> Option<T> {
        self.selected.and_then(|i| self.options.get(i).copied())
    }

    pub fn set(&mut self, value: T) {
        if let Some(i) = self.options.iter().position(|o| *o == value) {
            self.selected = Some(i);
        }
    }

    pub fn is_chosen(&self) -> bool {
        self.selected.is_some()
    }

    /// The next option (the first, when none is chosen yet); stops at the last.
    pub fn next(&mut self) {
        let last = self.options.len().saturating_sub(1);
        self.selected = match self.selected {
            None if !self.options.is_empty() => Some(0),
            Some(i) => Some((i + 1).min(last)),
            None => None,
        };
    }

    /// The previous option (the first, when none is chosen yet); stops at the first.
    pub fn prev(&mut self) {
        self.selected = match self.selected {
            None if !self.options.is_empty() => Some(0),
            Some(i) => Some(i.saturating_sub(1)),
            None => None,
        };
    }

    /// Moves with ↑↓; true when the action was one of them.
    pub fn steer(&mut self, action: Action) -> bool {
        match action {
            Action::Down => self.next(),
            Action::Up => self.prev(),
            _ => return false,
        }
        true
    }

    /// Every option with whether it is the chosen one, for drawing.
    pub fn options(&self) -> impl Iterator<Item = (T, bool)> + '_ {
        self.options.iter().enumerate().map(|(i, o)| (*o, self.selected == Some(i)))
    }

    pub fn len(&self) -> usize {
        self.options.len()
    }

    pub fn is_empty(&self) -> bool {
        self.options.is_empty()
    }
}

/// A yes/no a person ticks (届出印照合, the call back): ↓ ticks, ↑ unticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Check(pub bool);

impl Check {
    pub fn steer(&mut self, action: Action) -> bool {
        match action {
            Action::Down => self.0 = true,
            Action::Up => self.0 = false,
            _ => return false,
        }
        true
    }

    pub fn is_on(self) -> bool {
        self.0
    }
}

/// The fields of a screen in Tab order, and which one has the focus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FocusRing<F> {
    current: F,
}

impl<F: Copy + PartialEq> FocusRing<F> {
    pub fn new(first: F) -> Self {
        Self { current: first }
    }

    pub fn get(&self) -> F {
        self.current
    }

    pub fn is(&self, f: F) -> bool {
        self.current == f
    }

    pub fn set(&mut self, f: F) {
        self.current = f;
    }

    /// The next (or previous) of `order` after the current one, wrapping around; the first
    /// when the current one is no longer in the order.
    pub fn step(&mut self, order: &[F], forward: bool) {
        let n = order.len();
        self.current = match order.iter().position(|f| *f == self.current) {
            Some(i) if n > 0 => order[if forward { (i + 1) % n } else { (i + n - 1) % n }],
            _ => order.first().copied().unwrap_or(self.current),
        };
    }

    /// Tab and Shift-Tab; true when the action was one of them.
    pub fn tab(&mut self, order: &[F], action: Action) -> bool {
        match action {
            Action::NextField => self.step(order, true),
            Action::PrevField => self.step(order, false),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_input_keeps_to_its_length_and_drops_control_characters() {
        let mut f = TextInput::new(3);
        for c in ['a', '\u{1b}', 'b', 'c', 'd'] {
            f.push(c);
        }
        assert_eq!(f.value(), "abc");
        assert!(f.edit(Action::Backspace));
        assert_eq!(f.value(), "ab");
        assert!(!f.edit(Action::Enter));
        let mut s = TextInput::secret(8);
        s.edit(Action::Input('x'));
        assert_eq!(s.shown(), "•");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&s.take_secret()), "x");
        assert!(s.is_empty());
    }

    #[test]
    fn a_choice_is_typed_and_may_start_unchosen() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Doc {
            License,
            Passport,
        }
        let mut c = Choice::new([Doc::License, Doc::Passport], None);
        assert_eq!(c.get(), None);
        c.next();
        assert_eq!(c.get(), Some(Doc::License));
        c.next();
        c.next();
        assert_eq!(c.get(), Some(Doc::Passport));
        c.prev();
        assert_eq!(c.get(), Some(Doc::License));
        assert_eq!(Choice::<Doc>::new([], None).get(), None);
        assert_eq!(Choice::first([Doc::Passport]).get(), Some(Doc::Passport));
    }

    #[test]
    fn the_focus_ring_wraps_both_ways() {
        let order = [1, 2, 3];
        let mut f = FocusRing::new(3);
        f.step(&order, true);
        assert_eq!(f.get(), 1);
        f.step(&order, false);
        assert_eq!(f.get(), 3);
        f.set(9);
        f.step(&order, true);
        assert_eq!(f.get(), 1);
    }
}
