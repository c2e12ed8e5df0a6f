//! The domain of ucsd: identifiers, resources and their validation, the UCS error catalogue, state
//! machines and policy. Pure Rust: no IO, no async, no database.

pub mod addon;
pub mod audit;
pub mod authz;
pub mod cce;
pub mod cce_wire;
pub mod clock;
pub mod cluster;
pub mod error;
pub mod federation;
pub mod fleet;
pub mod identity;
pub mod ids;
pub mod job;
pub mod job_admin;
pub mod nodepool;
pub mod rbac;
pub mod rule;
pub mod testing;
#[cfg(test)]
mod transition_table;
pub mod upgrade;
pub mod wire_rules;

pub use error::{Error, Result};

/// A list the wire sends where a set is meant (cluster ids, DNS suffixes): each element once, in the
/// order of its first appearance.
pub fn collapse<T: Eq + std::hash::Hash + Clone>(items: Vec<T>) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|item| seen.insert(item.clone())).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn collapse_keeps_first_appearances_in_order() {
        assert_eq!(super::collapse(vec!["b", "a", "b", "c", "a"]), vec!["b", "a", "c"]);
    }
}
