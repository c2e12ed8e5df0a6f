//! Tenants and who acts in them: IAM domains, their projects (one per region), users, access keys and the
//! system roles a user holds. Validation of names lives here; storage in the store crate.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    error::{ucs, Error, Result},
    ids::{DomainId, ProjectId, UserId},
};

/// An IAM domain: one tenant of ucsd.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    pub id: DomainId,
    pub name: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A project: the tenant's scope in one region (its name is the region id, e.g. `cn-north-4`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: ProjectId,
    pub domain_id: DomainId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub domain_id: DomainId,
    pub name: String,
    pub enabled: bool,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

/// A user with the password hash, as loaded for authentication only.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }
}

/// An access key as listed: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessKey {
    pub access_key: String,
    pub user_id: UserId,
    pub domain_id: DomainId,
    pub status: AccessKeyStatus,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

/// A system role, granted to users. The tenant administrator may do everything in its tenant; the
/// `UCS …` roles follow the intent of Huawei IAM's system policies of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// `te_admin`: the tenant's administrator (the user `ucsd admin tenant create` makes).
    TenantAdmin,
    /// `UCS FullAccess`: every UCS and upgrade operation.
    UcsFullAccess,
    /// `UCS ReadOnlyAccess`: every read, no change.
    UcsReadOnlyAccess,
    /// `UCS CIAOperations`: reads plus operations on workloads and policies, not on infrastructure.
    UcsCiaOperations,
    /// `ucsd_platform_admin`: the platform operator (as Keystone's cloud administrator: a role in a
    /// reserved account, [`PLATFORM_TENANT`]), made only by `ucsd admin operator create`. It sees every
    /// tenant's usage and the job engine, and nothing of any tenant's resources.
    PlatformAdmin,
}

/// The reserved account of the platform operators ([`Role::PlatformAdmin`]); no tenant may take it.
pub const PLATFORM_TENANT: &str = "ucsd.platform";

impl Role {
    pub const ALL: [Role; 5] = [
        Role::TenantAdmin,
        Role::UcsFullAccess,
        Role::UcsReadOnlyAccess,
        Role::UcsCiaOperations,
        Role::PlatformAdmin,
    ];

    /// The roles a tenant's users may be given.
    pub const TENANT: [Role; 4] =
        [Role::TenantAdmin, Role::UcsFullAccess, Role::UcsReadOnlyAccess, Role::UcsCiaOperations];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TenantAdmin => "te_admin",
            Self::UcsFullAccess => "UCS FullAccess",
            Self::UcsReadOnlyAccess => "UCS ReadOnlyAccess",
            Self::UcsCiaOperations => "UCS CIAOperations",
            Self::PlatformAdmin => "ucsd_platform_admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::invalid_body(format!("unknown role {s:?}")))
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Validates a tenant (domain) or user name: 1–64 characters, a letter first, then letters, digits, `-`,
/// `_` or `.`.
pub fn validate_account_name(what: &str, name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::new(ucs::INVALID_REQUEST_BODY).with_detail(format!(
            "{what} {name:?} must be 1-64 characters: a letter, then letters, digits, '-', '_' or '.'"
        )))
    }
}

/// Validates a region id used as a project name (`cn-north-4`): lower-case letters, digits and `-`.
pub fn validate_region(region: &str) -> Result<()> {
    let ok = (1..=64).contains(&region.len())
        && region.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_body(format!("region {region:?} must be lower-case letters, digits and '-'")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_follow_the_rules() {
        for good in ["t1", "acme-corp", "A.b_c", &"x".repeat(64)] {
            validate_account_name("tenant", good).unwrap();
        }
        for bad in ["", "1abc", "-x", "a b", "ä", &"x".repeat(65)] {
            assert!(validate_account_name("tenant", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip_through_their_iam_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("UCS Admin".parse::<Role>().is_err());
    }

    #[test]
    fn regions_are_lower_case_ids() {
        validate_region("cn-north-4").unwrap();
        assert!(validate_region("CN North").is_err());
    }
}
