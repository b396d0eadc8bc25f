//! How the relay reaches PostgreSQL: the `postgres://` URL with libpq's
//! `sslmode` and `sslrootcert` (PROTOCOL §9), TLS by rustls (ring provider).
//!
//! tokio-postgres knows only `disable`, `prefer` and `require`, and rejects
//! parameters it does not know, so both are taken out of the URL here and
//! the rest is handed to [`tokio_postgres::Config`]. Whether a certificate
//! is checked is decided by this module's rustls verifier, as libpq does:
//!
//! | `sslmode` | TLS | certificate chain | host name |
//! |---|---|---|---|
//! | `disable` | never | – | – |
//! | `prefer` (the default) | tried; plain if the server refuses TLS, or if TLS (handshake or login over it) fails | only with `sslrootcert` | no |
//! | `require` | always | only with `sslrootcert` (then as `verify-ca`) | no |
//! | `verify-ca` | always | against `sslrootcert` | no |
//! | `verify-full` | always | against `sslrootcert` | yes |
//!
//! The relay reads no system certificate store: `verify-ca` and
//! `verify-full` need `sslrootcert` (a PEM file of CA certificates), and
//! libpq's implicit `~/.postgresql/root.crt` is not looked for. Over a Unix
//! socket TLS does not apply and `sslmode` is ignored, as in libpq.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_postgres::config::Host;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, Connection, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Longest a new connection may take to be ready (TCP, TLS, login): past
/// it the attempt is abandoned, so a server that accepts and then says
/// nothing cannot hold a request (or the relay's start) forever.
pub const CONNECT_WAIT: Duration = Duration::from_secs(5);

/// libpq's `sslmode` values that the relay honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(value: &str) -> Result<SslMode, String> {
        match value {
            "disable" => Ok(SslMode::Disable),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            "allow" => Err(
                "--database: sslmode=allow is not supported by the relay; use prefer (TLS when the server offers it) or disable"
                    .into(),
            ),
            other => Err(format!(
                "--database: sslmode={other:?} is not one of disable, prefer, require, verify-ca, verify-full"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the verifier checks of the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Nothing (libpq's `prefer`/`require` without a root certificate):
    /// the link is encrypted but the server is not authenticated.
    Nothing,
    /// The chain up to a CA of `sslrootcert`, whatever name it is for.
    Chain,
    /// The chain, and that the certificate is for the host connected to.
    ChainAndName,
}

/// A `postgres://` URL split into what tokio-postgres reads and what this
/// module reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// The URL without `sslmode` and `sslrootcert`.
    pub rest: String,
    /// `sslmode`, when given (the last one wins, as in libpq).
    pub sslmode: Option<String>,
    /// `sslrootcert`, when given.
    pub sslrootcert: Option<String>,
}

/// Splits `sslmode` and `sslrootcert` out of the URL's query string; every
/// other parameter is kept as written, in order.
pub fn split_url(url: &str) -> Result<UrlParts, String> {
    // Where the query starts, found the way tokio-postgres finds it: the
    // credentials end at the first '@', the query at the next '?'.
    let after_credentials = url.find('@').map_or(0, |i| i + 1);
    let Some(q) = url[after_credentials..]
        .find('?')
        .map(|i| after_credentials + i)
    else {
        return Ok(UrlParts {
            rest: url.to_string(),
            sslmode: None,
            sslrootcert: None,
        });
    };
    let (base, query) = (&url[..q], &url[q + 1..]);
    let mut kept = Vec::new();
    let mut sslmode = None;
    let mut sslrootcert = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match percent_decode(key)?.as_str() {
            "sslmode" => sslmode = Some(percent_decode(value)?),
            "sslrootcert" => sslrootcert = Some(percent_decode(value)?),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok(UrlParts {
        rest,
        sslmode,
        sslrootcert,
    })
}

/// `%XX` decoding of a URL component; a `%` not followed by two hex digits
/// stays as it is (as in tokio-postgres).
fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied(), b.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(v as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| "--database: a URL parameter is not UTF-8 once percent-decoded".to_string())
}

/// The CA certificates of a PEM file.
pub fn load_roots(path: &Path) -> Result<RootCertStore, String> {
    let shown = path.display();
    let pem = std::fs::read(path)
        .map_err(|e| format!("--database: cannot read sslrootcert {shown}: {e}"))?;
    let mut roots = RootCertStore::empty();
    for (i, cert) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let n = i + 1;
        let cert = cert.map_err(|e| {
            format!("--database: sslrootcert {shown}: certificate {n} is not valid PEM: {e}")
        })?;
        roots.add(cert).map_err(|e| {
            format!("--database: sslrootcert {shown}: certificate {n} cannot be a CA: {e}")
        })?;
    }
    if roots.is_empty() {
        return Err(format!(
            "--database: sslrootcert {shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(roots)
}

/// The rustls verifier: checks what [`Check`] says, and always that the
/// server holds the key of the certificate it shows.
#[derive(Debug)]
struct Verifier {
    check: Check,
    roots: Arc<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.check == Check::Nothing {
            return Ok(ServerCertVerified::assertion());
        }
        let cert = ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &cert,
            &self.roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        if self.check == Check::ChainAndName {
            rustls::client::verify_server_name(&cert, server_name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Everything needed to open a connection: parsed and checked once, at start.
#[derive(Clone)]
pub struct PgTarget {
    config: tokio_postgres::Config,
    mode: SslMode,
    check: Check,
    rootcert: Option<PathBuf>,
    tls: MakeRustlsConnect,
    /// `host:port/dbname`, never the password: for messages.
    shown: String,
}

impl fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgTarget")
            .field("server", &self.shown)
            .field("mode", &self.mode)
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

/// Which certificate checks a mode asks for, given whether a root
/// certificate file was named.
pub fn check_for(mode: SslMode, has_roots: bool) -> Result<Check, String> {
    match (mode, has_roots) {
        (SslMode::Disable, _) => Ok(Check::Nothing),
        // libpq: with a root certificate, `prefer` and `require` verify the
        // chain (as `verify-ca`).
        (SslMode::Prefer | SslMode::Require, true) => Ok(Check::Chain),
        (SslMode::Prefer | SslMode::Require, false) => Ok(Check::Nothing),
        (SslMode::VerifyCa, true) => Ok(Check::Chain),
        (SslMode::VerifyFull, true) => Ok(Check::ChainAndName),
        (SslMode::VerifyCa | SslMode::VerifyFull, false) => Err(format!(
            "--database: sslmode={mode} needs sslrootcert=PATH, a PEM file with the CA certificate \
             that signed the server's certificate (the relay does not read the system's certificate store)"
        )),
    }
}

fn describe_server(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match h {
                Host::Tcp(name) if name.contains(':') => format!("[{name}]:{port}"),
                Host::Tcp(name) => format!("{name}:{port}"),
                #[cfg(unix)]
                Host::Unix(path) => format!("{}:{port}", path.display()),
            }
        })
        .collect();
    let hosts = if hosts.is_empty() {
        "(no host)".to_string()
    } else {
        hosts.join(",")
    };
    format!("{hosts}/{}", config.get_dbname().unwrap_or(""))
}

impl PgTarget {
    /// Parses a `postgres://` URL and reads `sslrootcert`; every problem is
    /// a sentence naming it.
    pub fn parse(url: &str) -> Result<PgTarget, String> {
        let parts = split_url(url)?;
        let mode = match parts.sslmode.as_deref() {
            None => SslMode::Prefer,
            Some(v) => SslMode::parse(v)?,
        };
        let config = tokio_postgres::Config::from_str(&parts.rest)
            .map_err(|e| format!("--database: the PostgreSQL URL is not valid: {}", chain(&e)))?;
        let rootcert = match parts.sslrootcert.as_deref() {
            None | Some("") => None,
            Some("system") => {
                return Err(
                    "--database: sslrootcert=system (the system's certificate store) is not supported; \
                     name a PEM file with the CA certificate that signed the server's certificate"
                        .into(),
                );
            }
            Some(path) => Some(PathBuf::from(path)),
        };
        let roots = match &rootcert {
            Some(path) => load_roots(path)?,
            None => RootCertStore::empty(),
        };
        let check = check_for(mode, rootcert.is_some())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls_config = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier {
                check,
                roots: Arc::new(roots),
                provider,
            }))
            .with_no_client_auth();
        let shown = describe_server(&config);
        Ok(PgTarget {
            config,
            mode,
            check,
            rootcert,
            tls: MakeRustlsConnect::new(tls_config),
            shown,
        })
    }

    pub fn mode(&self) -> SslMode {
        self.mode
    }

    pub fn check(&self) -> Check {
        self.check
    }

    /// `host:port/dbname (sslmode=…)`, for messages (never the password).
    pub fn shown(&self) -> String {
        format!("{} (sslmode={})", self.shown, self.mode)
    }

    /// TLS does not apply when every host is a Unix socket (libpq ignores
    /// `sslmode` there too).
    fn sockets_only(&self) -> bool {
        let hosts = self.config.get_hosts();
        !hosts.is_empty()
            && self.config.get_hostaddrs().is_empty()
            && hosts.iter().all(|h| !matches!(h, Host::Tcp(_)))
    }

    /// Opens one connection, within [`CONNECT_WAIT`]; its connection task is
    /// spawned on the current runtime. The error is a sentence.
    pub async fn connect(&self) -> Result<Client, String> {
        self.connect_to(None).await
    }

    /// [`PgTarget::connect`], forwarding the payloads of the `NOTIFY`s this
    /// session hears (after its `LISTEN`) to `notices`.
    pub async fn connect_listening(
        &self,
        notices: tokio::sync::mpsc::UnboundedSender<String>,
    ) -> Result<Client, String> {
        self.connect_to(Some(notices)).await
    }

    async fn connect_to(
        &self,
        notices: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    ) -> Result<Client, String> {
        match tokio::time::timeout(CONNECT_WAIT, self.connect_unbounded(notices)).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "cannot connect to PostgreSQL at {}: no answer within {} s",
                self.shown(),
                CONNECT_WAIT.as_secs()
            )),
        }
    }

    async fn connect_unbounded(
        &self,
        notices: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    ) -> Result<Client, String> {
        let mut config = self.config.clone();
        if self.mode == SslMode::Disable || self.sockets_only() {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
            let c = config.connect(NoTls).await.map_err(|e| self.failed(&e))?;
            return Ok(spawn(c, notices));
        }
        if self.mode != SslMode::Prefer {
            config.ssl_mode(tokio_postgres::config::SslMode::Require);
            let c = config
                .connect(self.tls.clone())
                .await
                .map_err(|e| self.failed(&e))?;
            return Ok(spawn(c, notices));
        }
        // prefer: tokio-postgres goes on in plain text when the server
        // answers "no TLS"; like libpq, a failure once TLS began (the
        // handshake, or the login over TLS) is retried once without TLS.
        config.ssl_mode(tokio_postgres::config::SslMode::Prefer);
        let began = Arc::new(AtomicBool::new(false));
        let tls = Tracked {
            inner: self.tls.clone(),
            began: began.clone(),
        };
        match config.connect(tls).await {
            Ok(c) => Ok(spawn(c, notices)),
            Err(e) if began.load(Ordering::SeqCst) => {
                tracing::warn!(
                    server = %self.shown(),
                    error = %self.explain(&e),
                    "PostgreSQL over TLS failed; sslmode=prefer tries without TLS"
                );
                config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                let c = config.connect(NoTls).await.map_err(|e| self.failed(&e))?;
                Ok(spawn(c, notices))
            }
            Err(e) => Err(self.failed(&e)),
        }
    }

    fn failed(&self, e: &tokio_postgres::Error) -> String {
        format!(
            "cannot connect to PostgreSQL at {}: {}",
            self.shown(),
            self.explain(e)
        )
    }

    /// A connection error as an operator reads it: certificate problems
    /// named as such, with what to change.
    pub fn explain(&self, e: &tokio_postgres::Error) -> String {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            // tokio-rustls wraps rustls' error in an io::Error, whose
            // `source()` skips it: look inside.
            let tls = s.downcast_ref::<rustls::Error>().or_else(|| {
                s.downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            });
            if let Some(tls) = tls {
                return format!("TLS failed: {}", self.explain_tls(tls));
            }
            source = s.source();
        }
        let text = chain(e);
        if text.contains("server does not support TLS") {
            return format!(
                "the server does not accept TLS, and sslmode={} requires it \
                 (turn ssl on in the server's postgresql.conf, or use sslmode=prefer or disable)",
                self.mode
            );
        }
        // tokio-postgres says "error connecting to server" and keeps the
        // reason in its source; a database error carries its own sentence.
        match e.as_db_error() {
            Some(db) => format!(
                "the server refused: {} ({})",
                db.message(),
                db.code().code()
            ),
            None => text,
        }
    }

    fn explain_tls(&self, e: &rustls::Error) -> String {
        let roots = self
            .rootcert
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        match e {
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
                "the server's certificate is not signed by a CA in sslrootcert {roots} ({e})"
            ),
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => format!(
                "the server's certificate is not for the host name in the URL ({e}); \
                 sslmode=verify-full checks the name, verify-ca does not"
            ),
            rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) => format!("the server's certificate has expired ({e})"),
            rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
            ) => format!("the server's certificate is not valid yet ({e})"),
            other => other.to_string(),
        }
    }
}

/// An error and its sources: "invalid connection string: unknown option
/// `bogus`" (tokio-postgres' own `Display` stops at the first part).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Runs a new connection's I/O task on the current runtime; the payloads
/// of notifications it receives go to `notices`, when given.
fn spawn<S, T>(
    (client, mut connection): (Client, Connection<S, T>),
    notices: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) -> Client
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                    if let Some(tx) = &notices {
                        let _ = tx.send(n.payload().to_string());
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "postgres connection closed");
                    break;
                }
                None => break,
            }
        }
    });
    client
}

/// A TLS connector that notes when a handshake began (the server accepted
/// TLS): `prefer` retries without TLS only then.
struct Tracked<T> {
    inner: T,
    began: Arc<AtomicBool>,
}

impl<S, T: MakeTlsConnect<S>> MakeTlsConnect<S> for Tracked<T> {
    type Stream = T::Stream;
    type TlsConnect = Tracked<T::TlsConnect>;
    type Error = T::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        Ok(Tracked {
            inner: self.inner.make_tls_connect(domain)?,
            began: self.began.clone(),
        })
    }
}

impl<S, T: TlsConnect<S>> TlsConnect<S> for Tracked<T> {
    type Stream = T::Stream;
    type Error = T::Error;
    type Future = T::Future;

    fn connect(self, stream: S) -> Self::Future {
        self.began.store(true, Ordering::SeqCst);
        self.inner.connect(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(url: &str) -> UrlParts {
        split_url(url).unwrap()
    }

    #[test]
    fn ssl_parameters_are_taken_out_of_the_url() {
        let p = parts(
            "postgres://u:p@db.example:5433/lockstep?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=relay",
        );
        assert_eq!(p.sslmode.as_deref(), Some("verify-full"));
        assert_eq!(p.sslrootcert.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(
            p.rest,
            "postgres://u:p@db.example:5433/lockstep?application_name=relay"
        );
        // Nothing else: the URL is untouched.
        let p = parts("postgresql://u@h/db");
        assert_eq!(p.rest, "postgresql://u@h/db");
        assert_eq!(p.sslmode, None);
        // Only the SSL parameters: no dangling '?'.
        let p = parts("postgres://u@h/db?sslmode=require");
        assert_eq!(p.rest, "postgres://u@h/db");
        // The last sslmode wins, as in libpq; empty pairs are dropped.
        let p = parts("postgres://u@h/db?sslmode=disable&&sslmode=require&");
        assert_eq!(p.sslmode.as_deref(), Some("require"));
        // A '?' in the password (before the '@') does not start the query.
        let p = parts("postgres://u:a?b@h/db?sslmode=disable");
        assert_eq!(p.rest, "postgres://u:a?b@h/db");
        assert_eq!(p.sslmode.as_deref(), Some("disable"));
        // A key spelled with escapes is still that key.
        let p = parts("postgres://u@h/db?ssl%6Dode=require");
        assert_eq!(p.sslmode.as_deref(), Some("require"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2f").unwrap(), "a b/");
        assert_eq!(percent_decode("100%").unwrap(), "100%");
        assert_eq!(percent_decode("%zz%4").unwrap(), "%zz%4");
        assert!(percent_decode("%ff").is_err());
    }

    #[test]
    fn modes() {
        for m in ["disable", "prefer", "require", "verify-ca", "verify-full"] {
            assert_eq!(SslMode::parse(m).unwrap().as_str(), m);
        }
        let e = SslMode::parse("verify_full").unwrap_err();
        assert!(e.contains("\"verify_full\" is not one of"), "{e}");
        assert!(
            SslMode::parse("allow")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(SslMode::parse("").is_err());
        assert!(SslMode::parse("REQUIRE").is_err());
    }

    #[test]
    fn what_each_mode_checks() {
        use Check::*;
        use SslMode::*;
        assert_eq!(check_for(Disable, false), Ok(Nothing));
        assert_eq!(check_for(Prefer, false), Ok(Nothing));
        assert_eq!(check_for(Require, false), Ok(Nothing));
        assert_eq!(check_for(Prefer, true), Ok(Chain));
        assert_eq!(check_for(Require, true), Ok(Chain));
        assert_eq!(check_for(VerifyCa, true), Ok(Chain));
        assert_eq!(check_for(VerifyFull, true), Ok(ChainAndName));
        for m in [VerifyCa, VerifyFull] {
            let e = check_for(m, false).unwrap_err();
            assert!(e.contains(&format!("sslmode={m} needs sslrootcert")), "{e}");
        }
    }

    #[test]
    fn targets() {
        let t = PgTarget::parse("postgres://u:secret@127.0.0.1:5433/db").unwrap();
        assert_eq!(t.mode(), SslMode::Prefer, "libpq's default");
        assert_eq!(t.check(), Check::Nothing);
        assert_eq!(t.shown(), "127.0.0.1:5433/db (sslmode=prefer)");
        assert!(!format!("{t:?}").contains("secret"));
        let t = PgTarget::parse("postgres://u@[::1]/db?sslmode=disable").unwrap();
        assert_eq!(t.shown(), "[::1]:5432/db (sslmode=disable)");
        let t = PgTarget::parse("postgres://u@h1:1,h2:2/db?sslmode=require").unwrap();
        assert_eq!(t.shown(), "h1:1,h2:2/db (sslmode=require)");
        assert!(!t.sockets_only());
        let t =
            PgTarget::parse("postgres://u@%2Fvar%2Frun%2Fpostgresql/db?sslmode=require").unwrap();
        assert!(t.sockets_only());
    }

    #[test]
    fn bad_configurations_are_sentences() {
        let e = PgTarget::parse("postgres://u@h/db?sslmode=strict").unwrap_err();
        assert!(e.contains("sslmode=\"strict\" is not one of"), "{e}");
        let e = PgTarget::parse("postgres://u@h/db?sslmode=verify-full").unwrap_err();
        assert!(e.contains("needs sslrootcert"), "{e}");
        let e =
            PgTarget::parse("postgres://u@h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem")
                .unwrap_err();
        assert!(
            e.contains("cannot read sslrootcert /nonexistent/ca.pem"),
            "{e}"
        );
        let e = PgTarget::parse("postgres://u@h/db?sslrootcert=system").unwrap_err();
        assert!(e.contains("sslrootcert=system"), "{e}");
        let e = PgTarget::parse("postgres://u@h/db?bogus=1").unwrap_err();
        assert!(e.contains("not valid") && e.contains("bogus"), "{e}");
        let e = PgTarget::parse("postgres://u@h:notaport/db").unwrap_err();
        assert!(e.contains("not valid"), "{e}");
    }

    #[test]
    fn a_root_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = load_roots(&empty).unwrap_err();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(
            &garbage,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = load_roots(&garbage).unwrap_err();
        assert!(e.contains("certificate 1"), "{e}");
    }
}
