//! `madoguchi serve`: the customer channel as an HTTP API for the internet-banking front
//! end, on either ledger. A thin edge over the same use cases `ib` calls: axum on tokio
//! takes the connections (TLS by rustls), a fixed pool of worker threads checks the
//! secrets, each on its own connection to the ledger. On SIGTERM (or Ctrl-C) it stops
//! taking connections, answers what is in flight, lets the workers finish their queue,
//! and exits: every write is one transaction, so nothing is left half-written.

mod api;
mod callers;
mod limits;
mod metrics;
mod pool;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::config::Config;
use crate::service::{Ledger, ServiceError};

/// Why the service could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Ledger(#[from] ServiceError),
    #[error("{addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("TLS: {0}")]
    Tls(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The largest request body taken (the bodies are a few short strings).
const BODY_LIMIT: usize = 8 * 1024;

/// How long in-flight requests get to finish after SIGTERM.
const GRACE: Duration = Duration::from_secs(20);

/// Runs the service until SIGTERM or Ctrl-C. `started` is told the address it listens on
/// (the port the system chose when asked for port 0).
pub fn run(db: &Path, cfg: Config, listen: &str, started: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let workers = cfg
        .serve
        .workers
        .map(|w| w as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let open = || Ledger::open(db, cfg.clone());
    let ledgers = (0..workers).map(|_| open()).collect::<Result<Vec<_>, _>>()?;
    let (callers, key_reader) = callers::Callers::start(open()?, open()?)?;
    let health = Arc::new(Mutex::new(open()?));
    let tls = tls_config(&cfg)?;
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|source| ServeError::Listen { addr: listen.to_string(), source })?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;

    let queue = cfg.serve.queue.map_or(workers, |q| q as usize);
    let (pool, threads) = pool::Pool::start(ledgers, queue)?;
    let server = Arc::new(api::Server {
        pool,
        callers,
        health,
        per_login: Mutex::new(limits::Limiter::new(cfg.serve.per_login_id_per_minute)),
        per_source: Mutex::new(limits::Limiter::new(cfg.serve.per_source_per_minute)),
        metrics: metrics::Metrics::new(),
    });
    let app = Router::new()
        .route("/v1/login", post(api::attempt::<api::LoginBody>))
        .route("/v1/verify", post(api::attempt::<api::VerifyBody>))
        .route("/v1/change-password", post(api::attempt::<api::ChangeBody>))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::wrong_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(server.clone());

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let served = runtime.block_on(async move {
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            stop_signal().await;
            stopper.graceful_shutdown(Some(GRACE));
        });
        started(addr);
        let make = app.into_make_service_with_connect_info::<SocketAddr>();
        match tls {
            Some(config) => {
                let config = axum_server::tls_rustls::RustlsConfig::from_config(config);
                let mut server = axum_server::from_tcp_rustls(listener, config)?;
                server.http_builder().http1().header_read_timeout(SLOW);
                server.first_request_timeout(SLOW).handle(handle).serve(make).await
            }
            None => {
                let mut server = axum_server::from_tcp(listener)?;
                server.http_builder().http1().header_read_timeout(SLOW);
                server.first_request_timeout(SLOW).handle(handle).serve(make).await
            }
        }
    });
    // No connection is left: the workers finish what was queued, then stop.
    server.pool.close();
    threads.join();
    server.callers.stop();
    let _ = key_reader.join();
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(served?)
}

/// How long a connection may take to send a request's head, the first or the next on a
/// kept-alive connection: a client that trickles its headers (slowloris) or holds an idle
/// connection is cut off, so connections cannot be hoarded.
const SLOW: Duration = Duration::from_secs(10);

/// SIGTERM (how a service manager stops it) or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The TLS settings of `serve.tls_cert` / `tls_key` (and `client_ca` for mutual TLS).
fn tls_config(cfg: &Config) -> Result<Option<Arc<rustls::ServerConfig>>, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (Some(cert), Some(key)) = (&cfg.serve.tls_cert, &cfg.serve.tls_key) else { return Ok(None) };
    let bad = |what: &Path, e: &dyn std::fmt::Display| ServeError::Tls(format!("{}: {e}", what.display()));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert, &e))?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?;
    let builder = match &cfg.serve.client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(ca).map_err(|e| bad(ca, &e))? {
                roots.add(c.map_err(|e| bad(ca, &e))?).map_err(|e| bad(ca, &e))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| bad(ca, &e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(certs, key_der).map_err(|e| bad(cert, &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}
