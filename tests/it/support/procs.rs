//! Worker processes for the crash and concurrency tests: the test binary re-invokes itself
//! to run one `#[ignore]`d entry test, which reports each operation it has committed as a
//! line on stdout. Included with `#[path = "support/procs.rs"] mod procs;`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};

use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Lines a worker means for its parent start with this; everything else on stdout (the
/// test harness's own lines) is ignored.
pub const PREFIX: &str = "@@ ";

/// Writes one report line and flushes it, so that the parent sees it even if the worker
/// is killed a moment later.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{PREFIX}{line}");
    let _ = out.flush();
}

pub use super::run::demo_ledger;
pub use super::run::totp::{base32, code as totp_code, demo_secret as demo_totp_secret, now_step};

/// A running worker: the child, its report lines as they arrive, and its stderr.
pub struct Worker {
    pub child: Child,
    lines: Receiver<String>,
    /// Report lines received so far (without the prefix).
    pub seen: Vec<String>,
    stdout_reader: Option<JoinHandle<()>>,
    stderr_reader: Option<JoinHandle<String>>,
}

impl Worker {
    /// Starts this test binary running only the ignored test `entry`, with `envs`.
    pub fn spawn(entry: &str, envs: &[(&str, String)]) -> Self {
        let exe = std::env::current_exe().expect("current test binary");
        let mut cmd = Command::new(exe);
        for k in super::run::inherited() {
            cmd.env_remove(k);
        }
        cmd.env("XDG_STATE_HOME", super::run::state_home()).env("XDG_DATA_HOME", super::run::data_home());
        cmd.env(super::run::STATE_HOME_VAR, super::run::state_home());
        cmd.args(["--exact", entry, "--nocapture", "--ignored", "--test-threads=1", "-q"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn worker");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let stdout_reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(report) = line.strip_prefix(PREFIX)
                    && tx.send(report.to_string()).is_err()
                {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr");
        let stderr_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Self {
            child,
            lines: rx,
            seen: Vec::new(),
            stdout_reader: Some(stdout_reader),
            stderr_reader: Some(stderr_reader),
        }
    }

    /// Waits until a report line satisfying `pred` arrives (keeping every line in `seen`);
    /// false on timeout or when the worker's stdout closed first.
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        if self.seen.iter().any(|l| pred(l)) {
            return true;
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = pred(&line);
                    self.seen.push(line);
                    if hit {
                        return true;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Kills the worker with SIGKILL (what `Child::kill` sends on Unix) and reaps it.
    pub fn kill(&mut self) -> ExitStatus {
        let _ = self.child.kill();
        self.child.wait().expect("reap worker")
    }

    /// After the worker has ended: every report line it wrote, and its stderr.
    pub fn finish(mut self) -> (Vec<String>, String) {
        if let Some(h) = self.stdout_reader.take() {
            let _ = h.join();
        }
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        let stderr = self.stderr_reader.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        (std::mem::take(&mut self.seen), stderr)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Never leave a worker behind when a test fails half-way.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `secret=` parameter of an otpauth URI, as printed by `staff enroll-totp`.
pub fn otpauth_secret(uri: &str) -> String {
    let query = uri.split_once('?').map(|(_, q)| q).expect("otpauth URI has a query");
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("secret="))
        .map(|s| s.to_string())
        .unwrap_or_else(|| panic!("no secret in {uri}"))
}

/// Microseconds since the epoch (for the timing of races across processes).
pub fn unix_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

pub use super::peek::{AuditRow, audit_rows};

/// Reads an environment variable as a number, with a default.
pub fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

/// A seed from the clock, unless `name` sets one.
pub fn seed_from_env(name: &str) -> u64 {
    env_num(name, {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        (t.as_nanos() as u64) ^ u64::from(std::process::id()).rotate_left(32)
    })
}
