//! PostgreSQL over TLS (PROTOCOL §9: `sslmode`, `sslrootcert`), against real
//! servers on 127.0.0.1: the local one at 5432 (Debian's `ssl = on` with the
//! snakeoil certificate) and a throwaway cluster of each test's own with a
//! certificate signed by a CA the test makes.
#![allow(clippy::unwrap_used)]

mod common;

use common::cluster::{Cluster, ServerTls};
use common::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use relay::clock::TestClock;
use relay::config::Config;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A certificate authority of the test's own.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for these names (DNS names or IP addresses).
    fn server(&self, names: &[&str]) -> ServerTls {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(DnType::CommonName, names[0]);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        ServerTls {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.pem).unwrap();
        path
    }
}

async fn relay_on(url: &str) -> TestRelay {
    let url = url.to_string();
    TestRelay::with(move |c| c.database = url).await
}

async fn start_err(url: &str) -> String {
    let mut config = Config::defaults();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.database = url.to_string();
    match relay::start(config, TestClock::new()).await {
        Ok(_) => panic!("the relay started with {url}"),
        Err(e) => e,
    }
}

/// A deposit and its read-back: the relay works end to end.
async fn works(r: &TestRelay) {
    let coin = r.deposit(&keys(), 777).await;
    assert_eq!(r.info(&coin).await.amount, 777);
}

/// The relay's connections to a database, by `application_name`: how many,
/// and how many of them are TLS (the server's own view, `pg_stat_ssl`).
async fn tls_connections(admin: &tokio_postgres::Client, app: &str) -> (i64, i64) {
    let row = admin
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE s.ssl) \
             FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
             WHERE a.application_name = $1",
            &[&app],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

async fn connect_plain(url: &str) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    c
}

#[tokio::test]
async fn the_local_server_speaks_tls_as_sslmode_says() {
    let t = Instant::now();
    let db = PgDb::create().await;
    let admin = pg_admin().await;
    // Each relay names itself (a parameter tokio-postgres reads, kept in
    // the URL beside sslmode) so the server can tell whose connection is whose.
    let mut relays = Vec::new();
    for (mode, tls) in [
        ("disable", false),
        ("prefer", true),
        ("require", true),
        ("", true), // no sslmode: libpq's default, prefer
    ] {
        let app = format!(
            "{}_{}",
            db.name(),
            if mode.is_empty() { "default" } else { mode }
        );
        let ssl = if mode.is_empty() {
            String::new()
        } else {
            format!("&sslmode={mode}")
        };
        let r = relay_on(&format!("{}?application_name={app}{ssl}", db.url)).await;
        works(&r).await;
        let (all, encrypted) = tls_connections(&admin, &app).await;
        assert!(all >= 1, "sslmode={mode}: no connection of the relay seen");
        assert_eq!(
            encrypted,
            if tls { all } else { 0 },
            "sslmode={mode:?}: {encrypted} of {all} connections are TLS"
        );
        relays.push(r);
    }
    eprintln!("local server, four modes: {:?}", t.elapsed());
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let db = PgDb::create().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("Not the snakeoil CA").write(dir.path(), "ca.pem");
    let ca = ca.display();
    for mode in ["verify-full", "verify-ca", "require"] {
        let url = format!("{}?sslmode={mode}&sslrootcert={ca}", db.url);
        let t = Instant::now();
        let e = start_err(&url).await;
        assert!(
            e.starts_with("cannot connect to PostgreSQL at 127.0.0.1:5432/")
                && e.contains(&format!("(sslmode={mode})"))
                && e.contains(&format!(
                    "the server's certificate is not signed by a CA in sslrootcert {ca}"
                )),
            "sslmode={mode}: {e}"
        );
        assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
    }
    // libpq's prefer: a failed TLS attempt is retried without TLS.
    let app = format!("{}_prefer_foreign_ca", db.name());
    let r = relay_on(&format!(
        "{}?application_name={app}&sslmode=prefer&sslrootcert={ca}",
        db.url
    ))
    .await;
    works(&r).await;
    let (all, encrypted) = tls_connections(&pg_admin().await, &app).await;
    assert!(all >= 1);
    assert_eq!(encrypted, 0, "prefer fell back to plain text");
}

#[test]
fn bad_tls_settings_stop_the_relay_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "hello\n").unwrap();
    let cases = [
        (
            "sslmode=verify_full".to_string(),
            "--database: sslmode=\"verify_full\" is not one of disable, prefer, require, verify-ca, verify-full",
        ),
        (
            "sslmode=verify-full".to_string(),
            "--database: sslmode=verify-full needs sslrootcert=PATH",
        ),
        (
            "sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem".to_string(),
            "--database: cannot read sslrootcert /nonexistent/ca.pem: No such file or directory",
        ),
        (
            format!("sslmode=require&sslrootcert={}", garbage.display()),
            "holds no PEM certificate",
        ),
    ];
    for (query, said) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
            .args(["--listen", "127.0.0.1:0", "--database"])
            .arg(format!(
                "postgres://postgres@127.0.0.1:5432/postgres?{query}"
            ))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{query}: {stderr}");
        assert!(
            stderr.contains(&format!("relay: {said}")) || stderr.contains(said),
            "{query}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{query}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_and_verify_ca_against_a_ca_of_our_own() {
    let t = Instant::now();
    let ca = Ca::new("Lockstep test CA");
    let cluster = Cluster::start(Some(&ca.server(&["localhost", "127.0.0.1"])));
    let dir = tempfile::tempdir().unwrap();
    let ca_pem = ca.write(dir.path(), "ca.pem");
    let root = format!("sslrootcert={}", ca_pem.display());
    let admin = connect_plain(&cluster.url("127.0.0.1", "")).await;

    // verify-full: the chain and the name, by DNS name and by IP address.
    for (host, app) in [("localhost", "full_dns"), ("127.0.0.1", "full_ip")] {
        let r = relay_on(&cluster.url(
            host,
            &format!("sslmode=verify-full&{root}&application_name={app}"),
        ))
        .await;
        works(&r).await;
        let (all, encrypted) = tls_connections(&admin, app).await;
        assert!(
            all >= 1 && encrypted == all,
            "{app}: {encrypted} of {all} TLS"
        );
    }

    // The name checked is the URL's host, whatever address is dialled
    // (hostaddr): a name the certificate does not carry.
    let wrong = |mode: &str, app: &str| {
        format!(
            "postgres://postgres@db.invalid:{}/postgres?hostaddr=127.0.0.1&sslmode={mode}&{root}&application_name={app}",
            cluster.port
        )
    };
    // verify-ca checks the chain only: the wrong name and a bare IP pass.
    for (url, app) in [
        (wrong("verify-ca", "ca_wrong_name"), "ca_wrong_name"),
        (
            cluster.url(
                "127.0.0.1",
                &format!("sslmode=verify-ca&{root}&application_name=ca_ip"),
            ),
            "ca_ip",
        ),
        // require with a root certificate behaves as verify-ca (libpq).
        (wrong("require", "require_root"), "require_root"),
    ] {
        let r = relay_on(&url).await;
        works(&r).await;
        let (all, encrypted) = tls_connections(&admin, app).await;
        assert!(
            all >= 1 && encrypted == all,
            "{app}: {encrypted} of {all} TLS"
        );
    }
    // verify-full with the wrong name is refused, with the reason.
    let e = start_err(&wrong("verify-full", "full_wrong_name")).await;
    assert!(
        e.contains("db.invalid:")
            && e.contains("the server's certificate is not for the host name in the URL"),
        "{e}"
    );
    // A root file of another CA is refused here too, even without the name.
    let other = Ca::new("Another CA").write(dir.path(), "other.pem");
    let e = start_err(&cluster.url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={}", other.display()),
    ))
    .await;
    assert!(e.contains("not signed by a CA in sslrootcert"), "{e}");
    eprintln!("own cluster, TLS checks: {:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_against_a_server_without_tls_is_refused() {
    let cluster = Cluster::start(None);
    let e = start_err(&cluster.url("127.0.0.1", "sslmode=require")).await;
    assert!(e.contains("the server does not accept TLS"), "{e}");
    // prefer goes on in plain text, as libpq does.
    let r = relay_on(&cluster.url("127.0.0.1", "sslmode=prefer")).await;
    works(&r).await;
}
