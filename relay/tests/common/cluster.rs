//! A throwaway PostgreSQL cluster of the test's own: `initdb` in a temporary
//! directory, its own port on 127.0.0.1, optionally TLS with a given
//! certificate, started and stopped with `pg_ctl` as the `postgres` OS user
//! (PostgreSQL refuses to run as root), and stopped on drop even when the
//! test panics.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    pub port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
}

/// A server certificate and its key, PEM.
pub struct ServerTls {
    pub cert_pem: String,
    pub key_pem: String,
}

const NEEDS: &str = "these tests run a PostgreSQL cluster of their own on 127.0.0.1: \
    they need Debian's postgresql package (/usr/lib/postgresql/<version>/bin/initdb and pg_ctl), \
    runuser (util-linux), an OS user `postgres`, and to run as root";

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn server_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap_or_else(|e| panic!("{NEEDS}; /usr/lib/postgresql: {e}"))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .unwrap_or_else(|| panic!("{NEEDS}; no initdb under /usr/lib/postgresql"))
        .1
}

/// Runs `cmd args` as the `postgres` user; panics with its output on failure.
fn as_postgres(program: &Path, args: &[&str]) -> String {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{NEEDS}; cannot run runuser: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{} {args:?} failed ({}): {text}\n({NEEDS})",
        program.display(),
        out.status
    );
    text
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// A new cluster (trust authentication for 127.0.0.1), started.
    pub fn start(tls: Option<&ServerTls>) -> Cluster {
        let bin = server_bin();
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .unwrap_or_else(|e| panic!("{NEEDS}; chown: {e}"));
        assert!(
            status.success(),
            "chown postgres {}: {status} ({NEEDS})",
            dir.path().display()
        );
        let data = dir.path().join("data");
        as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        let port = free_port();
        let mut conf = format!(
            "\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nmax_connections = 30\nshared_buffers = '16MB'\n",
            dir.path().display()
        );
        if let Some(tls) = tls {
            let cert = data.join("server.crt");
            let key = data.join("server.key");
            std::fs::write(&cert, &tls.cert_pem).unwrap();
            std::fs::write(&key, &tls.key_pem).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
            let status = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&cert)
                .arg(&key)
                .status()
                .unwrap();
            assert!(status.success());
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        }
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(&mut f, conf.as_bytes()).unwrap();
        let c = Cluster { port, dir, bin };
        c.resume();
        c
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn log(&self) -> String {
        self.dir.path().join("server.log").display().to_string()
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub fn resume(&self) {
        let out = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                &self.data(),
                "-l",
                &self.log(),
                "-w",
                "-t",
                "20",
                "start",
            ])
            .output()
            .unwrap_or_else(|e| panic!("{NEEDS}; cannot run runuser: {e}"));
        if !out.status.success() {
            let log = std::fs::read_to_string(self.log()).unwrap_or_default();
            panic!(
                "pg_ctl start failed ({}): {}{}\nserver log:\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Stops the server (fast: sessions are ended); its port is closed after.
    pub fn stop(&self) {
        as_postgres(
            &self.bin.join("pg_ctl"),
            &["-D", &self.data(), "-m", "fast", "-w", "-t", "20", "stop"],
        );
    }

    /// `postgres://postgres@HOST:PORT/postgres` plus `query`.
    pub fn url(&self, host: &str, query: &str) -> String {
        let q = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        format!("postgres://postgres@{host}:{}/postgres{q}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Immediate: nothing of it needs to survive. Ignore errors (it may
        // be stopped already); the directory goes with `dir`.
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                &self.data(),
                "-m",
                "immediate",
                "-w",
                "-t",
                "20",
                "stop",
            ])
            .output();
    }
}
