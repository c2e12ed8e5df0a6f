//! Addon templates (from the version catalogue) and addon instances of a cluster, under both
//! services' paths: list templates; list, show, create, update and delete instances. The paths name
//! no project (the SDK sends `X-Project-Id`) and no cluster: the body's `spec.clusterID` or the
//! `cluster_id` query does, and must be the caller's cluster of the path's service.

use std::collections::BTreeMap;

use axum::{extract::State, http::StatusCode, Json as JsonOut};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::{
    addon::{self, instance_uid},
    authz::actions,
    cce::CceCluster,
    error::cce,
    ids::CceClusterId,
    Error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use store::addon::AddonChange;

use super::{cluster, route, version_of, Service};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{Json, Path, Query},
    routes::Route,
    AppState,
};
use domain::cce_wire;

const TEMPLATES: &str = "/api/v3/addontemplates";
const INSTANCES: &str = "/api/v3/addons";
const INSTANCE: &str = "/api/v3/addons/{id}";

pub(super) fn routes() -> Vec<Route> {
    [
        route(Route::get, TEMPLATES, true, actions::ADDON_TEMPLATE_LIST, list_templates),
        route(Route::get, INSTANCES, true, actions::ADDON_LIST, list),
        route(Route::post, INSTANCES, true, actions::ADDON_CREATE, create),
        route(Route::get, INSTANCE, true, actions::ADDON_GET, show),
        route(Route::put, INSTANCE, true, actions::ADDON_UPDATE, update),
        route(Route::delete, INSTANCE, true, actions::ADDON_DELETE, delete),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The SDK reads addon timestamps as dates: RFC 3339.
fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Addon version → the releases of the service's catalogue that offer it.
fn releases_by_version(service: &Service, template: &str) -> BTreeMap<String, Vec<String>> {
    let mut by_version: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in &service.catalogue().versions {
        for version in entry.addons.get(template).into_iter().flatten() {
            by_version.entry(version.clone()).or_default().push(entry.release().to_string());
        }
    }
    by_version
}

/// A `Versions` object: an addon version and the cluster versions it supports.
fn version_view(version: &str, releases: &[String]) -> AddonVersion {
    AddonVersion {
        version: version.to_string(),
        input: Map::new(),
        stable: true,
        translate: Map::new(),
        support_versions: vec![SupportVersions {
            cluster_type: "VirtualMachine",
            cluster_version: releases.to_vec(),
        }],
    }
}

/// `Versions`: an addon version and the cluster versions it supports.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AddonVersion")]
struct AddonVersion {
    version: String,
    /// The addon's inputs (ucsd's addons have none).
    input: Map<String, Value>,
    stable: bool,
    translate: Map<String, Value>,
    support_versions: Vec<SupportVersions>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct SupportVersions {
    cluster_type: &'static str,
    cluster_version: Vec<String>,
}

/// The metadata of an addon template or instance.
fn addon_metadata(uid: String, name: &str, times: Option<(String, String)>) -> cce_wire::AddonMetadata {
    let (creation_timestamp, update_timestamp) = times.unzip();
    cce_wire::AddonMetadata {
        uid: Some(uid),
        name: Some(name.to_string()),
        alias: Some(name.to_string()),
        labels: Some(BTreeMap::new()),
        annotations: Some(BTreeMap::new()),
        update_timestamp,
        creation_timestamp,
    }
}

/// `list_addon_templates`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AddonTemplateList")]
pub(crate) struct TemplateList {
    kind: &'static str,
    api_version: &'static str,
    items: Vec<AddonTemplate>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct AddonTemplate {
    kind: &'static str,
    api_version: &'static str,
    metadata: cce_wire::AddonMetadata,
    spec: TemplateSpec,
}

/// `Templatespec`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AddonTemplateSpec")]
struct TemplateSpec {
    #[serde(rename = "type")]
    template_type: &'static str,
    require: bool,
    labels: Vec<String>,
    #[serde(rename = "logoURL")]
    logo_url: &'static str,
    #[serde(rename = "readmeURL")]
    readme_url: &'static str,
    description: String,
    versions: Vec<AddonVersion>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct TemplateQuery {
    addon_template_name: Option<String>,
}

/// `GET /api/v3/addontemplates[?addon_template_name=]`: every addon the service's catalogue offers.
async fn list_templates(
    service: Service,
    Query(q): Query<TemplateQuery>,
) -> ApiResult<JsonOut<TemplateList>> {
    let mut names: Vec<&String> = service.catalogue().versions.iter().flat_map(|v| v.addons.keys()).collect();
    names.sort();
    names.dedup();
    let optional = &domain::upgrade::Catalogue::get().optional_addons;
    let items = names
        .into_iter()
        .filter(|name| q.addon_template_name.as_deref().is_none_or(|wanted| wanted == name.as_str()))
        .map(|name| {
            let versions = releases_by_version(&service, name)
                .iter()
                .map(|(v, releases)| version_view(v, releases))
                .collect();
            AddonTemplate {
                kind: "Addon",
                api_version: "v3",
                metadata: addon_metadata(name.clone(), name, None),
                spec: TemplateSpec {
                    template_type: "helm",
                    require: !optional.contains(name),
                    labels: Vec::new(),
                    logo_url: "",
                    readme_url: "",
                    description: format!("the {name} addon"),
                    versions,
                },
            }
        })
        .collect();
    Ok(JsonOut(TemplateList { kind: "Addon", api_version: "v3", items }))
}

/// The `AddonInstance` object of the wire for `template` of cluster `c`.
fn instance_view(service: &Service, c: &CceCluster, template: &str) -> Result<AddonInstance, ApiError> {
    let version = c.addons.get(template).ok_or_else(|| Error::internal("an addon view of no addon"))?;
    let instance = c.addon_instances.get(template).cloned().unwrap_or_default();
    let offered = version_of(service, c)?.addons.get(template).cloned().unwrap_or_default();
    let newer: Vec<String> = offered.iter().skip_while(|v| *v != version).skip(1).cloned().collect();
    let releases = releases_by_version(service, template).remove(version).unwrap_or_default();
    let times = (
        rfc3339(instance.created_at.unwrap_or(c.created_at)),
        rfc3339(instance.updated_at.unwrap_or(c.created_at)),
    );
    Ok(AddonInstance {
        kind: "Addon",
        api_version: "v3",
        metadata: addon_metadata(instance_uid(c.id, template), template, Some(times)),
        spec: InstanceSpec {
            cluster_id: c.id,
            version: version.clone(),
            addon_template_name: template.to_string(),
            addon_template_type: "helm",
            addon_template_logo: "",
            addon_template_labels: Vec::new(),
            description: format!("the {template} addon"),
            values: match instance.values {
                Value::Object(values) => values,
                _ => Map::new(),
            },
        },
        status: InstanceStatus {
            status: "running",
            reason: "",
            message: "",
            target_versions: newer,
            current_version: version_view(version, &releases),
            is_rollbackable: false,
            previous_version: "",
        },
    })
}

/// The `AddonInstance` object of the wire.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddonInstance {
    kind: &'static str,
    api_version: &'static str,
    metadata: cce_wire::AddonMetadata,
    spec: InstanceSpec,
    status: InstanceStatus,
}

/// `InstanceSpec`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AddonInstanceSpec")]
struct InstanceSpec {
    #[serde(rename = "clusterID")]
    cluster_id: CceClusterId,
    version: String,
    addon_template_name: String,
    addon_template_type: &'static str,
    addon_template_logo: &'static str,
    addon_template_labels: Vec<String>,
    description: String,
    /// The values the user installed the addon with: open, as the addon defines them.
    values: Map<String, Value>,
}

/// `AddonInstanceStatus`.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AddonInstanceStatus")]
struct InstanceStatus {
    status: &'static str,
    #[serde(rename = "Reason")]
    reason: &'static str,
    message: &'static str,
    target_versions: Vec<String>,
    current_version: AddonVersion,
    is_rollbackable: bool,
    previous_version: &'static str,
}

/// `list_addon_instances`' body.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "AddonInstanceList")]
pub(crate) struct InstanceList {
    kind: &'static str,
    api_version: &'static str,
    items: Vec<AddonInstance>,
}

/// The template an instance id names in cluster `c`.
fn template_of(c: &CceCluster, id: &str) -> Result<String, ApiError> {
    c.addons
        .keys()
        .find(|t| instance_uid(c.id, t) == id)
        .cloned()
        .ok_or_else(|| Error::not_found(cce::NOT_FOUND).with_detail("no such addon instance").into())
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ClusterQuery {
    cluster_id: Option<String>,
}

impl ClusterQuery {
    fn cluster_id(&self) -> Result<&str, ApiError> {
        self.cluster_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::invalid_body("the cluster_id query parameter is required").into())
    }

    /// The cluster of an instance id: without one, no instance is found.
    fn instance_cluster(&self) -> Result<&str, ApiError> {
        self.cluster_id.as_deref().filter(|c| !c.is_empty()).ok_or_else(|| {
            Error::not_found(cce::NOT_FOUND)
                .with_detail("no such addon instance (name its cluster_id)")
                .into()
        })
    }
}

async fn list(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Query(q): Query<ClusterQuery>,
) -> ApiResult<JsonOut<InstanceList>> {
    let c = cluster(&app, &caller, &service, q.cluster_id()?).await?;
    let items = c.addons.keys().map(|t| instance_view(&service, &c, t)).collect::<Result<Vec<_>, _>>()?;
    Ok(JsonOut(InstanceList { kind: "Addon", api_version: "v3", items }))
}

async fn show(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path(id): Path<String>,
    Query(q): Query<ClusterQuery>,
) -> ApiResult<JsonOut<AddonInstance>> {
    let c = cluster(&app, &caller, &service, q.instance_cluster()?).await?;
    let template = template_of(&c, &id)?;
    Ok(JsonOut(instance_view(&service, &c, &template)?))
}

/// `POST /api/v3/addons`: installs an addon the catalogue offers for the cluster's version (the
/// newest, unless `spec.version` names another).
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Json(body): Json<cce_wire::InstanceRequest>,
) -> ApiResult<(StatusCode, JsonOut<AddonInstance>)> {
    let request = addon::validate_request(&body)?;
    let c = cluster(&app, &caller, &service, &request.cluster_id).await?;
    let version =
        addon::resolve_version(version_of(&service, &c)?, &request.template, request.version.as_deref())?;
    let change = AddonChange::Install {
        template: request.template.clone(),
        version,
        values: request.values.unwrap_or_else(|| json!({})),
    };
    let saved = app.store.addon_change(&caller.actor(), service.0, c.id, change).await?;
    Ok((StatusCode::CREATED, JsonOut(instance_view(&service, &saved, &request.template)?)))
}

/// `PUT /api/v3/addons/{id}`: moves an instance to another offered version and/or new values.
async fn update(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path(id): Path<String>,
    Json(body): Json<cce_wire::InstanceRequest>,
) -> ApiResult<JsonOut<AddonInstance>> {
    let request = addon::validate_request(&body)?;
    let c = cluster(&app, &caller, &service, &request.cluster_id).await?;
    let template = template_of(&c, &id)?;
    if template != request.template {
        return Err(Error::invalid_body(format!(
            "spec.addonTemplateName {:?} is not the instance's template {template:?}",
            request.template
        ))
        .into());
    }
    let version = match request.version.as_deref() {
        Some(v) => addon::resolve_version(version_of(&service, &c)?, &template, Some(v))?,
        None => c.addons[&template].clone(),
    };
    let change = AddonChange::Update { template: template.clone(), version, values: request.values };
    let saved = app.store.addon_change(&caller.actor(), service.0, c.id, change).await?;
    Ok(JsonOut(instance_view(&service, &saved, &template)?))
}

async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    service: Service,
    Path(id): Path<String>,
    Query(q): Query<ClusterQuery>,
) -> ApiResult<JsonOut<&'static str>> {
    let c = cluster(&app, &caller, &service, q.instance_cluster()?).await?;
    let template = template_of(&c, &id)?;
    app.store.addon_change(&caller.actor(), service.0, c.id, AddonChange::Remove { template }).await?;
    Ok(JsonOut("success"))
}
