//! Paper for the desk: the receipt (領収書) and the daily fee journal (日計表) as PDF,
//! set in a Japanese font with only the glyphs used embedded, and handed to the printer.
//!
//! Drawing is a pure function of the document: the same document gives the same bytes
//! (no random ids, no creation date; every date printed comes from the ledger).

mod deliver;
mod font;
mod journal;
mod receipt;
pub mod sample;
mod sheet;

pub use deliver::{Staged, send, stage, stage_in};
pub use font::PaperFont;
pub use journal::journal_pdf;
pub use receipt::receipt_pdf;

use std::path::PathBuf;

/// Why a document could not be made or handed over.
#[derive(Debug, thiserror::Error)]
pub enum PaperError {
    /// `print.font` names a file that cannot be read.
    #[error("font {path}: {source}")]
    FontUnreadable { path: PathBuf, source: std::io::Error },
    /// The file is not a font, or has no Japanese glyphs.
    #[error("font {path} has no Japanese glyphs")]
    FontNotJapanese { path: PathBuf },
    /// The PDF writer refused the document.
    #[error("PDF: {0}")]
    Pdf(String),
    /// The PDF could not be saved.
    #[error("{path}: {source}")]
    Save { path: PathBuf, source: std::io::Error },
    /// `print.command` could not be started or reported a failure; the document is saved
    /// at `path` (and its print recorded: print that file).
    #[error("{command}: {detail}")]
    Printer { command: String, detail: String, path: PathBuf },
}

/// A4 portrait and A5 landscape, in points.
const A4: (f32, f32) = (595.28, 841.89);
const A5_LANDSCAPE: (f32, f32) = (595.28, 419.53);

/// Yen as printed: `¥2,200`, a negative amount `-¥2,200`.
fn money(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!("{sign}¥{}", crate::format::yen(v.abs()))
}

/// A date as Japanese documents write it: `2026年12月1日`.
fn date_ja(d: chrono::NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// What the ledger says, made safe to set: control characters and the like shown inert.
fn inert(s: &str) -> String {
    crate::text::inert(s).into_owned()
}

#[cfg(test)]
mod tests;
