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
}

const WAIT: Duration = Duration::from_secs(20);

impl Term {
    /// Starts `madoguchi --db <db> <args…>` in a `cols`×`rows` terminal.
    pub fn start(db: &Path, args: &[&str], cols: u16, rows: u16) -> Self {
        let pty = native_pty_system();
        let pair = pty.openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_madoguchi"));
        cmd.arg("--db");
        cmd.arg(db);
        for a in args {
            cmd.arg(a);
        }
        cmd.env("TERM", "xterm-256color");
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
        self._master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("resize pty");
        std::thread::sleep(Duration::from_millis(100));
        self
    }

    /// Sends keys or text as typed.
    pub fn send(&mut self, s: &str) -> &mut Self {
        self.writer.write_all(s.as_bytes()).expect("write to pty");
        self.writer.flush().expect("flush pty");
        // A lone ESC must not merge with the next key into an escape sequence.
        std::thread::sleep(Duration::from_millis(if s == key::ESC { 150 } else { 40 }));
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

/// Creates a small demo ledger in `dir` and returns its path.
pub fn demo_ledger(dir: &Path, customers: u32) -> std::path::PathBuf {
    let db = dir.join("ledger.sqlite3");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .arg("--db")
        .arg(&db)
        .args(["demo", "--customers", &customers.to_string()])
        .status()
        .expect("run demo");
    assert!(status.success(), "demo ledger created");
    db
}

/// Runs a `madoguchi` command on the ledger with `stdin`, returning (exit code, stdout).
pub fn madoguchi(db: &Path, args: &[&str], stdin: &str) -> (i32, String) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run madoguchi");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}
