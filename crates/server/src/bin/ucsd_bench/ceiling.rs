//! What this machine can do at most for a request like `GET /v1/clusters`, measured beside ucsd so
//! that its figure can be read against limits that are not ucsd's:
//! - the HTTP stack alone: the same signed client against a process of this binary that answers every
//!   request with the body ucsd answered, from memory (axum on tokio, as ucsd; no auth, no database);
//! - Postgres alone: the two statements ucsd runs for the request (the access key read and the list),
//!   run by pgbench with as many clients.

use std::path::PathBuf;

use axum::{body::Bytes, http::header::CONTENT_TYPE};

/// `ucsd-bench static-body FILE`: answers every request on `UCS_LISTEN` with FILE as JSON.
pub async fn serve_static(body: PathBuf) -> anyhow::Result<()> {
    let listen = std::env::var("UCS_LISTEN")?;
    let body = Bytes::from(std::fs::read(&body)?);
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { ([(CONTENT_TYPE, "application/json")], body) }
    });
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// A pgbench script of the statements of one signed unpaged `GET /v1/clusters`, with the values of
/// the bench's tenant in place of the binds (`$1` is the only one in both).
pub fn list_script(access_key: &str, domain_id: domain::ids::DomainId) -> anyhow::Result<String> {
    let page = api::paging::page_of(None, None, None, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let filter = store::cluster::ClusterFilter { page, ..Default::default() };
    let (list, _, binds) = store::cluster::list_statement(store::Dialect::Postgres, domain_id, &filter);
    anyhow::ensure!(binds.len() == 1, "the unpaged list binds only the tenant");
    let literal = |v: &str| format!("'{}'", v.replace('\'', "''"));
    let one_line = |sql: &str| sql.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(format!(
        "{};\n{};\n",
        one_line(&store::identity::ACCESS_KEY_AUTH_QUERY.replace("$1", &literal(access_key))),
        one_line(&list.replace("$1", &literal(&binds[0])))
    ))
}

/// A pgbench script of the one statement of a cached `GET /v1/clusters` or a `304` (the tenant's
/// generation; the credentials are verified from memory).
pub fn cached_script(domain_id: domain::ids::DomainId) -> String {
    format!("{};\n", store::TENANT_GENERATION_QUERY.replace("$1", &format!("'{domain_id}'")))
}
