//! `madoguchi serve` as a real process on loopback, and plain HTTP/1.1 requests to it
//! over a TCP socket (one request a connection), so that the tests see exactly what a
//! front end would.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

/// A running server: its address, and the child to stop.
pub struct Served {
    pub addr: String,
    pub child: Child,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl Served {
    /// Starts `madoguchi --db db [extra…] serve --listen 127.0.0.1:0` at the workflow
    /// tests' clock, and waits until it listens.
    pub fn start(db: &Path, extra: &[&str]) -> Self {
        let mut c = super::run::command();
        c.env(super::run::CLOCK_VAR, super::run::noon_offset().to_string())
            .arg("--db")
            .arg(db)
            .arg("--lang")
            .arg("en")
            .args(extra)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("start serve");
        let mut err = BufReader::new(child.stderr.take().expect("stderr"));
        let mut first = String::new();
        err.read_line(&mut first).expect("the first line");
        let addr = first
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("serve did not start: {first}"))
            .to_string();
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = err.read_to_string(&mut rest);
            rest
        });
        Self { addr, child, stderr: Some(stderr) }
    }

    /// Sends SIGTERM and waits: (exit status success, what it said on stderr).
    pub fn stop(mut self) -> (bool, String) {
        terminate(&self.child);
        let ok = self.child.wait().map(|s| s.success()).unwrap_or(false);
        let said = self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        (ok, said)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// SIGTERM, as a service manager stops the service.
pub fn terminate(child: &Child) {
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One request; `Err` when the connection failed (the server gone).
pub fn request(addr: &str, method: &str, path: &str, key: Option<&str>, body: &str) -> std::io::Result<Answer> {
    request_with(addr, method, path, key, &[], body)
}

pub fn request_with(
    addr: &str,
    method: &str,
    path: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(k) = key {
        head.push_str(&format!("Authorization: Bearer {k}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| std::io::Error::other(format!("no head: {text}")))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status: {head}")))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Answer { status, headers, body: body.to_string() })
}

/// `POST` of a JSON body.
pub fn post(addr: &str, path: &str, key: Option<&str>, body: serde_json::Value) -> Answer {
    request(addr, "POST", path, key, &body.to_string()).expect("request")
}

/// A demo administrator's new API key for `name`.
pub fn api_key(db: &Path, name: &str) -> String {
    let (code, out, err) = super::run::as_admin(db, &["api-key", "add", name], "");
    assert_eq!(code, 0, "{err}");
    out.trim().to_string()
}
