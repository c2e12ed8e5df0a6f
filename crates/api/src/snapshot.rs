//! Tenant snapshots (docs/testing.md): a tenant's state as one JSON document, and that document
//! imported into another tenant or server. Shared by the testing tools' HTTP routes and
//! `ucsd admin tenant export|import`.
//!
//! The document holds the rows of the tenant's tables ([`store::testing::SNAPSHOT_TABLES`]) with the
//! tenant's domain id written `${domain}` and each project id `${project:NAME}`, so it imports into any
//! tenant with projects of those names. Ids of resources are kept. Sealed secrets (kubeconfigs of
//! attached clusters, federation CA keys, CCE proxy keys) are left out unless asked for; asked for,
//! they are in the document in the clear (`{"secret": "…"}`) and sealed again, under the importing
//! server's master key, on import.

use std::collections::BTreeMap;

use domain::{audit::Actor, ids::DomainId, Error, Result};
use schemars::JsonSchema;
use secrets::{Context, Keyring};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use store::{
    testing::{SnapshotRow, SnapshotTables},
    Store,
};

/// The `format` of the documents this server writes and reads.
pub const FORMAT: &str = "ucsd-snapshot/1";

/// A snapshot document.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Snapshot {
    /// [`FORMAT`].
    #[schemars(transform = domain::wire_rules::one_of([FORMAT]))]
    pub format: String,
    /// Whether sealed secrets are in the document (in the clear).
    #[serde(default)]
    pub secrets: bool,
    /// The rows of each table, keyed by column.
    pub tables: SnapshotTables,
}

/// What an import did: the rows imported per table.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SnapshotImported")]
pub struct Imported {
    pub imported: BTreeMap<String, u64>,
}

/// The sealed columns: table, column, and the column naming the row the secret is bound to.
const SEALED: [(&str, &str, &str); 3] = [
    ("clusters", "kubeconfig_sealed", "id"),
    ("fleet_federations", "ca_key_sealed", "fleet_id"),
    ("cce_clusters", "proxy_key_sealed", "id"),
];

fn context<'a>(column: &str, id: &'a str) -> Context<'a> {
    match column {
        "kubeconfig_sealed" => Context::Kubeconfig(id),
        "ca_key_sealed" => Context::FederationCa(id),
        _ => Context::CceProxyKey(id),
    }
}

/// Applies `f` to every string of a row.
fn map_strings(row: &mut SnapshotRow, f: &dyn Fn(&str) -> String) {
    for value in row.values_mut() {
        if let Value::String(s) = value {
            *s = f(s);
        }
    }
}

/// The tenant's state as a snapshot document.
pub async fn export(store: &Store, sealer: &Keyring, domain_id: DomainId, secrets: bool) -> Result<Snapshot> {
    let projects = store.project_list(domain_id, None).await?;
    let mut tables = store.tenant_rows(domain_id).await?;
    for (table, rows) in tables.iter_mut() {
        for row in rows.iter_mut() {
            for (_, column, owner) in SEALED.iter().filter(|(t, _, _)| t == table) {
                let Some(Value::String(sealed)) = row.remove(*column) else { continue };
                if !secrets || sealed.is_empty() {
                    continue;
                }
                let id = row.get(*owner).and_then(Value::as_str).unwrap_or_default().to_string();
                let plain = sealer.open_string(&sealed, context(column, &id)).await.map_err(|e| {
                    Error::new(domain::error::ucs::FAILED_TO_DECRYPT_DATA).with_internal(e.to_string())
                })?;
                row.insert(column.to_string(), json!({ "secret": plain }));
            }
            let domain = domain_id.to_string();
            map_strings(row, &|s: &str| {
                let mut s = s.replace(&domain, "${domain}");
                for p in &projects {
                    s = s.replace(&p.id.to_string(), &format!("${{project:{}}}", p.name));
                }
                s
            });
        }
    }
    Ok(Snapshot { format: FORMAT.to_string(), secrets, tables })
}

/// A project placeholder's name, and where it ends.
fn next_project(s: &str) -> Option<(usize, &str, usize)> {
    let start = s.find("${project:")?;
    let end = start + s[start..].find('}')?;
    Some((start, &s[start + "${project:".len()..end], end + 1))
}

/// Replaces the actor's tenant's state with the document's; answers the rows imported per table.
pub async fn import(store: &Store, sealer: &Keyring, actor: &Actor, document: Snapshot) -> Result<Imported> {
    if document.format != FORMAT {
        return Err(Error::invalid_body(format!("a snapshot document has \"format\": \"{FORMAT}\"")));
    }
    let mut tables = document.tables;
    let projects = store.project_list(actor.domain_id, None).await?;
    let domain = actor.domain_id.to_string();
    let mut missing: Option<String> = None;
    for (table, rows) in tables.iter_mut() {
        for row in rows.iter_mut() {
            let resolve = |s: &str| {
                let mut out = s.replace("${domain}", &domain);
                while let Some((start, name, end)) = next_project(&out) {
                    let id = projects.iter().find(|p| p.name == name).map(|p| p.id.to_string());
                    let id = id.unwrap_or_else(|| format!("<no project {name}>"));
                    out.replace_range(start..end, &id);
                }
                out
            };
            map_strings(row, &resolve);
            if let Some(bad) = row.values().filter_map(Value::as_str).find(|s| s.contains("<no project ")) {
                missing.get_or_insert_with(|| bad.to_string());
            }
            for (_, column, owner) in SEALED.iter().filter(|(t, _, _)| t == table) {
                let Some(value) = row.remove(*column) else { continue };
                let plain = value.get("secret").and_then(Value::as_str).ok_or_else(|| {
                    Error::invalid_body(format!("{table}.{column} must be {{\"secret\": \"…\"}}"))
                })?;
                let id = row.get(*owner).and_then(Value::as_str).unwrap_or_default().to_string();
                row.insert(
                    column.to_string(),
                    Value::String(sealer.seal(plain.as_bytes(), context(column, &id))),
                );
            }
        }
    }
    if let Some(bad) = missing {
        let name = bad.split("<no project ").nth(1).and_then(|s| s.split('>').next()).unwrap_or("");
        return Err(Error::invalid_body(format!("the tenant has no project named {name:?}")));
    }
    let imported = store.tenant_replace(actor, &tables).await?;
    Ok(Imported { imported })
}
