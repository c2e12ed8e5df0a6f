//! The one semantic error type of ucsd and its catalogue of stable codes.
//!
//! An [`Error`] names an entry of the catalogue (code, HTTP status, message), may carry a detail for the
//! user (appended to the message) and an internal context that is logged but never sent. The api crate
//! has the single conversion to HTTP.

use std::fmt;

/// One row of the catalogue: the wire code, the HTTP status and the user-facing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorDef {
    pub code: &'static str,
    pub status: u16,
    pub message: &'static str,
}

macro_rules! error_catalogue {
    ($($name:ident = ($code:literal, $status:literal, $message:literal);)*) => {
        $(pub const $name: ErrorDef = ErrorDef { code: $code, status: $status, message: $message };)*
        /// Every entry, in the order of the reference's table.
        pub const ALL: &[ErrorDef] = &[$($name),*];
    };
}

pub mod ucs;

/// CCE codes that the CCE / CCE Autopilot routes emit. They follow CCE's `CCE.01<status><seq>` pattern.
pub mod cce {
    use super::ErrorDef;
    error_catalogue! {
        BAD_REQUEST = ("CCE.01400001", 400, "Invalid request.");
        UNAUTHORIZED = ("CCE.01401001", 401, "Authorization failed.");
        FORBIDDEN = ("CCE.01403001", 403, "Request forbidden.");
        NOT_FOUND = ("CCE.01404001", 404, "Resource not found.");
        CONFLICT = ("CCE.01409001", 409, "Resource conflict.");
        INTERNAL = ("CCE.01500001", 500, "Internal server error.");
        PRECHECK_REQUIRED = ("CCE.01400002", 400, "A successful precheck that has not expired is required.");
        NOT_AN_UPGRADE_PATH = ("CCE.01400003", 400, "The version is not an upgrade path of the cluster.");
        TASK_STATUS = ("CCE.01400004", 400, "The task cannot do that in its current status.");
        CLUSTER_NOT_AVAILABLE = ("CCE.01400005", 400, "The cluster is not available.");
        WORKFLOW_PHASE = ("CCE.01400006", 400, "The upgrade workflow cannot move to that phase.");
        WORKFLOW_EXISTS = ("CCE.01409002", 409, "An unfinished upgrade workflow of this cluster exists.");
        UPGRADE_IN_PROGRESS = ("CCE.01409003", 409, "An upgrade of this cluster is in progress.");
        CLUSTER_NAME_TAKEN = ("CCE.01409004", 409, "A cluster with this name exists.");
        METHOD_NOT_ALLOWED = ("CCE.01405001", 405, "Method not allowed.");
        // CCE's own throttling code (its error-code table: "maximum number of requests reached"); not
        // CCE.01429002 (a resource locked by another request) nor CCE.01429003 (too many tasks at once).
        THROTTLED = ("CCE.02429001", 429, "The maximum number of requests has been reached.");
    }

    /// The CCE code of a generic (non-CCE) error of `status`: how a UCS code is rendered on a CCE route.
    pub fn twin_of(status: u16) -> ErrorDef {
        match status {
            401 => UNAUTHORIZED,
            403 => FORBIDDEN,
            404 => NOT_FOUND,
            405 => METHOD_NOT_ALLOWED,
            409 => CONFLICT,
            429 => THROTTLED,
            500..=599 => INTERNAL,
            _ => BAD_REQUEST,
        }
    }
}

/// ucsd's own UCS-family codes, for refusals the reference's table has no row for.
pub mod http {
    use super::ErrorDef;
    error_catalogue! {
        // A route that exists, asked with a method it does not serve (sent with `Allow`).
        METHOD_NOT_ALLOWED = ("UCS.01405001", 405, "Method not allowed.");
        // The operator's job administration (`ucsd admin jobs`, the console's job engine page).
        JOB_NOT_FOUND = ("UCS.01404002", 404, "Job not found.");
        JOB_STATE = ("UCS.01409002", 409, "The job cannot do that in its current state.");
    }
}

/// Identity (IAM-compatible) codes that the `/v3` routes and the admin commands emit.
pub mod iam {
    use super::ErrorDef;
    error_catalogue! {
        NAME_TAKEN = ("IAM.01409001", 409, "The name is already in use.");
        NOT_FOUND = ("IAM.01404001", 404, "The resource could not be found.");
        // `ucsd admin keys`: a key still in use (active, naming values or live tokens) is not retired.
        KEY_IN_USE = ("IAM.01409002", 409, "The key is still in use.");
    }
}

/// Which error family a route speaks: UCS routes answer `UCS.…` codes, CCE routes `CCE.…` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Ucs,
    Cce,
}

/// The error every fallible operation of ucsd returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub def: ErrorDef,
    /// Shown to the user after the catalogue message.
    pub detail: Option<String>,
    /// Logged once, never sent.
    pub internal: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(def: ErrorDef) -> Self {
        Self { def, detail: None, internal: None }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_internal(mut self, internal: impl Into<String>) -> Self {
        self.internal = Some(internal.into());
        self
    }

    /// 400 invalid request body, with what was wrong.
    pub fn invalid_body(detail: impl Into<String>) -> Self {
        Self::new(ucs::INVALID_REQUEST_BODY).with_detail(detail)
    }

    /// 400 bad query parameter, with what was wrong.
    pub fn bad_query(detail: impl Into<String>) -> Self {
        Self::new(ucs::BAD_QUERY_PARAMETER_VALUE).with_detail(detail)
    }

    /// 401: the caller is not authenticated. The detail never says whether a key or user exists.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(ucs::AUTHORIZATION_FAILED).with_detail(detail)
    }

    /// 403: authenticated but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ucs::REQUEST_FORBIDDEN).with_detail(detail)
    }

    /// 404 for a resource the caller may not see or that does not exist (never says which).
    pub fn not_found(def: ErrorDef) -> Self {
        Self::new(def)
    }

    /// 500 on a database failure; `internal` says what failed.
    pub fn database(internal: impl fmt::Display) -> Self {
        Self::new(ucs::DATABASE_OPERATION_FAILED).with_internal(internal.to_string())
    }

    /// 500 on anything else unexpected.
    pub fn internal(internal: impl fmt::Display) -> Self {
        Self::new(ucs::SERVER_INTERNAL_ERROR).with_internal(internal.to_string())
    }

    pub fn status(&self) -> u16 {
        self.def.status
    }

    pub fn code(&self) -> &'static str {
        self.def.code
    }

    /// The `error_msg` sent to the client.
    pub fn message(&self) -> String {
        match &self.detail {
            Some(detail) => format!("{} {}", self.def.message, detail),
            None => self.def.message.to_string(),
        }
    }

    /// The same error in the CCE family: generic UCS codes map to their CCE twin by status;
    /// resource-specific codes (already `CCE.…`) are kept.
    pub fn in_family(self, family: Family) -> Self {
        if family == Family::Ucs || self.def.code.starts_with("CCE.") {
            return self;
        }
        let def = cce::twin_of(self.def.status);
        // Keep the specific message where the CCE one is more generic.
        let detail = if self.def.message == def.message { self.detail } else { Some(self.message()) };
        Self { def, detail, internal: self.internal }
    }
}

/// Reads that may find nothing: a 404 is the positive answer "not there" (`Ok(None)`); any other
/// error (a database or pool failure) stays an error, never taken for "gone".
pub trait Found<T> {
    fn found(self) -> Result<Option<T>>;
}

impl<T> Found<T> for Result<T> {
    fn found(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.status() == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.def.code, self.message())?;
        if let Some(internal) = &self.internal {
            write!(f, " ({internal})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_catalogue_code_is_unique_except_the_references_own_duplicate() {
        let mut seen = HashSet::new();
        let dups: Vec<_> = ucs::ALL.iter().filter(|d| !seen.insert(d.code)).map(|d| d.code).collect();
        // The reference itself lists UCS.00020003 twice (create and delete certs).
        assert_eq!(dups, vec!["UCS.00020003"]);
    }

    #[test]
    fn every_catalogue_status_is_an_http_error_status() {
        for def in ucs::ALL.iter().chain(cce::ALL).chain(iam::ALL).chain(http::ALL) {
            assert!((400..600).contains(&def.status), "{def:?}");
        }
    }

    #[test]
    fn message_appends_the_detail() {
        let e = Error::invalid_body("metadata.name is required");
        assert_eq!(e.message(), "Invalid request body. metadata.name is required");
        assert_eq!(e.code(), "UCS.01000012");
    }

    #[test]
    fn only_a_not_found_answer_is_found_to_be_nothing() {
        let gone: Result<()> = Err(Error::not_found(ucs::CLUSTER_NOT_FOUND));
        assert_eq!(gone.found(), Ok(None));
        let broken: Result<()> = Err(Error::database("pool timed out"));
        assert!(broken.found().is_err());
        assert_eq!(Ok::<_, Error>(7).found(), Ok(Some(7)));
    }

    #[test]
    fn cce_family_maps_generic_codes_by_status() {
        let e = Error::not_found(ucs::CLUSTER_NOT_FOUND).in_family(Family::Cce);
        assert_eq!(e.code(), "CCE.01404001");
        let e = Error::new(ucs::INSUFFICIENT_QUOTA).in_family(Family::Cce);
        assert_eq!(e.code(), "CCE.01400001");
        assert_eq!(e.message(), "Invalid request. Insufficient quota");
        let e = Error::new(ucs::THROTTLED).in_family(Family::Cce);
        assert_eq!((e.status(), e.code()), (429, "CCE.02429001"));
    }
}
