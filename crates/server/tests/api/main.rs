//! HTTP integration tests: the real router on a real database, every test on SQLite and on Postgres.

mod harness;

mod auth;
mod authz;
mod basics;
mod clusters;
mod federation;
mod fleets;
mod replicas;
mod rules;
