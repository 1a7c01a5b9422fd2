//! Colours and styles, in one place.

use ratatui::style::{Color, Modifier, Style};

pub fn top_bar() -> Style {
    Style::default().fg(Color::Black).bg(Color::Cyan)
}

pub fn demo_badge() -> Style {
    Style::default().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD)
}

pub fn hint_key() -> Style {
    Style::default().fg(Color::Black).bg(Color::White)
}

pub fn hint_text() -> Style {
    Style::default()
}

pub fn error() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub fn info() -> Style {
    Style::default().fg(Color::Green)
}

pub fn focused() -> Style {
    Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

pub fn label() -> Style {
    Style::default().fg(Color::Gray)
}

pub fn locked() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub fn warn() -> Style {
    Style::default().fg(Color::Yellow)
}

pub fn title() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}
