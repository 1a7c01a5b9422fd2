//! Drives the real binary in a pseudo-terminal and reads its screen, so that a test
//! reads like the clerk's steps: type, press keys, look at the screen.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

pub struct Term {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

/// Keys as the terminal sends them.
pub mod key {
    pub const ENTER: &str = "\r";
    pub const TAB: &str = "\t";
    pub const BACKTAB: &str = "\x1b[Z";
    pub const ESC: &str = "\x1b";
    pub const UP: &str = "\x1b[A";
    pub const DOWN: &str = "\x1b[B";
    pub const F2: &str = "\x1bOQ";
    pub const CTRL_Q: &str = "\x11";
    pub const BACKSPACE: &str = "\x7f";
    pub const LEFT: &str = "\x1b[D";
    pub const RIGHT: &str = "\x1b[C";
    pub const HOME: &str = "\x1b[H";
    pub const END: &str = "\x1b[F";
    pub const DELETE: &str = "\x1b[3~";
    pub const F5: &str = "\x1b[15~";
    pub const F6: &str = "\x1b[17~";
    pub const F7: &str = "\x1b[18~";
    pub const F8: &str = "\x1b[19~";
    pub const CTRL_T: &str = "\x14";
    pub const CTRL_U: &str = "\x15";
}

const WAIT: Duration = Duration::from_secs(20);
/// How long a key that changes nothing on screen is given to show that it did not.
const QUIET: Duration = Duration::from_millis(250);

impl Term {
    /// Starts `madoguchi --db <db> <args…>` in a `cols`×`rows` terminal, at the workflow
    /// tests' mid-day clock (see `run::noon_offset`).
    pub fn start(db: &Path, args: &[&str], cols: u16, rows: u16) -> Self {
        let mut cmd = CommandBuilder::new(super::run::BIN);
        cmd.arg("--db");
        cmd.arg(db);
        for a in args {
            cmd.arg(a);
        }
        Self::spawn(cmd, &[], cols, rows)
    }

    /// Starts a shell running `script` in the terminal, with `env` set: for what happens
    /// around the app (the terminal it leaves behind).
    pub fn shell(script: &str, env: &[(&str, &str)], cols: u16, rows: u16) -> Self {
        let mut cmd = CommandBuilder::new("/bin/sh");
        cmd.args(["-c", script]);
        Self::spawn(cmd, env, cols, rows)
    }

    fn spawn(mut cmd: CommandBuilder, env: &[(&str, &str)], cols: u16, rows: u16) -> Self {
        let pty = native_pty_system();
        let pair = pty.openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("open a pty");
        for k in super::run::inherited() {
            cmd.env_remove(k);
        }
        cmd.env("XDG_STATE_HOME", super::run::state_home());
        cmd.env("XDG_DATA_HOME", super::run::data_home());
        cmd.env("TERM", "xterm-256color");
        cmd.env(super::run::CLOCK_VAR, super::run::noon_offset().to_string());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn madoguchi");
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let sink = Arc::clone(&parser);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut p) = sink.lock() {
                    p.process(&buf[..n]);
                }
            }
        });
        let writer = pair.master.take_writer().expect("writer");
        Self { parser, writer, child, _master: pair.master }
    }

    /// Resizes the terminal, as a person dragging the window would.
    pub fn resize(&mut self, cols: u16, rows: u16) -> &mut Self {
        // The screen reader first: the app redraws as soon as it sees the new size, and
        // that frame must land on a screen of the new size.
        if let Ok(mut p) = self.parser.lock() {
            p.set_size(rows, cols);
        }
        let before = self.screen();
        self._master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("resize pty");
        let start = Instant::now();
        while start.elapsed() < QUIET && self.screen() == before {
            std::thread::sleep(Duration::from_millis(5));
        }
        self
    }

    /// Sends keys or text as typed, then waits until the app has drawn its answer: the
    /// screen changes (or, for a key that changes nothing on screen, stays the same for a
    /// moment). Waiting also keeps a lone ESC from merging with the next key.
    pub fn send(&mut self, s: &str) -> &mut Self {
        let before = self.screen();
        self.writer.write_all(s.as_bytes()).expect("write to pty");
        self.writer.flush().expect("flush pty");
        let start = Instant::now();
        while start.elapsed() < QUIET && self.screen() == before {
            std::thread::sleep(Duration::from_millis(5));
        }
        self
    }

    /// Types text one character at a time, as a person would.
    pub fn type_text(&mut self, s: &str) -> &mut Self {
        for c in s.chars() {
            self.send(c.encode_utf8(&mut [0u8; 4]));
        }
        self
    }

    pub fn screen(&self) -> String {
        self.parser.lock().map(|p| p.screen().contents()).unwrap_or_default()
    }

    /// Whether the terminal is still on the alternate screen a full-screen app uses.
    pub fn on_alternate_screen(&self) -> bool {
        self.parser.lock().map(|p| p.screen().alternate_screen()).unwrap_or(true)
    }

    /// Whether the app asked the terminal for mouse events.
    pub fn mouse_captured(&self) -> bool {
        self.parser.lock().map(|p| p.screen().mouse_protocol_mode() != vt100::MouseProtocolMode::None).unwrap_or(false)
    }

    /// A left click at a 0-based cell, as a terminal reports it (SGR encoding).
    pub fn click(&mut self, column: usize, row: usize) -> &mut Self {
        self.send(&format!("\x1b[<0;{};{}M\x1b[<0;{};{}m", column + 1, row + 1, column + 1, row + 1))
    }

    /// Whether the cursor is hidden.
    pub fn cursor_hidden(&self) -> bool {
        self.parser.lock().map(|p| p.screen().hide_cursor()).unwrap_or(true)
    }

    /// Waits until the screen shows `text`; fails with the screen when it does not.
    pub fn wait_for(&mut self, text: &str) -> &mut Self {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if self.screen().contains(text) {
                return self;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("screen never showed {text:?}; it shows:\n{}", self.screen());
    }

    /// Waits until the screen no longer shows `text`.
    pub fn wait_gone(&mut self, text: &str) -> &mut Self {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if !self.screen().contains(text) {
                return self;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("screen kept showing {text:?}:\n{}", self.screen());
    }

    /// Logs in from the login screen and waits for Home.
    pub fn log_in(&mut self, id: &str, password: &str) -> &mut Self {
        self.wait_for("demo-pass-1").type_text(id).send(key::TAB).type_text(password).send(key::ENTER);
        self
    }

    /// The row (0-based, among the lines of the screen) that contains `text`.
    pub fn line_of(&self, text: &str) -> Option<usize> {
        self.screen().lines().position(|l| l.contains(text))
    }

    /// Waits for the process to end and returns its exit status.
    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        while start.elapsed() < WAIT {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("madoguchi did not exit; screen:\n{}", self.screen());
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The workflow tests run every process at the same mid-day clock.
pub use super::run::{demo_ledger_at_noon as demo_ledger, madoguchi_at_noon as madoguchi};
