//! The endpoints: the same attempts as `ib`, the same JSON as `ib --json`. HTTP says
//! whether the request was processed (200 for every rule outcome); the JSON says what the
//! rules decided.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::callers::{self, Caller, Callers};
use super::limits::Limiter;
use super::metrics::Metrics;
use super::pool::{Job, Pool, Reply};
use crate::domain::credential::CredentialKind;
use crate::service::Ledger;
use crate::service::ib::IbResult;

/// Everything the handlers share.
pub struct Server {
    pub pool: Pool,
    pub callers: Arc<Callers>,
    pub health: Arc<Mutex<Ledger>>,
    pub per_login: Mutex<Limiter>,
    pub per_source: Mutex<Limiter>,
    pub metrics: Metrics,
}

pub type Shared = Arc<Server>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    login_id: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    login_id: String,
    secret: CredentialKind,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    login_id: String,
    kind: CredentialKind,
    old: String,
    new: String,
}

/// A refusal to process a request, as HTTP and as the `error` of its JSON.
fn refuse(status: StatusCode, error: &str, detail: Option<String>, retry_after: Option<u64>) -> Response {
    let mut body = json!({ "error": error });
    if let Some(d) = detail {
        body["detail"] = json!(d);
    }
    let mut r = (status, axum::Json(body)).into_response();
    if let Some(secs) = retry_after {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

/// Where an attempt comes from: the customer's address as the front end forwards it, else
/// the caller's own.
fn source(headers: &HeaderMap, peer: SocketAddr) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .unwrap_or_else(|| peer.ip().to_string())
}

/// A request body of an attempt endpoint: its name (in metrics) and the job it asks.
pub trait Attempt: DeserializeOwned {
    const ENDPOINT: &'static str;
    /// The login ID (for its limit) and the job, or why the body is refused.
    fn job(self) -> Result<(String, Job), &'static str>;
}

impl Attempt for LoginBody {
    const ENDPOINT: &'static str = "login";
    fn job(self) -> Result<(String, Job), &'static str> {
        let secret = SecretString::from(self.password);
        Ok((
            self.login_id.clone(),
            Job::Attempt { login_id: self.login_id, kind: CredentialKind::LoginPassword, secret },
        ))
    }
}

impl Attempt for VerifyBody {
    const ENDPOINT: &'static str = "verify";
    fn job(self) -> Result<(String, Job), &'static str> {
        if self.secret == CredentialKind::LoginPassword {
            return Err("secret: one of confirm, otp, pin, approval-pin");
        }
        let secret = SecretString::from(self.value);
        Ok((self.login_id.clone(), Job::Attempt { login_id: self.login_id, kind: self.secret, secret }))
    }
}

impl Attempt for ChangeBody {
    const ENDPOINT: &'static str = "change-password";
    fn job(self) -> Result<(String, Job), &'static str> {
        if !matches!(self.kind, CredentialKind::LoginPassword | CredentialKind::ConfirmPassword) {
            return Err("kind: one of login, confirm");
        }
        let (old, new) = (SecretString::from(self.old), SecretString::from(self.new));
        Ok((self.login_id.clone(), Job::ChangePassword { login_id: self.login_id, kind: self.kind, old, new }))
    }
}

/// `POST /v1/login`, `/v1/verify`, `/v1/change-password`: one handler, typed by its body.
pub async fn attempt<B: Attempt>(
    State(s): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    s.clone().attempt(B::ENDPOINT, peer, &headers, body, B::job).await
}

impl Server {
    /// One attempt: the caller's key, the body, the limits, a worker, the answer.
    async fn attempt<B: DeserializeOwned>(
        self: Arc<Self>,
        endpoint: &'static str,
        peer: SocketAddr,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
        make: impl FnOnce(B) -> Result<(String, Job), &'static str>,
    ) -> Response {
        let started = Instant::now();
        let (result, response) = match body {
            Ok(body) => self.clone().answer(peer, headers, &body, make).await,
            // Past the body limit (or a body that could not be read): said in JSON too.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ("bad_request", refuse(e.status(), "payload_too_large", None, None))
            }
            Err(e) => ("bad_request", refuse(e.status(), "bad_request", Some(e.body_text()), None)),
        };
        self.metrics.answered(endpoint, result, started.elapsed().as_secs_f64());
        response
    }

    async fn answer<B: DeserializeOwned>(
        self: Arc<Self>,
        peer: SocketAddr,
        headers: &HeaderMap,
        body: &[u8],
        make: impl FnOnce(B) -> Result<(String, Job), &'static str>,
    ) -> (&'static str, Response) {
        let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(key) = callers::bearer(auth) else {
            return ("unauthorized", refuse(StatusCode::UNAUTHORIZED, "unauthorized", None, None));
        };
        let caller = match self.callers.remembered(&key) {
            Some(c) => c,
            None => {
                let who = self.callers.clone();
                let ip = peer.ip();
                tokio::task::spawn_blocking(move || who.check(&key, ip)).await.unwrap_or(Caller::Busy)
            }
        };
        let caller = match caller {
            Caller::Known(name) => name,
            Caller::Wrong => return ("unauthorized", refuse(StatusCode::UNAUTHORIZED, "unauthorized", None, None)),
            Caller::Busy => return ("busy", refuse(StatusCode::SERVICE_UNAVAILABLE, "busy", None, Some(1))),
            Caller::Refused => {
                return ("unavailable", refuse(StatusCode::SERVICE_UNAVAILABLE, "ledger_unavailable", None, Some(2)));
            }
        };
        let parsed =
            serde_json::from_slice::<B>(body).map_err(|e| e.to_string()).and_then(|b| make(b).map_err(str::to_string));
        let (login_id, job) = match parsed {
            Ok(p) => p,
            Err(detail) => return ("bad_request", refuse(StatusCode::BAD_REQUEST, "bad_request", Some(detail), None)),
        };
        let now = Instant::now();
        let limited =
            self.per_login.lock().map(|mut l| l.take(&login_id, now)).unwrap_or(Ok(())).and_then(|()| {
                self.per_source.lock().map(|mut l| l.take(&source(headers, peer), now)).unwrap_or(Ok(()))
            });
        if let Err(wait) = limited {
            return ("limited", refuse(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", None, Some(wait.as_secs())));
        }
        let Ok(answer) = self.pool.submit(job, &caller) else {
            return ("busy", refuse(StatusCode::SERVICE_UNAVAILABLE, "busy", None, Some(1)));
        };
        match answer.await {
            Ok(Reply::Done(o)) => {
                if o.result == IbResult::Rejected && o.failures >= o.threshold {
                    self.metrics.lock_made();
                }
                let result = match o.result {
                    IbResult::Accepted => "accepted",
                    IbResult::Rejected => "rejected",
                    IbResult::Suspended => "suspended",
                    IbResult::Refused => "refused",
                };
                (result, (StatusCode::OK, axum::Json(o)).into_response())
            }
            Ok(Reply::Unavailable) | Err(_) => {
                ("unavailable", refuse(StatusCode::SERVICE_UNAVAILABLE, "ledger_unavailable", None, Some(2)))
            }
            Ok(Reply::Failed(detail)) => {
                eprintln!("serve: {detail}");
                ("error", refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal", None, None))
            }
        }
    }
}

/// Any other path: 404, in JSON like every error.
pub async fn not_found() -> Response {
    refuse(StatusCode::NOT_FOUND, "not_found", None, None)
}

/// A known path with another method: 405, in JSON.
pub async fn wrong_method() -> Response {
    refuse(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None, None)
}

/// `GET /healthz`: the ledger answers and its chain holds its sealed head.
pub async fn healthz(State(s): State<Shared>) -> Response {
    let health = s.health.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let mut ledger = health.lock().map_err(|_| "unavailable")?;
        ledger.ping().map_err(|_| "unavailable")?;
        match ledger.check_now() {
            Ok(None) => Ok(ledger.chain_head().map(|h| h.seq).unwrap_or(0)),
            Ok(Some(_)) => Err("tampered"),
            Err(_) => Err("unavailable"),
        }
    })
    .await
    .unwrap_or(Err("unavailable"));
    match checked {
        Ok(head) => {
            (StatusCode::OK, axum::Json(json!({ "status": "ok", "intact": true, "head": head }))).into_response()
        }
        Err(why) => {
            let mut r =
                (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "status": why, "intact": why != "tampered" })))
                    .into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(5u64));
            r
        }
    }
}

/// `GET /metrics`.
pub async fn metrics(State(s): State<Shared>) -> Response {
    let text = s.metrics.render(s.pool.depth());
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}
