//! Handing a document over: saved in the print folder (private to the user, as every
//! file madoguchi makes), then, when `print.command` is set, given to that command
//! (`lp -d counter1 FILE`). The command is split on spaces and run without a shell, so
//! nothing in a file name is ever interpreted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::PaperError;
use crate::config::Print;

/// A document written beside its place, put there only when its print is recorded
/// ([`Staged::keep`]); dropped, it is removed: a print that was not recorded leaves no
/// paper behind.
#[derive(Debug)]
pub struct Staged {
    part: PathBuf,
    path: PathBuf,
    kept: bool,
}

impl Staged {
    /// Puts the document in its place.
    pub fn keep(mut self) -> Result<PathBuf, PaperError> {
        std::fs::rename(&self.part, &self.path)
            .map_err(|source| PaperError::Save { path: self.path.clone(), source })?;
        self.kept = true;
        Ok(self.path.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// Stages `bytes` as `name` in the print folder (made if missing).
pub fn stage_in(cfg: &Print, name: &str, bytes: &[u8]) -> Result<Staged, PaperError> {
    let folder = cfg.folder();
    std::fs::create_dir_all(&folder).map_err(|source| PaperError::Save { path: folder.clone(), source })?;
    stage(&folder.join(name), bytes)
}

/// Stages `bytes` for `path` (a file named on the command line): only a new file or a
/// regular one is replaced, never a device or a folder, and no folder is made.
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged, PaperError> {
    let fail = |source| PaperError::Save { path: path.to_path_buf(), source };
    if let Ok(meta) = std::fs::symlink_metadata(path)
        && !meta.file_type().is_file()
    {
        return Err(fail(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "not a regular file")));
    }
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    let part = path.with_file_name(name);
    let staged = Staged { part: part.clone(), path: path.to_path_buf(), kept: false };
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&part).map_err(fail)?;
    f.write_all(bytes).and_then(|()| f.sync_all()).map_err(fail)?;
    Ok(staged)
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

fn run(command: &str, path: &Path) -> Result<(), PaperError> {
    let fail = |detail: String| PaperError::Printer { command: command.to_string(), detail, path: path.to_path_buf() };
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
