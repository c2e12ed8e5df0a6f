//! Every JSON answer the HTTP tests receive is checked against the OpenAPI document (`api::openapi`):
//! the schema its operation documents for its status, with the document's components. A response type
//! that drifts from its schema (a key the type does not declare, a value of another type, a missing
//! required key) fails the test that received it, whichever test that is.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
};

use axum::http::{Method, StatusCode};
use jsonschema::Validator;
use serde_json::{json, Value};

/// An operation's answer: method (lower case), path template, status.
type Answer = (String, String, u16);

/// The document, and the validators built so far (`None`: the document describes no JSON answer).
struct Document {
    doc: Value,
    validators: Mutex<HashMap<Answer, Option<Arc<Validator>>>>,
}

static DOCUMENT: LazyLock<Document> =
    LazyLock::new(|| Document { doc: api::openapi::document(), validators: Mutex::new(HashMap::new()) });

/// The documented path a request path is an instance of: its literal segments match, `{…}` segments
/// take anything; the template with the most literal segments wins (`/v3/auth/projects` over
/// `/v3/{x}/projects`).
fn template<'d>(doc: &'d Value, method: &str, path: &str) -> Option<&'d str> {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .iter()
        .filter(|(_, item)| item.get(method).is_some())
        .filter_map(|(template, _)| {
            let parts: Vec<&str> = template.split('/').collect();
            let literal = |p: &str| !p.starts_with('{');
            (parts.len() == segments.len() && parts.iter().zip(&segments).all(|(p, s)| !literal(p) || p == s))
                .then(|| (parts.iter().filter(|p| literal(p)).count(), template.as_str()))
        })
        .max()
        .map(|(_, template)| template)
}

/// The JSON schema the document gives an operation's answer of `status`, if it documents one.
fn schema_of(doc: &Value, method: &str, template: &str, status: u16) -> Option<Value> {
    let mut response = doc["paths"][template][method]["responses"].get(status.to_string())?;
    if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
        response = doc.pointer(reference.strip_prefix('#')?)?;
    }
    response.pointer("/content/application~1json/schema").cloned()
}

fn validator(method: &str, template: &str, status: u16) -> Option<Arc<Validator>> {
    let key = (method.to_string(), template.to_string(), status);
    let mut validators = DOCUMENT.validators.lock().unwrap();
    validators
        .entry(key)
        .or_insert_with(|| {
            let doc = &DOCUMENT.doc;
            let schema = schema_of(doc, method, template, status)?;
            // The operation's schema, with the components its references point into.
            let root = json!({ "allOf": [schema], "components": doc["components"] });
            let validator = jsonschema::draft202012::new(&root)
                .unwrap_or_else(|e| panic!("{method} {template} {status}: the schema does not compile: {e}"));
            Some(Arc::new(validator))
        })
        .clone()
}

/// Panics if a JSON answer is not what the document says the operation answers with that status.
/// Answers the document does not describe (an undocumented path or status, a body that is not JSON)
/// are not checked.
#[track_caller]
pub fn check(method: &Method, path: &str, status: StatusCode, text: &str) {
    let Ok(body) = serde_json::from_str::<Value>(text) else { return };
    let method = method.as_str().to_ascii_lowercase();
    let path = path.split('?').next().unwrap_or(path);
    let Some(template) = template(&DOCUMENT.doc, &method, path) else { return };
    let Some(validator) = validator(&method, template, status.as_u16()) else { return };
    let errors: Vec<String> =
        validator.iter_errors(&body).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{} {path} answered {status} with a body its OpenAPI schema ({template}) refuses:\n  {}\nbody: {text}",
        method.to_ascii_uppercase(),
        errors.join("\n  "),
    );
}

#[test]
fn an_answer_that_drifts_from_its_schema_is_refused() {
    let cluster = "/api/v3/projects/p/clusters/c";
    let refused = |path: &str, body: Value| {
        let text = body.to_string();
        std::panic::catch_unwind(|| check(&Method::GET, path, StatusCode::OK, &text)).is_err()
    };
    let good = json!({
        "kind": "Cluster", "apiVersion": "v3", "metadata": { "name": "prod" },
        "spec": { "flavor": "cce.s1.small", "hostNetwork": { "vpc": "v", "subnet": "s" } },
        "status": { "phase": "Available" },
    });
    assert!(!refused(cluster, good.clone()), "a well-formed cluster is refused");
    let mut unknown = good.clone();
    unknown["status"]["Phase"] = json!("Available");
    assert!(refused(cluster, unknown), "a key the type does not declare");
    let mut mistyped = good;
    mistyped["metadata"]["name"] = json!(1);
    assert!(refused(cluster, mistyped), "a value of another type");
    let plans = "/autopilot/v3/projects/p/clusters/c/upgradeplans";
    assert!(refused(plans, json!({ "kind": "List" })), "a required key missing");
    assert!(refused(plans, json!({ "kind": "List", "apiVersion": "v3", "items": [] })), "items is one plan");
    let error = json!({ "error_code": "CCE.01404001" });
    let text = error.to_string();
    let missing_msg = std::panic::catch_unwind(|| check(&Method::GET, cluster, StatusCode::NOT_FOUND, &text));
    assert!(missing_msg.is_err(), "an error without error_msg");
}
