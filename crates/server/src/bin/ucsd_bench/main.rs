//! `ucsd-bench`: the performance figures of docs/performance.md, measured on this machine.
//!
//! ```sh
//! cargo build --release -p server      # ucsd and ucsd-bench; the bench runs the ucsd next to it
//! target/release/ucsd-bench all --markdown docs/performance-run.md
//! target/release/ucsd-bench engine --backend postgres
//! target/release/ucsd-bench peer                       # the same beside graphile-worker (needs Node.js)
//! target/release/ucsd-bench federation --members 10,100,400
//! target/release/ucsd-bench http --clients 16
//! target/release/ucsd-bench startup
//! target/release/ucsd-bench load --clients 64 --secs 60
//! ```
//!
//! `--quick` shortens every run (to check that the bench works; its figures mean little). All traffic
//! goes to 127.0.0.1: `ucsd serve` processes on loopback ports, Postgres at `--database-url`.

mod ceiling;
mod client;
mod engine;
mod federation;
mod http;
mod load;
mod peer;
mod process;
mod report;

use std::{path::PathBuf, time::Duration};

use clap::{Parser, Subcommand};
use report::{Report, Row};

#[derive(Debug, Parser)]
#[command(name = "ucsd-bench")]
struct Cli {
    /// Postgres to create the benchmark's schemas (and the pgbench database) in.
    #[arg(long, global = true, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_url: String,
    /// The ucsd binary to run (default: the one next to ucsd-bench).
    #[arg(long, global = true)]
    ucsd: Option<PathBuf>,
    /// Short runs, to check the bench works.
    #[arg(long, global = true)]
    quick: bool,
    /// Also write the figures as a Markdown table to this file.
    #[arg(long, global = true)]
    markdown: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every measurement below, one after another.
    All {
        /// Concurrent clients of the API read/write runs (and of pgbench).
        #[arg(long, default_value_t = 16)]
        clients: usize,
    },
    /// The job engine's no-op jobs/s and pickup latency, in-process.
    Engine(engine::EngineArgs),
    /// The engine on Postgres, then graphile-worker (Node.js) measured the same way on the same
    /// Postgres: side by side, with ratios.
    Peer(peer::PeerArgs),
    /// Federation of fleets of N clusters with instant simulated steps: enable → Success, end to end.
    Federation(federation::FederationArgs),
    /// Signed GET /v1/clusters and POST+DELETE /v1/clusters against `ucsd serve` on Postgres, versus
    /// pgbench -S and -N with as many clients.
    Http {
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Seconds per measurement (after a warm-up).
        #[arg(long, default_value_t = 15)]
        secs: u64,
        /// The read to measure (for profiling; the figure of record is GET /v1/clusters).
        #[arg(long, default_value = "/v1/clusters")]
        read_path: String,
    },
    /// Cold start of `ucsd serve` on a fresh SQLite data dir to the first /readyz 200, and idle RSS.
    Startup {
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// (Used by `http`.) Answers every request with FILE, from memory: the HTTP ceiling.
    #[command(hide = true)]
    StaticBody { body: PathBuf },
    /// Mixed reads and writes by many clients; counts errors and checks for lost writes.
    Load {
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 60)]
        secs: u64,
    },
}

/// Clusters registered in the tenant before the API runs.
const SEEDED_CLUSTERS: usize = 50;

/// A new, empty schema in the Postgres at `database_url`; the URL that uses it.
pub async fn fresh_pg_schema(database_url: &str) -> String {
    std::env::set_var("UCS_TEST_DATABASE_URL", database_url);
    store_pg::testing::fresh_schema_url().await
}

fn load_avg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// `load`, shortened by `--quick`.
fn workload(cli: &Cli, load: &engine::Workload) -> engine::Workload {
    if cli.quick {
        load.clone().quick()
    } else {
        load.clone()
    }
}

async fn engine_rows(
    cli: &Cli,
    report: &mut Report,
    args: &engine::EngineArgs,
) -> anyhow::Result<engine::EngineFigures> {
    let args = engine::EngineArgs { backend: args.backend.clone(), workload: workload(cli, &args.workload) };
    let backend = args.backend.as_str();
    let f = engine::run(&args, &cli.database_url).await?;
    let jobs = Row::new(
        format!("no-op jobs/s, {backend}, {} workers, {} jobs", f.workers, f.jobs),
        format!("{:.0}", f.jobs_per_sec),
    );
    report.push(if backend == "postgres" { jobs.target(">= 1000", f.jobs_per_sec >= 1000.0) } else { jobs });
    report.push(
        Row::new(format!("pickup p50 (commit -> done), {backend}"), format!("{:.2} ms", f.done_p50))
            .target("<= 10 ms", f.done_p50 <= 10.0),
    );
    report.push(
        Row::new(format!("pickup p99 (commit -> done), {backend}"), format!("{:.2} ms", f.done_p99))
            .target("<= 50 ms", f.done_p99 <= 50.0),
    );
    report.push(Row::new(
        format!("pickup p50 / p99 (enqueue -> claim, job rows), {backend}"),
        format!("{:.0} / {:.0} ms", f.claim_p50, f.claim_p99),
    ));
    Ok(f)
}

/// graphile-worker measured with the same `load` as `ucsd` was (the engine's figures on Postgres from
/// this run), side by side. Skipped, with a note, when Node.js is missing.
async fn peer_rows(
    cli: &Cli,
    report: &mut Report,
    dir: &std::path::Path,
    load: &engine::Workload,
    ucsd: &engine::EngineFigures,
) -> anyhow::Result<()> {
    if let Some(missing) = peer::missing_tools().await {
        println!("peer: skipped: {missing}");
        report.notes.push(format!("graphile-worker beside the job engine: skipped, {missing}."));
        return Ok(());
    }
    let peer = peer::run(dir, &workload(cli, load), &cli.database_url).await?;
    let (p, name) = (&peer.figures, format!("{} {}", peer.peer, peer.version));
    report.push(
        Row::new(
            format!(
                "no-op jobs/s, postgres, ucsd {} workers / {name} concurrency {}",
                ucsd.workers, p.workers
            ),
            format!("{:.0}", ucsd.jobs_per_sec),
        )
        .reference(format!("{name}: {:.0} ({} jobs)", p.jobs_per_sec, p.jobs))
        .ratio(ucsd.jobs_per_sec / p.jobs_per_sec),
    );
    for (label, ours, theirs) in [("p50", ucsd.done_p50, p.done_p50), ("p99", ucsd.done_p99, p.done_p99)] {
        report.push(
            Row::new(format!("pickup {label} (commit -> done), postgres"), format!("{ours:.2} ms"))
                .reference(format!("{name}: {theirs:.2} ms"))
                .ratio(ours / theirs),
        );
    }
    report.push(
        Row::new(
            "pickup p50 / p99 (enqueue -> claim, job rows), postgres",
            format!("{:.0} / {:.0} ms", ucsd.claim_p50, ucsd.claim_p99),
        )
        .reference(format!("{name}: {:.0} / {:.0} ms", p.claim_p50, p.claim_p99)),
    );
    report.notes.push(format!(
        "ratio = ucsd / {name} on the same Postgres, {} on Node {}: above 1 ucsd does more jobs/s; for \
         the latencies below 1 ucsd picks up faster (e.g. 2.00 = ucsd takes twice as long).",
        peer.peer, peer.node
    ));
    Ok(())
}

async fn federation_rows(
    cli: &Cli,
    report: &mut Report,
    args: &federation::FederationArgs,
) -> anyhow::Result<()> {
    let ucsd = process::ucsd_path(&cli.ucsd)?;
    let mut args = args.clone();
    if cli.quick {
        args.members = "10".to_string();
    }
    for f in federation::run(&ucsd, &cli.database_url, &args).await? {
        let row = Row::new(
            format!(
                "federation enable -> Success, {} members ({} steps), {}, {} workers",
                f.members, f.steps, f.backend, f.workers
            ),
            format!("{:.2} s ({:.1} ms/member)", f.secs, f.secs * 1000.0 / f.members as f64),
        );
        report.push(if f.backend == "postgres" && f.members == 400 {
            row.target("<= 5 s", f.secs <= 5.0)
        } else {
            row
        });
    }
    Ok(())
}

async fn http_rows(
    cli: &Cli,
    report: &mut Report,
    clients: usize,
    secs: u64,
    read_path: &str,
) -> anyhow::Result<()> {
    let ucsd = process::ucsd_path(&cli.ucsd)?;
    let (warmup, secs, scale) =
        if cli.quick { (Duration::from_millis(500), 3, 1) } else { (Duration::from_secs(3), secs, 10) };
    let d = http::deploy(&ucsd, &cli.database_url, SEEDED_CLUSTERS).await?;
    println!(
        "http: ucsd serve at {} (pid {}), Postgres, {clients} clients, {secs} s each",
        d.serve.host, d.serve.pid
    );
    let cpu = || (d.serve.cpu_secs(), process::cpu_secs(std::process::id()));
    // Warm-up included on both sides of the division: CPU per request, roughly.
    let per = |cpu: f64, t: &http::Throughput| {
        cpu * 1000.0 / (t.requests as f64 * (t.secs + warmup.as_secs_f64()) / t.secs)
    };
    let print_run = |label: &str, t: &http::Throughput, server: f64, bench: f64| {
        println!(
            "  {label}: {} requests in {:.1} s = {:.0}/s, {} errors {:?}",
            t.requests,
            t.secs,
            t.per_sec(),
            t.errors,
            t.first_errors
        );
        println!(
            "    CPU per request: ucsd {:.2} ms, the bench's client {:.2} ms",
            per(server, t),
            per(bench, t)
        );
    };
    let run = |op| http::measure(clients, warmup, Duration::from_secs(secs), op);
    let (server0, bench0) = cpu();
    let reads = run(http::reads(&d.client, read_path)).await;
    let (server1, bench1) = cpu();
    let label = format!("GET {read_path} ({SEEDED_CLUSTERS} clusters), cached");
    print_run(&label, &reads, server1 - server0, bench1 - bench0);
    let body = d.client.get(read_path).await;
    anyhow::ensure!(body.status == 200, "GET {read_path}: {}", body.status);
    let etag = body.etag.clone().ok_or_else(|| anyhow::anyhow!("GET {read_path} has no ETag"))?;
    let not_modified = run(http::not_modified(&d.client, read_path, &etag)).await;
    let (server2, bench2) = cpu();
    print_run(
        &format!("GET {read_path} If-None-Match (304)"),
        &not_modified,
        server2 - server1,
        bench2 - bench1,
    );
    let first = body.json()["items"][0]["metadata"]["uid"].as_str().unwrap_or_default().to_string();
    let show_path = format!("/v1/clusters/{first}");
    let show = run(http::reads(&d.client, &show_path)).await;
    let (server3, bench3) = cpu();
    print_run("GET /v1/clusters/{id}, cached", &show, server3 - server2, bench3 - bench2);
    // Cold: a replica on the same database that caches neither responses nor credentials (every
    // request verifies the key from the database and computes the list).
    let (cold_serve, cold_client) = d
        .replica(&[
            ("UCS_HTTP__RESPONSE_CACHE_BYTES", "0".to_string()),
            ("UCS_HTTP__CREDENTIAL_CACHE_TTL_MILLIS", "0".to_string()),
        ])
        .await?;
    let cold_cpu = || (cold_serve.cpu_secs(), process::cpu_secs(std::process::id()));
    let (cold0, cold_bench0) = cold_cpu();
    let cold = run(http::reads(&cold_client, read_path)).await;
    let (cold1, cold_bench1) = cold_cpu();
    print_run(&format!("GET {read_path}, cold (no caches)"), &cold, cold1 - cold0, cold_bench1 - cold_bench0);
    cold_serve.stop().await;
    // The ceilings (crate::ceiling), before the writes leave dead rows behind: the same list answered
    // from memory, and its statements alone.
    let body_file = std::env::temp_dir().join(format!("ucsd-bench-body-{}.json", std::process::id()));
    std::fs::write(&body_file, &body.body)?;
    let stat = process::Serve::start_static(&body_file)?;
    stat.wait_ready(Duration::from_secs(10)).await?;
    let static_client = client::Client::new(&stat.host, d.signer.clone());
    let http_ceiling = run(http::reads(&static_client, read_path)).await;
    stat.stop().await;
    let _ = std::fs::remove_file(&body_file);
    println!(
        "  HTTP ceiling: the same {} KB body from memory, same client: {:.0}/s",
        body.body.len() / 1024,
        http_ceiling.per_sec()
    );
    let script_file = std::env::temp_dir().join(format!("ucsd-bench-list-{}.sql", std::process::id()));
    std::fs::write(&script_file, ceiling::list_script(&d.signer.access_key, d.signer.domain_id.parse()?)?)?;
    let db_ceiling =
        http::pgbench(&d.url, &["-n", "-f", &script_file.to_string_lossy()], clients, secs).await;
    std::fs::write(&script_file, ceiling::cached_script(d.signer.domain_id.parse()?))?;
    let generation_ceiling =
        http::pgbench(&d.url, &["-n", "-f", &script_file.to_string_lossy()], clients, secs).await;
    let _ = std::fs::remove_file(&script_file);
    let (db_ceiling, generation_ceiling) = (db_ceiling?, generation_ceiling?);
    println!("  Postgres ceiling: the cold list's statements, pgbench -f: {db_ceiling:.0} tps");
    println!("  Postgres ceiling: the cached list's one statement, pgbench -f: {generation_ceiling:.0} tps");
    let write_run = |tenants: Vec<client::Client>| {
        http::measure(clients, warmup, Duration::from_secs(secs), http::writes(tenants))
    };
    // Made before the CPU is read: their argon2 hashes are not the clients' work.
    let spread_tenants = d.tenant_clients(clients).await?;
    let (server1, bench1) = cpu();
    let writes = write_run(vec![d.client.clone()]).await;
    let (server2, bench2) = cpu();
    print_run("POST + DELETE /v1/clusters, one tenant", &writes, server2 - server1, bench2 - bench1);
    // The same writes spread over one tenant per client: the tenant lock (quota checks) no longer
    // puts them in one line.
    let spread = write_run(spread_tenants).await;
    let (server3, bench3) = cpu();
    print_run("POST + DELETE /v1/clusters, a tenant per client", &spread, server3 - server2, bench3 - bench2);
    let mixed = run(http::mix(&d.client, read_path, clients)).await;
    let (server4, bench4) = cpu();
    print_run(
        "90 % GET /v1/clusters, 10 % POST or DELETE, one tenant",
        &mixed,
        server4 - server3,
        bench4 - bench3,
    );

    let rss = d.serve.rss_mb().unwrap_or_default();
    d.serve.stop().await;
    d.store.close().await;

    let url = http::pgbench_init(&cli.database_url, scale).await?;
    let select = http::pgbench(&url, &["-S"], clients, secs).await?;
    let simple = http::pgbench(&url, &["-N"], clients, secs).await?;
    println!("  pgbench (scale {scale}, -M prepared, -c {clients}): -S {select:.0} tps, -N {simple:.0} tps");

    let rr = reads.per_sec() / select;
    report.push(
        Row::new(
            format!(
                "GET /v1/clusters req/s, cached ({SEEDED_CLUSTERS} clusters, {clients} clients, {} errors)",
                reads.errors
            ),
            format!("{:.0}", reads.per_sec()),
        )
        .reference(format!("pgbench -S {select:.0} tps"))
        .ratio(rr)
        .target(">= 0.5", rr >= 0.5),
    );
    report.push(
        Row::new(
            format!("GET /v1/clusters req/s, cold: no caches ({} errors)", cold.errors),
            format!("{:.0}", cold.per_sec()),
        )
        .reference(format!("pgbench -S {select:.0} tps"))
        .ratio(cold.per_sec() / select),
    );
    let nr = not_modified.per_sec() / http_ceiling.per_sec();
    report.push(
        Row::new(
            format!("GET /v1/clusters If-None-Match -> 304 req/s ({} errors)", not_modified.errors),
            format!("{:.0}", not_modified.per_sec()),
        )
        .reference(format!("HTTP ceiling {:.0} req/s", http_ceiling.per_sec()))
        .ratio(nr)
        .target(">= 0.7", nr >= 0.7),
    );
    report.push(
        Row::new(
            format!("GET /v1/clusters/{{id}} req/s, cached ({} errors)", show.errors),
            format!("{:.0}", show.per_sec()),
        )
        .reference(format!("pgbench -S {select:.0} tps"))
        .ratio(show.per_sec() / select),
    );
    report.push(
        Row::new(
            format!(
                "  same list from memory, no auth or database (HTTP ceiling), {} errors",
                http_ceiling.errors
            ),
            format!("{:.0}", http_ceiling.per_sec()),
        )
        .reference(format!("ucsd cached {:.0} req/s", reads.per_sec()))
        .ratio(reads.per_sec() / http_ceiling.per_sec()),
    );
    report.push(
        Row::new(
            "  the cold list's statements alone, pgbench -f (Postgres ceiling, cold)",
            format!("{db_ceiling:.0} tps"),
        )
        .reference(format!("ucsd cold {:.0} req/s", cold.per_sec()))
        .ratio(cold.per_sec() / db_ceiling),
    );
    report.push(
        Row::new(
            "  the cached list's one statement (the generation), pgbench -f (Postgres ceiling, cached)",
            format!("{generation_ceiling:.0} tps"),
        )
        .reference(format!("ucsd cached {:.0} req/s", reads.per_sec()))
        .ratio(reads.per_sec() / generation_ceiling),
    );
    let mr = mixed.per_sec() / select;
    report.push(
        Row::new(
            format!("90/10 read/write mix req/s ({clients} clients, one tenant, {} errors)", mixed.errors),
            format!("{:.0}", mixed.per_sec()),
        )
        .reference(format!("pgbench -S {select:.0} tps"))
        .ratio(mr)
        .target(">= 0.4", mr >= 0.4),
    );
    for (label, t, target) in [("one tenant", &writes, 0.25), ("a tenant per client", &spread, 0.5)] {
        let ratio = t.per_sec() / simple;
        report.push(
            Row::new(
                format!("POST + DELETE /v1/clusters req/s ({clients} clients, {label}, {} errors)", t.errors),
                format!("{:.0}", t.per_sec()),
            )
            .reference(format!("pgbench -N {simple:.0} tps"))
            .ratio(ratio)
            .target(format!(">= {target}"), ratio >= target),
        );
    }
    report.push(Row::new("RSS of ucsd serve after the read/write runs", format!("{rss:.1} MB")));
    Ok(())
}

async fn startup_rows(cli: &Cli, report: &mut Report, runs: usize) -> anyhow::Result<()> {
    let ucsd = process::ucsd_path(&cli.ucsd)?;
    let runs = if cli.quick { 2 } else { runs.max(1) };
    let (mut starts, mut rss) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let dir =
            std::env::temp_dir().join(format!("ucsd-bench-start-{}", domain::ids::random_uuid().simple()));
        let started = std::time::Instant::now();
        let serve = process::Serve::start(
            &ucsd,
            &[
                ("UCS_DATABASE__URL", format!("sqlite://{}/ucsd.db?mode=rwc", dir.display())),
                ("UCS_SECURITY__KEY_FILE", format!("{}/ucsd.key", dir.display())),
            ],
        )?;
        serve.wait_ready(Duration::from_secs(30)).await?;
        starts.push(started.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_secs(2)).await;
        rss.push(serve.rss_mb()?);
        serve.stop().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    starts.sort_by(f64::total_cmp);
    rss.sort_by(f64::total_cmp);
    let (start, idle) = (report::percentile(&starts, 0.5), report::percentile(&rss, 0.5));
    println!("startup: cold start to /readyz 200 (ms, {runs} runs): {starts:.1?}; idle RSS (MB): {rss:.1?}");
    report.push(
        Row::new(
            format!(
                "cold start to first /readyz 200, fresh SQLite dir (median of {runs}, max {:.1})",
                starts[runs - 1]
            ),
            format!("{start:.1} ms"),
        )
        .target("< 100 ms", start < 100.0),
    );
    report.push(
        Row::new("idle RSS 2 s after start (VmRSS, median)", format!("{idle:.1} MB"))
            .target("< 30 MB", idle < 30.0),
    );
    Ok(())
}

async fn load_rows(cli: &Cli, report: &mut Report, clients: usize, secs: u64) -> anyhow::Result<()> {
    let ucsd = process::ucsd_path(&cli.ucsd)?;
    let secs = if cli.quick { 5 } else { secs.min(600) };
    let d = http::deploy(&ucsd, &cli.database_url, SEEDED_CLUSTERS).await?;
    let f = load::run(&d.client, SEEDED_CLUSTERS, clients, Duration::from_secs(secs)).await?;
    let rss = d.serve.rss_mb().unwrap_or_default();
    d.serve.stop().await;
    d.store.close().await;
    report.push(
        Row::new(
            format!(
                "load: {clients} clients, {:.0} s, mixed; {} requests ({:.0}/s, p50 {:.1} ms, p99 {:.1} ms)",
                f.secs,
                f.requests,
                f.requests as f64 / f.secs,
                f.p50_ms,
                f.p99_ms
            ),
            format!("{} errors", f.errors),
        )
        .target("0 errors", f.errors == 0),
    );
    let lost = f.lost_creates + f.lost_deletes;
    report.push(
        Row::new(
            format!("load: lost writes ({} 2xx creates, {} 2xx deletes checked)", f.created, f.deleted),
            format!("{lost} lost, total {}", if f.total_ok { "matches" } else { "MISMATCH" }),
        )
        .target("0 lost", lost == 0 && f.total_ok),
    );
    report.push(Row::new("RSS of ucsd serve after the load test", format!("{rss:.1} MB")));
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut report = Report::default();
    let before = load_avg();
    match &cli.command {
        Command::All { clients } => {
            startup_rows(&cli, &mut report, 5).await?;
            for backend in ["postgres", "sqlite"] {
                let args = engine::EngineArgs {
                    backend: backend.to_string(),
                    workload: engine::Workload::standard(),
                };
                let ucsd = engine_rows(&cli, &mut report, &args).await?;
                if backend == "postgres" {
                    peer_rows(&cli, &mut report, &peer::default_dir(), &args.workload, &ucsd).await?;
                }
            }
            let federation = federation::FederationArgs {
                backend: "postgres,sqlite".to_string(),
                members: "10,100,400".to_string(),
                workers: 4,
            };
            federation_rows(&cli, &mut report, &federation).await?;
            http_rows(&cli, &mut report, *clients, 15, "/v1/clusters").await?;
            load_rows(&cli, &mut report, 64, 60).await?;
        }
        Command::Engine(args) => {
            engine_rows(&cli, &mut report, args).await?;
        }
        Command::Peer(args) => {
            // Before the engine's run, which would be for nothing.
            if let Some(missing) = peer::missing_tools().await {
                anyhow::bail!("peer: {missing}");
            }
            let engine = engine::EngineArgs {
                backend: "postgres".to_string(),
                workload: workload(&cli, &args.workload),
            };
            let ucsd = engine::run(&engine, &cli.database_url).await?;
            peer_rows(&cli, &mut report, &args.dir, &args.workload, &ucsd).await?;
        }
        Command::Federation(args) => federation_rows(&cli, &mut report, args).await?,
        Command::Http { clients, secs, read_path } => {
            http_rows(&cli, &mut report, *clients, *secs, read_path).await?
        }
        Command::Startup { runs } => startup_rows(&cli, &mut report, *runs).await?,
        Command::Load { clients, secs } => load_rows(&cli, &mut report, *clients, *secs).await?,
        Command::StaticBody { body } => return ceiling::serve_static(body.clone()).await,
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    report.notes.push(format!(
        "{cores} cores; load average before the run: {before}, after: {}{}",
        load_avg(),
        if cli.quick { "; --quick (short runs: the figures are only a check)" } else { "" }
    ));
    println!("\n{}", report.markdown());
    if let Some(path) = &cli.markdown {
        std::fs::write(path, report.markdown())?;
        println!("written to {}", path.display());
    }
    Ok(())
}
