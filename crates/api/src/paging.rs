//! Paging and ordering of the list operations (`limit`, `offset`, `order_by`, `order`), the same for
//! clusters, fleets and rules.

use domain::Error;
use schemars::JsonSchema;
use serde::Deserialize;
use store::Page;

/// The query of a list operation that takes nothing but paging.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[schemars(range(min = -1, max = 1000))]
    limit: Option<i64>,
    #[schemars(range(min = 0))]
    offset: Option<i64>,
    #[schemars(transform = domain::wire_rules::one_of(["create_at", "update_at"]))]
    order_by: Option<String>,
    #[schemars(transform = domain::wire_rules::one_of(["desc", "asc"]))]
    order: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, Error> {
        page_of(self.limit, self.offset, self.order_by.as_deref(), self.order.as_deref())
    }
}

/// `limit` (-1, the default: all; else 0–1000), `offset` (≥ 0), `order_by` (create_at, the default, or
/// update_at) and `order` (desc, the default, or asc). Anything else is UCS.01000011.
pub fn page_of(
    limit: Option<i64>,
    offset: Option<i64>,
    order_by: Option<&str>,
    order: Option<&str>,
) -> Result<Page, Error> {
    let limit = match limit.unwrap_or(-1) {
        -1 => None,
        l if (0..=1000).contains(&l) => Some(l),
        l => return Err(Error::bad_query(format!("limit {l} must be -1 (all) or 0-1000"))),
    };
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(Error::bad_query("offset must not be negative"));
    }
    let by_update = match order_by.unwrap_or("create_at") {
        "create_at" => false,
        "update_at" => true,
        other => return Err(Error::bad_query(format!("order_by {other:?} must be create_at or update_at"))),
    };
    let descending = match order.unwrap_or("desc") {
        "desc" => true,
        "asc" => false,
        other => return Err(Error::bad_query(format!("order {other:?} must be desc or asc"))),
    };
    Ok(Page { by_update, descending, limit, offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_everything_newest_first() {
        let page = page_of(None, None, None, None).unwrap();
        assert_eq!((page.by_update, page.descending, page.limit, page.offset), (false, true, None, 0));
    }

    #[test]
    fn bad_values_are_query_errors() {
        assert!(page_of(Some(-2), None, None, None).is_err());
        assert!(page_of(Some(1001), None, None, None).is_err());
        assert!(page_of(None, Some(-1), None, None).is_err());
        assert!(page_of(None, None, Some("name"), None).is_err());
        let e = page_of(None, None, None, Some("up")).unwrap_err();
        assert_eq!(e.code(), "UCS.01000011");
    }
}
