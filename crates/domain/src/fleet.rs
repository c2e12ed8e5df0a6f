//! Fleets (UCS "cluster groups"): named sets of a tenant's clusters, the unit that federation and
//! permission policies apply to. A cluster is in at most one fleet.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    error::{Error, Result},
    ids::{DomainId, FleetId},
};

/// Where a fleet's federation is. The federation workflow moves it; membership changes of a fleet
/// that is not `None` are carried out on the federation by jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FederationState {
    None,
    Enabling,
    Enabled,
    Disabling,
    Failed,
}

impl FederationState {
    pub const ALL: [FederationState; 5] =
        [Self::None, Self::Enabling, Self::Enabled, Self::Disabling, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Enabling => "enabling",
            Self::Enabled => "enabled",
            Self::Disabling => "disabling",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| Error::internal(format!("federation {s:?}")))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fleet {
    pub id: FleetId,
    pub domain_id: DomainId,
    pub name: String,
    pub description: String,
    pub dns_suffix: Vec<String>,
    pub federation: FederationState,
    pub federation_id: String,
    pub federation_version: String,
    pub federation_message: String,
    pub cluster_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A fleet name: 4–64 characters: lower-case letters, digits and `-`, starting with a letter and not
/// ending with `-` (the UCS console's rule for fleet names).
pub fn validate_name(name: &str) -> Result<()> {
    let ok = (4..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_body(format!(
            "metadata.name {name:?} must be 4-64 lower-case letters, digits or '-', starting with a letter"
        )))
    }
}

pub fn validate_description(description: &str) -> Result<()> {
    if description.chars().count() > 255 {
        return Err(Error::invalid_body("description is longer than 255 characters"));
    }
    if description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid_body("description contains control characters"));
    }
    Ok(())
}

/// DNS suffixes of the fleet's federation: up to 10 domain names.
pub fn validate_dns_suffixes(suffixes: &[String]) -> Result<()> {
    if suffixes.len() > 10 {
        return Err(Error::invalid_body("dnsSuffix lists more than 10 domains"));
    }
    for (i, s) in suffixes.iter().enumerate() {
        let labels_ok = s.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
        if s.len() > 253 || !s.contains('.') || !labels_ok {
            return Err(Error::invalid_body(format!(
                "dnsSuffix[{i}] {s:?} is not a domain name like example.com"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_names_follow_the_rule() {
        for good in ["prod", "fleet-1", &format!("a{}", "b".repeat(63))] {
            validate_name(good).unwrap();
        }
        for bad in ["", "abc", "1abc", "Abcd", "abc-", "ab_cd", &"a".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions_and_dns_suffixes_are_checked() {
        validate_description("team fleet\nsecond line").unwrap();
        assert!(validate_description(&"x".repeat(256)).is_err());
        assert!(validate_description("bell\u{7}").is_err());
        validate_dns_suffixes(&["example.com".into(), "a-b.c.io".into()]).unwrap();
        for bad in ["localhost", "-a.com", "a..com", "UPPER.com", "a_b.com"] {
            assert!(validate_dns_suffixes(&[bad.to_string()]).is_err(), "{bad}");
        }
        assert!(validate_dns_suffixes(&vec!["a.com".to_string(); 11]).is_err());
    }

    #[test]
    fn federation_states_round_trip() {
        for s in FederationState::ALL {
            assert_eq!(FederationState::parse(s.as_str()).unwrap(), s);
        }
        assert!(FederationState::parse("on").is_err());
    }
}
