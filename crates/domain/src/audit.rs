//! The audit trail: who did what, when, under which request, and how it ended.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    authz::Action,
    ids::{DomainId, UserId},
};

/// Who acted, doing what, under which request; attached to every mutating store call. The action is
/// the request's route's (or the operator command's): the audit log records a change, refused or
/// done, under that one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub domain_id: DomainId,
    pub user_id: Option<UserId>,
    pub request_id: String,
    pub action: Action,
}

impl Actor {
    /// An operator acting through `ucsd admin`, or ucsd itself (no IAM user, a generated request id).
    pub fn operator(domain_id: DomainId, request_id: String, action: Action) -> Self {
        Self { domain_id, user_id: None, request_id, action }
    }
}

/// What is appended to the audit log, under its actor's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// `success`, or the error code the request ended with.
    pub outcome: String,
}

impl NewAuditEvent {
    pub fn success(resource_type: &str, resource_id: impl ToString) -> Self {
        Self {
            resource_type: resource_type.to_string(),
            resource_id: Some(resource_id.to_string()),
            outcome: "success".to_string(),
        }
    }

    /// A request that failed with `code` (nothing it asked for was done).
    pub fn failure(code: &str) -> Self {
        Self { resource_type: "request".to_string(), resource_id: None, outcome: code.to_string() }
    }
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub domain_id: DomainId,
    pub user_id: Option<UserId>,
    pub request_id: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub outcome: String,
}
