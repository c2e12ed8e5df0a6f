//! Opening the store the configuration names: SQLite or Postgres, picked by the URL at run time.

use std::sync::Arc;

use domain::clock::{Clock, ShiftedClock, SystemClock};
use store::Store;

use crate::config::Config;

/// The store on the wall clock; with the testing tools on, on a wall clock they can move ahead
/// (`POST /ucsd/testing/clock`).
pub async fn open(config: &Config) -> domain::Result<Store> {
    let clock: Arc<dyn Clock> =
        if config.testing.enabled { Arc::new(ShiftedClock::default()) } else { Arc::new(SystemClock) };
    open_with_clock(config, clock).await
}

pub async fn open_with_clock(config: &Config, clock: Arc<dyn Clock>) -> domain::Result<Store> {
    let url = &config.database.url;
    let max = config.database.max_connections;
    if config.is_sqlite() {
        store_sqlite::open(url, max, clock).await
    } else {
        store_pg::open(url, max, clock).await
    }
}
