//! The pieces every form is made of, each written once: a text input (secrets wiped from
//! memory), a choice among typed options, a check box, and the ring of fields that Tab
//! walks.

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::action::Action;

/// A one-line text field with a cursor: typing inserts at the cursor, ←/→, Home/End,
/// Backspace/Delete and Ctrl-U edit anywhere in it. Its content is wiped from memory when
/// it is cleared or dropped, so that a secret typed into it does not linger: the buffer is
/// allocated once at its largest (a character is at most four bytes) and edited in place,
/// never moved to a larger one that would leave a copy behind.
#[derive(Default)]
pub struct TextInput {
    value: Zeroizing<String>,
    masked: bool,
    max_chars: usize,
    /// Where the next character goes, in characters from the start.
    cursor: usize,
}

/// A field's text as drawn in `width` columns around the cursor: what is before the
/// cursor, the character under it (`None` at the end) and what follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub before: String,
    pub at: Option<char>,
    pub after: String,
}

impl TextInput {
    pub fn new(max_chars: usize) -> Self {
        Self {
            value: Zeroizing::new(String::with_capacity(max_chars.saturating_mul(4))),
            masked: false,
            max_chars,
            cursor: 0,
        }
    }

    /// A field whose characters are shown as `•`.
    pub fn secret(max_chars: usize) -> Self {
        Self { masked: true, ..Self::new(max_chars) }
    }

    /// A field that starts with `text` (a date prefilled with today, a suggested serial),
    /// the cursor after it.
    pub fn with(max_chars: usize, text: &str) -> Self {
        let mut f = Self::new(max_chars);
        for c in text.chars() {
            f.push(c);
        }
        f
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.value.char_indices().nth(chars).map_or(self.value.len(), |(i, _)| i)
    }

    fn len_chars(&self) -> usize {
        self.value.chars().count()
    }

    /// Inserts `c` at the cursor.
    pub fn push(&mut self, c: char) {
        if self.len_chars() < self.max_chars
            && !c.is_control()
            && self.value.len() + c.len_utf8() <= self.value.capacity()
        {
            let at = self.byte_at(self.cursor);
            self.value.insert(at, c);
            self.cursor += 1;
        }
    }

    /// Removes the character before the cursor.
    pub fn pop(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte_at(self.cursor);
            self.value.remove(at);
        }
    }

    /// Removes the character under the cursor.
    pub fn delete(&mut self) {
        if self.cursor < self.len_chars() {
            let at = self.byte_at(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn clear(&mut self) {
        // Zeroizing<String>::clear keeps the buffer; wipe it (its whole capacity) first.
        zeroize::Zeroize::zeroize(&mut *self.value);
        self.cursor = 0;
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

    /// The cursor's place, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// What the screen shows: the text, or one `•` per character for a secret.
    pub fn shown(&self) -> String {
        if self.masked { "•".repeat(self.len_chars()) } else { self.value.to_string() }
    }

    /// The shown text cut to `width` display columns so that the cursor stays in sight:
    /// long input scrolls inside the field.
    pub fn view(&self, width: usize) -> View {
        use unicode_width::UnicodeWidthChar;
        let shown: Vec<char> = self.shown().chars().collect();
        let w = |c: &char| c.width().unwrap_or(0);
        let cursor = self.cursor.min(shown.len());
        let at = shown.get(cursor).copied();
        // From the cursor leftwards, as much as fits with the cursor's own cell.
        let mut used = at.as_ref().map_or(1, w).max(1);
        let mut first = cursor;
        while first > 0 && used + w(&shown[first - 1]) <= width {
            first -= 1;
            used += w(&shown[first]);
        }
        // Then rightwards with what is left.
        let next = (cursor + 1).min(shown.len());
        let mut last = next;
        while last < shown.len() && used + w(&shown[last]) <= width {
            used += w(&shown[last]);
            last += 1;
        }
        View { before: shown[first..cursor].iter().collect(), at, after: shown[next..last].iter().collect() }
    }

    /// The content as a secret, leaving the field empty.
    pub fn take_secret(&mut self) -> SecretString {
        let s = SecretString::from(self.value.to_string());
        self.clear();
        s
    }

    /// Applies an editing action; true when it was one (so the screen has nothing more to
    /// do).
    pub fn edit(&mut self, action: Action) -> bool {
        match action {
            Action::Input(c) => self.push(c),
            Action::Backspace => self.pop(),
            Action::Delete => self.delete(),
            Action::Left => self.cursor = self.cursor.saturating_sub(1),
            Action::Right => self.cursor = (self.cursor + 1).min(self.len_chars()),
            Action::LineStart => self.cursor = 0,
            Action::LineEnd => self.cursor = self.len_chars(),
            Action::ClearField => self.clear(),
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

    /// Moves with ↑↓ (or ←→ when the options stand in a row); true when the action was one
    /// of them.
    pub fn steer(&mut self, action: Action) -> bool {
        match action {
            Action::Down | Action::Right => self.next(),
            Action::Up | Action::Left => self.prev(),
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

/// A yes/no a person ticks (届出印照合, the call back): Space turns it over, ↓ ticks, ↑
/// unticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Check(pub bool);

impl Check {
    pub fn steer(&mut self, action: Action) -> bool {
        match action {
            Action::Toggle => self.0 = !self.0,
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

    /// A click on a field's label: the focus goes to the field `labels` names for it, when
    /// that field is in `order` now; true when the action was a click on a label.
    pub fn pick(&mut self, labels: &[(&str, F)], order: &[F], action: Action) -> bool {
        let Action::PickField(key) = action else { return false };
        if let Some((_, f)) = labels.iter().find(|(k, f)| *k == key && order.contains(f)) {
            self.current = *f;
        }
        true
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
    fn typing_edits_at_the_cursor_anywhere_in_the_field() {
        let mut f = TextInput::with(20, "clek101");
        // Home, one right, then the missing letter: the typo in the middle is mended.
        f.edit(Action::LineStart);
        f.edit(Action::Right);
        f.edit(Action::Right);
        f.edit(Action::Right);
        f.edit(Action::Input('r'));
        assert_eq!(f.value(), "clerk101");
        assert_eq!(f.cursor(), 4);
        f.edit(Action::Backspace);
        assert_eq!(f.value(), "clek101");
        f.edit(Action::Delete);
        assert_eq!(f.value(), "cle101");
        f.edit(Action::LineEnd);
        f.edit(Action::Input('x'));
        assert_eq!(f.value(), "cle101x");
        // Nothing moves past either end.
        for _ in 0..3 {
            f.edit(Action::Right);
            f.edit(Action::Delete);
        }
        assert_eq!(f.value(), "cle101x");
        f.edit(Action::LineStart);
        f.edit(Action::Left);
        f.edit(Action::Backspace);
        assert_eq!((f.value(), f.cursor()), ("cle101x", 0));
        f.edit(Action::ClearField);
        assert!(f.is_empty());
        // Japanese text edits by characters, not bytes.
        let mut j = TextInput::with(20, "受付日不明");
        j.edit(Action::Left);
        j.edit(Action::Left);
        j.edit(Action::Backspace);
        assert_eq!(j.value(), "受付不明");
        j.edit(Action::Input('の'));
        assert_eq!(j.value(), "受付の不明");
    }

    #[test]
    fn a_field_never_moves_its_buffer_so_a_wipe_reaches_every_copy() {
        let mut s = TextInput::secret(8);
        let before = s.value.as_ptr();
        for c in "ｱｲｳｴｵカキ1".chars() {
            s.edit(Action::Input(c));
        }
        s.edit(Action::LineStart);
        s.edit(Action::Input('x'));
        assert_eq!(s.value.chars().count(), 8, "the ninth character is refused");
        assert_eq!(s.value.as_ptr(), before, "edited in place");
        assert_eq!(s.shown(), "••••••••");
    }

    #[test]
    fn a_long_value_scrolls_so_that_the_cursor_stays_in_sight() {
        let f = TextInput::with(60, "0123456789abcdefghij");
        // At the end: the tail, and the cursor's own cell.
        let v = f.view(10);
        assert_eq!((v.before.as_str(), v.at, v.after.as_str()), ("bcdefghij", None, ""));
        let mut f = f;
        f.edit(Action::LineStart);
        let v = f.view(10);
        assert_eq!((v.before.as_str(), v.at, v.after.as_str()), ("", Some('0'), "123456789"));
        // Wide characters count two columns.
        let j = TextInput::with(20, "株式会社山田製作所");
        let v = j.view(8);
        assert_eq!((v.before.as_str(), v.at), ("製作所", None), "three of two columns and the cursor's cell");
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
    fn a_click_on_a_label_focuses_its_field_when_the_field_is_there() {
        let labels = [("a", 1), ("b", 2), ("c", 3)];
        let mut f = FocusRing::new(1);
        assert!(f.pick(&labels, &[1, 2], Action::PickField("b")));
        assert_eq!(f.get(), 2);
        assert!(f.pick(&labels, &[1, 2], Action::PickField("c")), "a click, on a field not shown now");
        assert_eq!(f.get(), 2);
        assert!(!f.pick(&labels, &[1, 2], Action::Enter));
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
