//! Permission policies (`/v1/permissions/rules`, docs/wire.md U30–U33), their attachment to clusters (U08)
//! and fleets (U21), and the Kubernetes RBAC they render per cluster (`GET /v1/clusters/{id}/rbac`, an
//! extension of ucsd for operators who apply the objects).

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json as JsonOut,
};
use chrono::{DateTime, SecondsFormat, Utc};
use domain::{
    authz::actions,
    ids::{RuleId, UserId},
    rbac::{self, RuleIdNamespacesInput},
    rule::{Content, ContentInput, NewRule, Rule, RuleSpecInput},
    Error,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use store::rule::Target;

use crate::{
    auth::Caller,
    clusters::cluster_id,
    error::ApiResult,
    extract::{Json, Path, Query},
    fleets::fleet_id,
    paging::PageQuery,
    routes::Route,
    wire::{Empty, Uid},
    AppState,
};

pub(crate) fn routes() -> Vec<Route> {
    const ONE: &str = "/v1/permissions/rules/{ruleid}";
    vec![
        Route::get("/v1/permissions/rules", actions::RULE_LIST, list),
        Route::post("/v1/permissions/rules", actions::RULE_CREATE, create),
        Route::put(ONE, actions::RULE_UPDATE, update),
        Route::delete(ONE, actions::RULE_DELETE, delete),
        Route::put(
            "/v1/clusters/{clusterid}/associatedrules",
            actions::CLUSTER_UPDATE_RULES,
            attach_to_cluster,
        ),
        Route::put(
            "/v1/clustergroups/{clustergroupid}/associatedrules",
            actions::FLEET_UPDATE_RULES,
            attach_to_fleet,
        ),
        Route::get("/v1/clusters/{clusterid}/rbac", actions::CLUSTER_GET_RBAC, cluster_rbac),
    ]
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `Rule` object of the wire (docs/wire.md U31).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Rule")]
pub(crate) struct RuleView {
    kind: &'static str,
    api_version: &'static str,
    metadata: RuleMetadata,
    spec: RuleSpecView,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct RuleMetadata {
    uid: RuleId,
    name: String,
    creation_timestamp: String,
    update_timestamp: String,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "RuleSpecView")]
struct RuleSpecView {
    #[serde(rename = "iamUserIDs")]
    iam_user_ids: Vec<UserId>,
    #[serde(rename = "type")]
    rule_type: &'static str,
    contents: Vec<Content>,
    description: String,
}

impl RuleView {
    fn of(r: &Rule) -> Self {
        RuleView {
            kind: "Rule",
            api_version: "v1",
            metadata: RuleMetadata {
                uid: r.id,
                name: r.name.clone(),
                creation_timestamp: rfc3339(r.created_at),
                update_timestamp: rfc3339(r.updated_at),
            },
            spec: RuleSpecView {
                iam_user_ids: r.spec.iam_user_ids.clone(),
                rule_type: r.spec.rule_type.as_str(),
                contents: r.spec.contents.clone(),
                description: r.spec.description.clone(),
            },
        }
    }
}

/// U31's body.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "RuleList")]
pub(crate) struct RuleList {
    items: Vec<RuleView>,
    total: i64,
}

fn rule_id(raw: &str) -> Result<RuleId, Error> {
    raw.parse().map_err(|_| Error::bad_query(format!("ruleid {raw:?} is not a valid rule id")))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RuleContent")]
struct ContentBody {
    #[serde(default)]
    #[schemars(length(max = domain::rule::MAX_VERBS_OR_RESOURCES))]
    verbs: Vec<String>,
    #[serde(default)]
    #[schemars(length(max = domain::rule::MAX_VERBS_OR_RESOURCES))]
    resources: Vec<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RuleSpec")]
struct SpecBody {
    #[serde(rename = "iamUserIDs", alias = "iamuserids")]
    #[schemars(length(max = domain::rule::MAX_IAM_USERS), inner(regex(pattern = domain::ids::ID_PATTERN)))]
    iam_user_ids: Option<Vec<String>>,
    #[serde(rename = "type")]
    #[schemars(transform = domain::wire_rules::one_of(domain::wire_rules::rule_types()))]
    rule_type: Option<String>,
    #[schemars(length(max = domain::rule::MAX_CONTENTS))]
    contents: Option<Vec<ContentBody>>,
    #[schemars(length(max = domain::rule::DESCRIPTION_MAX_LEN))]
    description: Option<String>,
}

impl From<SpecBody> for RuleSpecInput {
    fn from(b: SpecBody) -> Self {
        RuleSpecInput {
            iam_user_ids: b.iam_user_ids,
            rule_type: b.rule_type,
            contents: b.contents.map(|cs| {
                cs.into_iter().map(|c| ContentInput { verbs: c.verbs, resources: c.resources }).collect()
            }),
            description: b.description,
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "CreateRuleRequestBody")]
pub(crate) struct CreateBody {
    metadata: CreateMetadata,
    #[serde(default)]
    spec: SpecBody,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(rename = "CreateRuleMetadata")]
struct CreateMetadata {
    #[schemars(regex(pattern = domain::wire_rules::DNS1123_LABEL))]
    name: String,
}

/// U30 `POST /v1/permissions/rules`: 201 `{"uid": …}`.
async fn create(
    State(app): State<AppState>,
    caller: Caller,
    Json(body): Json<CreateBody>,
) -> ApiResult<Response> {
    let rule = NewRule { name: body.metadata.name, spec: body.spec.into() }.validate()?;
    let created = app.store.rule_create(&caller.actor(), &rule, app.config.quotas.rules).await?;
    Ok((StatusCode::CREATED, JsonOut(Uid::of(created.id))).into_response())
}

/// U31 `GET /v1/permissions/rules`.
async fn list(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<PageQuery>,
) -> ApiResult<JsonOut<RuleList>> {
    let (rules, total) = app.store.rule_list(caller.domain_id(), &q.page()?).await?;
    Ok(JsonOut(RuleList { items: rules.iter().map(RuleView::of).collect(), total }))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "UpdateRuleRequestBody")]
pub(crate) struct UpdateBody {
    spec: SpecBody,
}

/// U32 `PUT /v1/permissions/rules/{ruleid}`: the fields sent replace the rule's.
async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<UpdateBody>,
) -> ApiResult<JsonOut<RuleView>> {
    let rule = app.store.rule_update(&caller.actor(), rule_id(&id)?, body.spec.into()).await?;
    Ok(JsonOut(RuleView::of(&rule)))
}

/// U33 `DELETE /v1/permissions/rules/{ruleid}`: detaches the rule everywhere, then deletes it.
async fn delete(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    app.store.rule_delete(&caller.actor(), rule_id(&id)?).await?;
    Ok(StatusCode::OK)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RuleIdNamespaces {
    #[serde(rename = "ruleIDs")]
    #[schemars(length(min = 1), inner(regex(pattern = domain::ids::ID_PATTERN)))]
    rule_ids: Vec<String>,
    #[serde(default)]
    #[schemars(length(min = 1), inner(regex(pattern = domain::wire_rules::NAMESPACE)))]
    namespaces: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "UpdateAssociatedRulesRequest")]
pub(crate) struct AttachBody {
    #[serde(rename = "ruleIDNamespaces", default)]
    rule_id_namespaces: Vec<RuleIdNamespaces>,
}

impl AttachBody {
    fn attachments(self) -> Result<Vec<rbac::Attachment>, Error> {
        let entries: Vec<RuleIdNamespacesInput> = self
            .rule_id_namespaces
            .into_iter()
            .map(|e| RuleIdNamespacesInput { rule_ids: e.rule_ids, namespaces: e.namespaces })
            .collect();
        rbac::validate_attachments(&entries)
    }
}

/// U08 `PUT /v1/clusters/{clusterid}/associatedrules`: the cluster's rules become exactly these.
async fn attach_to_cluster(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<AttachBody>,
) -> ApiResult<JsonOut<Empty>> {
    let target = Target::Cluster(cluster_id(&id)?);
    app.store.rules_attach(&caller.actor(), target, &body.attachments()?).await?;
    Ok(JsonOut(Empty {}))
}

/// U21 `PUT /v1/clustergroups/{clustergroupid}/associatedrules`: the fleet's rules become exactly these.
async fn attach_to_fleet(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<AttachBody>,
) -> ApiResult<JsonOut<Empty>> {
    let target = Target::Fleet(fleet_id(&id)?);
    app.store.rules_attach(&caller.actor(), target, &body.attachments()?).await?;
    Ok(JsonOut(Empty {}))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RbacQuery {
    /// `json` (a Kubernetes `List`, the default) or `yaml` (multi-document).
    #[schemars(transform = domain::wire_rules::one_of(["json", "yaml"]))]
    format: Option<String>,
}

/// `GET /v1/clusters/{clusterid}/rbac` (ucsd extension): the RBAC objects rendered for the cluster.
async fn cluster_rbac(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<RbacQuery>,
) -> ApiResult<Response> {
    let objects = app.store.cluster_rbac(caller.domain_id(), cluster_id(&id)?).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(JsonOut(rbac::to_list_json(&objects)).into_response()),
        "yaml" => {
            Ok(([(header::CONTENT_TYPE, "application/yaml")], rbac::to_yaml(&objects)?).into_response())
        }
        other => Err(Error::bad_query(format!("format {other:?} must be json or yaml")).into()),
    }
}
