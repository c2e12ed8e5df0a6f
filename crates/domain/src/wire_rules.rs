//! The rules of UCS request fields as JSON Schema patterns and value lists, for the OpenAPI document.
//! Each states what a validator of this crate enforces (its tests check that the two agree), so a
//! request the document calls valid is one ucsd accepts, field by field. Rules that join fields (a
//! cluster type that belongs to its category, a fleet that exists) stay in the validators.
//!
//! The checks the typed CCE bodies share ([`check_kind`], [`required`]) live here too: serde refuses
//! what breaks a body's shape, these what its schema states beyond the shape.

use crate::{cluster::CLUSTER_KINDS, rule::RuleType, Error};

/// A DNS-1123 label, 1–63: cluster and rule names (`cluster::validate_name`, `rule::validate_name`).
pub const DNS1123_LABEL: &str = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

/// A CCE cluster name, 4–128, a letter first, not ending with `-` (`cce::validate_name`).
pub const CCE_CLUSTER_NAME: &str = "^[a-z][-a-z0-9]{2,126}[a-z0-9]$";

/// A node pool name, 1–50, a letter first, not ending with `-` (`nodepool::validate_name`, which
/// also keeps `DefaultPool` for the cluster's own).
pub const NODE_POOL_NAME: &str = "^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$";

/// A string with a character other than white space: a CCE field that is "required and non-empty"
/// (`cce::required`).
pub const NON_BLANK: &str = "\\S";

/// The longest validity of a cluster certificate, in days (`duration`; `-1` asks for this).
pub const MAX_CERT_DAYS: i64 = 1825;

/// An id of either canonical form, or empty (an optional id sent as `""`).
pub const ID_OR_EMPTY: &str =
    "^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$";

/// A namespace a rule applies in: a DNS-1123 label, or `*` for all (`rbac::validate_attachments`).
pub const NAMESPACE: &str = "^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|\\*)$";

/// An IPv4 CIDR block, `10.0.0.0/16` (the on-premises installer's network inputs).
pub const IPV4_CIDR: &str = "^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/([0-9]|[12][0-9]|3[0-2])$";

/// A fleet name, 4–64, a letter first, not ending with `-` (`fleet::validate_name`).
pub const FLEET_NAME: &str = "^[a-z][-a-z0-9]{2,62}[a-z0-9]$";

/// An ISO 3166 alpha-2 country code (`cluster::validate_place`).
pub const COUNTRY: &str = "^[A-Z]{2}$";

/// A domain name with at least two labels, each a DNS-1123 label, of at most [`DOMAIN_NAME_MAX`]
/// characters (`fleet::validate_dns_suffixes`).
pub const DOMAIN_NAME: &str = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$";
pub const DOMAIN_NAME_MAX: usize = 253;

/// A federation version: `v` then 1–32 letters, digits, `.` or `-` (the federation upgrade).
pub const FEDERATION_VERSION: &str = "^v[0-9A-Za-z.-]{1,32}$";

/// A text without control characters other than a newline (`fleet::validate_description`).
pub const PLAIN_TEXT: &str = "^[^\\u0000-\\u0009\\u000B-\\u001F\\u007F-\\u009F]*$";

/// Values of `spec.category`, `spec.type` and `spec.provider` of a registration (each alone; which
/// type and provider go with a category is `cluster::validate_kind`'s table).
pub fn categories() -> Vec<&'static str> {
    distinct(CLUSTER_KINDS.iter().map(|k| k.category))
}

pub fn cluster_types() -> Vec<&'static str> {
    distinct(CLUSTER_KINDS.iter().map(|k| k.cluster_type))
}

pub fn providers() -> Vec<&'static str> {
    distinct(CLUSTER_KINDS.iter().map(|k| k.provider))
}

pub fn rule_types() -> Vec<&'static str> {
    RuleType::ALL.iter().map(|t| t.as_str()).collect()
}

/// A schemars transform: the field's value is one of `values` (or `null`, when the field's type
/// allows it): `#[schemars(transform = wire_rules::one_of(…))]`.
pub fn one_of(values: impl IntoIterator<Item = &'static str>) -> impl FnMut(&mut schemars::Schema) {
    let mut values: Vec<serde_json::Value> = values.into_iter().map(serde_json::Value::from).collect();
    move |schema| {
        let nullable = schema
            .get("type")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|types| types.iter().any(|t| t == "null"));
        if nullable {
            values.push(serde_json::Value::Null);
        }
        schema.insert("enum".into(), std::mem::take(&mut values).into());
    }
}

/// A schemars transform: the field holds an IP address, v4 or v6 (`std::net::IpAddr`'s forms).
pub fn ip_address(schema: &mut schemars::Schema) {
    let nullable = schema
        .get("type")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "null"));
    let mut forms = vec![
        serde_json::json!({ "type": "string", "format": "ipv4" }),
        serde_json::json!({ "type": "string", "format": "ipv6" }),
    ];
    if nullable {
        forms.push(serde_json::json!({ "type": "null" }));
    }
    schema.insert("anyOf".into(), forms.into());
}

/// [`one_of`] a single value: a `kind` or `apiVersion` that, if sent, must be this one.
pub fn is(value: &'static str) -> impl FnMut(&mut schemars::Schema) {
    one_of([value])
}

/// A schemars transform for a field whose object schema is inlined: `fields` are required and not
/// `null` (a spec type shared by operations that require different fields of it).
pub fn requires(fields: &'static [&'static str]) -> impl FnMut(&mut schemars::Schema) {
    move |schema| {
        let object = schema.ensure_object();
        let required = object.entry("required").or_insert_with(|| serde_json::json!([]));
        if let Some(list) = required.as_array_mut() {
            for field in fields {
                if !list.iter().any(|f| f == field) {
                    list.push((*field).into());
                }
            }
        }
        let Some(properties) = object.get_mut("properties").and_then(serde_json::Value::as_object_mut) else {
            return;
        };
        for field in fields {
            let types = properties.get_mut(*field).and_then(|p| p.get_mut("type"));
            if let Some(types) = types.and_then(serde_json::Value::as_array_mut) {
                types.retain(|t| t != "null");
            }
        }
    }
}

/// The `type` of an addon of an addon check.
pub const ADDON_CHECK_TYPES: [&str; 2] = ["addonStatic", "addonUpgrade"];

/// A schemars transform for a cluster certificate's `duration`: `-1`, or 1 to [`MAX_CERT_DAYS`] days.
pub fn cert_duration(schema: &mut schemars::Schema) {
    schema
        .insert("anyOf".into(), serde_json::json!([{"const": -1}, {"minimum": 1, "maximum": MAX_CERT_DAYS}]));
}

/// The `kind` / `apiVersion` pair of a body: each optional, and if sent, the operation's (what
/// [`is`] states in the document).
pub fn check_kind(
    kind: Option<&str>,
    want_kind: &str,
    api_version: Option<&str>,
    versions: &[&str],
) -> Result<(), Error> {
    if let Some(k) = kind.filter(|k| *k != want_kind) {
        return Err(Error::invalid_body(format!("kind must be {want_kind}, not {k:?}")));
    }
    if let Some(v) = api_version.filter(|v| !versions.contains(v)) {
        return Err(Error::invalid_body(format!("apiVersion must be {}, not {v:?}", versions.join(" or "))));
    }
    Ok(())
}

/// A field that is required and not blank ([`NON_BLANK`]), or a 400 naming it (`field` as the wire
/// spells it: `spec.hostNetwork.vpc`).
pub fn required<'v>(value: Option<&'v str>, field: &str) -> Result<&'v str, Error> {
    value
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Error::invalid_body(format!("{field} is required and must be a non-empty string")))
}

fn distinct(values: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::*;
    use crate::{cce, cluster, fleet, nodepool, rule};

    /// Strings near every rule's edges: lengths, first and last characters, case, separators.
    fn samples() -> Vec<String> {
        let mut out: Vec<String> = [
            "",
            "a",
            "A",
            "-",
            "a-",
            "-a",
            "ab",
            "a-b",
            "abc",
            "abcd",
            "a1b2",
            "1abc",
            "abc-",
            "ab_c",
            "ab.c",
            "Abcd",
            "abcD",
            "CN",
            "cn",
            "C",
            "CNN",
            "c1",
            "v",
            "v1",
            "v1.8.0",
            "v1.8.0-r1",
            "V1",
            "1.8",
            "example.com",
            "a.b",
            "a..b",
            ".a.b",
            "a.b.",
            "-a.com",
            "a-.com",
            "ex_ample.com",
            "EXAMPLE.com",
            "*",
            "**",
            "a*",
            "10.0.0.0/16",
            "10.0.0.0/32",
            "10.0.0.0/33",
            "10.0.0.0/+5",
            "10.0.0.0/032",
            "01.0.0.0/8",
            "256.0.0.0/8",
            "1.2.3/8",
            "1.2.3.4",
            "1.2.3.4/",
            "0.0.0.0/0",
            "line\nbreak",
            "tab\there",
            "bell\u{7}",
            "del\u{7f}",
            "c1\u{85}",
            "emoji😀",
            "plain text",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [2, 3, 4, 5, 62, 63, 64, 65, 127, 128, 129, 252, 253, 254] {
            out.push("a".repeat(n));
            out.push(format!("{}.com", "a".repeat(n)));
            out.push(format!("v{}", "1".repeat(n.min(40))));
        }
        out
    }

    fn agree(pattern: &str, max_chars: usize, validator: impl Fn(&str) -> bool) {
        let re = Regex::new(pattern).unwrap();
        for s in samples() {
            let valid = re.is_match(&s) && s.chars().count() <= max_chars;
            assert_eq!(valid, validator(&s), "{pattern} and its validator disagree on {s:?}");
        }
    }

    #[test]
    fn patterns_state_what_the_validators_enforce() {
        agree(DNS1123_LABEL, usize::MAX, |s| cluster::validate_name(s).is_ok());
        agree(DNS1123_LABEL, usize::MAX, |s| rule::validate_name(s).is_ok());
        agree(CCE_CLUSTER_NAME, usize::MAX, |s| cce::validate_name(s).is_ok());
        agree(NODE_POOL_NAME, usize::MAX, |s| nodepool::validate_name(s).is_ok());
        agree(NON_BLANK, usize::MAX, |s| !s.trim().is_empty());
        agree(FLEET_NAME, usize::MAX, |s| fleet::validate_name(s).is_ok());
        // `CN` also needs a city code of the reference's table.
        agree(COUNTRY, usize::MAX, |s| cluster::validate_place(s, "").is_ok() || s == "CN");
        agree(DOMAIN_NAME, DOMAIN_NAME_MAX, |s| fleet::validate_dns_suffixes(&[s.to_string()]).is_ok());
        agree(PLAIN_TEXT, 255, |s| fleet::validate_description(s).is_ok());
        agree(NAMESPACE, usize::MAX, |s| s == "*" || rule::is_dns1123_label(s));
        agree(IPV4_CIDR, usize::MAX, cluster::is_ipv4_cidr);
    }

    #[test]
    fn value_lists_are_what_the_validators_take() {
        for category in categories() {
            assert!(cluster::is_known_category(category));
        }
        for kind in CLUSTER_KINDS {
            assert!(cluster_types().contains(&kind.cluster_type) && providers().contains(&kind.provider));
        }
    }
}
