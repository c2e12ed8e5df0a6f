//! SQLite backend of the store, the embedded default: a file database in WAL mode with a busy timeout,
//! foreign keys on and full fsync, so `cargo run` needs no setup and a crash loses no commit.

use std::{path::Path, sync::Arc};

use domain::{clock::Clock, Error, Result};
use sqlx::{migrate::Migrator, Executor};
use store::{Dialect, Store};

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// The database file a `sqlite:` URL names, if it names one (not `:memory:`).
pub fn database_path(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| Path::new(path))
}

/// Opens (creating the file and its directory if needed) the database at `url`.
pub async fn open(url: &str, max_connections: u32, clock: Arc<dyn Clock>) -> Result<Store> {
    if let Some(dir) = database_path(url).and_then(Path::parent).filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::database(format!("cannot create database directory {}: {e}", dir.display()))
        })?;
    }
    let pool = Store::pool_options(max_connections)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;
                     PRAGMA synchronous = FULL;",
                )
                .await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|e| Error::database(format!("cannot open {url}: {e}")))?;
    Ok(Store::new(pool, Dialect::Sqlite, &MIGRATOR, clock))
}

/// Test support: a fresh, migrated database in a temporary file.
pub mod testing {
    use super::*;

    pub async fn open_fresh(clock: Arc<dyn Clock>) -> Store {
        let path = std::env::temp_dir().join(format!("ucsd-test-{}.db", domain::ids::random_uuid().simple()));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let store = open(&url, 8, clock).await.expect("open test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_path_reads_file_urls_and_skips_memory() {
        assert_eq!(database_path("sqlite://./data/ucsd.db?mode=rwc"), Some(Path::new("./data/ucsd.db")));
        assert_eq!(database_path("sqlite:/tmp/x.db"), Some(Path::new("/tmp/x.db")));
        assert_eq!(database_path("sqlite::memory:"), None);
        assert_eq!(database_path("postgres://x"), None);
    }
}
