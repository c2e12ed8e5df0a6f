//! Opening the store the configuration names: SQLite or Postgres, picked by the URL at run time.

use std::sync::Arc;

use domain::clock::{Clock, SystemClock};
use store::Store;

use crate::config::Config;

pub async fn open(config: &Config) -> domain::Result<Store> {
    open_with_clock(config, Arc::new(SystemClock)).await
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
