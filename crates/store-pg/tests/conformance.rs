//! The store conformance suite on Postgres.

use std::sync::Arc;

async fn open() -> store::Store {
    store_pg::testing::open_fresh(Arc::new(domain::clock::SystemClock)).await
}

store::conformance_suite!(open);
