//! The domain of ucsd: identifiers, resources and their validation, the UCS error catalogue, state
//! machines and policy. Pure Rust: no IO, no async, no database.

pub mod addon;
pub mod audit;
pub mod authz;
pub mod cce;
pub mod clock;
pub mod cluster;
pub mod error;
pub mod federation;
pub mod fleet;
pub mod identity;
pub mod ids;
pub mod job;
pub mod nodepool;
pub mod rbac;
pub mod rule;
pub mod testing;
#[cfg(test)]
mod transition_table;
pub mod upgrade;

pub use error::{Error, Result};
