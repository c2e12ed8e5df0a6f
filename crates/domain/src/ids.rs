//! Typed identifiers. Each resource has its own id type, so a fleet id can never be passed where a
//! cluster id belongs. IAM ids (domains, projects, users) are 32 lower-case hex digits as Huawei IAM
//! writes them; resource ids are hyphenated UUIDs as UCS writes them. Both parse from either form.
//!
//! New ids are random v4 UUIDs from the OS generator, or, once [`seed_ids`] was called (the server's
//! deterministic testing mode), from a generator seeded with a number: the same calls in the same
//! order then get the same ids. Secrets never come from here (they are the `secrets` crate's, always
//! from the OS generator).

use std::{
    fmt,
    str::FromStr,
    sync::{Mutex, OnceLock, PoisonError},
};

use rand_chacha::{
    rand_core::{RngCore, SeedableRng},
    ChaCha20Rng,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A seeded source of ids: the same seed gives the same sequence of (valid v4) UUIDs.
#[derive(Debug, Clone)]
pub struct IdGenerator(ChaCha20Rng);

impl IdGenerator {
    pub fn seeded(seed: u64) -> Self {
        Self(ChaCha20Rng::seed_from_u64(seed))
    }

    pub fn next_uuid(&mut self) -> Uuid {
        let mut bytes = [0u8; 16];
        self.0.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

/// The process's seeded generator, if deterministic ids were asked for.
static SEEDED: OnceLock<Mutex<IdGenerator>> = OnceLock::new();

/// From now on, new ids of this process come from a generator seeded with `seed`. The first seed
/// wins: `false` when ids were seeded already (with this or another seed).
pub fn seed_ids(seed: u64) -> bool {
    let mut fresh = false;
    SEEDED.get_or_init(|| {
        fresh = true;
        Mutex::new(IdGenerator::seeded(seed))
    });
    fresh
}

/// Whether new ids come from a seeded generator.
pub fn ids_are_seeded() -> bool {
    SEEDED.get().is_some()
}

/// A new random UUID (v4): from the seeded generator in deterministic mode, else from the OS.
pub fn new_uuid() -> Uuid {
    match SEEDED.get() {
        Some(generator) => generator.lock().unwrap_or_else(PoisonError::into_inner).next_uuid(),
        None => random_uuid(),
    }
}

/// A new random UUID (v4) from the OS generator, even in deterministic mode: for what is no resource
/// (request ids, token ids, scratch names), so that it never shifts the seeded sequence of resource ids.
#[allow(clippy::disallowed_methods)] // the one place ids come from the OS generator
pub fn random_uuid() -> Uuid {
    Uuid::new_v4()
}

/// A UUID (v4 layout) that is a function of `name`: what a workflow makes from its idempotency key
/// (a simulated node's uid), the same however often it is computed and in whatever order workers run.
pub fn derived_uuid(name: &str) -> Uuid {
    let digest = Sha256::digest(name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// How an id is written on the wire and in the database.
#[derive(Clone, Copy)]
enum IdForm {
    /// `0123456789abcdef0123456789abcdef`
    Simple,
    /// `01234567-89ab-cdef-0123-456789abcdef`
    Hyphenated,
}

/// Either canonical form of an id: the 32 hex digits or the hyphenated UUID.
pub const ID_PATTERN: &str =
    "^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$";

/// A comma-separated list of ids (spaces around each allowed), or empty: a query's `clusterids`.
pub const ID_LIST_PATTERN: &str = "^( *([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}) *(, *([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}) *)*)?$";

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $form:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A new id (see [`new_uuid`]).
            pub fn new() -> Self {
                Self(new_uuid())
            }

            /// The id that `name` derives (see [`derived_uuid`]).
            pub fn derived(name: &str) -> Self {
                Self(derived_uuid(name))
            }

            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match $form {
                    IdForm::Simple => fmt::Display::fmt(&self.0.simple(), f),
                    IdForm::Hyphenated => fmt::Display::fmt(&self.0.hyphenated(), f),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // Only the two canonical forms; uuid's parser would also take braces and urn: prefixes.
                if s.len() != 32 && s.len() != 36 {
                    return Err(InvalidId);
                }
                Uuid::try_parse(s).map(Self).map_err(|_| InvalidId)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        /// A string of either canonical form (what `from_str` takes).
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "pattern": ID_PATTERN })
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(|_| serde::de::Error::custom(format!("invalid id {s:?}")))
            }
        }
    };
}

/// A string that is not an id of the expected form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid id")]
pub struct InvalidId;

typed_id!(
    /// An IAM domain: one tenant.
    DomainId,
    IdForm::Simple
);
typed_id!(
    /// An IAM project (one per region) inside a domain.
    ProjectId,
    IdForm::Simple
);
typed_id!(
    /// An IAM user inside a domain.
    UserId,
    IdForm::Simple
);
typed_id!(
    /// A registered cluster.
    ClusterId,
    IdForm::Hyphenated
);
typed_id!(
    /// A fleet (UCS "cluster group").
    FleetId,
    IdForm::Hyphenated
);
typed_id!(
    /// A permission policy (UCS "rule").
    RuleId,
    IdForm::Hyphenated
);
typed_id!(
    /// A CCE or CCE Autopilot cluster.
    CceClusterId,
    IdForm::Hyphenated
);
typed_id!(
    /// A cluster upgrade workflow (`WorkFlowTask`).
    UpgradeWorkflowId,
    IdForm::Hyphenated
);
typed_id!(
    /// An upgrade task (precheck, snapshot, cluster upgrade, postcheck, node pool upgrade, addon check).
    UpgradeTaskId,
    IdForm::Hyphenated
);
typed_id!(
    /// An Autopilot upgrade plan.
    UpgradePlanId,
    IdForm::Hyphenated
);
typed_id!(
    /// A unit of work of the job engine.
    JobId,
    IdForm::Hyphenated
);
typed_id!(
    /// A fault rule of the testing tools.
    FaultId,
    IdForm::Hyphenated
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_ids_print_as_32_hex_digits_and_resource_ids_hyphenated() {
        let d = DomainId::new();
        assert_eq!(d.to_string().len(), 32);
        assert!(!d.to_string().contains('-'));
        let c = ClusterId::new();
        assert_eq!(c.to_string().len(), 36);
    }

    #[test]
    fn ids_parse_from_either_form_and_round_trip() {
        let c = ClusterId::new();
        let simple = c.as_uuid().simple().to_string();
        assert_eq!(simple.parse::<ClusterId>().unwrap(), c);
        assert_eq!(c.to_string().parse::<ClusterId>().unwrap(), c);
    }

    #[test]
    fn two_generators_with_one_seed_give_one_sequence_of_v4_uuids() {
        let (mut a, mut b) = (IdGenerator::seeded(7), IdGenerator::seeded(7));
        let first: Vec<Uuid> = (0..5).map(|_| a.next_uuid()).collect();
        let second: Vec<Uuid> = (0..5).map(|_| b.next_uuid()).collect();
        assert_eq!(first, second);
        assert!(first.iter().all(|u| u.get_version_num() == 4), "{first:?}");
        assert_eq!(first.iter().collect::<std::collections::HashSet<_>>().len(), 5, "no repeats");
        let other: Vec<Uuid> = (0..5).map(|_| IdGenerator::seeded(8).next_uuid()).collect();
        assert_ne!(first[0], other[0], "another seed, another sequence");
        // A pinned value: a change of the generator would change every seeded id users recorded.
        assert_eq!(IdGenerator::seeded(0).next_uuid().to_string(), PINNED_SEED_0);
    }

    const PINNED_SEED_0: &str = "b2f7f581-d6de-4c06-a822-fd6e7e8265fb";

    #[test]
    fn derived_ids_are_a_function_of_their_name() {
        assert_eq!(JobId::derived("job-1:elb"), JobId::derived("job-1:elb"));
        assert_ne!(JobId::derived("job-1:elb"), JobId::derived("job-2:elb"));
        assert_eq!(derived_uuid("x").get_version_num(), 4);
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "abc",
            "{0123456789abcdef0123456789abcdef}",
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef",
            "g123456789abcdef0123456789abcdef",
        ] {
            assert!(bad.parse::<ClusterId>().is_err(), "{bad}");
        }
    }
}
