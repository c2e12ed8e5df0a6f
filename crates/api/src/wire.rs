//! Small wire conventions shared by resource modules.

use chrono::{DateTime, Utc};

/// Timestamps as the reference's examples write them (Go's default time format).
pub fn go_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f +0000 UTC").to_string()
}

/// The body of a create that answers only the new resource's id: `{"uid": …}`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Uid {
    pub uid: String,
}

impl Uid {
    pub fn of(id: impl std::fmt::Display) -> Self {
        Uid { uid: id.to_string() }
    }
}

/// An empty object (`{}`): the answer of an action that returns nothing, a `metadata` that ucsd
/// leaves empty.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[schemars(extend("additionalProperties" = false))]
pub struct Empty {}

/// A kubeconfig as JSON (`kind: Config`) with one cluster, one user with a client certificate, and
/// the context that joins them (U10, U27, U29).
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Kubeconfig {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    clusters: Vec<KubeconfigCluster>,
    users: Vec<KubeconfigUser>,
    contexts: Vec<KubeconfigContext>,
    current_context: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct KubeconfigCluster {
    name: String,
    cluster: KubeconfigServer,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct KubeconfigServer {
    server: String,
    certificate_authority_data: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct KubeconfigUser {
    name: String,
    user: KubeconfigCredentials,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct KubeconfigCredentials {
    client_certificate_data: String,
    client_key_data: String,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct KubeconfigContext {
    name: String,
    context: KubeconfigContextRef,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct KubeconfigContextRef {
    cluster: String,
    user: String,
}

/// Where a kubeconfig points and who it authenticates, as PEM text (encoded here).
pub struct KubeconfigParts<'a> {
    pub cluster: &'a str,
    pub server: &'a str,
    pub ca_pem: &'a str,
    pub user: &'a str,
    pub cert_pem: &'a str,
    pub key_pem: &'a str,
    pub context: &'a str,
}

impl Kubeconfig {
    pub fn new(p: KubeconfigParts<'_>) -> Self {
        use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
        Kubeconfig {
            kind: "Config",
            api_version: "v1",
            clusters: vec![KubeconfigCluster {
                name: p.cluster.to_string(),
                cluster: KubeconfigServer {
                    server: p.server.to_string(),
                    certificate_authority_data: B64.encode(p.ca_pem),
                },
            }],
            users: vec![KubeconfigUser {
                name: p.user.to_string(),
                user: KubeconfigCredentials {
                    client_certificate_data: B64.encode(p.cert_pem),
                    client_key_data: B64.encode(p.key_pem),
                },
            }],
            contexts: vec![KubeconfigContext {
                name: p.context.to_string(),
                context: KubeconfigContextRef { cluster: p.cluster.to_string(), user: p.user.to_string() },
            }],
            current_context: p.context.to_string(),
        }
    }
}
