//! Handing a document over: saved in the print folder (private to the user, as every
//! file madoguchi makes), then, when `print.command` is set, given to that command
//! (`lp -d counter1 FILE`). The command is split on spaces and run without a shell, so
//! nothing in a file name is ever interpreted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::PaperError;
use crate::config::Print;

/// Saves `bytes` as `name` in the print folder; the path it was saved at.
pub fn save(cfg: &Print, name: &str, bytes: &[u8]) -> Result<PathBuf, PaperError> {
    let path = cfg.folder().join(name);
    write(&path, bytes)?;
    Ok(path)
}

/// Hands a saved document to `print.command`: true when it took it, false when no
/// command is set (the document stays saved).
pub fn send(cfg: &Print, path: &Path) -> Result<bool, PaperError> {
    let Some(command) = cfg.command.as_deref().filter(|c| !c.trim().is_empty()) else {
        return Ok(false);
    };
    run(command, path)?;
    Ok(true)
}

/// Writes a document whole, or not at all.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), PaperError> {
    let fail = |source| PaperError::Save { path: path.to_path_buf(), source };
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(fail)?;
    }
    // Written beside and renamed into place: a printer never reads half a file.
    let partial = path.with_extension("pdf.part");
    let mut f = std::fs::File::create(&partial).map_err(fail)?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(fail)?;
    std::fs::rename(&partial, path).map_err(fail)
}

fn run(command: &str, path: &Path) -> Result<(), PaperError> {
    let fail = |detail: String| PaperError::Printer { command: command.to_string(), detail };
    let mut words = command.split_whitespace();
    let program = words.next().ok_or_else(|| fail("empty".into()))?;
    let out =
        Command::new(program).args(words).arg(path).stdin(Stdio::null()).output().map_err(|e| fail(e.to_string()))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said = crate::text::inert(said.trim()).chars().take(200).collect::<String>();
    Err(fail(format!("{} {said}", out.status)))
}
