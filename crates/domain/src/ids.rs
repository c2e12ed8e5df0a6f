//! Typed identifiers. Each resource has its own id type, so a fleet id can never be passed where a
//! cluster id belongs. IAM ids (domains, projects, users) are 32 lower-case hex digits as Huawei IAM
//! writes them; resource ids are hyphenated UUIDs as UCS writes them. Both parse from either form.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// How an id is written on the wire and in the database.
#[derive(Clone, Copy)]
enum IdForm {
    /// `0123456789abcdef0123456789abcdef`
    Simple,
    /// `01234567-89ab-cdef-0123-456789abcdef`
    Hyphenated,
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $form:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
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
