//! The CCE request bodies ucsd reads, typed with every attribute of the official SDK's models
//! (`huaweicloudsdkcce` 3.1.219; struct and field names are the SDK's, keys its `attribute_map`'s).
//! Generated from the SDK's models once; edit by hand since (e.g. a login password is never
//! serialized, so what ucsd records of a request never holds it).
//!
//! Parsing a body into one of these is the API's one rule for unknown fields (docs/wire.md §2, "Input
//! rules"): an attribute the SDK's model does not have, or a value of the wrong type, is refused. What
//! ucsd records of a request is the typed value written back, so only declared attributes survive.
//! Every attribute is optional here: which ones an operation requires is decided by its validation
//! (`domain::nodepool`, `domain::cce`, the handlers' `validate`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `Cluster`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Cluster {
    #[schemars(transform = crate::wire_rules::is("Cluster"))]
    #[serde(rename = "kind", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[schemars(transform = crate::wire_rules::is("v3"))]
    #[serde(rename = "apiVersion", default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[schemars(required)]
    #[serde(rename = "metadata", skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ClusterMetadata>,
    #[schemars(required)]
    #[serde(rename = "spec", skip_serializing_if = "Option::is_none")]
    pub spec: Option<ClusterSpec>,
    #[serde(rename = "status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ClusterStatus>,
}

/// `ClusterMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterMetadata {
    #[schemars(required, regex(pattern = crate::wire_rules::CCE_CLUSTER_NAME))]
    #[serde(rename = "name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "uid", default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(rename = "alias", default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(rename = "annotations", default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "labels", default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "creationTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(rename = "updateTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
    #[serde(rename = "timezone", default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// `ClusterSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterSpec {
    #[serde(rename = "category", default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(rename = "agencyName", default, skip_serializing_if = "Option::is_none")]
    pub agency_name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[schemars(required, regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "flavor", skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    #[serde(rename = "version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(rename = "platformVersion", default, skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(rename = "legacyVersion", default, skip_serializing_if = "Option::is_none")]
    pub legacy_version: Option<String>,
    #[serde(rename = "description", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "customSan", default, skip_serializing_if = "Option::is_none")]
    pub custom_san: Option<Vec<String>>,
    #[serde(rename = "ipv6enable", default, skip_serializing_if = "Option::is_none")]
    pub ipv6enable: Option<bool>,
    #[schemars(required)]
    #[serde(rename = "hostNetwork", skip_serializing_if = "Option::is_none")]
    pub host_network: Option<HostNetwork>,
    #[serde(rename = "containerNetwork", default, skip_serializing_if = "Option::is_none")]
    pub container_network: Option<ContainerNetwork>,
    #[serde(rename = "eniNetwork", default, skip_serializing_if = "Option::is_none")]
    pub eni_network: Option<EniNetwork>,
    #[serde(rename = "serviceNetwork", default, skip_serializing_if = "Option::is_none")]
    pub service_network: Option<ServiceNetwork>,
    #[serde(rename = "authentication", default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    #[serde(rename = "publicAccess", default, skip_serializing_if = "Option::is_none")]
    pub public_access: Option<PublicAccess>,
    #[serde(rename = "billingMode", default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<i64>,
    #[serde(rename = "masters", default, skip_serializing_if = "Option::is_none")]
    pub masters: Option<Vec<MasterSpec>>,
    #[serde(rename = "kubernetesSvcIpRange", default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_svc_ip_range: Option<String>,
    #[serde(rename = "clusterTags", default, skip_serializing_if = "Option::is_none")]
    pub cluster_tags: Option<Vec<ResourceTag>>,
    #[serde(rename = "kubeProxyMode", default, skip_serializing_if = "Option::is_none")]
    pub kube_proxy_mode: Option<String>,
    #[serde(rename = "az", default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    #[serde(rename = "extendParam", default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<ClusterExtendParam>,
    #[serde(rename = "supportIstio", default, skip_serializing_if = "Option::is_none")]
    pub support_istio: Option<bool>,
    #[serde(rename = "enableMasterVolumeEncryption", default, skip_serializing_if = "Option::is_none")]
    pub enable_master_volume_encryption: Option<bool>,
    #[serde(rename = "enableDistMgt", default, skip_serializing_if = "Option::is_none")]
    pub enable_dist_mgt: Option<bool>,
    #[serde(rename = "deletionProtection", default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    #[serde(rename = "configurationsOverride", default, skip_serializing_if = "Option::is_none")]
    pub configurations_override: Option<Vec<PackageConfiguration>>,
    #[serde(rename = "clusterOps", default, skip_serializing_if = "Option::is_none")]
    pub cluster_ops: Option<ClusterOps>,
    #[serde(rename = "encryptionConfig", default, skip_serializing_if = "Option::is_none")]
    pub encryption_config: Option<EncryptionConfig>,
    #[serde(rename = "certificateAuthority", default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority: Option<CertificateAuthority>,
    #[serde(rename = "secretConfig", default, skip_serializing_if = "Option::is_none")]
    pub secret_config: Option<SecretConfig>,
}

/// `HostNetwork`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HostNetwork {
    #[schemars(required, regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "vpc", skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
    #[schemars(required, regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "subnet", skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(rename = "SecurityGroup", default, skip_serializing_if = "Option::is_none")]
    pub security_group: Option<String>,
    #[serde(rename = "controlPlaneSecurityGroup", default, skip_serializing_if = "Option::is_none")]
    pub control_plane_security_group: Option<String>,
    #[serde(
        rename = "autoGenerateSecurityGroupHardeningConfig",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub auto_generate_security_group_hardening_config: Option<AutoGenerateSecurityGroupHardeningConfigSpec>,
}

/// `AutoGenerateSecurityGroupHardeningConfigSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AutoGenerateSecurityGroupHardeningConfigSpec {
    #[serde(rename = "portsToDisable", default, skip_serializing_if = "Option::is_none")]
    pub ports_to_disable: Option<Vec<String>>,
}

/// `ContainerNetwork`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ContainerNetwork {
    #[serde(rename = "mode", default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(rename = "cidr", default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    #[serde(rename = "cidrs", default, skip_serializing_if = "Option::is_none")]
    pub cidrs: Option<Vec<ContainerCIDR>>,
    #[serde(rename = "enableContainerCIDRsReservation", default, skip_serializing_if = "Option::is_none")]
    pub enable_container_cid_rs_reservation: Option<bool>,
}

/// `ContainerCIDR`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ContainerCIDR {
    #[serde(rename = "cidr", default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
}

/// `EniNetwork`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct EniNetwork {
    #[serde(rename = "eniSubnetId", default, skip_serializing_if = "Option::is_none")]
    pub eni_subnet_id: Option<String>,
    #[serde(rename = "eniSubnetCIDR", default, skip_serializing_if = "Option::is_none")]
    pub eni_subnet_cidr: Option<String>,
    #[serde(rename = "subnets", default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<NetworkSubnet>>,
}

/// `NetworkSubnet`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NetworkSubnet {
    #[serde(rename = "subnetID", default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
}

/// `ServiceNetwork`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ServiceNetwork {
    #[serde(rename = "IPv4CIDR", default, skip_serializing_if = "Option::is_none")]
    pub i_pv4_cidr: Option<String>,
    #[serde(rename = "IPv6CIDR", default, skip_serializing_if = "Option::is_none")]
    pub i_pv6_cidr: Option<String>,
}

/// `Authentication`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Authentication {
    #[serde(rename = "mode", default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(rename = "authenticatingProxy", default, skip_serializing_if = "Option::is_none")]
    pub authenticating_proxy: Option<AuthenticatingProxy>,
}

/// `AuthenticatingProxy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AuthenticatingProxy {
    #[serde(rename = "ca", default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    #[serde(rename = "cert", default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    #[serde(rename = "privateKey", default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
}

/// `PublicAccess`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct PublicAccess {
    #[serde(rename = "cidrs", default, skip_serializing_if = "Option::is_none")]
    pub cidrs: Option<Vec<String>>,
}

/// `MasterSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct MasterSpec {
    #[serde(rename = "availabilityZone", default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
}

/// `ResourceTag`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ResourceTag {
    #[serde(rename = "key", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `ClusterExtendParam`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterExtendParam {
    #[serde(rename = "clusterAZ", default, skip_serializing_if = "Option::is_none")]
    pub cluster_az: Option<String>,
    #[serde(rename = "dssMasterVolumes", default, skip_serializing_if = "Option::is_none")]
    pub dss_master_volumes: Option<String>,
    #[serde(rename = "enterpriseProjectId", default, skip_serializing_if = "Option::is_none")]
    pub enterprise_project_id: Option<String>,
    #[serde(rename = "kubeProxyMode", default, skip_serializing_if = "Option::is_none")]
    pub kube_proxy_mode: Option<String>,
    #[serde(rename = "clusterExternalIP", default, skip_serializing_if = "Option::is_none")]
    pub cluster_external_ip: Option<String>,
    #[serde(rename = "alpha.cce/fixPoolMask", default, skip_serializing_if = "Option::is_none")]
    pub alpha_cce_fix_pool_mask: Option<String>,
    #[serde(rename = "decMasterFlavor", default, skip_serializing_if = "Option::is_none")]
    pub dec_master_flavor: Option<String>,
    #[serde(rename = "dockerUmaskMode", default, skip_serializing_if = "Option::is_none")]
    pub docker_umask_mode: Option<String>,
    #[serde(rename = "kubernetes.io/cpuManagerPolicy", default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_io_cpu_manager_policy: Option<String>,
    #[serde(rename = "orderID", default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(rename = "periodType", default, skip_serializing_if = "Option::is_none")]
    pub period_type: Option<String>,
    #[serde(rename = "periodNum", default, skip_serializing_if = "Option::is_none")]
    pub period_num: Option<i64>,
    #[serde(rename = "isAutoRenew", default, skip_serializing_if = "Option::is_none")]
    pub is_auto_renew: Option<String>,
    #[serde(rename = "isAutoPay", default, skip_serializing_if = "Option::is_none")]
    pub is_auto_pay: Option<String>,
    #[serde(rename = "upgradefrom", default, skip_serializing_if = "Option::is_none")]
    pub upgradefrom: Option<String>,
}

/// `PackageConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct PackageConfiguration {
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "configurations", default, skip_serializing_if = "Option::is_none")]
    pub configurations: Option<Vec<ConfigurationItem>>,
}

/// `ConfigurationItem`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ConfigurationItem {
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// `ClusterOps`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterOps {
    #[serde(rename = "alarm", default, skip_serializing_if = "Option::is_none")]
    pub alarm: Option<AlarmInfo>,
}

/// `AlarmInfo`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AlarmInfo {
    #[serde(rename = "topics", default, skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<String>>,
    #[serde(rename = "alarmRuleTemplateId", default, skip_serializing_if = "Option::is_none")]
    pub alarm_rule_template_id: Option<String>,
    #[serde(rename = "promInstanceID", default, skip_serializing_if = "Option::is_none")]
    pub prom_instance_id: Option<String>,
    #[serde(rename = "promEnterpriseProjectID", default, skip_serializing_if = "Option::is_none")]
    pub prom_enterprise_project_id: Option<String>,
}

/// `EncryptionConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct EncryptionConfig {
    #[serde(rename = "mode", default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(rename = "kmsKeyID", default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

/// `CertificateAuthority`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CertificateAuthority {
    #[serde(rename = "data", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// `SecretConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct SecretConfig {
    #[serde(rename = "disableDefaultAddonCredSecret", default, skip_serializing_if = "Option::is_none")]
    pub disable_default_addon_cred_secret: Option<bool>,
    #[serde(rename = "disableNodeAgencyCredSecret", default, skip_serializing_if = "Option::is_none")]
    pub disable_node_agency_cred_secret: Option<bool>,
    #[serde(rename = "disableDefaultImagePullSecret", default, skip_serializing_if = "Option::is_none")]
    pub disable_default_image_pull_secret: Option<bool>,
}

/// `ClusterStatus`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterStatus {
    #[serde(rename = "phase", default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(rename = "jobID", default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(rename = "reason", default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(rename = "message", default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(rename = "endpoints", default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Vec<ClusterEndpoints>>,
    #[serde(rename = "isLocked", default, skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    #[serde(rename = "lockScene", default, skip_serializing_if = "Option::is_none")]
    pub lock_scene: Option<String>,
    #[serde(rename = "lockSource", default, skip_serializing_if = "Option::is_none")]
    pub lock_source: Option<String>,
    #[serde(rename = "lockSourceId", default, skip_serializing_if = "Option::is_none")]
    pub lock_source_id: Option<String>,
    #[serde(rename = "deleteOption", default, skip_serializing_if = "Option::is_none")]
    pub delete_option: Option<Value>,
    #[serde(rename = "deleteStatus", default, skip_serializing_if = "Option::is_none")]
    pub delete_status: Option<Value>,
    #[serde(rename = "conditions", default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<ClusterCondition>>,
}

/// `ClusterEndpoints`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterEndpoints {
    #[serde(rename = "url", default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// `ClusterCondition`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterCondition {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(rename = "status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "lastProbeTime", default, skip_serializing_if = "Option::is_none")]
    pub last_probe_time: Option<String>,
    #[serde(rename = "lastTransitTime", default, skip_serializing_if = "Option::is_none")]
    pub last_transit_time: Option<String>,
    #[serde(rename = "reason", default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(rename = "message", default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `NodePool`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePool {
    #[schemars(transform = crate::wire_rules::is("NodePool"))]
    #[serde(rename = "kind", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[schemars(transform = crate::wire_rules::is("v3"))]
    #[serde(rename = "apiVersion", default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[schemars(required)]
    #[serde(rename = "metadata", skip_serializing_if = "Option::is_none")]
    pub metadata: Option<NodePoolMetadata>,
    #[schemars(required)]
    #[serde(rename = "spec", skip_serializing_if = "Option::is_none")]
    pub spec: Option<NodePoolSpec>,
    #[serde(rename = "status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<NodePoolStatus>,
}

/// `NodePoolMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolMetadata {
    /// The name rule (`NodePoolMetadataUpdate`'s pattern) is not stated here: answers name the
    /// cluster's `DefaultPool` with this type.
    #[schemars(required)]
    #[serde(rename = "name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "uid", default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(rename = "annotations", default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "updateTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
    #[serde(rename = "creationTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(rename = "resourceVersion", default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<i64>,
}

/// `NodePoolSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolSpec {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[schemars(required)]
    #[serde(rename = "nodeTemplate", skip_serializing_if = "Option::is_none")]
    pub node_template: Option<NodeTemplate>,
    #[schemars(range(min = 0, max = crate::nodepool::MAX_NODES))]
    #[serde(rename = "initialNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub initial_node_count: Option<i64>,
    #[serde(rename = "autoscaling", default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<NodePoolNodeAutoscaling>,
    #[serde(rename = "repairPolicy", default, skip_serializing_if = "Option::is_none")]
    pub repair_policy: Option<NodePoolRepairPolicy>,
    #[serde(rename = "nodeManagement", default, skip_serializing_if = "Option::is_none")]
    pub node_management: Option<NodeManagement>,
    #[serde(rename = "podSecurityGroups", default, skip_serializing_if = "Option::is_none")]
    pub pod_security_groups: Option<Vec<SecurityID>>,
    #[serde(rename = "extensionScaleGroups", default, skip_serializing_if = "Option::is_none")]
    pub extension_scale_groups: Option<Vec<ExtensionScaleGroup>>,
    #[serde(rename = "customSecurityGroups", default, skip_serializing_if = "Option::is_none")]
    pub custom_security_groups: Option<Vec<String>>,
    #[serde(rename = "taintPolicyOnExistingNodes", default, skip_serializing_if = "Option::is_none")]
    pub taint_policy_on_existing_nodes: Option<String>,
    #[serde(rename = "labelPolicyOnExistingNodes", default, skip_serializing_if = "Option::is_none")]
    pub label_policy_on_existing_nodes: Option<String>,
    #[serde(rename = "userTagsPolicyOnExistingNodes", default, skip_serializing_if = "Option::is_none")]
    pub user_tags_policy_on_existing_nodes: Option<String>,
}

/// `NodeTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeTemplate {
    #[schemars(required, regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "flavor", skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    #[schemars(required, regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "az", skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    #[serde(rename = "os", default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// Needs `sshKey` or `userPassword` (a rule joining two fields: checked, not stated here).
    #[schemars(required)]
    #[serde(rename = "login", skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    #[serde(rename = "volumeConfig", default, skip_serializing_if = "Option::is_none")]
    pub volume_config: Option<VolumeConfig>,
    #[schemars(required)]
    #[serde(rename = "rootVolume", skip_serializing_if = "Option::is_none")]
    pub root_volume: Option<Volume>,
    #[schemars(required, length(min = 1))]
    #[serde(rename = "dataVolumes", skip_serializing_if = "Option::is_none")]
    pub data_volumes: Option<Vec<Volume>>,
    #[serde(rename = "storage", default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    #[serde(rename = "publicIP", default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<NodeEIPSpec>,
    #[serde(rename = "nodeNicSpec", default, skip_serializing_if = "Option::is_none")]
    pub node_nic_spec: Option<NodeNicSpec>,
    #[serde(rename = "count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    #[serde(rename = "billingMode", default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<i64>,
    #[serde(rename = "taints", default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<Taint>>,
    #[serde(rename = "waitPostInstallFinish", default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,
    #[serde(rename = "k8sTags", default, skip_serializing_if = "Option::is_none")]
    pub k8s_tags: Option<BTreeMap<String, String>>,
    #[serde(rename = "ecsGroupId", default, skip_serializing_if = "Option::is_none")]
    pub ecs_group_id: Option<String>,
    #[serde(rename = "dedicatedHostId", default, skip_serializing_if = "Option::is_none")]
    pub dedicated_host_id: Option<String>,
    #[serde(rename = "userTags", default, skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<Vec<UserTag>>,
    #[serde(rename = "runtime", default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    #[serde(rename = "initializedConditions", default, skip_serializing_if = "Option::is_none")]
    pub initialized_conditions: Option<Vec<String>>,
    #[serde(rename = "extendParam", default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<NodeExtendParam>,
    #[serde(rename = "hostnameConfig", default, skip_serializing_if = "Option::is_none")]
    pub hostname_config: Option<HostnameConfig>,
    #[serde(rename = "serverEnterpriseProjectID", default, skip_serializing_if = "Option::is_none")]
    pub server_enterprise_project_id: Option<String>,
    #[serde(rename = "partition", default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    #[serde(rename = "configurationsOverride", default, skip_serializing_if = "Option::is_none")]
    pub configurations_override: Option<Vec<PackageConfiguration>>,
    #[serde(rename = "nodeNameTemplate", default, skip_serializing_if = "Option::is_none")]
    pub node_name_template: Option<NodeSpecNodeNameTemplate>,
}

/// `Login`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Login {
    #[serde(rename = "sshKey", default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<String>,
    #[serde(rename = "userPassword", default, skip_serializing_if = "Option::is_none")]
    pub user_password: Option<UserPassword>,
    #[serde(rename = "removeUserPassword", default, skip_serializing_if = "Option::is_none")]
    pub remove_user_password: Option<bool>,
    #[serde(rename = "removeSSHKey", default, skip_serializing_if = "Option::is_none")]
    pub remove_ssh_key: Option<bool>,
}

/// `UserPassword`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UserPassword {
    #[serde(rename = "username", default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Read, never written back: what ucsd records of a request never holds a password.
    #[serde(rename = "password", default, skip_serializing)]
    pub password: Option<String>,
}

/// `VolumeConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct VolumeConfig {
    #[serde(rename = "volumeResetPolicy", default, skip_serializing_if = "Option::is_none")]
    pub volume_reset_policy: Option<String>,
}

/// `Volume`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Volume {
    #[serde(rename = "size", default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(rename = "volumetype", default, skip_serializing_if = "Option::is_none")]
    pub volumetype: Option<String>,
    #[serde(rename = "iops", default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i64>,
    #[serde(rename = "throughput", default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i64>,
    #[serde(rename = "extendParam", default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<BTreeMap<String, Value>>,
    #[serde(rename = "cluster_id", default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(rename = "cluster_type", default, skip_serializing_if = "Option::is_none")]
    pub cluster_type: Option<String>,
    #[serde(rename = "hw:passthrough", default, skip_serializing_if = "Option::is_none")]
    pub hwpassthrough: Option<bool>,
    #[serde(rename = "metadata", default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<VolumeMetadata>,
}

/// `VolumeMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct VolumeMetadata {
    #[serde(rename = "__system__encrypted", default, skip_serializing_if = "Option::is_none")]
    pub system_encrypted: Option<String>,
    #[serde(rename = "__system__cmkid", default, skip_serializing_if = "Option::is_none")]
    pub system_cmkid: Option<String>,
}

/// `Storage`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Storage {
    #[serde(rename = "storageSelectors", default, skip_serializing_if = "Option::is_none")]
    pub storage_selectors: Option<Vec<StorageSelectors>>,
    #[serde(rename = "storageGroups", default, skip_serializing_if = "Option::is_none")]
    pub storage_groups: Option<Vec<StorageGroups>>,
}

/// `StorageSelectors`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct StorageSelectors {
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "storageType", default, skip_serializing_if = "Option::is_none")]
    pub storage_type: Option<String>,
    #[serde(rename = "matchLabels", default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<StorageSelectorsMatchLabels>,
}

/// `StorageSelectorsMatchLabels`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct StorageSelectorsMatchLabels {
    #[serde(rename = "size", default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(rename = "volumeType", default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,
    #[serde(rename = "iops", default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<String>,
    #[serde(rename = "throughput", default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<String>,
    #[serde(rename = "metadataEncrypted", default, skip_serializing_if = "Option::is_none")]
    pub metadata_encrypted: Option<String>,
    #[serde(rename = "metadataCmkid", default, skip_serializing_if = "Option::is_none")]
    pub metadata_cmkid: Option<String>,
    #[serde(rename = "count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
}

/// `StorageGroups`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct StorageGroups {
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "cceManaged", default, skip_serializing_if = "Option::is_none")]
    pub cce_managed: Option<bool>,
    #[serde(rename = "selectorNames", default, skip_serializing_if = "Option::is_none")]
    pub selector_names: Option<Vec<String>>,
    #[serde(rename = "virtualSpaces", default, skip_serializing_if = "Option::is_none")]
    pub virtual_spaces: Option<Vec<VirtualSpace>>,
}

/// `VirtualSpace`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct VirtualSpace {
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "size", default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(rename = "lvmConfig", default, skip_serializing_if = "Option::is_none")]
    pub lvm_config: Option<LVMConfig>,
    #[serde(rename = "runtimeConfig", default, skip_serializing_if = "Option::is_none")]
    pub runtime_config: Option<RuntimeConfig>,
}

/// `LVMConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct LVMConfig {
    #[serde(rename = "lvType", default, skip_serializing_if = "Option::is_none")]
    pub lv_type: Option<String>,
    #[serde(rename = "path", default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// `RuntimeConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct RuntimeConfig {
    #[serde(rename = "lvType", default, skip_serializing_if = "Option::is_none")]
    pub lv_type: Option<String>,
}

/// `NodeEIPSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeEIPSpec {
    #[serde(rename = "iptype", default, skip_serializing_if = "Option::is_none")]
    pub iptype: Option<String>,
    #[serde(rename = "bandwidth", default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<NodeBandwidth>,
}

/// `NodeBandwidth`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeBandwidth {
    #[serde(rename = "chargemode", default, skip_serializing_if = "Option::is_none")]
    pub chargemode: Option<String>,
    #[serde(rename = "size", default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(rename = "sharetype", default, skip_serializing_if = "Option::is_none")]
    pub sharetype: Option<String>,
}

/// `NodeNicSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeNicSpec {
    #[serde(rename = "primaryNic", default, skip_serializing_if = "Option::is_none")]
    pub primary_nic: Option<NicSpec>,
    #[serde(rename = "extNics", default, skip_serializing_if = "Option::is_none")]
    pub ext_nics: Option<Vec<NicSpec>>,
}

/// `NicSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NicSpec {
    #[serde(rename = "subnetId", default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(rename = "fixedIps", default, skip_serializing_if = "Option::is_none")]
    pub fixed_ips: Option<Vec<String>>,
    #[serde(rename = "ipBlock", default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<String>,
    #[serde(rename = "subnetList", default, skip_serializing_if = "Option::is_none")]
    pub subnet_list: Option<Vec<String>>,
}

/// `Taint`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Taint {
    #[serde(rename = "key", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "effect", default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

/// `UserTag`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UserTag {
    #[serde(rename = "key", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `Runtime`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct Runtime {
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "runtimeClass", default, skip_serializing_if = "Option::is_none")]
    pub runtime_class: Option<String>,
}

/// `NodeExtendParam`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeExtendParam {
    #[serde(rename = "ecs:performancetype", default, skip_serializing_if = "Option::is_none")]
    pub ecsperformancetype: Option<String>,
    #[serde(rename = "orderID", default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(rename = "productID", default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(rename = "maxPods", default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<i64>,
    #[serde(rename = "periodType", default, skip_serializing_if = "Option::is_none")]
    pub period_type: Option<String>,
    #[serde(rename = "periodNum", default, skip_serializing_if = "Option::is_none")]
    pub period_num: Option<i64>,
    #[serde(rename = "isAutoRenew", default, skip_serializing_if = "Option::is_none")]
    pub is_auto_renew: Option<String>,
    #[serde(rename = "isAutoPay", default, skip_serializing_if = "Option::is_none")]
    pub is_auto_pay: Option<String>,
    #[serde(rename = "DockerLVMConfigOverride", default, skip_serializing_if = "Option::is_none")]
    pub docker_lvm_config_override: Option<String>,
    #[serde(rename = "dockerBaseSize", default, skip_serializing_if = "Option::is_none")]
    pub docker_base_size: Option<i64>,
    #[serde(rename = "containerBaseSize", default, skip_serializing_if = "Option::is_none")]
    pub container_base_size: Option<i64>,
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(rename = "alpha.cce/preInstall", default, skip_serializing_if = "Option::is_none")]
    pub alpha_cce_pre_install: Option<String>,
    #[serde(rename = "alpha.cce/postInstall", default, skip_serializing_if = "Option::is_none")]
    pub alpha_cce_post_install: Option<String>,
    #[serde(rename = "alpha.cce/NodeImageID", default, skip_serializing_if = "Option::is_none")]
    pub alpha_cce_node_image_id: Option<String>,
    #[serde(rename = "chargingMode", default, skip_serializing_if = "Option::is_none")]
    pub charging_mode: Option<i64>,
    #[serde(rename = "marketType", default, skip_serializing_if = "Option::is_none")]
    pub market_type: Option<String>,
    #[serde(rename = "spotPrice", default, skip_serializing_if = "Option::is_none")]
    pub spot_price: Option<String>,
    #[serde(rename = "agency_name", default, skip_serializing_if = "Option::is_none")]
    pub agency_name: Option<String>,
    #[serde(rename = "kubeReservedMem", default, skip_serializing_if = "Option::is_none")]
    pub kube_reserved_mem: Option<i64>,
    #[serde(rename = "systemReservedMem", default, skip_serializing_if = "Option::is_none")]
    pub system_reserved_mem: Option<i64>,
    #[serde(rename = "kubeReservedCpu", default, skip_serializing_if = "Option::is_none")]
    pub kube_reserved_cpu: Option<i64>,
    #[serde(rename = "systemReservedCpu", default, skip_serializing_if = "Option::is_none")]
    pub system_reserved_cpu: Option<i64>,
    #[serde(rename = "kubeReservedPid", default, skip_serializing_if = "Option::is_none")]
    pub kube_reserved_pid: Option<i64>,
    #[serde(rename = "systemReservedPid", default, skip_serializing_if = "Option::is_none")]
    pub system_reserved_pid: Option<i64>,
    #[serde(rename = "kubeReservedStorage", default, skip_serializing_if = "Option::is_none")]
    pub kube_reserved_storage: Option<i64>,
    #[serde(rename = "systemReservedStorage", default, skip_serializing_if = "Option::is_none")]
    pub system_reserved_storage: Option<i64>,
    /// Read, never written back: what ucsd records of a request never holds a password.
    #[serde(rename = "init-node-password", default, skip_serializing)]
    pub init_node_password: Option<String>,
    #[serde(rename = "securityReinforcementType", default, skip_serializing_if = "Option::is_none")]
    pub security_reinforcement_type: Option<String>,
    #[serde(rename = "serverMetadataHttpTokens", default, skip_serializing_if = "Option::is_none")]
    pub server_metadata_http_tokens: Option<String>,
}

/// `HostnameConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct HostnameConfig {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// `NodeSpecNodeNameTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeSpecNodeNameTemplate {
    #[serde(rename = "nodeNamePrefix", default, skip_serializing_if = "Option::is_none")]
    pub node_name_prefix: Option<String>,
    #[serde(rename = "nodeNameSuffix", default, skip_serializing_if = "Option::is_none")]
    pub node_name_suffix: Option<String>,
}

/// `NodePoolNodeAutoscaling`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolNodeAutoscaling {
    #[serde(rename = "enable", default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    #[serde(rename = "minNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub min_node_count: Option<i64>,
    #[serde(rename = "maxNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub max_node_count: Option<i64>,
    #[serde(rename = "scaleDownCooldownTime", default, skip_serializing_if = "Option::is_none")]
    pub scale_down_cooldown_time: Option<i64>,
    #[serde(rename = "priority", default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(rename = "scaleDownUnneededTime", default, skip_serializing_if = "Option::is_none")]
    pub scale_down_unneeded_time: Option<i64>,
    #[serde(rename = "scaleDownUtilizationThreshold", default, skip_serializing_if = "Option::is_none")]
    pub scale_down_utilization_threshold: Option<f64>,
}

/// `NodePoolRepairPolicy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolRepairPolicy {
    #[serde(rename = "enable", default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    #[serde(rename = "policy", default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// `NodeManagement`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeManagement {
    #[serde(rename = "serverGroupReference", default, skip_serializing_if = "Option::is_none")]
    pub server_group_reference: Option<String>,
}

/// `SecurityID`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct SecurityID {
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// `ExtensionScaleGroup`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ExtensionScaleGroup {
    #[serde(rename = "metadata", default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ExtensionScaleGroupMetadata>,
    #[serde(rename = "spec", default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<ExtensionScaleGroupSpec>,
}

/// `ExtensionScaleGroupMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ExtensionScaleGroupMetadata {
    #[serde(rename = "uid", default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `ExtensionScaleGroupSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ExtensionScaleGroupSpec {
    #[serde(rename = "flavor", default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    #[serde(rename = "az", default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    #[serde(rename = "capacityReservationSpecification", default, skip_serializing_if = "Option::is_none")]
    pub capacity_reservation_specification: Option<CapacityReservationSpecification>,
    #[serde(rename = "autoscaling", default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<ScaleGroupAutoscaling>,
}

/// `CapacityReservationSpecification`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CapacityReservationSpecification {
    #[serde(rename = "id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "preference", default, skip_serializing_if = "Option::is_none")]
    pub preference: Option<String>,
}

/// `ScaleGroupAutoscaling`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleGroupAutoscaling {
    #[serde(rename = "enable", default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    #[serde(rename = "extensionPriority", default, skip_serializing_if = "Option::is_none")]
    pub extension_priority: Option<i64>,
    #[serde(rename = "minNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub min_node_count: Option<i64>,
    #[serde(rename = "maxNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub max_node_count: Option<i64>,
}

/// `NodePoolStatus`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolStatus {
    #[serde(rename = "currentNode", default, skip_serializing_if = "Option::is_none")]
    pub current_node: Option<i64>,
    #[serde(rename = "creatingNode", default, skip_serializing_if = "Option::is_none")]
    pub creating_node: Option<i64>,
    #[serde(rename = "deletingNode", default, skip_serializing_if = "Option::is_none")]
    pub deleting_node: Option<i64>,
    #[serde(rename = "activeNode", default, skip_serializing_if = "Option::is_none")]
    pub active_node: Option<i64>,
    #[serde(rename = "repairingNode", default, skip_serializing_if = "Option::is_none")]
    pub repairing_node: Option<i64>,
    #[serde(rename = "repairFailedNode", default, skip_serializing_if = "Option::is_none")]
    pub repair_failed_node: Option<i64>,
    #[serde(rename = "configurationSyncedNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub configuration_synced_node_count: Option<i64>,
    #[serde(rename = "phase", default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(rename = "jobId", default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(rename = "conditions", default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<NodePoolCondition>>,
    #[serde(rename = "scaleGroupStatuses", default, skip_serializing_if = "Option::is_none")]
    pub scale_group_statuses: Option<Vec<ScaleGroupStatus>>,
}

/// `NodePoolCondition`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolCondition {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(rename = "status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(rename = "lastProbeTime", default, skip_serializing_if = "Option::is_none")]
    pub last_probe_time: Option<String>,
    #[serde(rename = "lastTransitTime", default, skip_serializing_if = "Option::is_none")]
    pub last_transit_time: Option<String>,
    #[serde(rename = "reason", default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(rename = "message", default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `ScaleGroupStatus`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleGroupStatus {
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "uid", default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(rename = "creationTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
    #[serde(rename = "updateTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
    #[serde(rename = "phase", default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(rename = "desiredNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub desired_node_count: Option<i64>,
    #[serde(rename = "unpaidScaleNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub unpaid_scale_node_count: Option<i64>,
    #[serde(rename = "activeNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub active_node_count: Option<i64>,
    #[serde(rename = "existingNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub existing_node_count: Option<ScaleGroupStatusExistingNodeCount>,
    #[serde(rename = "upcomingNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub upcoming_node_count: Option<ScaleGroupStatusUpcomingNodeCount>,
    #[serde(rename = "scaleDownDisabledNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub scale_down_disabled_node_count: Option<i64>,
    #[serde(rename = "conditions", default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<NodePoolCondition>>,
}

/// `ScaleGroupStatusExistingNodeCount`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleGroupStatusExistingNodeCount {
    #[serde(rename = "postPaid", default, skip_serializing_if = "Option::is_none")]
    pub post_paid: Option<i64>,
    #[serde(rename = "prePaid", default, skip_serializing_if = "Option::is_none")]
    pub pre_paid: Option<i64>,
    #[serde(rename = "total", default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// `ScaleGroupStatusUpcomingNodeCount`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleGroupStatusUpcomingNodeCount {
    #[serde(rename = "postPaid", default, skip_serializing_if = "Option::is_none")]
    pub post_paid: Option<i64>,
    #[serde(rename = "prePaid", default, skip_serializing_if = "Option::is_none")]
    pub pre_paid: Option<i64>,
    #[serde(rename = "total", default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// `NodePoolUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolUpdate {
    #[serde(rename = "metadata", default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<NodePoolMetadataUpdate>,
    #[serde(rename = "spec", default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<NodePoolSpecUpdate>,
}

/// `NodePoolMetadataUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolMetadataUpdate {
    #[schemars(regex(pattern = crate::wire_rules::NODE_POOL_NAME))]
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `NodePoolSpecUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolSpecUpdate {
    #[serde(rename = "nodeTemplate", default, skip_serializing_if = "Option::is_none")]
    pub node_template: Option<NodeSpecUpdate>,
    #[schemars(range(min = 0, max = crate::nodepool::MAX_NODES))]
    #[serde(rename = "initialNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub initial_node_count: Option<i64>,
    #[serde(rename = "ignoreInitialNodeCount", default, skip_serializing_if = "Option::is_none")]
    pub ignore_initial_node_count: Option<bool>,
    #[serde(rename = "autoscaling", default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<NodePoolNodeAutoscaling>,
    #[serde(rename = "repairPolicy", default, skip_serializing_if = "Option::is_none")]
    pub repair_policy: Option<NodePoolRepairPolicy>,
    #[serde(rename = "nodeManagementUpdate", default, skip_serializing_if = "Option::is_none")]
    pub node_management_update: Option<NodeManagement>,
    #[serde(rename = "customSecurityGroups", default, skip_serializing_if = "Option::is_none")]
    pub custom_security_groups: Option<Vec<String>>,
    #[serde(rename = "taintPolicyOnExistingNodes", default, skip_serializing_if = "Option::is_none")]
    pub taint_policy_on_existing_nodes: Option<String>,
    #[serde(rename = "labelPolicyOnExistingNodes", default, skip_serializing_if = "Option::is_none")]
    pub label_policy_on_existing_nodes: Option<String>,
    #[serde(rename = "userTagsPolicyOnExistingNodes", default, skip_serializing_if = "Option::is_none")]
    pub user_tags_policy_on_existing_nodes: Option<String>,
    #[serde(rename = "extensionScaleGroups", default, skip_serializing_if = "Option::is_none")]
    pub extension_scale_groups: Option<Vec<ExtensionScaleGroup>>,
}

/// `NodeSpecUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeSpecUpdate {
    #[schemars(regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "flavor", default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    #[schemars(regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "az", default, skip_serializing_if = "Option::is_none")]
    pub az: Option<String>,
    #[serde(rename = "os", default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(rename = "login", default, skip_serializing_if = "Option::is_none")]
    pub login: Option<Login>,
    #[serde(rename = "rootVolumeUpdate", default, skip_serializing_if = "Option::is_none")]
    pub root_volume_update: Option<Volume>,
    #[schemars(length(min = 1))]
    #[serde(rename = "dataVolumesUpdate", default, skip_serializing_if = "Option::is_none")]
    pub data_volumes_update: Option<Vec<Volume>>,
    #[serde(rename = "storage", default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    #[serde(rename = "runtime", default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Runtime>,
    #[serde(rename = "taints", default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<Taint>>,
    #[serde(rename = "waitPostInstallFinish", default, skip_serializing_if = "Option::is_none")]
    pub wait_post_install_finish: Option<bool>,
    #[serde(rename = "k8sTags", default, skip_serializing_if = "Option::is_none")]
    pub k8s_tags: Option<BTreeMap<String, String>>,
    #[serde(rename = "ecsGroupId", default, skip_serializing_if = "Option::is_none")]
    pub ecs_group_id: Option<String>,
    #[serde(rename = "userTags", default, skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<Vec<UserTag>>,
    #[serde(rename = "nodeNameTemplate", default, skip_serializing_if = "Option::is_none")]
    pub node_name_template: Option<NodeSpecUpdateNodeNameTemplate>,
    #[serde(rename = "initializedConditions", default, skip_serializing_if = "Option::is_none")]
    pub initialized_conditions: Option<Vec<String>>,
    #[serde(rename = "serverEnterpriseProjectID", default, skip_serializing_if = "Option::is_none")]
    pub server_enterprise_project_id: Option<String>,
    #[serde(rename = "nodeNicSpecUpdate", default, skip_serializing_if = "Option::is_none")]
    pub node_nic_spec_update: Option<NodeSpecUpdateNodeNicSpecUpdate>,
    #[serde(rename = "extendParam", default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<NodePoolUpdateExtendParam>,
    #[serde(rename = "publicIP", default, skip_serializing_if = "Option::is_none")]
    pub public_ip: Option<NodeEIPSpec>,
}

/// `NodeSpecUpdateNodeNameTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeSpecUpdateNodeNameTemplate {
    #[serde(rename = "nodeNamePrefix", default, skip_serializing_if = "Option::is_none")]
    pub node_name_prefix: Option<String>,
    #[serde(rename = "nodeNameSuffix", default, skip_serializing_if = "Option::is_none")]
    pub node_name_suffix: Option<String>,
}

/// `NodeSpecUpdateNodeNicSpecUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeSpecUpdateNodeNicSpecUpdate {
    #[serde(rename = "primaryNic", default, skip_serializing_if = "Option::is_none")]
    pub primary_nic: Option<NodeSpecUpdateNodeNicSpecUpdatePrimaryNic>,
}

/// `NodeSpecUpdateNodeNicSpecUpdatePrimaryNic`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeSpecUpdateNodeNicSpecUpdatePrimaryNic {
    #[serde(rename = "subnetId", default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(rename = "subnetList", default, skip_serializing_if = "Option::is_none")]
    pub subnet_list: Option<Vec<String>>,
}

/// `NodePoolUpdateExtendParam`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePoolUpdateExtendParam {
    #[serde(rename = "agency_name", default, skip_serializing_if = "Option::is_none")]
    pub agency_name: Option<String>,
    #[serde(rename = "alpha.cce/preInstall", default, skip_serializing_if = "Option::is_none")]
    pub alpha_cce_pre_install: Option<String>,
    #[serde(rename = "alpha.cce/postInstall", default, skip_serializing_if = "Option::is_none")]
    pub alpha_cce_post_install: Option<String>,
    #[serde(rename = "spotPrice", default, skip_serializing_if = "Option::is_none")]
    pub spot_price: Option<String>,
    #[serde(rename = "securityReinforcementType", default, skip_serializing_if = "Option::is_none")]
    pub security_reinforcement_type: Option<String>,
    #[serde(rename = "alpha.cce/NodeImageID", default, skip_serializing_if = "Option::is_none")]
    pub alpha_cce_node_image_id: Option<String>,
}

/// `ScaleNodePoolRequestBody`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleNodePoolRequestBody {
    #[schemars(transform = crate::wire_rules::is("NodePool"))]
    #[serde(rename = "kind", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[schemars(transform = crate::wire_rules::is("v3"))]
    #[serde(rename = "apiVersion", default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[schemars(required)]
    #[serde(rename = "spec", skip_serializing_if = "Option::is_none")]
    pub spec: Option<ScaleNodePoolSpec>,
}

/// `ScaleNodePoolSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleNodePoolSpec {
    #[schemars(required, range(min = 0, max = crate::nodepool::MAX_NODES))]
    #[serde(rename = "desiredNodeCount", skip_serializing_if = "Option::is_none")]
    pub desired_node_count: Option<i64>,
    #[schemars(extend("items" = {"type": "string", "enum": ["default"]}))]
    #[serde(rename = "scaleGroups", default, skip_serializing_if = "Option::is_none")]
    pub scale_groups: Option<Vec<String>>,
    #[serde(rename = "options", default, skip_serializing_if = "Option::is_none")]
    pub options: Option<ScaleNodePoolOptions>,
}

/// `ScaleNodePoolOptions`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleNodePoolOptions {
    #[serde(rename = "scalableChecking", default, skip_serializing_if = "Option::is_none")]
    pub scalable_checking: Option<String>,
    #[serde(rename = "scalePolicy", default, skip_serializing_if = "Option::is_none")]
    pub scale_policy: Option<String>,
    #[serde(rename = "billingConfigOverride", default, skip_serializing_if = "Option::is_none")]
    pub billing_config_override: Option<ScaleUpBillingConfigOverride>,
}

/// `ScaleUpBillingConfigOverride`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleUpBillingConfigOverride {
    #[serde(rename = "billingMode", default, skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<i64>,
    #[serde(rename = "extendParam", default, skip_serializing_if = "Option::is_none")]
    pub extend_param: Option<ScaleUpExtendParam>,
}

/// `ScaleUpExtendParam`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ScaleUpExtendParam {
    #[serde(rename = "periodNum", default, skip_serializing_if = "Option::is_none")]
    pub period_num: Option<i64>,
    #[serde(rename = "periodType", default, skip_serializing_if = "Option::is_none")]
    pub period_type: Option<String>,
    #[serde(rename = "isAutoRenew", default, skip_serializing_if = "Option::is_none")]
    pub is_auto_renew: Option<bool>,
    #[serde(rename = "isAutoPay", default, skip_serializing_if = "Option::is_none")]
    pub is_auto_pay: Option<bool>,
}

/// `InstanceRequest`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct InstanceRequest {
    #[schemars(transform = crate::wire_rules::is("Addon"))]
    #[serde(rename = "kind", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[schemars(transform = crate::wire_rules::is("v3"))]
    #[serde(rename = "apiVersion", default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(rename = "metadata", default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<AddonMetadata>,
    #[schemars(required)]
    #[serde(rename = "spec", skip_serializing_if = "Option::is_none")]
    pub spec: Option<InstanceRequestSpec>,
}

/// `AddonMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AddonMetadata {
    #[serde(rename = "uid", default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(rename = "name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "alias", default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(rename = "labels", default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "annotations", default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "updateTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub update_timestamp: Option<String>,
    #[serde(rename = "creationTimestamp", default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<String>,
}

/// `InstanceRequestSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct InstanceRequestSpec {
    #[schemars(length(min = 1))]
    #[serde(rename = "version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[schemars(required, regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "clusterID", skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(rename = "values", default, skip_serializing_if = "Option::is_none")]
    pub values: Option<BTreeMap<String, Value>>,
    #[schemars(required, regex(pattern = crate::wire_rules::NON_BLANK))]
    #[serde(rename = "addonTemplateName", skip_serializing_if = "Option::is_none")]
    pub addon_template_name: Option<String>,
}

/// `CertDuration`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct CertDuration {
    #[schemars(required, transform = crate::wire_rules::cert_duration)]
    #[serde(rename = "duration", skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
}

/// `ClusterInformation`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterInformation {
    #[serde(rename = "spec", default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<ClusterInformationSpec>,
    #[serde(rename = "metadata", default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ClusterMetadataForUpdate>,
}

/// `ClusterInformationSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterInformationSpec {
    #[serde(rename = "agencyName", default, skip_serializing_if = "Option::is_none")]
    pub agency_name: Option<String>,
    #[serde(rename = "description", default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "customSan", default, skip_serializing_if = "Option::is_none")]
    pub custom_san: Option<Vec<String>>,
    #[serde(rename = "containerNetwork", default, skip_serializing_if = "Option::is_none")]
    pub container_network: Option<ContainerNetworkUpdate>,
    #[serde(rename = "eniNetwork", default, skip_serializing_if = "Option::is_none")]
    pub eni_network: Option<EniNetworkUpdate>,
    #[serde(rename = "hostNetwork", default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<ClusterInformationSpecHostNetwork>,
    #[serde(rename = "deletionProtection", default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    #[serde(rename = "secretConfig", default, skip_serializing_if = "Option::is_none")]
    pub secret_config: Option<SecretConfigUpdate>,
}

/// `ContainerNetworkUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ContainerNetworkUpdate {
    #[serde(rename = "cidrs", default, skip_serializing_if = "Option::is_none")]
    pub cidrs: Option<Vec<ContainerCIDR>>,
    #[serde(rename = "containercidrs", default, skip_serializing_if = "Option::is_none")]
    pub containercidrs: Option<Vec<String>>,
}

/// `EniNetworkUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct EniNetworkUpdate {
    #[serde(rename = "subnets", default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<NetworkSubnet>>,
}

/// `ClusterInformationSpecHostNetwork`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterInformationSpecHostNetwork {
    #[serde(rename = "SecurityGroup", default, skip_serializing_if = "Option::is_none")]
    pub security_group: Option<String>,
}

/// `SecretConfigUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct SecretConfigUpdate {
    #[serde(rename = "disableDefaultAddonCredSecret", default, skip_serializing_if = "Option::is_none")]
    pub disable_default_addon_cred_secret: Option<bool>,
    #[serde(rename = "disableNodeAgencyCredSecret", default, skip_serializing_if = "Option::is_none")]
    pub disable_node_agency_cred_secret: Option<bool>,
    #[serde(rename = "disableDefaultImagePullSecret", default, skip_serializing_if = "Option::is_none")]
    pub disable_default_image_pull_secret: Option<bool>,
}

/// `ClusterMetadataForUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterMetadataForUpdate {
    #[schemars(length(max = 128))]
    #[serde(rename = "alias", default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// `UpgradeClusterRequestBody`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UpgradeClusterRequestBody {
    #[serde(rename = "metadata", default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<UpgradeClusterRequestMetadata>,
    #[schemars(required)]
    #[serde(rename = "spec", skip_serializing_if = "Option::is_none")]
    pub spec: Option<UpgradeSpec>,
}

/// `UpgradeClusterRequestMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UpgradeClusterRequestMetadata {
    #[schemars(transform = crate::wire_rules::is("v3"))]
    #[serde(rename = "apiVersion", default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[schemars(transform = crate::wire_rules::is("UpgradeTask"))]
    #[serde(rename = "kind", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// `UpgradeSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UpgradeSpec {
    #[schemars(required)]
    #[serde(rename = "clusterUpgradeAction", skip_serializing_if = "Option::is_none")]
    pub cluster_upgrade_action: Option<ClusterUpgradeAction>,
}

/// `ClusterUpgradeAction`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct ClusterUpgradeAction {
    #[serde(rename = "addons", default, skip_serializing_if = "Option::is_none")]
    pub addons: Option<Vec<UpgradeAddonConfig>>,
    #[serde(rename = "nodeOrder", default, skip_serializing_if = "Option::is_none")]
    pub node_order: Option<BTreeMap<String, Vec<NodePriority>>>,
    #[serde(rename = "nodePoolOrder", default, skip_serializing_if = "Option::is_none")]
    pub node_pool_order: Option<BTreeMap<String, i64>>,
    #[serde(rename = "strategy", default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<UpgradeStrategy>,
    #[schemars(required)]
    #[serde(rename = "targetVersion", skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
    #[serde(rename = "isOnlyUpgrade", default, skip_serializing_if = "Option::is_none")]
    pub is_only_upgrade: Option<bool>,
    #[serde(rename = "agencyName", default, skip_serializing_if = "Option::is_none")]
    pub agency_name: Option<String>,
}

/// `UpgradeAddonConfig`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UpgradeAddonConfig {
    #[serde(rename = "addonTemplateName", default, skip_serializing_if = "Option::is_none")]
    pub addon_template_name: Option<String>,
    #[serde(rename = "operation", default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(rename = "version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(rename = "values", default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
}

/// `NodePriority`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodePriority {
    #[serde(rename = "nodeSelector", default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<NodeSelector>,
    #[serde(rename = "priority", default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

/// `NodeSelector`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct NodeSelector {
    #[serde(rename = "key", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "value", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Vec<String>>,
    #[serde(rename = "operator", default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

/// `UpgradeStrategy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UpgradeStrategy {
    #[schemars(transform = crate::wire_rules::is("inPlaceRollingUpdate"))]
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(rename = "inPlaceRollingUpdate", default, skip_serializing_if = "Option::is_none")]
    pub in_place_rolling_update: Option<InPlaceRollingUpdate>,
}

/// `InPlaceRollingUpdate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct InPlaceRollingUpdate {
    #[serde(rename = "userDefinedStep", default, skip_serializing_if = "Option::is_none")]
    pub user_defined_step: Option<i64>,
    #[serde(rename = "scope", default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// `AddonCheckRequest`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AddonCheckRequest {
    #[schemars(transform = crate::wire_rules::is("AddonCheck"))]
    #[serde(rename = "kind", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[schemars(transform = crate::wire_rules::is("v3"))]
    #[serde(rename = "apiVersion", default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[schemars(required)]
    #[serde(rename = "spec", skip_serializing_if = "Option::is_none")]
    pub spec: Option<AddonCheckSpec>,
}

/// `AddonCheckSpec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AddonCheckSpec {
    #[serde(rename = "clusterID", default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[schemars(required, length(min = 1))]
    #[serde(rename = "addonList", skip_serializing_if = "Option::is_none")]
    pub addon_list: Option<Vec<AddonInfo>>,
}

/// `AddonInfo`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct AddonInfo {
    #[schemars(required, length(min = 1))]
    #[serde(rename = "addonTemplateName", skip_serializing_if = "Option::is_none")]
    pub addon_template_name: Option<String>,
    #[serde(rename = "addonInstanceID", default, skip_serializing_if = "Option::is_none")]
    pub addon_instance_id: Option<String>,
    #[schemars(required, length(min = 1))]
    #[serde(rename = "targetVersion", skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
    #[schemars(transform = crate::wire_rules::one_of(crate::wire_rules::ADDON_CHECK_TYPES))]
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(rename = "values", default, skip_serializing_if = "Option::is_none")]
    pub values: Option<BTreeMap<String, Value>>,
}

/// `UpgradeWorkFlowUpdateRequestBody`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UpgradeWorkFlowUpdateRequestBody {
    #[schemars(required)]
    #[serde(rename = "status", skip_serializing_if = "Option::is_none")]
    pub status: Option<UpgradeWorkFlowUpdateRequestBodyStatus>,
}

/// `UpgradeWorkFlowUpdateRequestBodyStatus`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
pub struct UpgradeWorkFlowUpdateRequestBodyStatus {
    /// Only `Cancel` can be asked for: the other phases follow from the workflow's tasks.
    #[schemars(required, transform = crate::wire_rules::is("Cancel"))]
    #[serde(rename = "phase", skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
}
