//! The audit trail: who did what, when, under which request, and how it ended.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::ids::{DomainId, UserId};

/// Who acted and under which request; attached to every mutating store call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub domain_id: DomainId,
    pub user_id: Option<UserId>,
    pub request_id: String,
}

impl Actor {
    /// An operator acting through `ucsd admin` (no IAM user, a generated request id).
    pub fn operator(domain_id: DomainId, request_id: String) -> Self {
        Self { domain_id, user_id: None, request_id }
    }
}

/// What is appended to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    /// `success`, or the error code the request ended with.
    pub outcome: String,
}

impl NewAuditEvent {
    pub fn success(action: &str, resource_type: &str, resource_id: impl ToString) -> Self {
        Self {
            action: action.to_string(),
            resource_type: resource_type.to_string(),
            resource_id: Some(resource_id.to_string()),
            outcome: "success".to_string(),
        }
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
