//! A TLS front for the tests' PostgreSQL server: it answers a client's request for TLS the
//! way the server does, completes the handshake with a certificate of the test's own
//! authority (made here, for the names the test chooses), and relays the decrypted
//! protocol to the server. A client that does not ask for TLS is hung up on.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// An authority of the test's own.
pub struct Authority {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl Authority {
    pub fn new(name: &str) -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().expect("key");
        Self { issuer: rcgen::CertifiedIssuer::self_signed(params, key).expect("authority") }
    }

    /// Its certificate, PEM, for `sslrootcert`.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A certificate for `names` (a server's) or with none (a client's), and its key, as
    /// PEM files would hold them.
    pub fn issue_pem(&self, names: &[&str]) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).expect("params");
        params.extended_key_usages =
            vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        (cert.pem(), key.serialize_pem())
    }

    /// The same as DER, for a client of the test's own.
    pub fn issue_der(&self, names: &[&str]) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = rcgen::KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = rcgen::CertificateParams::new(names).expect("params");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer).expect("sign");
        (vec![cert.der().clone()], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())))
    }

    /// Its certificate as DER.
    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A server certificate for `names`, with its key.
    fn server(&self, names: &[&str]) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = rcgen::KeyPair::generate().expect("key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let cert = rcgen::CertificateParams::new(names).expect("params").signed_by(&key, &self.issuer).expect("sign");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (vec![cert.der().clone(), self.issuer.der().clone()], key)
    }
}

/// The front; it lives as long as the test.
pub struct TlsRelay {
    pub port: u16,
    /// Handshakes completed, and connections hung up on (no TLS asked, or a failed handshake).
    pub handshakes: Arc<AtomicUsize>,
    pub refused: Arc<AtomicUsize>,
}

/// The protocol's request for TLS: length 8, code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

impl TlsRelay {
    /// A front to the server at `upstream` (`host:port`) showing a certificate for
    /// `names` signed by `ca`.
    pub fn start(upstream: &str, ca: &Authority, names: &[&str]) -> Self {
        let (chain, key) = ca.server(names);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
        let port = listener.local_addr().expect("addr").port();
        let (handshakes, refused) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (h, r, upstream) = (handshakes.clone(), refused.clone(), upstream.to_string());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (config, h, r, upstream) = (config.clone(), h.clone(), r.clone(), upstream.clone());
                std::thread::spawn(move || {
                    if serve(client, config, &upstream, &h).is_err() {
                        r.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Self { port, handshakes, refused }
    }

    /// `url` (a scratch database's) through the front, named `host`, with `query`.
    pub fn url(&self, url: &str, host: &str, query: &str) -> String {
        let db = madoguchi::store::pg::database_name(url);
        format!("postgres://{host}:{}/{db}?{query}", self.port)
    }
}

fn serve(
    mut client: TcpStream,
    config: Arc<rustls::ServerConfig>,
    upstream: &str,
    handshakes: &AtomicUsize,
) -> std::io::Result<()> {
    let mut first = [0u8; 8];
    client.read_exact(&mut first)?;
    if first != SSL_REQUEST {
        let _ = client.shutdown(Shutdown::Both);
        return Err(std::io::Error::other("no TLS asked"));
    }
    client.write_all(b"S")?;
    let mut tls = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    while tls.is_handshaking() {
        tls.complete_io(&mut client)?;
    }
    handshakes.fetch_add(1, Ordering::SeqCst);
    let server = TcpStream::connect(upstream)?;
    client.set_read_timeout(Some(Duration::from_millis(5)))?;
    let stream = Arc::new(Mutex::new(rustls::StreamOwned::new(tls, client)));
    // Server to client: blocking reads from the server, written into the TLS stream.
    let down = {
        let (stream, mut server) = (stream.clone(), server.try_clone()?);
        std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = server.read(&mut buf) {
                let Ok(mut s) = stream.lock() else { break };
                if n == 0 || s.write_all(&buf[..n]).and_then(|()| s.flush()).is_err() {
                    break;
                }
            }
            if let Ok(s) = stream.lock() {
                let _ = s.sock.shutdown(Shutdown::Both);
            }
        })
    };
    // Client to server: short reads from the TLS stream, so the other side gets its turn.
    let mut server = server;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let read = match stream.lock() {
            Ok(mut s) => s.read(&mut buf),
            Err(_) => break,
        };
        match read {
            Ok(0) => break,
            Ok(n) => server.write_all(&buf[..n])?,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(_) => break,
        }
    }
    let _ = server.shutdown(Shutdown::Both);
    let _ = down.join();
    Ok(())
}
