//! TLS for the shared ledger's connections, as libpq does it: `sslmode` (from the URL, else
//! `PGSSLMODE`) decides whether the connection is encrypted and how far the server's
//! certificate is checked, and `sslrootcert` (else `PGSSLROOTCERT`) names the certificate
//! authorities to check it against.
//!
//! | sslmode       | encrypted               | certificate checked                  |
//! |---------------|-------------------------|--------------------------------------|
//! | `disable`     | never                   | —                                    |
//! | `allow`, `prefer` (default) | when the server offers it | no                   |
//! | `require`     | always                  | no (the chain, if `sslrootcert` is given) |
//! | `verify-ca`   | always                  | the chain to a trusted authority     |
//! | `verify-full` | always                  | the chain and the host name          |
//!
//! The authorities: the `sslrootcert` file (PEM), `system` for the platform's store, and
//! without either `~/.postgresql/root.crt` when it exists, else the platform's store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// What a URL (and the environment) asks of TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsWish {
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file, or `system`.
    pub root_cert: Option<String>,
}

/// Why TLS cannot be set up as asked (before any connection is tried).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("sslmode={0} is not one of disable, allow, prefer, require, verify-ca, verify-full")]
    Mode(String),
    #[error("the certificate authorities in {path} cannot be read: {detail}")]
    RootCert { path: String, detail: String },
    #[error("no trusted certificate authority was found (give sslrootcert=FILE)")]
    NoRoots,
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Takes `sslmode` and `sslrootcert` out of the URL's query (the client library does
/// not know libpq's stricter modes, nor root certificates), falling back on `PGSSLMODE`
/// and `PGSSLROOTCERT`. Returns the URL left and what it asked of TLS.
pub fn split_url(url: &str) -> Result<(String, TlsWish), TlsSetupError> {
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let (mut mode, mut root_cert) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "sslmode" => mode = Some(percent_decode(v)),
            "sslrootcert" => root_cert = Some(percent_decode(v)),
            _ => kept.push(pair),
        }
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mode_text = mode.or_else(|| env("PGSSLMODE")).unwrap_or_else(|| "prefer".into());
    let mode = mode_text.parse().map_err(|_| TlsSetupError::Mode(mode_text.clone()))?;
    let root_cert = root_cert.or_else(|| env("PGSSLROOTCERT"));
    let rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((rest, TlsWish { mode, root_cert }))
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

impl TlsWish {
    /// The client library's mode: it encrypts or not; how far the certificate is checked
    /// is this module's business.
    pub fn library_mode(&self) -> postgres::config::SslMode {
        match self.mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => postgres::config::SslMode::Require,
        }
    }

    /// The TLS client set up as asked.
    pub fn client_config(&self) -> Result<ClientConfig, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
        let algorithms = provider.signature_verification_algorithms;
        let check_chain = match self.mode {
            SslMode::VerifyCa | SslMode::VerifyFull => true,
            // libpq: `require` with a root certificate given checks the chain as verify-ca.
            SslMode::Require => self.root_cert.as_deref().is_some_and(|r| r != "system"),
            _ => false,
        };
        let chain = if check_chain {
            let roots = Arc::new(self.roots()?);
            Some(WebPkiServerVerifier::builder_with_provider(roots, provider).build().map_err(|e| {
                TlsSetupError::RootCert { path: self.root_cert.clone().unwrap_or_default(), detail: e.to_string() }
            })?)
        } else {
            None
        };
        let verifier = Arc::new(Checked { chain, name: self.mode == SslMode::VerifyFull, algorithms });
        Ok(builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth())
    }

    fn roots(&self) -> Result<RootCertStore, TlsSetupError> {
        let default = directories::BaseDirs::new().map(|d| d.home_dir().join(".postgresql/root.crt"));
        let file: Option<PathBuf> = match self.root_cert.as_deref() {
            Some("system") => None,
            Some(path) => Some(PathBuf::from(path)),
            None => default.filter(|p| p.exists()),
        };
        let mut roots = RootCertStore::empty();
        match file {
            Some(path) => {
                for cert in read_pem(&path)? {
                    roots.add(cert).map_err(|e| TlsSetupError::RootCert {
                        path: path.display().to_string(),
                        detail: e.to_string(),
                    })?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
            }
        }
        if roots.is_empty() {
            return Err(TlsSetupError::NoRoots);
        }
        Ok(roots)
    }
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let fail = |detail: String| TlsSetupError::RootCert { path: path.display().to_string(), detail };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no certificate in it".into()));
    }
    Ok(certs)
}

/// How far a server's certificate is checked: the chain to a trusted authority (or not at
/// all: libpq's `prefer` and `require`), and the name (`verify-full`). The handshake's
/// signatures are always checked against the certificate.
#[derive(Debug)]
struct Checked {
    chain: Option<Arc<WebPkiServerVerifier>>,
    name: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_url() {
        let (rest, wish) = split_url(
            "postgres://h1,h2/db?target_session_attrs=read-write&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .expect("split");
        assert_eq!(rest, "postgres://h1,h2/db?target_session_attrs=read-write");
        assert_eq!(wish, TlsWish { mode: SslMode::VerifyFull, root_cert: Some("/etc/ca.pem".into()) });
        assert_eq!(wish.library_mode(), postgres::config::SslMode::Require);
        let (rest, _) = split_url("postgresql://localhost/x").expect("split");
        assert_eq!(rest, "postgresql://localhost/x");
        assert!(matches!(split_url("postgres://h/db?sslmode=maybe"), Err(TlsSetupError::Mode(m)) if m == "maybe"));
    }

    #[test]
    fn a_root_certificate_file_that_is_not_one_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").expect("write");
        let wish = TlsWish { mode: SslMode::VerifyFull, root_cert: Some(path.display().to_string()) };
        let e = wish.client_config().expect_err("refused");
        assert!(e.to_string().contains("ca.pem"), "{e}");
    }
}
