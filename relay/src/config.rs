//! Relay configuration (PROTOCOL §9): command-line flags, each with a
//! `LOCKSTEP_<UPPER_SNAKE>` environment variable.

use crate::limits::Cidr;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use wallet_core::rows::Limits;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "relay",
    version,
    about = "Lockstep relay: statecoin transfers and atomic batch swaps"
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "LOCKSTEP_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// `sqlite://PATH` (file created on first start, owner-only) or
    /// `postgres://…` (`?sslmode=disable|prefer|require|verify-ca|verify-full`,
    /// `&sslrootcert=CA.pem`; prefer when absent).
    #[arg(
        long,
        env = "LOCKSTEP_DATABASE",
        default_value = "sqlite://lockstep-relay.db"
    )]
    pub database: String,
    /// Seconds from a batch's creation to its deadline.
    #[arg(long, env = "LOCKSTEP_BATCH_TIMEOUT", default_value_t = 120)]
    pub batch_timeout: u64,
    /// Accepted distance, in seconds, between a request's `ts` and the relay clock.
    #[arg(long, env = "LOCKSTEP_AUTH_WINDOW", default_value_t = 300)]
    pub auth_window: u64,
    /// Most transfers in one batch descriptor.
    #[arg(long, env = "LOCKSTEP_MAX_BATCH_SIZE", default_value_t = 1000)]
    pub max_batch_size: usize,
    /// Largest decoded `enc_msg`, in bytes (larger is 413).
    #[arg(long, env = "LOCKSTEP_MAX_MESSAGE_BYTES", default_value_t = 65_536)]
    pub max_message_bytes: usize,
    /// Largest demo deposit, in satoshis.
    #[arg(long, env = "LOCKSTEP_MAX_DEMO_AMOUNT", default_value_t = 100_000_000)]
    pub max_demo_amount: u64,
    /// Requests per second per client (burst twice that; an IPv4 address or
    /// an IPv6 /64); 0 turns it off.
    #[arg(long, env = "LOCKSTEP_RATE_LIMIT", default_value_t = 50)]
    pub rate_limit: u32,
    /// Long-polls one client may hold at once (`wait` > 0); one more is 429.
    #[arg(long, env = "LOCKSTEP_MAX_WAITS_PER_IP", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_waits_per_ip: u32,
    /// Comma-separated CIDRs of reverse proxies believed about
    /// `X-Forwarded-For` (default none: the TCP peer is the client).
    #[arg(
        long,
        env = "LOCKSTEP_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_name = "CIDR,..."
    )]
    pub trusted_proxies: Vec<Cidr>,
    /// Seconds a connection may take to send a request's head (from its
    /// first byte); slower is disconnected.
    #[arg(long, env = "LOCKSTEP_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a connection may stay idle (no request in progress, nothing
    /// sent or received) before it is closed.
    #[arg(long, env = "LOCKSTEP_IDLE_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Serve the built wallet from this directory at `/` (SPA fallback to index.html).
    #[arg(long, env = "LOCKSTEP_STATIC_DIR")]
    pub static_dir: Option<PathBuf>,
    /// Seconds a request may take before the relay gives up on it (long-polls last at most 30).
    #[arg(long, env = "LOCKSTEP_REQUEST_TIMEOUT", default_value_t = 60)]
    pub request_timeout: u64,
    /// PostgreSQL connections per relay process; a request that cannot get
    /// one within 2 s is answered 503.
    #[arg(long, env = "LOCKSTEP_DB_POOL", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub db_pool: u32,
    /// Requests handled at once; more wait for a slot.
    #[arg(long, env = "LOCKSTEP_MAX_CONCURRENCY", default_value_t = 4096)]
    pub max_concurrency: usize,
}

/// Where the relay keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Config {
    /// The configuration with every default, as if no flag were given.
    pub fn defaults() -> Config {
        Config::parse_from(["relay"])
    }

    pub fn limits(&self) -> Limits {
        Limits {
            batch_timeout: self.batch_timeout,
            auth_window: self.auth_window,
            max_batch_size: self.max_batch_size,
            max_message_bytes: self.max_message_bytes,
            max_demo_amount: self.max_demo_amount,
        }
    }

    /// Request body limit: room for a maximal hex `enc_msg` plus the rest.
    pub fn body_limit(&self) -> usize {
        wallet_core::serve::decode::body_limit(&self.limits())
    }

    pub fn database(&self) -> Result<Database, String> {
        let d = self.database.trim();
        if let Some(path) = d.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("--database sqlite:// needs a file path".into());
            }
            Ok(Database::Sqlite(PathBuf::from(path)))
        } else if d.starts_with("postgres://") || d.starts_with("postgresql://") {
            Ok(Database::Postgres(d.to_string()))
        } else {
            Err(format!(
                "--database must start with sqlite:// or postgres://, not {d:?}"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_spec() {
        let c = Config::defaults();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            c.database().ok(),
            Some(Database::Sqlite("lockstep-relay.db".into()))
        );
        assert_eq!(c.limits(), Limits::default());
        assert_eq!(c.rate_limit, 50);
        assert_eq!(c.db_pool, 16);
        assert!(c.static_dir.is_none());
        assert_eq!(c.max_waits_per_ip, 32);
        assert!(c.trusted_proxies.is_empty());
        assert_eq!((c.header_timeout, c.idle_timeout), (10, 60));
    }

    #[test]
    fn trusted_proxies_parse_and_malformed_ones_say_why() {
        let c = Config::parse_from([
            "relay",
            "--trusted-proxies",
            "127.0.0.1/32,10.0.0.0/8, 2001:db8::/32",
        ]);
        assert_eq!(
            c.trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["127.0.0.1/32", "10.0.0.0/8", "2001:db8::/32"]
        );
        for bad in ["10.0.0.0/33", "localhost", "10.0.0.0/8,,"] {
            let e = Config::try_parse_from(["relay", "--trusted-proxies", bad])
                .expect_err(bad)
                .to_string();
            assert!(
                e.contains("--trusted-proxies") && e.contains("like 10.0.0.0/8"),
                "{e}"
            );
        }
        let e = Config::try_parse_from(["relay", "--max-waits-per-ip", "0"])
            .expect_err("0 waits")
            .to_string();
        assert!(e.contains("--max-waits-per-ip"), "{e}");
    }

    #[test]
    fn db_pool_flag_and_environment() {
        let c = Config::try_parse_from(["relay", "--db-pool", "2"]).unwrap();
        assert_eq!(c.db_pool, 2);
        // Zero connections could serve nothing: refused by the parser.
        let e = Config::try_parse_from(["relay", "--db-pool", "0"]).unwrap_err();
        assert!(e.to_string().contains("--db-pool"), "{e}");
        assert!(Config::try_parse_from(["relay", "--db-pool", "many"]).is_err());
    }

    #[test]
    fn postgres_urls_select_postgres() {
        let c = Config::parse_from([
            "relay",
            "--database",
            "postgres://u@127.0.0.1/db",
            "--batch-timeout",
            "5",
        ]);
        assert_eq!(
            c.database().ok(),
            Some(Database::Postgres("postgres://u@127.0.0.1/db".into()))
        );
        assert_eq!(c.batch_timeout, 5);
        assert!(
            Config::parse_from(["relay", "--database", "mysql://x"])
                .database()
                .is_err()
        );
    }
}
