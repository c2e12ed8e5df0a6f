//! `ucsd`: the UCS-compatible control plane. `ucsd serve` runs it; `ucsd migrate` and `ucsd admin`
//! are for operators.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use domain::identity::{AccessKeyStatus, Role};
use serde::Serialize;
use server::{admin, config::Config, db, App};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(name = "ucsd", version, about = "A self-hostable, UCS-compatible control plane")]
struct Cli {
    /// Config file (default: ucsd.toml if present). Env UCS_* overrides it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (env UCS_LISTEN; default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Do not run pending migrations on start.
        #[arg(long)]
        no_migrate: bool,
        /// Do not create a bootstrap tenant on an empty embedded database.
        #[arg(long)]
        no_bootstrap: bool,
        /// A snapshot document (`ucsd admin tenant export`) to seed the bootstrap tenant with when
        /// this start creates it (a fresh embedded database).
        #[arg(long)]
        fixture: Option<PathBuf>,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Operator commands; each prints JSON on stdout.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Tenants (IAM domains).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Users of a tenant.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Access keys (AK/SK) of a tenant's users.
    AccessKey {
        #[command(subcommand)]
        command: AccessKeyCommand,
    },
    /// Platform operators: the console's operator pages (every tenant's usage, the job engine).
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// The job engine's jobs, across tenants: list, show, retry, cancel.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// The key ring that seals secrets at rest and signs tokens (docs/operator.md, "Rotating keys").
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Create a platform operator (in the reserved account ucsd.platform) with a generated password.
    Create {
        #[arg(long)]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// List jobs, newest first (workflows and single jobs; `--steps` adds workflows' steps).
    List {
        /// Only this tenant's (by name).
        #[arg(long)]
        tenant: Option<String>,
        /// Only this kind (e.g. federation.enable, cluster.activate, upgrade.cluster).
        #[arg(long)]
        kind: Option<String>,
        /// pending, running, paused, succeeded, failed, cancelled, or stuck (a running job whose
        /// lease ran out, a runnable job no worker claimed for a minute).
        #[arg(long)]
        state: Option<String>,
        /// Only jobs created longer ago than this (e.g. 30s, 10m, 2h, 1d).
        #[arg(long)]
        older_than: Option<humantime::Duration>,
        #[arg(long)]
        steps: bool,
        #[arg(long, default_value_t = domain::job_admin::JobFilter::DEFAULT_LIMIT)]
        limit: i64,
    },
    /// One job with its steps (reason, attempts, failures, lease owner).
    Show { id: String },
    /// Run a waiting job now, or run a failed or cancelled workflow or job again.
    Retry { id: String },
    /// Cancel a job: its work gives up at its next claim and records why on its resource.
    Cancel { id: String },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// List the keys: active, live (open what they made) and retired, with how many values each seals.
    List,
    /// Add a data key, make it active, and re-seal every sealed value with it (online, in batches).
    Rotate {
        /// Add no key: finish re-sealing with the active key (after an interrupted rotation, or
        /// when `rotate` reported values remaining).
        #[arg(long)]
        resume: bool,
        /// Values re-sealed per transaction.
        #[arg(long, default_value_t = 100)]
        batch_size: i64,
    },
    /// Retire a key (erase it): refused while it is active, while a value is sealed with it, and
    /// until security.token_ttl_secs has passed since the next key became active.
    Retire { key_id: u32 },
    /// Wrap the data keys under a new master key (then restart every replica with it). Refused
    /// while key 0, the current master key itself, is live.
    Rewrap {
        /// A file holding the new master key (base64 of 32 bytes).
        #[arg(long)]
        new_master_key_file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum TenantCommand {
    /// Create a tenant with its default project, an admin user and an access key.
    Create {
        #[arg(long)]
        name: String,
        /// The default project's region (default: the configured region).
        #[arg(long)]
        region: Option<String>,
    },
    /// List tenants.
    List,
    /// Remove everything the tenant made (clusters, fleets, rules, federations, CCE clusters and their
    /// upgrades, jobs); keep the tenant, its projects, users and access keys. Prints what was removed.
    Reset {
        #[arg(long)]
        tenant: String,
        /// Remove the tenant's audit events too (default: keep them).
        #[arg(long)]
        remove_audit: bool,
    },
    /// Print the tenant's state (clusters, fleets, rules, federations, CCE clusters, node pools,
    /// addons, upgrades, jobs) as one JSON snapshot document.
    Export {
        #[arg(long)]
        tenant: String,
        /// Put the sealed secrets (kubeconfigs, CA and proxy keys) into the document in the clear.
        #[arg(long)]
        secrets: bool,
    },
    /// Replace the tenant's state with a snapshot document's (a file, or - for stdin).
    Import {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user with a generated password and an access key.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// A system role: te_admin, "UCS FullAccess", "UCS ReadOnlyAccess", "UCS CIAOperations". Repeatable.
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// List a tenant's users.
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccessKeyCommand {
    /// Issue a new access key for a user (the secret key is shown once).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        user: String,
    },
    /// List a tenant's access keys (never the secrets).
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Stop accepting a key.
    Disable {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        access_key: String,
    },
    /// Accept a disabled key again.
    Enable {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        access_key: String,
    },
    /// Delete a key.
    Delete {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        access_key: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ucsd: {e}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(&config.log);
    if !config.ignored_keys.is_empty() {
        tracing::warn!(keys = ?config.ignored_keys, "ignoring configuration keys that no setting reads");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ucsd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// A JSON document from a file, or from stdin for `-`.
/// A snapshot document from a file (or `-`: stdin), parsed by the API's rules for a request body.
fn read_document(path: &std::path::Path) -> anyhow::Result<api::snapshot::Snapshot> {
    use anyhow::Context;
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    api::extract::parse_json(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{} is not a snapshot document: {}", path.display(), e.message()))
}

fn parse_roles(roles: &[String]) -> anyhow::Result<Vec<Role>> {
    roles.iter().map(|r| r.parse::<Role>().map_err(|e| anyhow::anyhow!(e.message()))).collect()
}

async fn run(command: Command, mut config: Config) -> anyhow::Result<()> {
    server::seed_ids_if_deterministic(&config);
    let store = db::open(&config).await?;
    match command {
        Command::Serve { listen, no_migrate, no_bootstrap, fixture } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if !no_migrate {
                store.migrate().await?;
            }
            let fixture = match fixture {
                Some(path) => Some(read_document(&path)?),
                None => None,
            };
            let app = App::build(&config, store).await?;
            if !no_bootstrap {
                let created = server::bootstrap(&config, &app).await?;
                if let Some(document) = fixture {
                    server::seed_fixture(&app, created.as_deref(), document).await?;
                }
            }
            let shutdown = CancellationToken::new();
            server::cancel_on_signals(shutdown.clone());
            server::serve(&config, &app, shutdown).await
        }
        Command::Migrate => {
            store.migrate().await?;
            tracing::info!("migrations are current");
            Ok(())
        }
        Command::Admin { command } => {
            // Admin commands work on a fresh database too.
            store.migrate().await?;
            let sealer = server::keys::keyring(&store, config.master_key()?).await?;
            run_admin(command, &config, &store, &sealer).await
        }
    }
}

async fn run_admin(
    command: AdminCommand,
    config: &Config,
    store: &store::Store,
    sealer: &secrets::Keyring,
) -> anyhow::Result<()> {
    match command {
        AdminCommand::Tenant { command: TenantCommand::Create { name, region } } => {
            let region = region.unwrap_or_else(|| config.region.clone());
            print_json(&admin::tenant_create(store, sealer, &name, &region).await?)
        }
        AdminCommand::Tenant { command: TenantCommand::List } => print_json(&store.tenant_list().await?),
        AdminCommand::Tenant { command: TenantCommand::Reset { tenant, remove_audit } } => {
            print_json(&admin::tenant_reset(store, &tenant, remove_audit).await?)
        }
        AdminCommand::Tenant { command: TenantCommand::Export { tenant, secrets } } => {
            print_json(&admin::tenant_export(store, sealer, &tenant, secrets).await?)
        }
        AdminCommand::Tenant { command: TenantCommand::Import { tenant, file } } => {
            let document = read_document(&file)?;
            print_json(&admin::tenant_import(store, sealer, &tenant, document).await?)
        }
        AdminCommand::User { command: UserCommand::Create { tenant, name, roles } } => {
            let roles = parse_roles(&roles)?;
            print_json(&admin::user_create(store, sealer, &tenant, &name, &roles).await?)
        }
        AdminCommand::User { command: UserCommand::List { tenant } } => {
            let tenant = admin::tenant_by_name(store, &tenant).await?;
            print_json(&store.user_list(tenant.id).await?)
        }
        AdminCommand::Operator { command: OperatorCommand::Create { name } } => {
            print_json(&admin::operator_create(store, sealer, &name, &config.region).await?)
        }
        AdminCommand::Jobs { command } => match command {
            JobsCommand::List { tenant, kind, state, older_than, steps, limit } => {
                let filter = admin::JobListArgs {
                    tenant,
                    kind,
                    state,
                    older_than: older_than.map(Into::into),
                    steps,
                    limit,
                };
                print_json(&admin::jobs_list(store, filter).await?)
            }
            JobsCommand::Show { id } => {
                print_json(&store.job_admin_show(domain::job_admin::parse_id(&id)?).await?)
            }
            JobsCommand::Retry { id } => print_json(&admin::job_retry(store, &id).await?),
            JobsCommand::Cancel { id } => print_json(&admin::job_cancel(store, &id).await?),
        },
        AdminCommand::Keys { command } => match command {
            KeysCommand::List => print_json(&server::keys::list(store, sealer).await?),
            KeysCommand::Rotate { resume, batch_size } => {
                print_json(&server::keys::rotate(store, sealer, resume, batch_size).await?)
            }
            KeysCommand::Retire { key_id } => {
                let ttl = chrono::Duration::seconds(config.security.token_ttl_secs);
                print_json(&server::keys::retire(store, sealer, key_id, ttl).await?)
            }
            KeysCommand::Rewrap { new_master_key_file } => {
                let text = std::fs::read_to_string(&new_master_key_file)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", new_master_key_file.display()))?;
                let new_master = secrets::MasterKey::from_base64(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", new_master_key_file.display()))?;
                print_json(&server::keys::rewrap(store, sealer, &new_master).await?)
            }
        },
        AdminCommand::AccessKey { command } => match command {
            AccessKeyCommand::Create { tenant, user } => {
                print_json(&admin::access_key_create(store, sealer, &tenant, &user).await?)
            }
            AccessKeyCommand::List { tenant } => {
                let tenant = admin::tenant_by_name(store, &tenant).await?;
                print_json(&store.access_key_list(tenant.id).await?)
            }
            AccessKeyCommand::Disable { tenant, access_key } => {
                admin::access_key_set_status(store, &tenant, &access_key, AccessKeyStatus::Inactive).await?;
                print_json(&serde_json::json!({ "access_key": access_key, "status": "inactive" }))
            }
            AccessKeyCommand::Enable { tenant, access_key } => {
                admin::access_key_set_status(store, &tenant, &access_key, AccessKeyStatus::Active).await?;
                print_json(&serde_json::json!({ "access_key": access_key, "status": "active" }))
            }
            AccessKeyCommand::Delete { tenant, access_key } => {
                admin::access_key_delete(store, &tenant, &access_key).await?;
                print_json(&serde_json::json!({ "access_key": access_key, "deleted": true }))
            }
        },
    }
}
