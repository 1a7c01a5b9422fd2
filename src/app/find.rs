//! Screen 3, Find customer: one box, results as you type.

use crate::action::Action;
use crate::domain::view::Hit;
use crate::keys::{Field, Place};

use super::screen::{Ctx, Screen, ScreenState};
use super::{CustomerState, TextInput};

/// Results per page.
pub const PAGE: usize = 50;

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

impl FindState {
    pub fn new() -> Self {
        Self { query: TextInput::new(40), hits: Vec::new(), selected: None, page_start: 0, more: false }
    }

    /// `/` again: back to the search box.
    pub fn focus_query(&mut self) {
        self.selected = None;
    }

    fn search(&mut self, page_start: usize, ctx: &mut Ctx<'_>) {
        let query = self.query.value().to_string();
        match ctx.ledger.find_customers(ctx.session, &query, page_start, PAGE + 1) {
            Ok(mut hits) => {
                self.more = hits.len() > PAGE;
                hits.truncate(PAGE);
                self.hits = hits;
                self.page_start = page_start;
                if self.selected.is_some() {
                    self.selected = if self.hits.is_empty() { None } else { Some(0) };
                }
                ctx.clear();
            }
            Err(e) => ctx.fail(e),
        }
    }

    fn open_selected(&mut self, ctx: &mut Ctx<'_>) {
        let target = match self.selected {
            Some(i) => self.hits.get(i),
            None => self.hits.first(),
        };
        let Some(hit) = target else { return };
        // Found by a login ID: that user is the one selected.
        let login = crate::domain::kana::normalize(self.query.value());
        match CustomerState::open(ctx, hit.contract.id) {
            Ok(mut s) => {
                s.select_where(|u| crate::domain::kana::normalize(&u.login_id) == login);
                ctx.open(Screen::Customer(Box::new(s)));
            }
            Err(e) => ctx.fail(e),
        }
    }
}

impl Default for FindState {
    fn default() -> Self {
        Self::new()
    }
}

impl ScreenState for FindState {
    fn place(&self) -> Place {
        Place::Find
    }

    fn field(&self) -> Option<Field> {
        self.selected.is_none().then_some(Field::Plain)
    }

    fn handle(&mut self, action: Action, ctx: &mut Ctx<'_>) {
        match action {
            Action::Input(_) | Action::Backspace | Action::Delete | Action::ClearField => {
                self.selected = None;
                self.query.edit(action);
                self.search(0, ctx);
            }
            Action::Left | Action::Right | Action::LineStart | Action::LineEnd => {
                self.selected = None;
                self.query.edit(action);
            }
            Action::Down | Action::NextField => {
                self.selected = match self.selected {
                    None if !self.hits.is_empty() => Some(0),
                    Some(i) if i + 1 < self.hits.len() => Some(i + 1),
                    other => other,
                }
            }
            Action::Up | Action::PrevField => {
                self.selected = match self.selected {
                    Some(0) | None => None,
                    Some(i) => Some(i - 1),
                }
            }
            Action::PageDown if self.more => self.search(self.page_start + PAGE, ctx),
            Action::PageUp if self.page_start > 0 => self.search(self.page_start.saturating_sub(PAGE), ctx),
            Action::Enter => self.open_selected(ctx),
            Action::PickRow(i) if i < self.hits.len() => self.selected = Some(i),
            _ => {}
        }
    }
}
