//! Sign-in, sessions and the gate in front of every console route.
//!
//! Sign-in checks the IAM user name and password exactly as `POST /v3/auth/tokens` does
//! ([`api::verify_password_login`]). A session is a random token in an `HttpOnly`, `SameSite=Strict`
//! cookie (`Secure` behind TLS); the database keeps only its SHA-256, with the session's CSRF token and
//! expiry. Every form carries the CSRF token; a POST without it is refused before its handler runs. The
//! sign-in form itself is protected by a double-submit token (a cookie and a field that must match).

use api::AppState;
use axum::{
    body::{to_bytes, Body},
    extract::{FromRequestParts, MatchedPath, Query, Request, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use chrono::Duration;
use domain::{
    authz::{self, Action},
    identity::{Project, Tenant, User},
};
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{ui, ConsoleState};

/// Settings of the console (the server crate fills them from its config).
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// How long a session lasts after sign-in.
    pub session_ttl_secs: i64,
    /// Mark the session cookie `Secure` always (it is whenever a proxy says `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self { session_ttl_secs: 8 * 3600, secure_cookies: false }
    }
}

/// The session cookie.
pub(crate) const COOKIE: &str = "ucsd_console";
/// The sign-in form's double-submit cookie.
const LOGIN_COOKIE: &str = "ucsd_console_login";

/// The signed-in user of a console request, authorized for its route's action.
#[derive(Debug, Clone)]
pub struct Session {
    pub tenant: Tenant,
    pub user: User,
    /// The tenant's default project (the region's): the scope of CCE pages.
    pub project: Project,
    pub csrf: String,
    token_hash: String,
}

impl Session {
    /// Whether the user's roles allow `action` (write controls are shown only then).
    pub fn can(&self, action: Action) -> bool {
        authz::allowed(&self.user.roles, action)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Session>().cloned().ok_or_else(|| ui::sign_in_required("/console"))
    }
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn secure(config: &crate::ConsoleConfig, headers: &HeaderMap) -> bool {
    config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("cookie values are hex")
}

/// The session of a request's cookie, if it is live and its user and tenant are enabled.
async fn session_of(app: &AppState, headers: &HeaderMap) -> Option<Session> {
    let token = cookie(headers, COOKIE)?;
    let token_hash = hash(token);
    let stored = app.store.console_session_get(&token_hash).await.ok()??;
    let user = app.store.user_get(stored.user_id).await.ok()??;
    let tenant = app.store.tenant_get(stored.domain_id).await.ok()??;
    if !user.enabled || !tenant.enabled || user.domain_id != tenant.id {
        return None;
    }
    let projects = app.store.project_list(tenant.id, None).await.ok()?;
    let project = projects.iter().find(|p| p.name == app.config.region).or(projects.first()).cloned()?;
    Some(Session { tenant, user, project, csrf: stored.csrf_token, token_hash })
}

/// The gate of every signed-in route: a live session (else 401 and the sign-in form), the route's
/// action allowed to the user's roles (else 403), and on a POST the session's CSRF token (else 403).
pub async fn require(State(state): State<ConsoleState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let Some(session) = session_of(&state.app, request.headers()).await else {
        return ui::sign_in_required(&path);
    };
    let matched = request.extensions().get::<MatchedPath>().map_or("", |p| p.as_str()).to_string();
    let Some(action) = crate::action_for(request.method(), &matched) else {
        return ui::error_page(
            Some(&session),
            StatusCode::FORBIDDEN,
            "This page has no authorization policy.",
        );
    };
    if !session.can(action) {
        let message = format!("Your roles do not allow {}.", action.name);
        return ui::error_page(Some(&session), StatusCode::FORBIDDEN, &message);
    }
    let mut request = request;
    if request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = to_bytes(body, state.app.config.body_limit_bytes).await else {
            return ui::error_page(Some(&session), StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.");
        };
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let sent = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str());
        if sent != Some(session.csrf.as_str()) {
            let message =
                "The form's security token is missing or out of date: reload the page and try again.";
            return ui::error_page(Some(&session), StatusCode::FORBIDDEN, message);
        }
        request = Request::from_parts(parts, Body::from(bytes));
    }
    request.extensions_mut().insert(session);
    next.run(request).await
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after sign-in: a console page, never another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.contains("//") && !n.contains('\\') => n.to_string(),
        _ => "/console".to_string(),
    }
}

fn login_form(
    headers: &HeaderMap,
    config: &ConsoleConfig,
    next: &str,
    status: StatusCode,
    error: Option<&str>,
    account: &str,
    user: &str,
) -> Response {
    let token = random_token();
    let page = ui::sign_in_page(&token, next, error, account, user);
    let mut response = (status, page).into_response();
    let cookie = set_cookie(LOGIN_COOKIE, &token, "/console/login", 3600, secure(config, headers));
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// `GET /console/login`.
pub async fn login_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    if session_of(&state.app, &headers).await.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    login_form(&headers, &state.config, &safe_next(q.next.as_deref()), StatusCode::OK, None, "", "")
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    account: String,
    user: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /console/login`: the IAM password check, then a new session.
pub async fn login(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let config = &state.config;
    if cookie(&headers, LOGIN_COOKIE) != Some(form.csrf.as_str()) {
        let message = "The sign-in form expired: try again.";
        return login_form(
            &headers,
            config,
            &next,
            StatusCode::FORBIDDEN,
            Some(message),
            &form.account,
            &form.user,
        );
    }
    let app = &state.app;
    let (tenant, user) =
        match api::verify_password_login(app, form.account.trim(), form.user.trim(), form.password).await {
            Ok(found) => found,
            Err(e) => {
                let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
                return login_form(
                    &headers,
                    config,
                    &next,
                    status,
                    Some(&e.message()),
                    &form.account,
                    &form.user,
                );
            }
        };
    let token = random_token();
    let expires = app.store.clock().now() + Duration::seconds(config.session_ttl_secs);
    if let Err(e) =
        app.store.console_session_create(&hash(&token), user.id, tenant.id, &random_token(), expires).await
    {
        return ui::error_page(None, StatusCode::INTERNAL_SERVER_ERROR, &e.message());
    }
    let secure = secure(config, &headers);
    let mut response = Redirect::to(&next).into_response();
    let headers = response.headers_mut();
    headers
        .append(header::SET_COOKIE, set_cookie(COOKIE, &token, "/console", config.session_ttl_secs, secure));
    headers.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", "/console/login", 0, secure));
    response
}

/// `POST /console/logout`: the session ends here and in the browser.
pub async fn logout(State(state): State<ConsoleState>, headers: HeaderMap, session: Session) -> Response {
    if let Err(e) = state.app.store.console_session_delete(&session.token_hash).await {
        return ui::error_page(Some(&session), StatusCode::INTERNAL_SERVER_ERROR, &e.message());
    }
    let mut response = Redirect::to("/console/login").into_response();
    let cookie = set_cookie(COOKIE, "", "/console", 0, secure(&state.config, &headers));
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}
