//! A PostgreSQL database of its own for each test that needs one, on the server named by
//! `MADOGUCHI_TEST_PG` (a URL where tests may create and drop databases), dropped when
//! the test ends. Without the variable such tests skip with one printed line; with
//! `MADOGUCHI_TEST_PG_REQUIRED=1` (as `.ci/run` sets) a missing server is a failure.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the server.
pub const VAR: &str = "MADOGUCHI_TEST_PG";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A scratch database.
pub struct ScratchDb {
    /// The URL of the database, for `--db`.
    pub url: String,
    admin: String,
    pub name: String,
}

/// The server's URL, or `None` after printing why the test is skipped.
fn server(test: &str) -> Option<String> {
    match std::env::var(VAR).ok().filter(|v| !v.is_empty()) {
        Some(url) => Some(url),
        None => {
            if std::env::var("MADOGUCHI_TEST_PG_REQUIRED").is_ok_and(|v| v == "1") {
                panic!("{test}: {VAR} is not set, and MADOGUCHI_TEST_PG_REQUIRED=1");
            }
            println!("skipped {test}: {VAR} is not set (PostgreSQL tests)");
            None
        }
    }
}

impl ScratchDb {
    /// A new, empty database for `test`; `None` when there is no server to test on.
    pub fn new(test: &str) -> Option<Self> {
        let admin = server(test)?;
        let name = format!("madoguchi_t{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{test}: cannot reach {VAR}: {e}"));
        client.batch_execute(&format!("CREATE DATABASE {name}")).expect("create the test database");
        Some(Self { url: madoguchi::store::pg::with_database(&admin, &name), admin, name })
    }

    /// A client on the scratch database, as an intruder with the database password has.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect to the test database")
    }

    /// One integer from a query on the scratch database.
    pub fn i64(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).expect(sql).get(0)
    }
}

/// A demo ledger of `customers` generated contracts, made by the binary in a database of
/// its own (at the workflow tests' mid-day clock); `None` when there is no server.
pub fn demo(test: &str, customers: u32) -> Option<ScratchDb> {
    let pg = ScratchDb::new(test)?;
    let (code, _, err) = super::run::madoguchi_at_noon(
        std::path::Path::new(&pg.url),
        &["demo", "--customers", &customers.to_string()],
        "",
    );
    assert_eq!(code, 0, "{test}: demo ledger: {err}");
    Some(pg)
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// The first host and port of `url`, as `host:port`.
pub fn upstream(url: &str) -> String {
    let config: postgres::Config = url.parse().expect("url");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".into(),
    };
    format!("{host}:{}", config.get_ports().first().copied().unwrap_or(5432))
}

/// A TCP relay between the tests' processes and the server, that the test can cut and
/// restore: the ledger's server going away and coming back, without stopping the server
/// the other tests use.
pub struct Relay {
    pub port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    live: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    /// A relay to the server of `url` (its first host and port).
    pub fn to(url: &str) -> Self {
        let upstream = upstream(url);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let port = listener.local_addr().expect("addr").port();
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let live = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (o, l) = (open.clone(), live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !o.load(Ordering::Relaxed) {
                    drop(client);
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(&upstream) else { continue };
                if let Ok(mut list) = l.lock() {
                    list.extend(client.try_clone().ok());
                    list.extend(server.try_clone().ok());
                }
                for (mut from, mut to) in
                    [(client.try_clone().expect("clone"), server.try_clone().expect("clone")), (server, client)]
                {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { port, open, live }
    }

    /// `url` with its host and port replaced by the relay's.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("url");
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@")).unwrap_or_default();
        format!("{scheme}://{user}127.0.0.1:{}/{path}", self.port)
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, Ordering::Relaxed);
        if let Ok(mut list) = self.live.lock() {
            for s in list.drain(..) {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.store(true, Ordering::Relaxed);
    }
}
