//! HTTP integration tests: the real router on a real database, every test on SQLite and on Postgres.

mod driver;
mod harness;

mod auth;
mod authz;
mod basics;
mod caching;
mod cce_lifecycle;
mod cli;
mod clusters;
mod console;
mod crash;
mod deploy;
mod engine;
mod faults;
mod federation;
mod fleets;
mod jobs_admin;
mod keys;
mod metrics;
mod openapi;
mod rate_limits;
mod replicas;
mod response_schemas;
mod rules;
mod seed_keys;
mod testing;
mod testing_kit;
mod upgrades;
mod wire_input;
