//! The IAM-compatible part of the API that the SDKs and tools call: Keystone v3 password tokens
//! (`POST /v3/auth/tokens`) and the discovery calls the SDK makes when it is built without a project or
//! domain id (`GET /v3/projects?name=`, `GET /v3/auth/domains`, docs/wire.md §1).

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use domain::{
    authz::actions,
    identity::{Project, Tenant, User},
    ids::{DomainId, ProjectId, UserId},
    Error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    auth::{own_project, token::Claims, Caller},
    error::ApiResult,
    extract::{Json, Query},
    routes::Route,
    AppState,
};

/// Routes that need no credentials.
pub fn public_router() -> Router<AppState> {
    Router::new().route("/v3/auth/tokens", post(create_token))
}

/// Discovery routes, behind authentication.
pub(crate) fn routes() -> Vec<Route> {
    vec![
        Route::get("/v3/projects", actions::IAM_DISCOVER, list_projects),
        Route::get("/v3/auth/projects", actions::IAM_DISCOVER, list_auth_projects),
        Route::get("/v3/auth/domains", actions::IAM_DISCOVER, list_auth_domains),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct TokenRequest {
    auth: AuthBody,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "TokenAuth")]
struct AuthBody {
    identity: Identity,
    scope: Option<Scope>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "TokenIdentity")]
struct Identity {
    #[schemars(extend("contains" = {"const": "password"}))]
    methods: Vec<String>,
    #[schemars(required)]
    password: Option<PasswordMethod>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "TokenPassword")]
struct PasswordMethod {
    user: PasswordUser,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "TokenPasswordUser")]
struct PasswordUser {
    id: Option<String>,
    name: Option<String>,
    password: String,
    domain: Option<NameOrId>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "TokenNameOrId")]
struct NameOrId {
    id: Option<String>,
    name: Option<String>,
}

impl NameOrId {
    /// Whether it names `tenant` (a domain), by id or by name.
    fn names(&self, tenant: &Tenant) -> bool {
        self.id.as_deref() == Some(&tenant.id.to_string())
            || self.name.as_deref() == Some(tenant.name.as_str())
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "TokenScope")]
struct Scope {
    project: Option<ProjectScope>,
    domain: Option<NameOrId>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "TokenProjectScope")]
struct ProjectScope {
    id: Option<String>,
    name: Option<String>,
    /// Keystone names a project by name within a domain; it must be the user's.
    domain: Option<NameOrId>,
}

const WRONG_LOGIN: &str = "the user name or password is incorrect";

/// `POST /v3/auth/tokens`: the password method, scoped to the user's domain or one of its projects.
async fn create_token(
    State(app): State<AppState>,
    headers: HeaderMap,
    Json(request): Json<TokenRequest>,
) -> ApiResult<Response> {
    let auth = request.auth;
    if !auth.identity.methods.iter().any(|m| m == "password") {
        return Err(Error::invalid_body("identity.methods must contain \"password\"").into());
    }
    let password =
        auth.identity.password.ok_or_else(|| Error::invalid_body("identity.password is required"))?;
    let (tenant, user) = login(&app, password.user).await?;
    let project = match auth.scope.and_then(|s| s.project.map(Ok).or(s.domain.map(Err))) {
        None => None,
        Some(Err(domain)) => {
            let matches = domain.names(&tenant);
            if !matches {
                return Err(Error::unauthenticated("the scope's domain is not the user's domain").into());
            }
            None
        }
        Some(Ok(scope)) => Some(scoped_project(&app, &tenant, scope).await?),
    };

    let issued = app.store.clock().now();
    let expires = issued + Duration::seconds(app.config.token_ttl_secs);
    let claims = Claims {
        sub: user.id.to_string(),
        dom: tenant.id.to_string(),
        prj: project.as_ref().map(|p| p.id.to_string()),
        iat: issued.timestamp(),
        exp: expires.timestamp(),
        jti: domain::ids::random_uuid().simple().to_string(),
    };
    let token = app.tokens.issue(&claims);
    let body = token_body(&app, &headers, &tenant, &user, project.as_ref(), issued, expires);
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    response.headers_mut().insert(
        "x-subject-token",
        HeaderValue::from_str(&token).map_err(|e| Error::internal(format!("token header: {e}")))?,
    );
    Ok(response)
}

async fn login(app: &AppState, user: PasswordUser) -> Result<(Tenant, User), Error> {
    let wrong = || Error::unauthenticated(WRONG_LOGIN);
    let (domain_name, user_name) = match (user.id, user.name, user.domain) {
        (Some(id), _, _) => {
            let user = app.store.user_get(id.parse().map_err(|_| wrong())?).await?.ok_or_else(wrong)?;
            let tenant = app.store.tenant_get(user.domain_id).await?.ok_or_else(wrong)?;
            (tenant.name, user.name)
        }
        (None, Some(name), Some(NameOrId { name: Some(domain), .. })) => (domain, name),
        (None, Some(name), Some(NameOrId { id: Some(domain_id), .. })) => {
            let tenant =
                app.store.tenant_get(domain_id.parse().map_err(|_| wrong())?).await?.ok_or_else(wrong)?;
            (tenant.name, name)
        }
        _ => {
            return Err(Error::invalid_body("password.user needs an id, or a name and a domain (id or name)"))
        }
    };
    verify_password_login(app, &domain_name, &user_name, user.password).await
}

/// The user `user_name` of the tenant `domain_name`, if `password` is theirs and both are enabled: the
/// password check of `POST /v3/auth/tokens`, and of the web console's sign-in.
pub async fn verify_password_login(
    app: &AppState,
    domain_name: &str,
    user_name: &str,
    password: String,
) -> Result<(Tenant, User), Error> {
    let wrong = || Error::unauthenticated(WRONG_LOGIN);
    let credentials = app.store.user_credentials(domain_name, user_name).await?;
    // An unknown user is checked against a dummy hash, so response times do not reveal who exists.
    let hash = credentials.as_ref().map_or_else(|| DUMMY_HASH.clone(), |c| c.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || secrets::verify_password(&password, &hash))
        .await
        .map_err(Error::internal)?;
    let credentials = credentials.filter(|c| ok && c.user.enabled).ok_or_else(wrong)?;
    let tenant = app.store.tenant_get(credentials.user.domain_id).await?.ok_or_else(wrong)?;
    Ok((tenant, credentials.user))
}

static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    secrets::hash_password(&secrets::generate_password()).expect("hashing a generated password")
});

async fn scoped_project(app: &AppState, tenant: &Tenant, scope: ProjectScope) -> Result<Project, Error> {
    let unknown = || Error::unauthenticated("the scope's project is not one of the user's domain");
    if scope.domain.as_ref().is_some_and(|d| !d.names(tenant)) {
        return Err(unknown());
    }
    match (scope.id, scope.name) {
        (Some(id), _) => own_project(app, tenant, &id).await.map_err(|_| unknown()),
        (None, Some(name)) => {
            app.store.project_list(tenant.id, Some(&name)).await?.into_iter().next().ok_or_else(unknown)
        }
        (None, None) => Err(Error::invalid_body("scope.project needs an id or a name")),
    }
}

fn keystone_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The URL clients reached this server at: the configured public URL, else the request's Host.
pub(crate) fn base_url(app: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &app.config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// The Keystone token body (`{"token": …}`), with the catalog that sends the SDK back to ucsd.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Token")]
pub(crate) struct TokenBody {
    token: Token,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "TokenDetail")]
struct Token {
    methods: [&'static str; 1],
    expires_at: String,
    issued_at: String,
    user: TokenUser,
    roles: Vec<TokenRole>,
    catalog: Vec<CatalogService>,
    /// The scope: a project, or else the domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<TokenProject>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<DomainRef>,
}

#[derive(Serialize, JsonSchema, Clone)]
struct DomainRef {
    id: DomainId,
    name: String,
}

#[derive(Serialize, JsonSchema)]
struct TokenUser {
    id: UserId,
    name: String,
    domain: DomainRef,
    password_expires_at: &'static str,
}

#[derive(Serialize, JsonSchema)]
struct TokenRole {
    id: &'static str,
    name: &'static str,
}

#[derive(Serialize, JsonSchema)]
struct TokenProject {
    id: ProjectId,
    name: String,
    domain: DomainRef,
}

#[derive(Serialize, JsonSchema)]
struct CatalogService {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    id: String,
    endpoints: [CatalogEndpoint; 1],
}

#[derive(Serialize, JsonSchema)]
struct CatalogEndpoint {
    id: String,
    interface: &'static str,
    region: String,
    region_id: String,
    url: String,
}

fn token_body(
    app: &AppState,
    headers: &HeaderMap,
    tenant: &Tenant,
    user: &User,
    project: Option<&Project>,
    issued: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> TokenBody {
    let domain = DomainRef { id: tenant.id, name: tenant.name.clone() };
    let base = base_url(app, headers);
    let region = &app.config.region;
    let endpoint = |service: &'static str, region: &str| CatalogService {
        kind: service,
        name: service,
        id: format!("{service}-service"),
        endpoints: [CatalogEndpoint {
            id: format!("{service}-{region}-public"),
            interface: "public",
            region: region.to_string(),
            region_id: region.to_string(),
            url: base.clone(),
        }],
    };
    let (project, scope_domain) = match project {
        Some(p) => (Some(TokenProject { id: p.id, name: p.name.clone(), domain: domain.clone() }), None),
        None => (None, Some(domain.clone())),
    };
    TokenBody {
        token: Token {
            methods: ["password"],
            expires_at: keystone_time(expires),
            issued_at: keystone_time(issued),
            user: TokenUser { id: user.id, name: user.name.clone(), domain, password_expires_at: "" },
            roles: user.roles.iter().map(|r| TokenRole { id: r.as_str(), name: r.as_str() }).collect(),
            catalog: vec![endpoint("ucs", "*"), endpoint("cce", region), endpoint("iam", region)],
            project,
            domain: scope_domain,
        },
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ProjectQuery {
    name: Option<String>,
}

/// A Keystone project.
#[derive(Serialize, JsonSchema)]
struct ProjectView {
    id: ProjectId,
    name: String,
    domain_id: DomainId,
    parent_id: DomainId,
    enabled: bool,
    is_domain: bool,
    description: &'static str,
}

impl ProjectView {
    fn of(p: &Project) -> Self {
        ProjectView {
            id: p.id,
            name: p.name.clone(),
            domain_id: p.domain_id,
            parent_id: p.domain_id,
            enabled: true,
            is_domain: false,
            description: "",
        }
    }
}

/// Keystone's project list.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ProjectList {
    projects: Vec<ProjectView>,
    links: Links,
}

/// Keystone's (empty) paging links.
#[derive(Serialize, JsonSchema)]
struct Links {}

/// Keystone's domain list: the caller's own domain.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DomainList {
    domains: [DomainView; 1],
    links: Links,
}

#[derive(Serialize, JsonSchema)]
struct DomainView {
    id: DomainId,
    name: String,
    enabled: bool,
    description: &'static str,
}

fn project_list(projects: &[Project]) -> ProjectList {
    ProjectList { projects: projects.iter().map(ProjectView::of).collect(), links: Links {} }
}

/// `GET /v3/projects?name=<region>`: the caller's projects (the SDK resolves its project id here).
async fn list_projects(
    State(app): State<AppState>,
    caller: Caller,
    Query(query): Query<ProjectQuery>,
) -> ApiResult<axum::Json<ProjectList>> {
    let projects = app.store.project_list(caller.domain_id(), query.name.as_deref()).await?;
    Ok(axum::Json(project_list(&projects)))
}

/// `GET /v3/auth/projects`: the projects the caller's credentials can be scoped to.
async fn list_auth_projects(
    State(app): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<ProjectList>> {
    let projects = app.store.project_list(caller.domain_id(), None).await?;
    Ok(axum::Json(project_list(&projects)))
}

/// `GET /v3/auth/domains`: the caller's own domain (the SDK resolves its domain id here).
async fn list_auth_domains(caller: Caller) -> axum::Json<DomainList> {
    let t = &caller.tenant;
    let domain = DomainView { id: t.id, name: t.name.clone(), enabled: t.enabled, description: "" };
    axum::Json(DomainList { domains: [domain], links: Links {} })
}
