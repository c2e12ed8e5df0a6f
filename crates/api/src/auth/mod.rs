//! Authentication: who is calling. Two ways in, as the official SDKs and tools use them
//! (docs/wire.md): an `SDK-HMAC-SHA256` signature made with an access key, or an `X-Auth-Token`
//! issued by `POST /v3/auth/tokens`. The result is a [`Caller`] in the request's extensions.
//! A failure is a 401 that never says whether a key or user exists.

pub mod cache;
pub mod signature;
pub mod token;

use std::sync::Arc;

use axum::{
    body::{to_bytes, Body},
    extract::{FromRequestParts, MatchedPath, Request, State},
    http::{request::Parts, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDateTime, Utc};
use domain::{
    audit::{Actor, NewAuditEvent},
    authz::{self, Action},
    identity::{AccessKeyStatus, Project, Tenant, User},
    ids::{DomainId, ProjectId, UserId},
    Error, Result,
};

use self::cache::{Credential, CredentialKey, VerifiedKey, VerifiedToken};
use crate::{error::ApiError, rate_limit::CredentialId, AppState};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: Tenant,
    pub user: User,
    /// The project the request is scoped to (project-scoped token or `X-Project-Id`).
    pub project: Option<Project>,
    pub request_id: String,
    /// The action of the request's route, once it is authorized: what its changes are audited as.
    pub action: Option<Action>,
    /// The credential that authenticated the request (its rate limit's bucket).
    pub credential: CredentialId,
}

impl Caller {
    pub fn domain_id(&self) -> DomainId {
        self.tenant.id
    }

    /// The caller as the audit log records it, doing its route's action.
    pub fn actor(&self) -> Actor {
        Actor {
            domain_id: self.tenant.id,
            user_id: Some(self.user.id),
            request_id: self.request_id.clone(),
            // Every authenticated route has its action (the route table makes it so); the middleware
            // sets it before a handler runs.
            action: self.action.unwrap_or(authz::actions::IAM_DISCOVER),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError(Error::unauthenticated("credentials are required")))
    }
}

const BAD_CREDENTIALS: &str = "the request signature or token could not be verified";

/// The middleware in front of every authenticated route.
pub async fn authenticate(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let request = match authenticated(&app, request).await {
        Ok(request) => request,
        Err(e) => return ApiError(e).into_response(),
    };
    let mutating = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let caller =
        request.extensions().get::<Caller>().cloned().expect("authenticated requests carry a caller");
    // Over a rate limit: refused before anything reads or writes the database (no audit, no journal).
    if let Some(refusal) = crate::rate_limit::refusal(&app, &caller, request.uri().path()) {
        return refusal;
    }
    let action = action_of(&request);
    // A switched-off testing route is an unknown route, for every caller (and it is not audited).
    if action.as_ref().is_ok_and(|a| crate::testing::is_testing_action(*a) && !app.config.testing_enabled) {
        return ApiError(crate::no_such_route()).into_response();
    }
    let caller = Caller { action: action.as_ref().ok().copied(), ..caller };
    // With the testing tools on, the tenant's requests are journaled and its fault rules apply.
    let (request, recorder) = match &action {
        Ok(a) if app.config.testing_enabled && !crate::testing::is_testing_action(*a) => {
            let (request, recorder) = crate::testing::Recorder::start(request).await;
            (request, Some(recorder))
        }
        _ => (request, None),
    };
    let response = match action.clone().and_then(|action| authorize(&caller, action)) {
        Ok(action) => {
            let mut request = request;
            request.extensions_mut().insert(action);
            request.extensions_mut().insert(caller.clone());
            match &recorder {
                Some(recorder) => recorder.run(&app, &caller, request, next).await,
                None => next.run(request).await,
            }
        }
        Err(e) => ApiError(e).into_response(),
    };
    // A refused or failed change is audited too, on its own (its transaction rolled back), under the
    // same action as its success would have been. (A route without an action is refused before any
    // handler and has no action to audit.)
    if let (true, Some(ApiError(error)), Some(_)) =
        (mutating, response.extensions().get::<ApiError>(), caller.action)
    {
        if let Err(e) = app.store.audit_append(&caller.actor(), NewAuditEvent::failure(error.code())).await {
            tracing::warn!(error = %e, "could not audit a failed request");
        }
    }
    if let Some(recorder) = recorder {
        let outcome = recorder.outcome(&response);
        recorder.finish(&app, &caller, outcome).await;
    }
    response
}

/// The action of the request's route, from the route table.
fn action_of(request: &Request) -> Result<Action> {
    let matched = request.extensions().get::<MatchedPath>().map_or("", |p| p.as_str());
    crate::routes::action_for(request.method(), matched)
        .ok_or_else(|| Error::forbidden("this route has no authorization policy"))
}

/// Authorization: the caller's roles must allow the route's action.
fn authorize(caller: &Caller, action: Action) -> Result<Action> {
    tracing::Span::current().record("action", action.name);
    if authz::allowed(&caller.user.roles, action) {
        Ok(action)
    } else {
        Err(Error::forbidden(format!("the caller's roles do not allow {}", action.name)))
    }
}

/// The request with its [`Caller`] attached, or why it is refused. The body is read (up to the limit)
/// because a signature may cover it, and handed on unchanged.
pub async fn authenticated(app: &AppState, request: Request) -> Result<Request> {
    let (mut parts, body) = request.into_parts();
    let limit = app.config.body_limit_bytes;
    let body = to_bytes(body, limit)
        .await
        .map_err(|_| Error::invalid_body(format!("the request body exceeds {limit} bytes")))?;
    let request_id = crate::request_id_of(&parts.extensions).to_string();
    let caller = identify(app, &parts, &body, request_id).await?;
    let span = tracing::Span::current();
    span.record("tenant", caller.tenant.id.to_string());
    span.record("user", caller.user.id.to_string());
    parts.extensions.insert(caller);
    Ok(Request::from_parts(parts, Body::from(body)))
}

/// The `{project_id}` segment of a CCE or CCE Autopilot path, if the path has one.
fn path_project(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    let service = segments.next()?;
    let version = segments.next()?;
    let valid = matches!(service, "api" | "autopilot") && matches!(version, "v3" | "v3.1");
    (valid && segments.next()? == "projects").then(|| segments.next()).flatten()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn identify(app: &AppState, parts: &Parts, body: &[u8], request_id: String) -> Result<Caller> {
    let authorization = header(&parts.headers, "authorization");
    let (tenant, user, mut project, credential) = match authorization {
        Some(value) if value.starts_with("SDK-") => verify_signature(app, parts, body, value).await?,
        _ => match header(&parts.headers, "x-auth-token") {
            Some(token) => {
                let (tenant, user, project) = verify_token(app, token).await?;
                let credential = CredentialId::User(user.id);
                (tenant, user, project, credential)
            }
            None => {
                return Err(Error::unauthenticated("no credentials: sign the request or send X-Auth-Token"))
            }
        },
    };
    if let Some(domain_id) = header(&parts.headers, "x-domain-id") {
        if domain_id != tenant.id.to_string() {
            return Err(Error::forbidden("X-Domain-Id does not belong to the credentials' account"));
        }
    }
    if let Some(project_id) = header(&parts.headers, "x-project-id") {
        project = Some(own_project(app, &tenant, project_id).await?);
    }
    // CCE paths name the project: it must be the caller's (and then it is the request's scope).
    if let Some(project_id) = path_project(parts.uri.path()) {
        let decoded = percent_encoding::percent_decode_str(project_id).decode_utf8_lossy();
        let in_path = own_project(app, &tenant, &decoded).await?;
        if project.as_ref().is_some_and(|p| p.id != in_path.id) {
            return Err(Error::forbidden("X-Project-Id and the path's project differ"));
        }
        project = Some(in_path);
    }
    Ok(Caller { tenant, user, project, request_id, action: None, credential })
}

/// A project of the caller's tenant by id; anything else is forbidden.
pub async fn own_project(app: &AppState, tenant: &Tenant, project_id: &str) -> Result<Project> {
    let forbidden = || Error::forbidden("the project does not belong to the credentials' account");
    let id: ProjectId = project_id.parse().map_err(|_| forbidden())?;
    let key = CredentialKey::Project(id);
    let (epoch, now) = (app.store.credentials_epoch(), app.store.clock().now());
    let project = match app.credentials.get(&key, epoch, now) {
        Some(Credential::Project(project)) => Some(project),
        _ => match app.store.project_get(id).await? {
            Some(project) => {
                let project = Arc::new(project);
                app.credentials.insert(key, epoch, now, Credential::Project(project.clone()));
                Some(project)
            }
            None => None,
        },
    };
    match project {
        Some(project) if project.domain_id == tenant.id => Ok(Project::clone(&project)),
        _ => Err(forbidden()),
    }
}

/// The access key `access_key` verified (its secret opened), from the cache or the store; `None` if
/// there is no such key.
async fn verified_key(app: &AppState, access_key: &str) -> Result<Option<Arc<VerifiedKey>>> {
    let key = CredentialKey::AccessKey(access_key.to_string());
    let (epoch, now) = (app.store.credentials_epoch(), app.store.clock().now());
    if let Some(Credential::AccessKey(verified)) = app.credentials.get(&key, epoch, now) {
        return Ok(Some(verified));
    }
    let Some(stored) = app.store.access_key_for_auth(access_key).await? else { return Ok(None) };
    let secret = app
        .sealer
        .open_string(&stored.secret_sealed, secrets::Context::AccessKeySecret(&stored.key.access_key))
        .await
        .map_err(|e| Error::new(domain::error::ucs::FAILED_TO_DECRYPT_DATA).with_internal(e.to_string()))?;
    let usable = stored.key.status == AccessKeyStatus::Active && stored.user.enabled && stored.tenant.enabled;
    let verified = Arc::new(VerifiedKey { tenant: stored.tenant, user: stored.user, secret, usable });
    app.credentials.insert(key, epoch, now, Credential::AccessKey(verified.clone()));
    Ok(Some(verified))
}

async fn verify_signature(
    app: &AppState,
    parts: &Parts,
    body: &[u8],
    authorization: &str,
) -> Result<(Tenant, User, Option<Project>, CredentialId)> {
    let auth = signature::parse_authorization(authorization)
        .ok_or_else(|| Error::unauthenticated("malformed Authorization header"))?;
    if auth.algorithm != signature::ALGORITHM {
        return Err(Error::unauthenticated(format!(
            "signing algorithm {:?} is not supported; use {}",
            auth.algorithm,
            signature::ALGORITHM
        )));
    }
    for required in ["host", signature::DATE_HEADER] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(Error::unauthenticated(format!("the signature must cover the {required} header")));
        }
    }
    let date = header(&parts.headers, signature::DATE_HEADER).unwrap_or("");
    let signed_at = NaiveDateTime::parse_from_str(date, signature::DATE_FORMAT).map(|t| t.and_utc());
    let skew = app.config.max_clock_skew_secs;
    let now = app.store.clock().now();
    if !signed_at.is_ok_and(|t| (now - t).num_seconds().abs() <= skew) {
        return Err(Error::unauthenticated(format!(
            "X-Sdk-Date must be the UTC time of signing (YYYYMMDDTHHMMSSZ), within {} minutes of the server's",
            skew / 60
        )));
    }
    let Some(key) = verified_key(app, &auth.access_key).await? else {
        return Err(Error::unauthenticated(BAD_CREDENTIALS));
    };
    let payload_hash = signature::payload_hash(&parts.headers, body);
    let canonical = signature::canonical_request(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &auth.signed_headers,
        &payload_hash,
    )
    .map_err(|missing| Error::unauthenticated(format!("signed header {missing:?} is missing")))?;
    let expected = signature::signature(&key.secret, &signature::string_to_sign(date, &canonical));
    if !signature::signatures_match(&expected, &auth.signature) || !key.usable {
        return Err(Error::unauthenticated(BAD_CREDENTIALS));
    }
    Ok((key.tenant.clone(), key.user.clone(), None, CredentialId::AccessKey(auth.access_key.clone())))
}

async fn verify_token(app: &AppState, token: &str) -> Result<(Tenant, User, Option<Project>)> {
    let now: DateTime<Utc> = app.store.clock().now();
    let invalid = || Error::unauthenticated(BAD_CREDENTIALS);
    let key = CredentialKey::Token(token.to_string());
    let epoch = app.store.credentials_epoch();
    let verified = match app.credentials.get(&key, epoch, now) {
        Some(Credential::Token(verified)) => verified,
        _ => {
            let verified = Arc::new(verify_token_in_store(app, token, now).await?);
            app.credentials.insert(key, epoch, now, Credential::Token(verified.clone()));
            verified
        }
    };
    if verified.exp <= now.timestamp() {
        return Err(invalid());
    }
    Ok((verified.tenant.clone(), verified.user.clone(), verified.project.clone()))
}

/// A token's signature and expiry checked, its user, tenant and project read from the store.
async fn verify_token_in_store(app: &AppState, token: &str, now: DateTime<Utc>) -> Result<VerifiedToken> {
    let claims =
        app.tokens.verify(token, now).await.ok_or_else(|| Error::unauthenticated(BAD_CREDENTIALS))?;
    let invalid = || Error::unauthenticated(BAD_CREDENTIALS);
    let user_id: UserId = claims.sub.parse().map_err(|_| invalid())?;
    let user = app.store.user_get(user_id).await?.filter(|u| u.enabled).ok_or_else(invalid)?;
    let tenant = app.store.tenant_get(user.domain_id).await?.filter(|t| t.enabled).ok_or_else(invalid)?;
    if claims.dom != tenant.id.to_string() {
        return Err(invalid());
    }
    let project = match claims.prj {
        Some(id) => Some(own_project(app, &tenant, &id).await.map_err(|_| invalid())?),
        None => None,
    };
    Ok(VerifiedToken { tenant, user, project, exp: claims.exp })
}

#[cfg(test)]
mod tests {
    use super::path_project;

    #[test]
    fn the_project_of_cce_paths_is_found() {
        assert_eq!(path_project("/api/v3/projects/p1/clusters/c/upgradeinfo"), Some("p1"));
        assert_eq!(path_project("/api/v3.1/projects/p2/clusters"), Some("p2"));
        assert_eq!(path_project("/autopilot/v3/projects/p3/clusters/x"), Some("p3"));
        assert_eq!(path_project("/api/v3/clusterupgradepaths"), None);
        assert_eq!(path_project("/v1/clusters/x"), None);
        assert_eq!(path_project("/api/v4/projects/p/clusters"), None);
    }
}
