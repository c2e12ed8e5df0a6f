//! Several hosts in one database URL, as libpq writes them (`postgres://u@h1:5432,h2:5433/db`): ucsd
//! connects to the one that accepts writes (the primary) and follows a failover, when an HA engine
//! (pg_auto_failover, Patroni, …) promotes a standby, without a restart.
//!
//! sqlx connects a pool to one host and has no multi-host URLs (libpq's `target_session_attrs`), so
//! this is the small part it lacks: find the primary among the hosts, refuse a connection that landed
//! on a standby (a demoted primary comes back as one), and re-target the pool's future connections
//! (`Pool::set_connect_options`) when the primary moved. Connections to a host that went away fail
//! sqlx's ping before use and are dropped.

use std::{
    str::FromStr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use domain::{Error, Result};
use sqlx::{any::AnyConnectOptions, AnyPool, ConnectOptions, Connection};

/// How long one host may take to answer a probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often the pool's host is checked.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// The hosts of a database URL, and which one is the primary as last seen.
#[derive(Debug)]
pub struct Hosts {
    /// One single-host URL per host, in the order given.
    urls: Vec<String>,
    current: AtomicUsize,
}

impl Hosts {
    /// Splits `url` into one URL per host. `target_session_attrs` may be `read-write` or `primary`
    /// (what ucsd always needs) or absent.
    pub fn parse(url: &str) -> Result<Self> {
        let bad = |why: &str| Error::database(format!("database.url: {why}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let (authority, tail) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let (userinfo, hosts) = authority.rfind('@').map_or(("", authority), |i| authority.split_at(i + 1));
        let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
        let mut params = Vec::new();
        for param in query.split('&').filter(|p| !p.is_empty()) {
            match param.split_once('=') {
                Some(("target_session_attrs", "read-write" | "primary")) => {}
                Some(("target_session_attrs", other)) => {
                    return Err(bad(&format!(
                        "target_session_attrs={other}: ucsd writes, it needs the primary"
                    )))
                }
                _ => params.push(param),
            }
        }
        let query = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
        if hosts.split(',').any(str::is_empty) {
            return Err(bad("an empty host"));
        }
        let urls = hosts.split(',').map(|host| format!("{scheme}://{userinfo}{host}{path}{query}")).collect();
        Ok(Self { urls, current: AtomicUsize::new(0) })
    }

    /// Whether the URL names several hosts: only then is there a primary to find and follow.
    pub fn several(&self) -> bool {
        self.urls.len() > 1
    }

    /// The URL of the primary as last seen.
    pub fn current(&self) -> &str {
        &self.urls[self.current.load(Ordering::Relaxed)]
    }

    /// The pool's options for the primary as last seen.
    pub fn options(&self) -> Result<AnyConnectOptions> {
        AnyConnectOptions::from_str(self.current()).map_err(|e| Error::database(format!("database.url: {e}")))
    }

    /// Asks each host in turn whether it is the primary; the first that is becomes current. `false`
    /// when none answers as one (a failover in progress).
    pub async fn find_primary(&self) -> bool {
        for (i, url) in self.urls.iter().enumerate() {
            if is_primary(url).await {
                let before = self.current.swap(i, Ordering::Relaxed);
                if before != i {
                    tracing::warn!(host = host_of(url), "the database's primary moved; following it");
                }
                return true;
            }
        }
        false
    }
}

/// The host part of a URL, for logs (never the password).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    authority.rsplit('@').next().unwrap_or(authority)
}

async fn is_primary(url: &str) -> bool {
    let probe = async {
        let options = sqlx::postgres::PgConnectOptions::from_str(url).ok()?;
        let mut conn = options.connect().await.ok()?;
        let in_recovery: bool =
            sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&mut conn).await.ok()?;
        let _ = conn.close().await;
        Some(!in_recovery)
    };
    matches!(tokio::time::timeout(PROBE_TIMEOUT, probe).await, Ok(Some(true)))
}

/// Whether a pool connection serves writes: a connection that landed on a standby is refused.
pub async fn accepts_writes(conn: &mut sqlx::AnyConnection) -> std::result::Result<(), sqlx::Error> {
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&mut *conn).await?;
    if in_recovery {
        return Err(sqlx::Error::Protocol("connected to a standby; ucsd needs the primary".into()));
    }
    Ok(())
}

/// Follows the primary until the pool closes: every [`CHECK_EVERY`], when the pool's host does not
/// answer as the primary, finds the one that does and points the pool's new connections at it.
pub fn follow(hosts: Arc<Hosts>, pool: AnyPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !pool.is_closed() {
            tokio::time::sleep(CHECK_EVERY).await;
            let check = sqlx::query_scalar::<_, bool>("SELECT pg_is_in_recovery()").fetch_one(&pool);
            if matches!(tokio::time::timeout(PROBE_TIMEOUT, check).await, Ok(Ok(false))) {
                continue;
            }
            let before = hosts.current().to_string();
            if hosts.find_primary().await && hosts.current() != before {
                match hosts.options() {
                    Ok(options) => pool.set_connect_options(options),
                    Err(e) => tracing::warn!(error = %e, "cannot follow the primary"),
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_host_url_becomes_one_url_per_host_without_the_session_attribute() {
        let hosts =
            Hosts::parse("postgres://u:p@127.0.0.1:6001,127.0.0.1:6002/ucsd?target_session_attrs=read-write&sslmode=disable")
                .unwrap();
        assert_eq!(
            hosts.urls,
            [
                "postgres://u:p@127.0.0.1:6001/ucsd?sslmode=disable",
                "postgres://u:p@127.0.0.1:6002/ucsd?sslmode=disable"
            ]
        );
        assert_eq!(host_of(hosts.current()), "127.0.0.1:6001");
        assert!(hosts.several());
        let one = Hosts::parse("postgres://postgres@127.0.0.1:5432/ucsd_test").unwrap();
        assert_eq!(one.urls, ["postgres://postgres@127.0.0.1:5432/ucsd_test"]);
        assert!(!one.several());
        assert!(Hosts::parse("postgres://h1,h2/db?target_session_attrs=standby").is_err());
        assert!(Hosts::parse("postgres://h1,,h2/db").is_err());
    }
}
