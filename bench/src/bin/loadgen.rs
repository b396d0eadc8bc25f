//! `loadgen`: drives a Lockstep relay on loopback with parallel native
//! clients and prints Markdown tables (see the crate docs and README
//! "Benchmarks").
//!
//! cargo run --release -p lockstep-bench --bin loadgen -- [options]

use clap::Parser;
use lockstep_bench::*;
use std::sync::Arc;
use std::time::Duration;
use wallet_core::client::RelayClient;

#[derive(Debug, Parser)]
#[command(name = "loadgen", about = "Load generator for the Lockstep relay")]
struct Args {
    /// Backends to start in-process: sqlite, postgres, or both.
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    backend: Vec<String>,
    /// Client counts to run each workload with.
    #[arg(long, default_value = "1,32", value_delimiter = ',')]
    clients: Vec<usize>,
    /// Seconds per workload and client count.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Most operations per workload and client count.
    #[arg(long, default_value_t = 100_000)]
    max_ops: u64,
    /// Workloads: transfers, swaps.
    #[arg(long, default_value = "transfers,swaps", value_delimiter = ',')]
    workloads: Vec<String>,
    /// Batch sizes for the scaling run ("" or 0: skip it).
    #[arg(long, default_value = "2,100,1000")]
    batch_sizes: String,
    /// Parallel requests while setting a scaling batch up.
    #[arg(long, default_value_t = 16)]
    setup_parallel: usize,
    /// Worker threads of the relay's runtime (the clients get their own).
    #[arg(long, default_value_t = 2)]
    relay_threads: usize,
    /// Worker threads of the clients' runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// A database on the local PostgreSQL server to connect to for creating
    /// (and dropping) the benchmark's own database.
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432/postgres",
        env = "LOCKSTEP_BENCH_PG"
    )]
    pg_admin: String,
    /// Benchmark a relay already running at this URL instead (loopback
    /// only; start it with --rate-limit 0). No fsync figures then.
    #[arg(long)]
    target: Option<String>,
    /// Abuse mode: honest transfers and swaps, calm and then beside
    /// attackers within the per-client limits, on the `relay` binary in a
    /// process of its own (README "Benchmarks").
    #[arg(long)]
    abuse: bool,
    /// Abuse mode: attacker counts to run the attack with.
    #[arg(long, default_value = "4", value_delimiter = ',')]
    attackers: Vec<usize>,
    /// Abuse mode: requests per second each attacker sends (the relay's
    /// limit is 50).
    #[arg(long, default_value_t = 45.0)]
    attack_rate: f64,
    /// Abuse mode: the relay binary (default: `relay` beside this one).
    #[arg(long)]
    relay_bin: Option<std::path::PathBuf>,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // The relay logs every request at INFO in production: keep that cost
    // (formatting), not the terminal.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::sink)
        .init();
    match run(&args) {
        Ok(0) => std::process::ExitCode::SUCCESS,
        Ok(failed) => {
            eprintln!("loadgen: {failed} operations failed");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Returns how many operations failed.
fn run(args: &Args) -> BenchResult<usize> {
    if args.abuse {
        return run_abuse(args);
    }
    if let Some(t) = &args.target {
        let host = t
            .trim_start_matches("http://")
            .split(['/', ':'])
            .next()
            .unwrap_or("");
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Err(format!("--target must be a loopback URL, not {t}"));
        }
    }
    let mut backends = Vec::new();
    for b in &args.backend {
        backends.push(match b.as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            other => return Err(format!("unknown backend {other}")),
        });
    }
    if args.target.is_some() {
        backends = vec![Backend::Sqlite];
    }
    let mut batch_sizes = Vec::new();
    for b in args
        .batch_sizes
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        match b.parse::<usize>() {
            Ok(0) => {}
            Ok(n) => batch_sizes.push(n),
            Err(_) => return Err(format!("--batch-sizes: {b} is not a number")),
        }
    }
    let clients_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .thread_name("client")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;

    println!(
        "loadgen: {} s per run, at most {} operations; clients {:?}; relay {} threads, clients {} threads",
        args.duration, args.max_ops, args.clients, args.relay_threads, args.client_threads
    );
    if args.target.is_none() {
        let rate = fsync_probe(&std::env::temp_dir(), 200)?;
        println!(
            "loadgen: this disk (temp dir): {rate:.0} fsyncs/s of 4 KiB, measured before the runs"
        );
    }
    let mut rows = Vec::new();
    let mut scaling = Vec::new();
    let mut details = String::new();
    let mut failed = 0;
    for backend in backends {
        // A batch of 1000 is set up one join at a time: a long deadline.
        let local = match &args.target {
            Some(_) => None,
            None => Some(LocalRelay::start(
                backend,
                &args.pg_admin,
                3_600,
                args.relay_threads,
            )?),
        };
        let base = match (&local, &args.target) {
            (Some(l), _) => l.base.clone(),
            (None, Some(t)) => t.trim_end_matches('/').to_string(),
            (None, None) => unreachable!(),
        };
        let stats = local.as_ref().and_then(LocalRelay::stats);
        let rec = Arc::new(Recorder::default());
        let http = Http::new(
            reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .map_err(|e| e.to_string())?,
            &base,
            rec.clone(),
        )?;
        let label = if args.target.is_some() {
            "target"
        } else {
            match backend {
                Backend::Sqlite => "SQLite",
                Backend::Postgres => "PostgreSQL",
            }
        };
        eprintln!("loadgen: {label} relay at {base}");
        let result: BenchResult<()> = clients_rt.block_on(async {
            let client = RelayClient::new(http.clone());
            let relay_key = client
                .config()
                .await
                .map_err(|e| format!("config: {e}"))?
                .relay_pubkey;
            // Testkit parties are seeded: every swap of the run gets its own seeds.
            let seeds = Arc::new(std::sync::atomic::AtomicU64::new(
                u64::from_le_bytes(random::<8>()) >> 8,
            ));
            for workload in args.workloads.iter().filter(|w| !w.is_empty()) {
                for &n in &args.clients {
                    let duration = Duration::from_secs(args.duration);
                    let p = match workload.as_str() {
                        "transfers" => {
                            let c = client.clone();
                            run_phase(
                                "transfers",
                                n,
                                duration,
                                args.max_ops,
                                &rec,
                                &stats,
                                move |_| {
                                    let c = c.clone();
                                    async move { transfer(&c, &relay_key).await }
                                },
                            )
                            .await
                        }
                        "swaps" => {
                            let (h, seeds) = (http.clone(), seeds.clone());
                            run_phase(
                                "swaps",
                                n,
                                duration,
                                args.max_ops,
                                &rec,
                                &stats,
                                move |_| {
                                    let w = Net {
                                        client: RelayClient::new(h.clone()),
                                    };
                                    let seed =
                                        seeds.fetch_add(4, std::sync::atomic::Ordering::Relaxed);
                                    async move { swap(&w, seed).await }
                                },
                            )
                            .await
                        }
                        other => return Err(format!("unknown workload {other}")),
                    };
                    eprintln!(
                        "loadgen: {label} {workload} x{n}: {} in {:.1} s ({:.1}/s), {} failed",
                        p.ops,
                        p.elapsed.as_secs_f64(),
                        p.rate(),
                        p.failures.len()
                    );
                    for f in p.failures.iter().take(3) {
                        eprintln!("loadgen:   failure: {f}");
                    }
                    failed += p.failures.len();
                    details.push_str(&format!(
                        "\n{label}, {workload}, {n} clients:\n\n{}",
                        endpoint_table(&p)
                    ));
                    rows.push(phase_row(backend, &p));
                }
            }
            for &n in &batch_sizes {
                rec.take();
                let s = batch_scaling(&client, relay_key, n, args.setup_parallel).await?;
                if s.final_state != "committed" || s.received != n {
                    return Err(format!(
                        "batch of {n}: state {}, {} of {n} received",
                        s.final_state, s.received
                    ));
                }
                eprintln!(
                    "loadgen: {label} batch of {n}: committed, all received, {:.1} s",
                    s.elapsed.as_secs_f64()
                );
                scaling.push(scaling_row(backend, &s));
            }
            Ok(())
        });
        if let Some(l) = local {
            l.stop()?;
        }
        result?;
    }

    println!("\n{PHASE_HEADER}");
    for r in &rows {
        println!("{r}");
    }
    if !scaling.is_empty() {
        println!("\nBatch scaling (k = n/10, 1 to 50):\n\n{SCALING_HEADER}");
        for r in &scaling {
            println!("{r}");
        }
    }
    println!("\nPer endpoint:\n{details}");
    Ok(failed)
}

/// The honest workloads of abuse mode: each operation from an address of
/// its own (many users, each doing a little), so no honest user meets the
/// per-client limits.
/// What every honest phase of abuse mode shares.
struct Honest {
    clients: usize,
    http: Http,
    rec: Arc<Recorder>,
    relay_key: wallet_core::XOnly,
    /// Testkit seeds, and the count of operations (each its own address).
    seeds: Arc<std::sync::atomic::AtomicU64>,
    ops: Arc<std::sync::atomic::AtomicU64>,
}

async fn honest_phase(workload: &str, args: &Args, h: &Honest) -> BenchResult<Phase> {
    let duration = Duration::from_secs(args.duration);
    let none = None;
    let (clients, rec, relay_key, seeds) = (h.clients, &h.rec, h.relay_key, &h.seeds);
    let (h, ops) = (h.http.clone(), h.ops.clone());
    Ok(match workload {
        "transfers" => {
            run_phase(
                "transfers",
                clients,
                duration,
                args.max_ops,
                rec,
                &none,
                move |_| {
                    let n = ops.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let c = RelayClient::new(h.as_client(abuse::honest_ip(n)));
                    async move { transfer(&c, &relay_key).await }
                },
            )
            .await
        }
        "swaps" => {
            let seeds = seeds.clone();
            run_phase(
                "swaps",
                clients,
                duration,
                args.max_ops,
                rec,
                &none,
                move |_| {
                    let n = ops.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let w = Net {
                        client: RelayClient::new(h.as_client(abuse::honest_ip(n))),
                    };
                    let seed = seeds.fetch_add(4, std::sync::atomic::Ordering::Relaxed);
                    async move { swap(&w, seed).await }
                },
            )
            .await
        }
        other => return Err(format!("unknown workload {other}")),
    })
}

/// One honest phase of abuse mode, with the relay's CPU and memory then.
struct Measured {
    attackers: usize,
    phase: Phase,
    /// Relay CPU seconds (user + system) over the phase.
    cpu: f64,
}

/// Calm is measured before and after the attacks (the database grows
/// through the run): the baseline is their mean rate and pooled latencies.
fn baseline(calm: &[&Measured]) -> Option<(f64, Vec<u64>)> {
    if calm.is_empty() {
        return None;
    }
    let rate = calm.iter().map(|m| m.phase.rate()).sum::<f64>() / calm.len() as f64;
    let lat = calm
        .iter()
        .flat_map(|m| m.phase.op_latency.iter().copied())
        .collect();
    Some((rate, lat))
}

fn abuse_row(backend: Backend, m: &Measured, base: Option<&(f64, Vec<u64>)>) -> String {
    let p = &m.phase;
    let p99 = percentile(&p.op_latency, 99.0);
    let (rate_vs, p99_vs) = match base.filter(|_| m.attackers > 0) {
        Some((rate, lat)) => (
            format!("{:.0} %", 100.0 * p.rate() / rate.max(1e-9)),
            format!("{:.2}x", p99 as f64 / percentile(lat, 99.0).max(1) as f64),
        ),
        None => ("–".into(), "–".into()),
    };
    let label = if m.attackers == 0 {
        "calm".to_string()
    } else {
        m.attackers.to_string()
    };
    format!(
        "| {backend} | {} | {label} | {} | {:.1} | {rate_vs} | {} | {} | {p99_vs} | {:.1} | {} |",
        p.name,
        p.clients,
        p.rate(),
        ms(percentile(&p.op_latency, 50.0)),
        ms(p99),
        m.cpu / p.elapsed.as_secs_f64().max(1e-9),
        p.failures.len()
    )
}

/// Abuse mode: per backend, honest transfers and swaps calm, then beside
/// each number of attackers, then calm again; the relay's CPU and memory,
/// and what the attackers got.
fn run_abuse(args: &Args) -> BenchResult<usize> {
    use abuse::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let bin = args.relay_bin.clone().unwrap_or_else(default_relay_bin);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .thread_name("client")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let clients = args.clients.iter().copied().max().unwrap_or(8);
    println!(
        "loadgen --abuse: {} s per phase, {clients} honest clients, attackers {:?} at {} tokens/s each; relay {}",
        args.duration,
        args.attackers,
        args.attack_rate,
        bin.display()
    );
    let mut rows = Vec::new();
    let mut attacks = Vec::new();
    let mut failed = 0;
    for b in &args.backend {
        let backend = match b.as_str() {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            other => return Err(format!("unknown backend {other}")),
        };
        let result: BenchResult<()> = rt.block_on(async {
            let relay = ChildRelay::start(&bin, backend, &args.pg_admin).await?;
            let pid = relay.pid();
            let rec = Arc::new(Recorder::default());
            let http = Http::new(
                reqwest::Client::builder()
                    .pool_max_idle_per_host(256)
                    .build()
                    .map_err(|e| e.to_string())?,
                &relay.base,
                rec.clone(),
            )?
            .as_client(honest_ip(0));
            let relay_key = RelayClient::new(http.clone())
                .config()
                .await
                .map_err(|e| format!("config: {e}"))?
                .relay_pubkey;
            let honest = Honest {
                clients,
                http: http.clone(),
                rec: rec.clone(),
                relay_key,
                seeds: Arc::new(AtomicU64::new(u64::from_le_bytes(random::<8>()) >> 8)),
                ops: Arc::new(AtomicU64::new(1)),
            };
            let mut measured: Vec<Measured> = Vec::new();
            let honest_round = |attackers: usize| {
                let honest = &honest;
                async move {
                    let mut out = Vec::new();
                    for w in ["transfers", "swaps"] {
                        let cpu0 = cpu_secs(pid).unwrap_or(0.0);
                        let phase = honest_phase(w, args, honest).await?;
                        let cpu = cpu_secs(pid).unwrap_or(0.0) - cpu0;
                        eprintln!(
                            "loadgen: {backend} {w}, {attackers} attackers: {:.1}/s, relay CPU {:.2}, {} failed",
                            phase.rate(),
                            cpu / phase.elapsed.as_secs_f64().max(1e-9),
                            phase.failures.len()
                        );
                        for f in phase.failures.iter().take(3) {
                            eprintln!("loadgen:   failure: {f}");
                        }
                        out.push(Measured { attackers, phase, cpu });
                    }
                    BenchResult::Ok(out)
                }
            };
            let outcome: BenchResult<()> = async {
                let mem = MemorySampler::start(pid);
                measured.extend(honest_round(0).await?);
                let calm_peak = mem.finish().await;
                for &k in &args.attackers {
                    let victim = fresh_keys();
                    let stats = Arc::new(AttackStats::default());
                    let stop = Arc::new(AtomicBool::new(false));
                    let mem = MemorySampler::start(pid);
                    let attack = Attack {
                        attackers: k,
                        rate: args.attack_rate,
                        polls: 32,
                        victim: victim.clone(),
                    };
                    let mut set =
                        start_attack(&relay.base, &attack, stats.clone(), stop.clone()).await?;
                    // The attack in full swing before honest clients are timed.
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    measured.extend(honest_round(k).await?);
                    stop.store(true, Ordering::Relaxed);
                    set.abort_all();
                    while set.join_next().await.is_some() {}
                    let attack_peak = mem.finish().await;
                    let junk = stats.junk_messages.load(Ordering::Relaxed);
                    let found = victim_receives(&relay.base, &victim, &relay_key).await?;
                    let l = |c: &AtomicU64| c.load(Ordering::Relaxed);
                    attacks.push(format!(
                        "| {backend} | {k} | {} | {} | {} | {} | {junk} | {} | {} / {} | {:.0} → {:.0} | {:.1} s |",
                        l(&stats.requests),
                        l(&stats.ok),
                        l(&stats.rate_limited),
                        l(&stats.refused) + l(&stats.failed),
                        l(&stats.junk_joins),
                        l(&stats.polls_held),
                        l(&stats.polls_refused),
                        calm_peak as f64 / 1024.0,
                        attack_peak as f64 / 1024.0,
                        found.as_secs_f64()
                    ));
                }
                measured.extend(honest_round(0).await?);
                Ok(())
            }
            .await;
            relay.stop().await?;
            outcome?;
            for w in ["transfers", "swaps"] {
                let calm: Vec<&Measured> = measured
                    .iter()
                    .filter(|m| m.attackers == 0 && m.phase.name == w)
                    .collect();
                let base = baseline(&calm);
                for m in measured.iter().filter(|m| m.phase.name == w) {
                    failed += m.phase.failures.len();
                    rows.push(abuse_row(backend, m, base.as_ref()));
                }
            }
            Ok(())
        });
        result?;
    }
    println!(
        "\nHonest clients, calm (before and after the attacks) and beside attackers; \"vs calm\" against the mean of the calm runs:\n\n| backend | workload | attackers | honest clients | completed per s | vs calm | p50 ms | p99 ms | p99 vs calm | relay CPU (cores) | failed |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in &rows {
        println!("{r}");
    }
    println!(
        "\nWhat the attackers did and what it cost the relay:\n\n| backend | attackers | requests | 200 | 429 | other refusals | junk messages stored | junk joins | long-polls answered / refused | relay peak RSS MiB, calm → attack | victim finds a real coin behind the junk |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for a in &attacks {
        println!("{a}");
    }
    Ok(failed)
}
