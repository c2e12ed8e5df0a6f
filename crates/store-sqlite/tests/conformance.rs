//! The store conformance suite on SQLite.

use std::sync::Arc;

async fn open() -> store::Store {
    store_sqlite::testing::open_fresh(Arc::new(domain::clock::SystemClock)).await
}

store::conformance_suite!(open);
