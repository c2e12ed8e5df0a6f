//! The OpenAPI 3.1 document of the whole API, generated from the route table ([`crate::routes::table`])
//! plus the public routes, and served at `GET /openapi.json`. `docs/openapi.json` is this document,
//! checked in (regenerate with `cargo run -q -p api --example openapi > docs/openapi.json`).
//!
//! Paths, methods, path parameters and `x-ucsd-action` come from the route table; everything a route
//! cannot say about itself (operationId = the official SDK method name, summary, success status, query
//! parameters, body and response types) is one row of [`OPERATIONS`], keyed by (method, path). The
//! tests fail when a route has no row or a row names no route, so the two cannot drift apart.
//!
//! Schemas are derived (`schemars`) from the very types the handlers parse and serialize: a row names
//! its request type (`typed::<T>`), its query type (`params::<T>`) and its response type, so renaming
//! a field changes the document and the drift test fails. Request schemas describe what ucsd parses
//! (the deserialize contract) and are closed: a field the type does not declare is refused
//! (docs/wire.md §2), so the document says `additionalProperties: false`. Response schemas describe
//! what ucsd serializes, closed the same way. The rules a type checks beyond its shape (patterns, bounds, enums) are
//! attributes on its fields, next to the code that enforces them. No schema is written by hand.

use std::sync::LazyLock;

use axum::{http::header::CONTENT_TYPE, response::IntoResponse};
use schemars::{generate::SchemaSettings, JsonSchema, Schema as JsonSchemaOf, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::routes;

/// The schema of a wire type, added to the generator's definitions: `typed::<T>`.
type SchemaOf = fn(&mut SchemaGenerator) -> JsonSchemaOf;

/// A reference to `T`'s schema (or `T`'s schema itself, for arrays and other unnamed types).
fn typed<T: JsonSchema>(generator: &mut SchemaGenerator) -> JsonSchemaOf {
    generator.subschema_for::<T>()
}

/// `T`'s own object schema, whose properties are an operation's query parameters.
fn params<T: JsonSchema>(generator: &mut SchemaGenerator) -> JsonSchemaOf {
    T::json_schema(generator)
}

/// How a request or response body is described.
#[derive(Debug, Clone, Copy)]
enum Body {
    /// No body.
    None,
    /// A JSON object not modeled here.
    Object,
    /// A JSON document of a wire type.
    Type(SchemaOf),
    /// A request body as JSON or form-encoded (the one UCS form operation ucsd accepts as sent).
    JsonOrForm(SchemaOf),
    /// A JSON object, or YAML text with `?format=yaml`.
    JsonOrYaml,
    /// Text of this media type.
    Text(&'static str),
}

/// What the document says about one operation.
#[derive(Debug, Clone, Copy)]
struct Op {
    method: &'static str,
    path: &'static str,
    /// The operationId: the official SDK method name where there is one, else descriptive snake_case.
    id: &'static str,
    /// The operation of docs/wire.md's index (`U01`…`C43`) this SDK method is; `None`: ucsd's own.
    wire: Option<&'static str>,
    tag: &'static str,
    summary: &'static str,
    description: Option<&'static str>,
    status: u16,
    /// The query type, whose fields are the query parameters.
    query: Option<SchemaOf>,
    request: Body,
    response: Body,
    /// Served without authentication (not in the route table).
    public: bool,
    errors: &'static [u16],
}

const GET: &str = "GET";
const POST: &str = "POST";
const PUT: &str = "PUT";
const PATCH: &str = "PATCH";
const DELETE: &str = "DELETE";

/// Every authenticated route may answer these (authentication, authorization, validation, missing or
/// conflicting resources, internal failures).
const API_ERRORS: &[u16] = &[400, 401, 403, 404, 409, 429, 500];

const fn op(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    tag: &'static str,
    status: u16,
    summary: &'static str,
) -> Op {
    Op {
        method,
        path,
        id,
        wire: None,
        tag,
        summary,
        description: None,
        status,
        query: None,
        request: Body::None,
        response: Body::Object,
        public: false,
        errors: API_ERRORS,
    }
}

impl Op {
    const fn sdk(mut self, wire: &'static str) -> Self {
        self.wire = Some(wire);
        self
    }

    const fn query(mut self, query: SchemaOf) -> Self {
        self.query = Some(query);
        self
    }

    const fn body(mut self, body: Body) -> Self {
        self.request = body;
        self
    }

    const fn returns(mut self, body: Body) -> Self {
        self.response = body;
        self
    }

    const fn note(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }

    const fn public(mut self, errors: &'static [u16]) -> Self {
        self.public = true;
        self.errors = errors;
        self
    }
}

use domain::{cce_wire, upgrade::request};
use Body::{JsonOrForm, Type};

macro_rules! form_note {
    () => {
        "The SDK declares this operation form-encoded and so loses its nested values (docs/wire.md §2); send \
         `Content-Type: application/json`. A form-encoded body gets a 400 that says so."
    };
}
const FORM_NOTE: &str = form_note!();
const REGISTER_NOTE: &str = concat!(
    form_note!(),
    " A `self` cluster is a CCE cluster of the tenant, named by `metadata.uid` (its id, which the UCS cluster \
     takes) or by its name."
);

/// One row per operation: the authenticated routes of the route table, then the public routes. Kept
/// one call per row (unformatted) so it reads as a table.
#[rustfmt::skip]
static OPERATIONS: &[Op] = &[
    // IAM-compatible identity discovery.
    op(GET, "/v3/projects", "keystone_list_projects", "iam", 200, "List the caller's projects")
        .query(params::<crate::iam::ProjectQuery>)
        .returns(Type(typed::<crate::iam::ProjectList>)),
    op(GET, "/v3/auth/projects", "keystone_list_auth_projects", "iam", 200, "List the projects the caller can scope to")
        .returns(Type(typed::<crate::iam::ProjectList>)),
    op(GET, "/v3/auth/domains", "keystone_list_auth_domains", "iam", 200, "Show the caller's domain")
        .returns(Type(typed::<crate::iam::DomainList>)),
    // CCE and CCE Autopilot clusters.
    op(POST, "/api/v3/projects/{project_id}/clusters", "create_cce_cluster", "cce-clusters", 201, "Create a CCE cluster")
        .body(Type(typed::<cce_wire::Cluster>))
        .returns(Type(typed::<cce_wire::Cluster>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters", "create_autopilot_cluster", "autopilot", 201, "Create a CCE Autopilot cluster")
        .body(Type(typed::<cce_wire::Cluster>))
        .returns(Type(typed::<cce_wire::Cluster>)),
    op(GET, "/api/v3/projects/{project_id}/clusters", "list_cce_clusters", "cce-clusters", 200, "List CCE clusters")
        .query(params::<crate::cce::clusters::ListQuery>)
        .returns(Type(typed::<crate::cce::clusters::ClusterList>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters", "list_autopilot_clusters", "autopilot", 200, "List CCE Autopilot clusters")
        .query(params::<crate::cce::clusters::ListQuery>)
        .returns(Type(typed::<crate::cce::clusters::ClusterList>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}", "show_cce_cluster", "cce-clusters", 200, "Show a CCE cluster")
        .returns(Type(typed::<cce_wire::Cluster>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}", "show_autopilot_cluster", "autopilot", 200, "Show a CCE Autopilot cluster")
        .returns(Type(typed::<cce_wire::Cluster>)),
    op(DELETE, "/api/v3/projects/{project_id}/clusters/{cluster_id}", "delete_cce_cluster", "cce-clusters", 200, "Delete a CCE cluster")
        .returns(Type(typed::<cce_wire::Cluster>)),
    op(DELETE, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}", "delete_autopilot_cluster", "autopilot", 200, "Delete a CCE Autopilot cluster")
        .returns(Type(typed::<cce_wire::Cluster>)),
    op(GET, "/api/v3/projects/{project_id}/jobs/{job_id}", "show_job", "cce-clusters", 200, "Show a job of a CCE cluster or of an upgrade task")
        .returns(Type(typed::<crate::cce::clusters::JobView>)),
    op(GET, "/autopilot/v3/projects/{project_id}/jobs/{job_id}", "show_autopilot_job", "autopilot", 200, "Show a job of an Autopilot cluster or of an upgrade task")
        .returns(Type(typed::<crate::cce::clusters::JobView>)),
    // Node pools and nodes (docs/cce.md).
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools", "create_node_pool", "cce-clusters", 201, "Create a node pool; its job creates its nodes")
        .body(Type(typed::<cce_wire::NodePool>))
        .returns(Type(typed::<cce_wire::NodePool>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools", "list_node_pools", "cce-clusters", 200, "List a cluster's node pools")
        .query(params::<crate::cce::nodepools::ListQuery>)
        .returns(Type(typed::<crate::cce::nodepools::PoolList>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{nodepool_id}", "show_node_pool", "cce-clusters", 200, "Show a node pool")
        .returns(Type(typed::<cce_wire::NodePool>)),
    op(PUT, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{nodepool_id}", "update_node_pool", "cce-clusters", 200, "Rename a node pool, change its template or node count")
        .body(Type(typed::<cce_wire::NodePoolUpdate>))
        .returns(Type(typed::<cce_wire::NodePool>)),
    op(DELETE, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{nodepool_id}", "delete_node_pool", "cce-clusters", 200, "Delete a node pool; its job removes its nodes, then the pool")
        .returns(Type(typed::<cce_wire::NodePool>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{nodepool_id}/operation/scale", "scale_node_pool", "cce-clusters", 200, "Scale a node pool to a node count (its status.jobId names the job)")
        .body(Type(typed::<cce_wire::ScaleNodePoolRequestBody>))
        .returns(Type(typed::<crate::cce::nodepools::ScaleAnswer>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodes", "list_nodes", "cce-clusters", 200, "List a cluster's nodes, pool by pool")
        .query(params::<crate::cce::nodepools::NodesQuery>)
        .returns(Type(typed::<crate::cce::nodepools::NodeList>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodes/{node_id}", "show_node", "cce-clusters", 200, "Show a node")
        .returns(Type(typed::<crate::cce::nodepools::NodeView>)),
    op(DELETE, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodes/{node_id}", "delete_node", "cce-clusters", 200, "Delete a node (its pool shrinks unless nodepoolScaleDown=NoScaleDown)")
        .query(params::<crate::cce::nodepools::DeleteNodeQuery>)
        .returns(Type(typed::<crate::cce::nodepools::NodeView>)),
    op(GET, "/autopilot/v2/projects/{project_id}/jobs", "list_autopilot_jobs", "autopilot", 200, "List the jobs of the caller's Autopilot clusters (a bare array, v2 keys)")
        .returns(Type(typed::<Vec<crate::cce::clusters::AutopilotJob>>)),
    // Cluster access, updates and quotas (docs/cce.md).
    op(PUT, "/api/v3/projects/{project_id}/clusters/{cluster_id}", "update_cce_cluster", "cce-clusters", 200, "Update a cluster's alias, description, SANs, networks and deletion protection")
        .body(Type(typed::<cce_wire::ClusterInformation>))
        .returns(Type(typed::<cce_wire::Cluster>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/clustercert", "create_kubernetes_cluster_cert", "cce-clusters", 200, "A kubeconfig with a client certificate signed by the tenant's CA")
        .body(Type(typed::<cce_wire::CertDuration>))
        .returns(Type(typed::<crate::cce::access::Kubeconfig>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/openapi", "show_cluster_endpoints", "cce-clusters", 200, "Show a cluster's API server endpoints")
        .returns(Type(typed::<crate::cce::access::Endpoints>)),
    op(GET, "/api/v3/projects/{project_id}/quotas", "show_quotas", "cce-clusters", 200, "Show the cluster, node pool and node quotas")
        .returns(Type(typed::<crate::cce::access::Quotas>)),
    op(PUT, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}", "update_autopilot_cluster", "autopilot", 200, "Update a cluster's alias, description, SANs, networks and deletion protection")
        .body(Type(typed::<cce_wire::ClusterInformation>))
        .returns(Type(typed::<cce_wire::Cluster>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/clustercert", "create_autopilot_kubernetes_cluster_cert", "autopilot", 200, "A kubeconfig with a client certificate signed by the tenant's CA")
        .body(Type(typed::<cce_wire::CertDuration>))
        .returns(Type(typed::<crate::cce::access::Kubeconfig>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/openapi", "show_autopilot_cluster_endpoints", "autopilot", 200, "Show a cluster's API server endpoints")
        .returns(Type(typed::<crate::cce::access::Endpoints>)),
    op(GET, "/autopilot/v3/projects/{project_id}/quotas", "show_autopilot_quotas", "autopilot", 200, "Show the cluster, node pool and node quotas")
        .returns(Type(typed::<crate::cce::access::Quotas>)),
    // Addon templates and instances (docs/cce.md).
    op(GET, "/api/v3/addontemplates", "list_addon_templates", "cce-clusters", 200, "List the addon templates the version catalogue offers")
        .query(params::<crate::cce::addons::TemplateQuery>)
        .returns(Type(typed::<crate::cce::addons::TemplateList>)),
    op(GET, "/api/v3/addons", "list_addon_instances", "cce-clusters", 200, "List the addon instances of a cluster")
        .query(params::<crate::cce::addons::ClusterQuery>)
        .returns(Type(typed::<crate::cce::addons::InstanceList>)),
    op(POST, "/api/v3/addons", "create_addon_instance", "cce-clusters", 201, "Install an addon on a cluster")
        .body(Type(typed::<cce_wire::InstanceRequest>))
        .returns(Type(typed::<crate::cce::addons::AddonInstance>)),
    op(GET, "/api/v3/addons/{id}", "show_addon_instance", "cce-clusters", 200, "Show an addon instance")
        .query(params::<crate::cce::addons::ClusterQuery>)
        .returns(Type(typed::<crate::cce::addons::AddonInstance>)),
    op(PUT, "/api/v3/addons/{id}", "update_addon_instance", "cce-clusters", 200, "Move an addon instance to another version or values")
        .body(Type(typed::<cce_wire::InstanceRequest>))
        .returns(Type(typed::<crate::cce::addons::AddonInstance>)),
    op(DELETE, "/api/v3/addons/{id}", "delete_addon_instance", "cce-clusters", 200, "Remove an addon instance")
        .query(params::<crate::cce::addons::ClusterQuery>)
        .returns(Type(typed::<String>)),
    op(GET, "/autopilot/v3/addontemplates", "list_autopilot_addon_templates", "autopilot", 200, "List the Autopilot addon templates the version catalogue offers")
        .query(params::<crate::cce::addons::TemplateQuery>)
        .returns(Type(typed::<crate::cce::addons::TemplateList>)),
    op(GET, "/autopilot/v3/addons", "list_autopilot_addon_instances", "autopilot", 200, "List the addon instances of a Autopilot cluster")
        .query(params::<crate::cce::addons::ClusterQuery>)
        .returns(Type(typed::<crate::cce::addons::InstanceList>)),
    op(POST, "/autopilot/v3/addons", "create_autopilot_addon_instance", "autopilot", 201, "Install an addon on a Autopilot cluster")
        .body(Type(typed::<cce_wire::InstanceRequest>))
        .returns(Type(typed::<crate::cce::addons::AddonInstance>)),
    op(GET, "/autopilot/v3/addons/{id}", "show_autopilot_addon_instance", "autopilot", 200, "Show an addon instance")
        .query(params::<crate::cce::addons::ClusterQuery>)
        .returns(Type(typed::<crate::cce::addons::AddonInstance>)),
    op(PUT, "/autopilot/v3/addons/{id}", "update_autopilot_addon_instance", "autopilot", 200, "Move an addon instance to another version or values")
        .body(Type(typed::<cce_wire::InstanceRequest>))
        .returns(Type(typed::<crate::cce::addons::AddonInstance>)),
    op(DELETE, "/autopilot/v3/addons/{id}", "delete_autopilot_addon_instance", "autopilot", 200, "Remove an addon instance")
        .query(params::<crate::cce::addons::ClusterQuery>)
        .returns(Type(typed::<String>)),
    // Upgrade information and workflows.
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/upgradeinfo", "show_cluster_upgrade_info", "upgrades", 200, "Show a cluster's upgrade information")
        .sdk("C01")
        .returns(Type(typed::<crate::cce::workflows::UpgradeInfo>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/upgradeinfo", "show_autopilot_cluster_upgrade_info", "autopilot", 200, "Show an Autopilot cluster's upgrade information")
        .sdk("C24")
        .returns(Type(typed::<crate::cce::workflows::UpgradeInfo>)),
    op(GET, "/api/v3/clusterupgradepaths", "list_cluster_upgrade_paths", "upgrades", 200, "List the upgrade paths of CCE versions")
        .sdk("C02")
        .returns(Type(typed::<crate::cce::workflows::UpgradePaths>)),
    op(GET, "/autopilot/v3/clusterupgradepaths", "list_autopilot_cluster_upgrade_paths", "autopilot", 200, "List the upgrade paths of Autopilot versions")
        .sdk("C25")
        .returns(Type(typed::<crate::cce::workflows::UpgradePaths>)),
    op(GET, "/api/v3/clusterupgradefeaturegates", "list_cluster_upgrade_feature_gates", "upgrades", 200, "List the upgrade feature gates")
        .sdk("C03")
        .returns(Type(typed::<crate::cce::workflows::UpgradeFeatureGateList>)),
    op(GET, "/autopilot/v3/clusterupgradefeaturegates", "list_autopilot_cluster_upgrade_feature_gates", "autopilot", 200, "List the Autopilot upgrade feature gates")
        .sdk("C26")
        .returns(Type(typed::<crate::cce::workflows::UpgradeFeatureGateList>)),
    op(GET, "/api/v3.1/feature-gates", "show_feature_gates", "upgrades", 200, "Show the feature gates")
        .sdk("C04")
        .returns(Type(typed::<crate::cce::workflows::FeatureGates>)),
    op(GET, "/autopilot/v3.1/feature-gates", "show_autopilot_feature_gates", "autopilot", 200, "Show the Autopilot feature gates")
        .sdk("C27")
        .returns(Type(typed::<crate::cce::workflows::FeatureGates>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows", "create_upgrade_work_flow", "upgrades", 201, "Create an upgrade workflow")
        .sdk("C05")
        .body(Type(typed::<request::WorkflowCreate>))
        .returns(Type(typed::<crate::cce::workflows::WorkFlowTask>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows", "create_autopilot_upgrade_work_flow", "autopilot", 201, "Create an Autopilot upgrade workflow")
        .sdk("C28")
        .body(Type(typed::<request::WorkflowCreate>))
        .returns(Type(typed::<crate::cce::workflows::WorkFlowTask>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows", "list_upgrade_work_flows", "upgrades", 200, "List a cluster's upgrade workflows")
        .sdk("C06")
        .returns(Type(typed::<crate::cce::workflows::UpgradeWorkFlowList>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows", "list_autopilot_upgrade_work_flows", "autopilot", 200, "List an Autopilot cluster's upgrade workflows")
        .sdk("C29")
        .returns(Type(typed::<crate::cce::workflows::UpgradeWorkFlowList>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows/{upgrade_workflow_id}", "show_upgrade_work_flow", "upgrades", 200, "Show an upgrade workflow")
        .sdk("C07")
        .returns(Type(typed::<crate::cce::workflows::WorkFlowTask>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows/{upgrade_workflow_id}", "show_autopilot_upgrade_work_flow", "autopilot", 200, "Show an Autopilot upgrade workflow")
        .sdk("C30")
        .returns(Type(typed::<crate::cce::workflows::WorkFlowTask>)),
    op(PATCH, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows/{upgrade_workflow_id}", "upgrade_work_flow_update", "upgrades", 200, "Update (cancel) an upgrade workflow")
        .sdk("C08")
        .body(Type(typed::<cce_wire::UpgradeWorkFlowUpdateRequestBody>))
        .returns(Type(typed::<crate::cce::workflows::WorkFlowTask>)),
    op(PATCH, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgradeworkflows/{upgrade_workflow_id}", "upgrade_autopilot_work_flow_update", "autopilot", 200, "Update (cancel) an Autopilot upgrade workflow")
        .sdk("C31")
        .body(Type(typed::<cce_wire::UpgradeWorkFlowUpdateRequestBody>))
        .returns(Type(typed::<crate::cce::workflows::WorkFlowTask>)),
    // Upgrade tasks.
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck", "create_pre_check", "upgrades", 200, "Start an upgrade precheck")
        .sdk("C09")
        .body(Type(typed::<request::Precheck>))
        .returns(Type(typed::<crate::cce::tasks::PreCheckTask>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck", "create_autopilot_pre_check", "autopilot", 200, "Start an Autopilot upgrade precheck")
        .sdk("C32")
        .body(Type(typed::<request::Precheck>))
        .returns(Type(typed::<crate::cce::tasks::PreCheckTask>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck/tasks", "list_pre_check_tasks", "upgrades", 200, "List a cluster's prechecks")
        .sdk("C10")
        .returns(Type(typed::<crate::cce::tasks::PreCheckTaskList>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck/tasks", "list_autopilot_pre_check_tasks", "autopilot", 200, "List an Autopilot cluster's prechecks")
        .sdk("C33")
        .returns(Type(typed::<crate::cce::tasks::PreCheckTaskList>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck/tasks/{task_id}", "show_pre_check", "upgrades", 200, "Show a precheck")
        .sdk("C11")
        .returns(Type(typed::<crate::cce::tasks::PreCheckTask>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/precheck/tasks/{task_id}", "show_autopilot_pre_check", "autopilot", 200, "Show an Autopilot precheck")
        .sdk("C34")
        .returns(Type(typed::<crate::cce::tasks::PreCheckTask>)),
    op(POST, "/api/v3.1/projects/{project_id}/clusters/{cluster_id}/operation/snapshot", "create_cluster_master_snapshot", "upgrades", 200, "Start a master snapshot")
        .sdk("C12")
        .returns(Type(typed::<crate::cce::tasks::SnapshotCreated>)),
    op(POST, "/autopilot/v3.1/projects/{project_id}/clusters/{cluster_id}/operation/snapshot", "create_autopilot_cluster_master_snapshot", "autopilot", 200, "Start an Autopilot master snapshot")
        .sdk("C35")
        .returns(Type(typed::<crate::cce::tasks::SnapshotCreated>)),
    op(GET, "/api/v3.1/projects/{project_id}/clusters/{cluster_id}/operation/snapshot/tasks", "list_cluster_master_snapshot_tasks", "upgrades", 200, "List a cluster's master snapshots")
        .sdk("C13")
        .returns(Type(typed::<crate::cce::tasks::SnapshotTaskList>)),
    op(GET, "/autopilot/v3.1/projects/{project_id}/clusters/{cluster_id}/operation/snapshot/tasks", "list_autopilot_cluster_master_snapshot_tasks", "autopilot", 200, "List an Autopilot cluster's master snapshots")
        .sdk("C36")
        .returns(Type(typed::<crate::cce::tasks::SnapshotTaskList>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade", "upgrade_cluster", "upgrades", 200, "Start a cluster upgrade")
        .sdk("C14")
        .body(Type(typed::<cce_wire::UpgradeClusterRequestBody>))
        .returns(Type(typed::<crate::cce::tasks::UpgradeStarted>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade", "upgrade_autopilot_cluster", "autopilot", 200, "Start an Autopilot cluster upgrade")
        .sdk("C37")
        .body(Type(typed::<cce_wire::UpgradeClusterRequestBody>))
        .returns(Type(typed::<crate::cce::tasks::UpgradeStarted>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/tasks", "list_upgrade_cluster_tasks", "upgrades", 200, "List a cluster's upgrade tasks")
        .sdk("C15")
        .returns(Type(typed::<crate::cce::tasks::UpgradeTaskList>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/tasks", "list_autopilot_upgrade_cluster_tasks", "autopilot", 200, "List an Autopilot cluster's upgrade tasks")
        .sdk("C38")
        .returns(Type(typed::<crate::cce::tasks::UpgradeTaskList>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/tasks/{task_id}", "show_upgrade_cluster_task", "upgrades", 200, "Show an upgrade task")
        .sdk("C16")
        .returns(Type(typed::<crate::cce::tasks::UpgradeTaskView>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/tasks/{task_id}", "show_autopilot_upgrade_cluster_task", "autopilot", 200, "Show an Autopilot upgrade task")
        .sdk("C39")
        .returns(Type(typed::<crate::cce::tasks::UpgradeTaskView>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/pause", "pause_upgrade_cluster_task", "upgrades", 200, "Pause the running cluster upgrade")
        .sdk("C17")
        .returns(Type(typed::<crate::cce::Empty>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/pause", "pause_autopilot_upgrade_cluster_task", "autopilot", 200, "Pause the running Autopilot cluster upgrade")
        .note("No SDK method (the SDK has pause for CCE only); same behaviour as pause_upgrade_cluster_task.")
        .returns(Type(typed::<crate::cce::Empty>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/continue", "continue_upgrade_cluster_task", "upgrades", 200, "Continue a paused cluster upgrade")
        .sdk("C18")
        .returns(Type(typed::<crate::cce::Empty>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/continue", "continue_autopilot_upgrade_cluster_task", "autopilot", 200, "Continue a paused Autopilot cluster upgrade")
        .note("No SDK method (the SDK has continue for CCE only); same behaviour as continue_upgrade_cluster_task.")
        .returns(Type(typed::<crate::cce::Empty>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/retry", "retry_upgrade_cluster_task", "upgrades", 200, "Retry a failed cluster upgrade")
        .sdk("C19")
        .returns(Type(typed::<crate::cce::Empty>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/upgrade/retry", "retry_autopilot_upgrade_cluster_task", "autopilot", 200, "Retry a failed Autopilot cluster upgrade")
        .sdk("C40")
        .returns(Type(typed::<crate::cce::Empty>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/operation/postcheck", "create_post_check", "upgrades", 200, "Run the post-upgrade check")
        .sdk("C20")
        .body(Type(typed::<request::Postcheck>))
        .returns(Type(typed::<crate::cce::tasks::PostCheckTask>)),
    op(POST, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/operation/postcheck", "create_autopilot_post_check", "autopilot", 200, "Run the Autopilot post-upgrade check")
        .sdk("C41")
        .body(Type(typed::<request::Postcheck>))
        .returns(Type(typed::<crate::cce::tasks::PostCheckTask>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools/{nodepool_id}/operation/upgrade", "upgrade_node_pool", "upgrades", 200, "Upgrade a node pool")
        .sdk("C21")
        .body(Type(typed::<request::NodePoolUpgrade>))
        .returns(Type(typed::<crate::cce::tasks::NodePoolUpgradeStarted>)),
    op(POST, "/api/v3/projects/{project_id}/clusters/{cluster_id}/addons/precheck", "batch_create_addon_precheck", "upgrades", 200, "Start addon prechecks")
        .sdk("C22")
        .body(Type(typed::<cce_wire::AddonCheckRequest>))
        .returns(Type(typed::<crate::cce::tasks::AddonCheck>)),
    op(GET, "/api/v3/projects/{project_id}/clusters/{cluster_id}/addons/precheck/tasks", "list_addon_precheck_tasks", "upgrades", 200, "List addon prechecks")
        .sdk("C23")
        .query(params::<crate::cce::tasks::AddonCheckQuery>)
        .returns(Type(typed::<crate::cce::tasks::AddonCheckTaskList>)),
    op(GET, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/upgradeplans", "list_autopilot_upgrade_plans", "autopilot", 200, "Show an Autopilot cluster's upgrade plan")
        .sdk("C42")
        .returns(Type(typed::<crate::cce::tasks::UpgradePlanList>))
        .note("`items` is one UpgradePlan object, not an array (docs/wire.md C42)."),
    op(PUT, "/autopilot/v3/projects/{project_id}/clusters/{cluster_id}/upgradeplans/{upgrade_plan_id}", "update_autopilot_upgrade_plan", "autopilot", 200, "Delay an Autopilot upgrade plan")
        .sdk("C43")
        .body(Type(typed::<crate::cce::tasks::DelayBody>))
        .returns(Type(typed::<crate::cce::tasks::UpgradePlanView>)),
    // UCS clusters.
    op(GET, "/v1/clusters", "show_cluster_list", "clusters", 200, "List clusters")
        .sdk("U01")
        .query(params::<crate::clusters::ListQuery>)
        .returns(Type(typed::<crate::clusters::ClusterList>)),
    op(POST, "/v1/clusters", "register_cluster", "clusters", 201, "Register a cluster")
        .sdk("U03")
        .body(Type(typed::<crate::clusters::RegisterBody>))
        .returns(Type(typed::<crate::wire::Uid>))
        .note(REGISTER_NOTE),
    op(GET, "/v1/clusters/{clusterid}", "show_cluster", "clusters", 200, "Show a cluster")
        .sdk("U02")
        .returns(Type(typed::<crate::clusters::ClusterView>)),
    op(PUT, "/v1/clusters/{clusterid}", "update_cluster", "clusters", 200, "Update a cluster's annotations and location")
        .sdk("U04")
        .body(Type(typed::<crate::clusters::UpdateBody>))
        .returns(Type(typed::<crate::clusters::ClusterView>)),
    op(DELETE, "/v1/clusters/{clusterid}", "delete_cluster", "clusters", 200, "Unregister a cluster")
        .sdk("U05")
        .returns(Body::None),
    op(GET, "/v1/clusters/{clusterid}/accessinfo", "show_cluster_access_info", "clusters", 200, "Show how to connect a cluster")
        .sdk("U06")
        .query(params::<crate::clusters::AccessInfoQuery>)
        .returns(Type(typed::<Vec<String>>)),
    op(PUT, "/v1/clusters/{clusterid}/activation", "retry_cluster_activation", "clusters", 200, "Retry a cluster's activation")
        .sdk("U07")
        .returns(Type(typed::<crate::clusters::ClusterView>)),
    op(POST, "/v1/clusters/{clusterid}/clusterconf", "create_cluster_conf", "clusters", 200, "Generate an on-premises cluster's configuration")
        .sdk("U09")
        .body(Type(typed::<crate::clusters::RequiredInput>))
        .returns(Type(typed::<crate::clusters::ClusterConf>)),
    op(POST, "/v1/clusters/{clusterid}/kubeconfig", "create_cluster_kubeconfig", "clusters", 200, "Download a cluster's kubeconfig")
        .sdk("U10")
        .returns(Type(typed::<crate::wire::Kubeconfig>)),
    op(GET, "/v1/managedclusters", "list_managed_clusters", "clusters", 200, "List managed clusters")
        .sdk("U13")
        .query(params::<crate::clusters::ManagedQuery>)
        .returns(Type(typed::<Vec<crate::clusters::ClusterView>>))
        .note("The tenant's CCE clusters as UCS clusters; `unimported` (the reference's `unregister`) keeps those not registered yet."),
    op(GET, "/v1/config/registeredclusterversions", "list_registered_cluster_versions", "clusters", 200, "List the Kubernetes versions a registered cluster may run")
        .sdk("U14")
        .returns(Type(typed::<crate::clusters::RegisteredVersions>)),
    // UCS fleets (cluster groups) and membership.
    op(GET, "/v1/clustergroups", "list_cluster_group", "fleets", 200, "List fleets")
        .sdk("U15")
        .query(params::<crate::paging::PageQuery>)
        .returns(Type(typed::<crate::fleets::FleetList>)),
    op(POST, "/v1/clustergroups", "register_cluster_group", "fleets", 201, "Create a fleet")
        .sdk("U16")
        .body(Type(typed::<crate::fleets::RegisterBody>))
        .returns(Type(typed::<crate::wire::Uid>))
        .note(FORM_NOTE),
    op(GET, "/v1/clustergroups/{clustergroupid}", "show_cluster_group", "fleets", 200, "Show a fleet")
        .sdk("U17")
        .returns(Type(typed::<crate::fleets::FleetView>)),
    op(DELETE, "/v1/clustergroups/{clustergroupid}", "delete_cluster_group", "fleets", 200, "Delete a fleet")
        .sdk("U18")
        .returns(Body::None),
    op(PUT, "/v1/clustergroups/{clustergroupid}/description", "update_cluster_group", "fleets", 200, "Update a fleet's description")
        .sdk("U19")
        .body(Type(typed::<crate::fleets::DescriptionBody>))
        .returns(Type(typed::<crate::fleets::FleetView>)),
    op(PUT, "/v1/clustergroups/{clustergroupid}/associatedclusters", "update_cluster_group_associated_clusters", "fleets", 200, "Add clusters to a fleet")
        .sdk("U20")
        .body(Type(typed::<crate::fleets::ClustersBody>))
        .returns(Type(typed::<crate::fleets::FleetView>)),
    op(PUT, "/v1/clustergroups/{clustergroupid}/associatedzones", "update_cluster_group_associated_zones", "fleets", 200, "Set a fleet's DNS suffixes")
        .sdk("U22")
        .body(Type(typed::<crate::fleets::ZonesBody>))
        .returns(Type(typed::<crate::fleets::FleetView>)),
    op(POST, "/v1/clusters/{clusterid}/join", "join_group", "fleets", 200, "Add a cluster to a fleet")
        .sdk("U11")
        .body(JsonOrForm(typed::<crate::fleets::JoinBody>))
        .returns(Type(typed::<crate::wire::Empty>)),
    op(POST, "/v1/clusters/{clusterid}/unjoin", "leave_group", "fleets", 200, "Remove a cluster from its fleet")
        .sdk("U12")
        .returns(Type(typed::<crate::wire::Empty>)),
    // Federation.
    op(POST, "/v1/clustergroups/{clustergroupid}/federations", "enable_federation", "federation", 201, "Enable federation on a fleet")
        .sdk("U23")
        .query(params::<crate::federation::EnableQuery>)
        .returns(Type(typed::<crate::federation::Started>)),
    op(DELETE, "/v1/clustergroups/{clustergroupid}/federations", "disable_federation", "federation", 200, "Disable a fleet's federation")
        .sdk("U24")
        .returns(Type(typed::<crate::federation::Started>)),
    op(GET, "/v1/clustergroups/{clustergroupid}/federations/progress", "show_federation_progress", "federation", 200, "Show the progress of a federation job")
        .sdk("U25")
        .returns(Type(typed::<crate::federation::JobView>)),
    op(POST, "/v1/clustergroups/{clustergroupid}/federations/upgrade", "upgrade_federation", "federation", 200, "Upgrade a fleet's federation")
        .sdk("U26")
        .body(Type(typed::<crate::federation::UpgradeBody>))
        .returns(Type(typed::<crate::federation::Started>)),
    op(POST, "/v1/clustergroups/{clustergroupid}/cert", "create_federation_cert", "federation", 201, "Connect to a federation and get its kubeconfig")
        .sdk("U27")
        .body(Type(typed::<crate::federation::ConnectionBody>))
        .returns(Type(typed::<crate::wire::Kubeconfig>)),
    op(POST, "/v1/clustergroups/{clustergroupid}/connection", "create_federation_connection", "federation", 201, "Create a federation connection")
        .sdk("U28")
        .body(Type(typed::<crate::federation::ConnectionBody>))
        .returns(Type(typed::<crate::federation::Connection>)),
    op(POST, "/v1/clustergroups/{clustergroupid}/kubeconfig", "download_federation_kubeconfig", "federation", 201, "Download a federation's kubeconfig")
        .sdk("U29")
        .body(Type(typed::<crate::federation::KubeconfigBody>))
        .returns(Type(typed::<crate::wire::Kubeconfig>)),
    // Quota.
    op(GET, "/v1/maintenance/quota/{domainid}", "show_quota", "quota", 200, "Show the tenant's quotas and usage")
        .sdk("U34")
        .returns(Type(typed::<crate::quota::QuotaView>)),
    // Permission rules.
    op(GET, "/v1/permissions/rules", "list_rule", "rules", 200, "List permission rules")
        .sdk("U31")
        .query(params::<crate::paging::PageQuery>)
        .returns(Type(typed::<crate::rules::RuleList>)),
    op(POST, "/v1/permissions/rules", "create_rule", "rules", 201, "Create a permission rule")
        .sdk("U30")
        .body(Type(typed::<crate::rules::CreateBody>))
        .returns(Type(typed::<crate::wire::Uid>))
        .note(FORM_NOTE),
    op(PUT, "/v1/permissions/rules/{ruleid}", "update_rule", "rules", 200, "Update a permission rule")
        .sdk("U32")
        .body(Type(typed::<crate::rules::UpdateBody>))
        .returns(Type(typed::<crate::rules::RuleView>)),
    op(DELETE, "/v1/permissions/rules/{ruleid}", "delete_rule", "rules", 200, "Delete a permission rule")
        .sdk("U33")
        .returns(Body::None),
    op(PUT, "/v1/clusters/{clusterid}/associatedrules", "update_cluster_rules", "rules", 200, "Set a cluster's rules per namespace")
        .sdk("U08")
        .body(Type(typed::<crate::rules::AttachBody>))
        .returns(Type(typed::<crate::wire::Empty>)),
    op(PUT, "/v1/clustergroups/{clustergroupid}/associatedrules", "update_cluster_group_associated_rules", "rules", 200, "Set a fleet's rules per namespace")
        .sdk("U21")
        .body(Type(typed::<crate::rules::AttachBody>))
        .returns(Type(typed::<crate::wire::Empty>)),
    op(GET, "/v1/clusters/{clusterid}/rbac", "show_cluster_rbac", "rules", 200, "Show the Kubernetes RBAC objects a cluster's rules render to")
        .query(params::<crate::rules::RbacQuery>)
        .returns(Body::JsonOrYaml)
        .note("ucsd's own: a Kubernetes `List` of the RBAC objects as JSON, or YAML with `format=yaml`."),
    op(POST, "/ucsd/testing/reset", "reset_tenant", "testing", 200, "Reset the caller's tenant (testing.enabled only)")
        .query(params::<crate::testing::ResetQuery>)
        .note("ucsd's own, off by default: removes everything the caller's tenant made and keeps its credentials; 404 like an unknown route unless `testing.enabled`.")
        .returns(Type(typed::<store::testing::TenantReset>)),
    op(GET, "/ucsd/testing/faults", "list_faults", "testing", 200, "List the tenant's fault rules (testing.enabled only)")
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::testing::FaultList>)),
    op(POST, "/ucsd/testing/faults", "create_fault", "testing", 201, "Create a fault rule (testing.enabled only)")
        .body(Type(typed::<domain::testing::FaultSpec>))
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::testing::FaultView>)),
    op(DELETE, "/ucsd/testing/faults", "delete_faults", "testing", 200, "Delete every fault rule of the tenant (testing.enabled only)")
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::testing::Deleted>)),
    op(DELETE, "/ucsd/testing/faults/{fault_id}", "delete_fault", "testing", 204, "Delete a fault rule (testing.enabled only)")
        .returns(Body::None)
        .note(TESTING_NOTE),
    op(GET, "/ucsd/testing/requests", "list_requests", "testing", 200, "Read the tenant's request journal (testing.enabled only)")
        .query(params::<crate::testing::JournalQuery>)
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::testing::Journal>)),
    op(DELETE, "/ucsd/testing/requests", "clear_requests", "testing", 200, "Clear the tenant's request journal (testing.enabled only)")
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::testing::Deleted>)),
    op(GET, "/ucsd/testing/clock", "show_clock", "testing", 200, "The server's clock and simulated step time (testing.enabled only)")
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::testing::ClockView>)),
    op(POST, "/ucsd/testing/clock", "update_clock", "testing", 200, "Move the clock ahead or set the simulated step time (testing.enabled only)")
        .body(Type(typed::<crate::testing::ClockChange>))
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::testing::ClockView>)),
    op(POST, "/ucsd/testing/settle", "settle_jobs", "testing", 200, "Wait until no job of the tenant is runnable (testing.enabled only)")
        .query(params::<crate::testing::SettleQuery>)
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::testing::Settled>)),
    op(GET, "/ucsd/testing/snapshot", "export_snapshot", "testing", 200, "Export the tenant's state as a snapshot document (testing.enabled only)")
        .query(params::<crate::testing::SnapshotQuery>)
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::snapshot::Snapshot>)),
    op(POST, "/ucsd/testing/snapshot", "import_snapshot", "testing", 200, "Replace the tenant's state with a snapshot document (testing.enabled only)")
        .body(Type(typed::<crate::snapshot::Snapshot>))
        .note(TESTING_NOTE)
        .returns(Type(typed::<crate::snapshot::Imported>)),
    // Public routes.
    op(POST, "/v3/auth/tokens", "keystone_create_user_token_by_password", "iam", 201, "Get a token (Keystone v3 password method)")
        .body(Type(typed::<crate::iam::TokenRequest>))
        .returns(Type(typed::<crate::iam::TokenBody>))
        .note("The token is in the `X-Subject-Token` response header; send it as `X-Auth-Token`.")
        .public(&[400, 401, 500]),
    op(GET, "/healthz", "check_liveness", "operations", 200, "The process is up")
        .returns(Type(typed::<crate::health::Health>))
        .public(&[]),
    op(GET, "/readyz", "check_readiness", "operations", 200, "The database answers and its migrations are current")
        .returns(Type(typed::<crate::health::Health>))
        .public(&[500]),
    op(GET, "/metrics", "scrape_metrics", "operations", 200, "Prometheus metrics")
        .returns(Body::Text("text/plain; version=0.0.4"))
        .note("Served unless `metrics.enabled = false`; for the operator's scraper, not the public network.")
        .public(&[]),
    op(GET, "/openapi.json", "show_openapi_document", "operations", 200, "This OpenAPI document")
        .returns(Body::Object)
        .public(&[]),
];

const TESTING_NOTE: &str =
    "ucsd's own testing tools (docs/testing.md), off by default: 404 like an unknown route unless `testing.enabled`; tenant administrators only.";

const TAGS: &[(&str, &str)] = &[
    ("clusters", "UCS clusters (docs/wire.md U01–U14)"),
    ("fleets", "UCS fleets, called cluster groups on the wire, and cluster membership"),
    ("federation", "Fleet federation: enabling, progress, connections and kubeconfigs"),
    ("rules", "UCS permission rules and their association with clusters and fleets"),
    ("quota", "The tenant's quotas"),
    ("iam", "The IAM (Keystone v3) endpoints the SDK uses to get tokens and resolve ids"),
    ("cce-clusters", "CCE clusters"),
    ("upgrades", "CCE cluster upgrades: information, workflows and tasks (docs/wire.md C01–C23)"),
    ("autopilot", "CCE Autopilot clusters and their upgrades (docs/wire.md C24–C43)"),
    ("operations", "Health, readiness, metrics and this document; no authentication"),
];

/// The operation of a route (`None`: not documented).
pub fn operation_id(method: &str, path: &str) -> Option<&'static str> {
    OPERATIONS.iter().find(|o| o.method == method && o.path == path).map(|o| o.id)
}

/// The public (unauthenticated) routes the document describes, as (method, path).
pub fn public_routes() -> Vec<(&'static str, &'static str)> {
    OPERATIONS.iter().filter(|o| o.public).map(|o| (o.method, o.path)).collect()
}

/// The whole document.
pub fn document() -> Value {
    let actions: std::collections::HashMap<(String, &str), &str> = routes::table()
        .into_iter()
        .map(|r| ((r.method.as_str().to_string(), r.path), r.action.name))
        .collect();
    let mut schemas = Schemas::new();
    let mut paths = Map::new();
    for o in OPERATIONS {
        let mut operation = operation(o, &mut schemas);
        if let Some(action) = actions.get(&(o.method.to_string(), o.path)) {
            operation["x-ucsd-action"] = json!(action);
        }
        let item = paths.entry(o.path).or_insert_with(|| json!({}));
        item[o.method.to_ascii_lowercase()] = operation;
    }
    let error = schemas.responses.subschema_for::<crate::error::ErrorBody<'static>>().to_value();
    let schemas = schemas.finish(&mut paths);
    let tags: Vec<Value> = TAGS.iter().map(|(name, d)| json!({ "name": name, "description": d })).collect();
    let mut responses = Map::new();
    for (status, description) in ERRORS {
        let mut response = json!({
            "description": description,
            "content": { "application/json": { "schema": error } },
        });
        if *status == 429 {
            response["headers"] = json!({ "Retry-After": {
                "description": "Whole seconds until the bucket has a token again",
                "schema": { "type": "integer", "minimum": 1 },
            } });
        }
        responses.insert(status.to_string(), response);
    }
    sorted(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "ucsd",
            "version": env!("CARGO_PKG_VERSION"),
            "description": INFO,
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "tags": tags,
        "security": [{ "aksk": [] }, { "token": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "aksk": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": AKSK,
                },
                "token": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Auth-Token",
                    "description": "A token from `POST /v3/auth/tokens` (its `X-Subject-Token` response header).",
                },
            },
            "responses": responses,
            "schemas": schemas,
        },
    }))
}

/// The document as committed: pretty-printed, keys sorted, with a final newline.
pub fn document_json() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("a JSON value serializes");
    text.push('\n');
    text
}

static DOCUMENT: LazyLock<String> = LazyLock::new(document_json);

/// `GET /openapi.json`.
pub async fn serve() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT.as_str())
}

const INFO: &str = "A self-hostable control plane wire-compatible with Huawei Cloud UCS v1 and the CCE / CCE \
    Autopilot cluster-upgrade API, as the official SDKs (huaweicloudsdkucs, huaweicloudsdkcce) put them on the \
    wire. operationId is the SDK method name; `x-sdk-operation` names the operation in the project's wire \
    notes (docs/wire.md), `x-ucsd-action` the action authorization checks (docs/authorization.md). Errors are \
    `{\"error_code\", \"error_msg\"}` with UCS codes (`UCS.…`) under /v1 and /v3 and CCE codes (`CCE.…`) under \
    /api and /autopilot; every response carries `X-Request-Id`.";

const AKSK: &str = "AK/SK signing as the SDK does it: `Authorization: SDK-HMAC-SHA256 Access=<AK>, \
    SignedHeaders=<names>, Signature=<hex>`, an HMAC-SHA256 with the secret key over the canonical request, \
    with the `X-Sdk-Date` header (`YYYYMMDDTHHMMSSZ`) signed. UCS requests may send `X-Domain-Id`, CCE \
    requests `X-Project-Id`.";

const ERRORS: &[(u16, &str)] = &[
    (400, "The request is malformed or invalid"),
    (401, "No credentials, or they are not valid"),
    (403, "The caller may not do this"),
    (404, "No such resource (or the caller may not learn that it exists)"),
    (409, "The resource's state or a quota does not allow this"),
    (429, "The tenant's or the credential's rate limit is reached (docs/operator.md, Rate limits); try again after the `Retry-After` header's seconds"),
    (500, "An internal failure"),
];

fn operation(o: &Op, schemas: &mut Schemas) -> Value {
    let mut parameters: Vec<Value> = path_parameters(o.path)
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if let Some(query) = o.query {
        parameters.extend(query_parameters(query(&mut schemas.requests)));
    }
    let mut responses = Map::new();
    let mut success = json!({ "description": reason(o.status) });
    if let Some(content) = content(o.response, &mut schemas.responses) {
        success["content"] = content;
    }
    responses.insert(o.status.to_string(), success);
    for status in o.errors {
        responses.insert(status.to_string(), json!({ "$ref": format!("#/components/responses/{status}") }));
    }
    let mut operation = json!({
        "operationId": o.id,
        "summary": o.summary,
        "tags": [o.tag],
        "responses": responses,
    });
    if !parameters.is_empty() {
        operation["parameters"] = json!(parameters);
    }
    if let Some(description) = o.description {
        operation["description"] = json!(description);
    }
    if let Some(content) = content(o.request, &mut schemas.requests) {
        operation["requestBody"] = json!({ "required": true, "content": content });
    }
    if let Some(wire) = o.wire {
        operation["x-sdk-operation"] = json!(wire);
    }
    if o.public {
        operation["security"] = json!([]);
    }
    operation
}

/// A query type's fields as query parameters: required unless optional, each with its field's
/// schema (without `null`: an absent parameter is how a query says "none").
fn query_parameters(query: JsonSchemaOf) -> Vec<Value> {
    let query = query.to_value();
    let required: Vec<&Value> = query["required"].as_array().map(|r| r.iter().collect()).unwrap_or_default();
    let Some(properties) = query["properties"].as_object() else { return Vec::new() };
    properties
        .iter()
        .map(|(name, schema)| {
            let mut schema = schema.clone();
            if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    schema["type"] = only.clone();
                }
            }
            if let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut) {
                values.retain(|v| !v.is_null());
            }
            let mut parameter = json!({ "name": name, "in": "query", "schema": schema });
            if required.iter().any(|r| r.as_str() == Some(name)) {
                parameter["required"] = json!(true);
            }
            if let Some(description) = schema.get("description") {
                parameter["description"] = description.clone();
            }
            parameter
        })
        .collect()
}

/// The generators of the wire types' schemas: requests as ucsd parses them, responses as it
/// serializes them.
struct Schemas {
    requests: SchemaGenerator,
    responses: SchemaGenerator,
}

impl Schemas {
    fn new() -> Self {
        let settings = || {
            SchemaSettings::draft2020_12().with(|s| {
                s.definitions_path = "/components/schemas".into();
                s.meta_schema = None;
            })
        };
        Schemas {
            requests: settings().for_deserialize().with_transform(Closed).into_generator(),
            responses: settings().for_serialize().with_transform(Closed).into_generator(),
        }
    }

    /// The schemas section: the request types' and the response types'. A
    /// type whose response schema differs from its request schema (a field the server always sends
    /// that a client may leave out, or never sends, like a password), or refers to one that does, is
    /// named `…Response` in the responses of `paths`.
    fn finish(mut self, paths: &mut Map<String, Value>) -> Value {
        let mut all = self.requests.take_definitions(true);
        let responses = self.responses.take_definitions(true);
        let mut renamed: Vec<String> = Vec::new();
        loop {
            let differ = |(name, schema): &(&String, &Value)| {
                let mut schema = (*schema).clone();
                rename_refs(&mut schema, &renamed);
                !renamed.contains(name) && all.get(*name).is_some_and(|request| *request != schema)
            };
            let more: Vec<String> = responses.iter().filter(differ).map(|(name, _)| name.clone()).collect();
            if more.is_empty() {
                break;
            }
            renamed.extend(more);
        }
        let rename = |value: &mut Value| rename_refs(value, &renamed);
        for (name, mut schema) in responses {
            rename(&mut schema);
            let name = if renamed.contains(&name) { format!("{name}Response") } else { name };
            all.insert(name, schema);
        }
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for operation in item.values_mut() {
                rename(&mut operation["responses"]);
            }
        }
        Value::Object(all)
    }
}

/// Points references to the `renamed` schemas at their `…Response` names.
fn rename_refs(value: &mut Value, renamed: &[String]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    if renamed.iter().any(|n| n == name) {
                        *r = format!("{r}Response");
                    }
                }
            }
            map.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// Closes every object schema that lists its properties: ucsd refuses a field a request type does
/// not declare, at any depth (docs/wire.md §2), and sends no field its response type does not.
#[derive(Debug, Clone)]
struct Closed;

impl schemars::transform::Transform for Closed {
    fn transform(&mut self, schema: &mut JsonSchemaOf) {
        if schema.get("properties").is_some() && schema.get("additionalProperties").is_none() {
            schema.insert("additionalProperties".into(), false.into());
        }
        schemars::transform::transform_subschemas(self, schema);
    }
}

/// The names of a path's `{name}` segments, in order.
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        _ => "Success",
    }
}

fn content(body: Body, generator: &mut SchemaGenerator) -> Option<Value> {
    let object = json!({ "type": "object", "additionalProperties": true });
    Some(match body {
        Body::None => return None,
        Body::Object => json!({ "application/json": { "schema": object } }),
        Body::Type(schema) => json!({ "application/json": { "schema": schema(generator) } }),
        Body::JsonOrForm(schema) => {
            let schema = schema(generator);
            json!({
                "application/json": { "schema": schema },
                "application/x-www-form-urlencoded": { "schema": schema },
            })
        }
        Body::JsonOrYaml => json!({
            "application/json": { "schema": object },
            // Multi-document YAML of the same objects: empty (`null` to a YAML parser) when there are none.
            "application/yaml": { "schema": {} },
        }),
        Body::Text(media) => {
            let mut text = Map::new();
            text.insert(media.to_string(), json!({ "schema": { "type": "string" } }));
            Value::Object(text)
        }
    })
}

/// The value with every object's keys in order, whatever map serde_json was built with.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use super::*;

    #[test]
    fn every_route_of_the_table_has_exactly_one_operation_and_every_operation_a_route() {
        let table: Vec<(String, &str)> =
            routes::table().into_iter().map(|r| (r.method.as_str().to_string(), r.path)).collect();
        for (method, path) in &table {
            let rows = OPERATIONS.iter().filter(|o| o.method == method && o.path == *path).count();
            assert_eq!(rows, 1, "{method} {path}: {rows} rows in openapi::OPERATIONS, want 1");
        }
        let table: HashSet<(String, &str)> = table.into_iter().collect();
        for o in OPERATIONS {
            let routed = table.contains(&(o.method.to_string(), o.path));
            assert_eq!(
                routed,
                !o.public,
                "{} {}: {}",
                o.method,
                o.path,
                if o.public { "marked public but in the route table" } else { "no such route in the table" }
            );
        }
        let public: HashSet<_> = public_routes().into_iter().collect();
        assert_eq!(public.len(), public_routes().len(), "a public route is listed twice");
    }

    #[test]
    fn operation_ids_are_unique_snake_case() {
        let mut seen = HashSet::new();
        for o in OPERATIONS {
            assert!(seen.insert(o.id), "operationId {} is used twice", o.id);
            assert!(
                o.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "operationId {} is not snake_case",
                o.id
            );
        }
    }

    /// Every operation of docs/wire.md's index (U01–U34, C01–C43) is documented once, under its SDK method.
    #[test]
    fn every_sdk_operation_in_scope_is_documented_once() {
        let wire: Vec<&str> = OPERATIONS.iter().filter_map(|o| o.wire).collect();
        let unique: BTreeSet<&str> = wire.iter().copied().collect();
        assert_eq!(unique.len(), wire.len(), "an operation of docs/wire.md is documented twice");
        let expected: BTreeSet<String> =
            (1..=34).map(|n| format!("U{n:02}")).chain((1..=43).map(|n| format!("C{n:02}"))).collect();
        let got: BTreeSet<String> = unique.into_iter().map(str::to_string).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn every_reference_resolves_and_every_schema_is_used() {
        let doc = document();
        let mut refs = BTreeSet::new();
        collect_refs(&doc, &mut refs);
        for r in &refs {
            let pointer = r.strip_prefix('#').expect("a local reference");
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
        for name in doc["components"]["schemas"].as_object().unwrap().keys() {
            assert!(refs.contains(&format!("#/components/schemas/{name}")), "schema {name} is not used");
        }
    }

    fn collect_refs(value: &Value, refs: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.insert(r.clone());
                }
                map.values().for_each(|v| collect_refs(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
            _ => {}
        }
    }

    #[test]
    fn every_authenticated_operation_names_its_action_and_path_parameters() {
        let doc = document();
        for route in routes::table() {
            let op = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
            assert_eq!(op["x-ucsd-action"], route.action.name, "{} {}", route.method, route.path);
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect()
                })
                .unwrap_or_default();
            let in_path: Vec<&str> = route
                .path
                .split('/')
                .filter(|s| s.starts_with('{'))
                .map(|s| s.trim_matches(['{', '}']))
                .collect();
            assert_eq!(declared, in_path, "{} {}", route.method, route.path);
        }
    }

    #[test]
    fn the_committed_document_is_current() {
        let committed = include_str!("../../../docs/openapi.json");
        let generated = document_json();
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "in its length".to_string(), |n| format!("at line {}", n + 1));
        assert!(
            committed == generated,
            "docs/openapi.json differs from the generated document {first_difference}; regenerate it: \
             cargo run -q -p api --example openapi > docs/openapi.json"
        );
    }
}
