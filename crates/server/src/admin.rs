//! Operator commands (`ucsd admin …`): tenants, users, access keys, jobs. Each prints one JSON document on
//! stdout, so scripts and test harnesses can read the generated credentials.

use domain::{
    audit::Actor,
    authz::operator,
    error::iam,
    identity::{AccessKeyStatus, Role, Tenant, PLATFORM_TENANT},
    Error, Result,
};
use secrets::Keyring;
use serde::Serialize;
use store::{
    identity::NewTenant,
    testing::{AuditRetention, TenantReset},
    Store,
};

/// What `ucsd admin tenant create` prints: exactly these keys.
#[derive(Debug, Clone, Serialize)]
pub struct TenantCredentials {
    pub domain_id: String,
    pub domain_name: String,
    pub project_id: String,
    pub project_name: String,
    pub user_id: String,
    pub user_name: String,
    pub password: String,
    pub access_key: String,
    pub secret_key: String,
}

/// A new access key, shown once.
#[derive(Debug, Clone, Serialize)]
pub struct AccessKeyCredentials {
    pub user_id: String,
    pub access_key: String,
    pub secret_key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserCredentialsOut {
    pub user_id: String,
    pub user_name: String,
    pub password: String,
    pub roles: Vec<String>,
    pub access_key: String,
    pub secret_key: String,
}

/// Admin commands have no HTTP request; their audit events get a request id of their own.
fn request_id() -> String {
    format!("admin-{}", domain::ids::random_uuid().simple())
}

/// Creates a tenant, its default project (named after the region), an administrator with a generated
/// password and an access key.
pub async fn tenant_create(
    store: &Store,
    sealer: &Keyring,
    name: &str,
    region: &str,
) -> Result<TenantCredentials> {
    if name == PLATFORM_TENANT {
        return Err(Error::new(iam::NAME_TAKEN)
            .with_detail(format!("{PLATFORM_TENANT} is the platform operators' account")));
    }
    account_create(store, sealer, name, region, "admin", Role::TenantAdmin).await
}

/// A new account whose first user holds `role`, with a generated password and access key.
async fn account_create(
    store: &Store,
    sealer: &Keyring,
    name: &str,
    region: &str,
    user: &str,
    role: Role,
) -> Result<TenantCredentials> {
    domain::identity::validate_account_name("tenant name", name)?;
    domain::identity::validate_region(region)?;
    let password = secrets::generate_password();
    let password_hash = secrets::hash_password(&password).map_err(Error::internal)?;
    let access_key = secrets::generate_access_key();
    let secret_key = secrets::generate_secret_key();
    let new = NewTenant {
        name: name.to_string(),
        project_name: region.to_string(),
        admin_user_name: user.to_string(),
        admin_password_hash: password_hash,
        admin_role: role,
        secret_sealed: sealer.seal(secret_key.as_bytes(), secrets::Context::AccessKeySecret(&access_key)),
        access_key: access_key.clone(),
    };
    let created = store.tenant_create(new, &request_id()).await?;
    Ok(TenantCredentials {
        domain_id: created.tenant.id.to_string(),
        domain_name: created.tenant.name,
        project_id: created.project.id.to_string(),
        project_name: created.project.name,
        user_id: created.user.id.to_string(),
        user_name: created.user.name,
        password,
        access_key,
        secret_key,
    })
}

/// Creates a platform operator ([`Role::PlatformAdmin`]) named `name` in the reserved account
/// [`PLATFORM_TENANT`] (made with the first operator): it signs in to the console's operator pages.
pub async fn operator_create(
    store: &Store,
    sealer: &Keyring,
    name: &str,
    region: &str,
) -> Result<UserCredentialsOut> {
    domain::identity::validate_account_name("operator name", name)?;
    let Some(platform) = store.tenant_get_by_name(PLATFORM_TENANT).await? else {
        let created =
            account_create(store, sealer, PLATFORM_TENANT, region, name, Role::PlatformAdmin).await?;
        return Ok(UserCredentialsOut {
            user_id: created.user_id,
            user_name: created.user_name,
            password: created.password,
            roles: vec![Role::PlatformAdmin.to_string()],
            access_key: created.access_key,
            secret_key: created.secret_key,
        });
    };
    user_insert(store, sealer, &platform, name, &[Role::PlatformAdmin]).await
}

pub async fn tenant_by_name(store: &Store, name: &str) -> Result<Tenant> {
    store
        .tenant_get_by_name(name)
        .await?
        .ok_or_else(|| Error::new(iam::NOT_FOUND).with_detail(format!("no tenant named {name:?}")))
}

/// What `ucsd admin tenant reset` prints.
#[derive(Debug, Clone, Serialize)]
pub struct TenantResetOut {
    pub domain_id: String,
    pub domain_name: String,
    pub removed: TenantReset,
}

/// Removes everything the tenant made and keeps the tenant, its projects, users and access keys
/// (`Store::tenant_reset`); with `remove_audit` its audit log goes too.
pub async fn tenant_reset(store: &Store, tenant: &str, remove_audit: bool) -> Result<TenantResetOut> {
    let tenant = tenant_by_name(store, tenant).await?;
    let audit = if remove_audit { AuditRetention::Remove } else { AuditRetention::Keep };
    let removed =
        store.tenant_reset(&Actor::operator(tenant.id, request_id(), operator::TENANT_RESET), audit).await?;
    Ok(TenantResetOut { domain_id: tenant.id.to_string(), domain_name: tenant.name, removed })
}

/// The tenant's state as a snapshot document (`api::snapshot`); with `secrets`, its sealed secrets
/// in the clear.
pub async fn tenant_export(
    store: &Store,
    sealer: &Keyring,
    tenant: &str,
    secrets: bool,
) -> Result<api::snapshot::Snapshot> {
    let tenant = tenant_by_name(store, tenant).await?;
    api::snapshot::export(store, sealer, tenant.id, secrets).await
}

/// Replaces the tenant's state with a snapshot document's; what was imported.
pub async fn tenant_import(
    store: &Store,
    sealer: &Keyring,
    tenant: &str,
    document: api::snapshot::Snapshot,
) -> Result<api::snapshot::Imported> {
    let tenant = tenant_by_name(store, tenant).await?;
    let actor = Actor::operator(tenant.id, request_id(), operator::TENANT_IMPORT);
    api::snapshot::import(store, sealer, &actor, document).await
}

/// Creates a user with roles, a generated password and an access key.
pub async fn user_create(
    store: &Store,
    sealer: &Keyring,
    tenant: &str,
    name: &str,
    roles: &[Role],
) -> Result<UserCredentialsOut> {
    domain::identity::validate_account_name("user name", name)?;
    if let Some(role) = roles.iter().find(|r| !Role::TENANT.contains(r)) {
        return Err(Error::invalid_body(format!("{role} is made by `ucsd admin operator create` only")));
    }
    let tenant = tenant_by_name(store, tenant).await?;
    if tenant.name == PLATFORM_TENANT {
        return Err(Error::invalid_body(
            "the platform account's users are operators: `ucsd admin operator create`",
        ));
    }
    user_insert(store, sealer, &tenant, name, roles).await
}

async fn user_insert(
    store: &Store,
    sealer: &Keyring,
    tenant: &Tenant,
    name: &str,
    roles: &[Role],
) -> Result<UserCredentialsOut> {
    let actor = Actor::operator(tenant.id, request_id(), operator::USER_CREATE);
    let password = secrets::generate_password();
    let hash = secrets::hash_password(&password).map_err(Error::internal)?;
    let user = store.user_create(&actor, name, &hash, roles).await?;
    let key = access_key_issue(store, sealer, &actor, user.id).await?;
    Ok(UserCredentialsOut {
        user_id: user.id.to_string(),
        user_name: user.name,
        password,
        roles: user.roles.iter().map(|r| r.to_string()).collect(),
        access_key: key.access_key,
        secret_key: key.secret_key,
    })
}

async fn access_key_issue(
    store: &Store,
    sealer: &Keyring,
    actor: &Actor,
    user_id: domain::ids::UserId,
) -> Result<AccessKeyCredentials> {
    let access_key = secrets::generate_access_key();
    let secret_key = secrets::generate_secret_key();
    let sealed = sealer.seal(secret_key.as_bytes(), secrets::Context::AccessKeySecret(&access_key));
    store.access_key_create(actor, user_id, &access_key, &sealed, "issued by ucsd admin").await?;
    Ok(AccessKeyCredentials { user_id: user_id.to_string(), access_key, secret_key })
}

/// Issues another access key for a user of the tenant (by user name).
pub async fn access_key_create(
    store: &Store,
    sealer: &Keyring,
    tenant: &str,
    user: &str,
) -> Result<AccessKeyCredentials> {
    let tenant = tenant_by_name(store, tenant).await?;
    let actor = Actor::operator(tenant.id, request_id(), operator::ACCESS_KEY_CREATE);
    let users = store.user_list(tenant.id).await?;
    let user = users
        .into_iter()
        .find(|u| u.name == user)
        .ok_or_else(|| Error::new(iam::NOT_FOUND).with_detail(format!("no user named {user:?}")))?;
    access_key_issue(store, sealer, &actor, user.id).await
}

pub async fn access_key_set_status(
    store: &Store,
    tenant: &str,
    access_key: &str,
    status: AccessKeyStatus,
) -> Result<()> {
    let tenant = tenant_by_name(store, tenant).await?;
    let action = match status {
        AccessKeyStatus::Active => operator::ACCESS_KEY_ENABLE,
        AccessKeyStatus::Inactive => operator::ACCESS_KEY_DISABLE,
    };
    store.access_key_set_status(&Actor::operator(tenant.id, request_id(), action), access_key, status).await
}

pub async fn access_key_delete(store: &Store, tenant: &str, access_key: &str) -> Result<()> {
    let tenant = tenant_by_name(store, tenant).await?;
    store
        .access_key_delete(&Actor::operator(tenant.id, request_id(), operator::ACCESS_KEY_DELETE), access_key)
        .await
}

/// The arguments of `ucsd admin jobs list`, as typed.
#[derive(Debug, Clone, Default)]
pub struct JobListArgs {
    pub tenant: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub older_than: Option<std::time::Duration>,
    pub steps: bool,
    pub limit: i64,
}

/// Jobs across tenants, newest first.
pub async fn jobs_list(store: &Store, args: JobListArgs) -> Result<Vec<domain::job::Job>> {
    let tenant = match &args.tenant {
        Some(name) => Some(tenant_by_name(store, name).await?.id),
        None => None,
    };
    let kind = args.kind.as_deref().map(domain::job_admin::parse_kind).transpose()?;
    let now = store.clock().now();
    let created_before = args.older_than.map(|age| {
        let age = chrono::Duration::from_std(age).ok();
        age.and_then(|age| now.checked_sub_signed(age)).unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    });
    let filter = domain::job_admin::JobFilter {
        tenant,
        kind,
        state: args.state.as_deref().map(str::parse).transpose()?,
        created_before,
        steps: args.steps,
        limit: args.limit,
    };
    store.job_admin_list(&filter).await
}

pub async fn job_retry(store: &Store, id: &str) -> Result<domain::job::Job> {
    store.job_admin_retry(domain::job_admin::parse_id(id)?, &request_id()).await
}

pub async fn job_cancel(store: &Store, id: &str) -> Result<domain::job::Job> {
    store.job_admin_cancel(domain::job_admin::parse_id(id)?, &request_id()).await
}
