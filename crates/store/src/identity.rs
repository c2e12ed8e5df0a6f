//! Tenants (IAM domains), projects, users, roles and access keys.

use domain::{
    audit::{Actor, NewAuditEvent},
    error::iam,
    identity::{AccessKey, AccessKeyStatus, Project, Role, Tenant, User, UserCredentials},
    ids::{DomainId, ProjectId, UserId},
    Error, Result,
};
use sqlx::any::AnyRow;

use crate::{
    sql::{boolean, instant, is_unique_violation, map_db_err, opt_text, parsed, text},
    Store, Tx,
};

/// Everything `ucsd admin tenant create` makes, in one transaction.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub name: String,
    /// The default project's name: the region id.
    pub project_name: String,
    pub admin_user_name: String,
    pub admin_password_hash: String,
    /// The first user's role: the tenant's administrator, or the platform operator in
    /// [`domain::identity::PLATFORM_TENANT`].
    pub admin_role: Role,
    pub access_key: String,
    /// The secret key, already sealed by the caller.
    pub secret_sealed: String,
}

#[derive(Debug, Clone)]
pub struct TenantCreated {
    pub tenant: Tenant,
    pub project: Project,
    pub user: User,
}

/// An access key as the authenticator needs it: the sealed secret, its user and whether the tenant is on.
#[derive(Debug, Clone)]
pub struct AccessKeyAuth {
    pub key: AccessKey,
    pub secret_sealed: String,
    pub user: User,
    pub tenant: Tenant,
}

const TENANT_COLUMNS: &str = "id, name, enabled, created_at";
const USER_COLUMNS: &str = "id, domain_id, name, enabled, created_at";
const ACCESS_KEY_COLUMNS: &str = "access_key, user_id, domain_id, status, description, created_at";

fn tenant_from_row(row: &AnyRow) -> Result<Tenant> {
    Ok(Tenant {
        id: parsed(row, "id")?,
        name: text(row, "name")?,
        enabled: boolean(row, "enabled")?,
        created_at: instant(row, "created_at")?,
    })
}

fn project_from_row(row: &AnyRow) -> Result<Project> {
    Ok(Project { id: parsed(row, "id")?, domain_id: parsed(row, "domain_id")?, name: text(row, "name")? })
}

/// A user without roles; [`Store::user_roles`] fills them.
fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: parsed(row, "id")?,
        domain_id: parsed(row, "domain_id")?,
        name: text(row, "name")?,
        enabled: boolean(row, "enabled")?,
        roles: Vec::new(),
        created_at: instant(row, "created_at")?,
    })
}

fn access_key_from_row(row: &AnyRow) -> Result<AccessKey> {
    let status = text(row, "status")?;
    Ok(AccessKey {
        access_key: text(row, "access_key")?,
        user_id: parsed(row, "user_id")?,
        domain_id: parsed(row, "domain_id")?,
        status: AccessKeyStatus::parse(&status)
            .ok_or_else(|| Error::internal(format!("stored access key status {status:?}")))?,
        description: text(row, "description")?,
        created_at: instant(row, "created_at")?,
    })
}

fn name_taken(what: &str) -> impl Fn(sqlx::Error) -> Error + '_ {
    move |e| {
        if is_unique_violation(&e) {
            Error::new(iam::NAME_TAKEN).with_detail(format!("a {what} of that name exists"))
        } else {
            map_db_err(e)
        }
    }
}

/// The one read behind every signed request: the key with its user, tenant and roles (a row per role
/// of the user; one with a NULL role if it has none). Public so that `ucsd-bench` can hand Postgres
/// the very same query.
pub const ACCESS_KEY_AUTH_QUERY: &str =
    "SELECT k.access_key, k.user_id, k.domain_id, k.status, k.description, k.created_at, k.secret_enc,
            u.name AS user_name, u.enabled AS user_enabled, u.created_at AS user_created_at,
            d.name AS domain_name, d.enabled AS domain_enabled, d.created_at AS domain_created_at,
            r.role AS role
     FROM access_keys k JOIN users u ON u.id = k.user_id JOIN domains d ON d.id = k.domain_id
          LEFT JOIN user_roles r ON r.user_id = k.user_id
     WHERE k.access_key = $1";

impl Store {
    /// Creates a tenant with its default project, an administrator and one access key.
    pub async fn tenant_create(&self, new: NewTenant, request_id: &str) -> Result<TenantCreated> {
        let mut tx = self.begin().await?;
        let now = tx.now_millis();
        let tenant = Tenant {
            id: DomainId::new(),
            name: new.name,
            enabled: true,
            created_at: domain::clock::from_millis(now),
        };
        sqlx::query("INSERT INTO domains (id, name, enabled, created_at) VALUES ($1, $2, TRUE, $3)")
            .bind(tenant.id.to_string())
            .bind(&tenant.name)
            .bind(now)
            .execute(&mut *tx.tx)
            .await
            .map_err(name_taken("tenant"))?;
        let project = Project { id: ProjectId::new(), domain_id: tenant.id, name: new.project_name };
        tx.project_insert(&project).await?;
        let actor =
            Actor::operator(tenant.id, request_id.to_string(), domain::authz::operator::TENANT_CREATE);
        tx.audit(&actor, NewAuditEvent::success("tenant", tenant.id)).await?;
        let user = tx
            .user_insert(&actor, tenant.id, &new.admin_user_name, &new.admin_password_hash, &[new.admin_role])
            .await?;
        tx.access_key_insert(&actor, &user, &new.access_key, &new.secret_sealed, "created with the tenant")
            .await?;
        tx.commit().await?;
        Ok(TenantCreated { tenant, project, user })
    }

    pub async fn tenant_list(&self) -> Result<Vec<Tenant>> {
        let rows = sqlx::query(&format!("SELECT {TENANT_COLUMNS} FROM domains ORDER BY created_at, name"))
            .fetch_all(&self.pool)
            .await
            .map_err(map_db_err)?;
        rows.iter().map(tenant_from_row).collect()
    }

    pub async fn tenant_get(&self, id: DomainId) -> Result<Option<Tenant>> {
        let row = sqlx::query(&format!("SELECT {TENANT_COLUMNS} FROM domains WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    pub async fn tenant_get_by_name(&self, name: &str) -> Result<Option<Tenant>> {
        let row = sqlx::query(&format!("SELECT {TENANT_COLUMNS} FROM domains WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(tenant_from_row).transpose()
    }

    pub async fn tenant_count(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM domains").fetch_one(&self.pool).await.map_err(map_db_err)
    }

    /// A tenant's projects, optionally only the one with `name`.
    pub async fn project_list(&self, domain_id: DomainId, name: Option<&str>) -> Result<Vec<Project>> {
        let rows = sqlx::query(
            "SELECT id, domain_id, name FROM projects WHERE domain_id = $1 AND ($2 IS NULL OR name = $2)
             ORDER BY name",
        )
        .bind(domain_id.to_string())
        .bind(name.map(str::to_string))
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(project_from_row).collect()
    }

    pub async fn project_get(&self, id: ProjectId) -> Result<Option<Project>> {
        let row = sqlx::query("SELECT id, domain_id, name FROM projects WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        row.as_ref().map(project_from_row).transpose()
    }

    /// Adds a project (region) to a tenant.
    pub async fn project_create(&self, actor: &Actor, name: &str) -> Result<Project> {
        let mut tx = self.begin().await?;
        let project = Project { id: ProjectId::new(), domain_id: actor.domain_id, name: name.to_string() };
        tx.project_insert(&project).await?;
        tx.audit(actor, NewAuditEvent::success("project", project.id)).await?;
        tx.commit().await?;
        Ok(project)
    }

    pub async fn user_create(
        &self,
        actor: &Actor,
        name: &str,
        password_hash: &str,
        roles: &[Role],
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let user = tx.user_insert(actor, actor.domain_id, name, password_hash, roles).await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user_get(&self, id: UserId) -> Result<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_err)?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(self.with_roles(user_from_row(&row)?).await?)),
        }
    }

    pub async fn user_list(&self, domain_id: DomainId) -> Result<Vec<User>> {
        let rows =
            sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE domain_id = $1 ORDER BY name"))
                .bind(domain_id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_db_err)?;
        let mut users = Vec::with_capacity(rows.len());
        for row in &rows {
            users.push(self.with_roles(user_from_row(row)?).await?);
        }
        Ok(users)
    }

    /// A user by tenant name and user name, with the password hash, for password authentication.
    pub async fn user_credentials(
        &self,
        domain_name: &str,
        user_name: &str,
    ) -> Result<Option<UserCredentials>> {
        let row = sqlx::query(
            "SELECT u.id, u.domain_id, u.name, u.enabled, u.created_at, u.password_hash
             FROM users u JOIN domains d ON d.id = u.domain_id
             WHERE d.name = $1 AND u.name = $2 AND d.enabled = TRUE",
        )
        .bind(domain_name)
        .bind(user_name)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_db_err)?;
        match row {
            None => Ok(None),
            Some(row) => {
                let user = self.with_roles(user_from_row(&row)?).await?;
                Ok(Some(UserCredentials { user, password_hash: text(&row, "password_hash")? }))
            }
        }
    }

    async fn with_roles(&self, mut user: User) -> Result<User> {
        let names: Vec<String> =
            sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
                .bind(user.id.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(map_db_err)?;
        user.roles = names.iter().map(|n| n.parse()).collect::<Result<_>>()?;
        user.roles.sort();
        Ok(user)
    }

    /// Issues an access key for one of the actor's tenant's users.
    pub async fn access_key_create(
        &self,
        actor: &Actor,
        user_id: UserId,
        access_key: &str,
        secret_sealed: &str,
        description: &str,
    ) -> Result<AccessKey> {
        let user = match self.user_get(user_id).await? {
            Some(user) if user.domain_id == actor.domain_id => user,
            _ => return Err(Error::new(iam::NOT_FOUND).with_detail("no such user")),
        };
        let mut tx = self.begin().await?;
        let key = tx.access_key_insert(actor, &user, access_key, secret_sealed, description).await?;
        tx.commit().await?;
        Ok(key)
    }

    /// The key, its sealed secret, its user (with roles) and tenant: what AK/SK verification needs, in
    /// one read (a row per role of the user; one with a NULL role if it has none).
    pub async fn access_key_for_auth(&self, access_key: &str) -> Result<Option<AccessKeyAuth>> {
        let rows = sqlx::query(ACCESS_KEY_AUTH_QUERY)
            .bind(access_key)
            .fetch_all(&self.pool)
            .await
            .map_err(map_db_err)?;
        let Some(row) = rows.first() else { return Ok(None) };
        let key = access_key_from_row(row)?;
        let mut roles = Vec::new();
        for r in &rows {
            if let Some(role) = opt_text(r, "role")? {
                roles.push(role.parse()?);
            }
        }
        roles.sort();
        let user = User {
            id: key.user_id,
            domain_id: key.domain_id,
            name: text(row, "user_name")?,
            enabled: boolean(row, "user_enabled")?,
            roles,
            created_at: instant(row, "user_created_at")?,
        };
        let tenant = Tenant {
            id: key.domain_id,
            name: text(row, "domain_name")?,
            enabled: boolean(row, "domain_enabled")?,
            created_at: instant(row, "domain_created_at")?,
        };
        Ok(Some(AccessKeyAuth { key, secret_sealed: text(row, "secret_enc")?, user, tenant }))
    }

    pub async fn access_key_list(&self, domain_id: DomainId) -> Result<Vec<AccessKey>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE domain_id = $1 ORDER BY created_at, access_key"
        ))
        .bind(domain_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(map_db_err)?;
        rows.iter().map(access_key_from_row).collect()
    }

    /// Enables or disables a key of the actor's tenant.
    pub async fn access_key_set_status(
        &self,
        actor: &Actor,
        access_key: &str,
        status: AccessKeyStatus,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("UPDATE access_keys SET status = $1 WHERE access_key = $2 AND domain_id = $3")
            .bind(status.as_str())
            .bind(access_key)
            .bind(actor.domain_id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected() == 0 {
            return Err(Error::new(iam::NOT_FOUND).with_detail("no such access key"));
        }
        tx.audit(actor, NewAuditEvent::success("access_key", access_key)).await?;
        tx.commit().await
    }

    pub async fn access_key_delete(&self, actor: &Actor, access_key: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM access_keys WHERE access_key = $1 AND domain_id = $2")
            .bind(access_key)
            .bind(actor.domain_id.to_string())
            .execute(&mut *tx.tx)
            .await
            .map_err(map_db_err)?;
        if done.rows_affected() == 0 {
            return Err(Error::new(iam::NOT_FOUND).with_detail("no such access key"));
        }
        tx.audit(actor, NewAuditEvent::success("access_key", access_key)).await?;
        tx.commit().await
    }
}

impl Tx<'_> {
    async fn project_insert(&mut self, project: &Project) -> Result<()> {
        let now = self.now_millis();
        sqlx::query("INSERT INTO projects (id, domain_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(project.id.to_string())
            .bind(project.domain_id.to_string())
            .bind(&project.name)
            .bind(now)
            .execute(&mut *self.tx)
            .await
            .map_err(name_taken("project"))?;
        Ok(())
    }

    async fn user_insert(
        &mut self,
        actor: &Actor,
        domain_id: DomainId,
        name: &str,
        password_hash: &str,
        roles: &[Role],
    ) -> Result<User> {
        let now = self.now_millis();
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        let user = User {
            id: UserId::new(),
            domain_id,
            name: name.to_string(),
            enabled: true,
            roles,
            created_at: domain::clock::from_millis(now),
        };
        sqlx::query(
            "INSERT INTO users (id, domain_id, name, password_hash, enabled, created_at)
             VALUES ($1, $2, $3, $4, TRUE, $5)",
        )
        .bind(user.id.to_string())
        .bind(domain_id.to_string())
        .bind(name)
        .bind(password_hash)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(name_taken("user"))?;
        for role in &user.roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(user.id.to_string())
                .bind(role.as_str())
                .execute(&mut *self.tx)
                .await
                .map_err(map_db_err)?;
        }
        self.audit(actor, NewAuditEvent::success("user", user.id)).await?;
        Ok(user)
    }

    async fn access_key_insert(
        &mut self,
        actor: &Actor,
        user: &User,
        access_key: &str,
        secret_sealed: &str,
        description: &str,
    ) -> Result<AccessKey> {
        let now = self.now_millis();
        sqlx::query(
            "INSERT INTO access_keys (access_key, user_id, domain_id, secret_enc, status, description, created_at)
             VALUES ($1, $2, $3, $4, 'active', $5, $6)",
        )
        .bind(access_key)
        .bind(user.id.to_string())
        .bind(user.domain_id.to_string())
        .bind(secret_sealed)
        .bind(description)
        .bind(now)
        .execute(&mut *self.tx)
        .await
        .map_err(name_taken("access key"))?;
        self.audit(actor, NewAuditEvent::success("access_key", access_key)).await?;
        Ok(AccessKey {
            access_key: access_key.to_string(),
            user_id: user.id,
            domain_id: user.domain_id,
            status: AccessKeyStatus::Active,
            description: description.to_string(),
            created_at: domain::clock::from_millis(now),
        })
    }
}
