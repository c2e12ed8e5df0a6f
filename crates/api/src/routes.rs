//! The route table: every authenticated route with the action it performs. The router is built from
//! it, authorization looks actions up in it, and the route sweep test iterates it, so a route cannot
//! exist without a policy.

use std::{collections::HashMap, sync::LazyLock};

use axum::{handler::Handler, http::Method, routing::MethodRouter};
use domain::authz::Action;

use crate::AppState;

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub action: Action,
    pub(crate) handler: MethodRouter<AppState>,
}

macro_rules! constructors {
    ($($fn_name:ident => $method:ident),*) => {
        impl Route {
            $(
                pub fn $fn_name<H: Handler<T, AppState>, T: 'static>(path: &'static str, action: Action, handler: H) -> Self {
                    Self { method: Method::$method, path, action, handler: axum::routing::$fn_name(handler) }
                }
            )*
        }
    };
}

constructors!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE);

/// A route as the sweep and the docs see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub action: Action,
}

/// Every authenticated route.
pub(crate) fn all() -> Vec<Route> {
    [
        crate::iam::routes(),
        crate::cce::routes(),
        crate::clusters::routes(),
        crate::fleets::routes(),
        crate::federation::routes(),
        crate::quota::routes(),
        crate::rules::routes(),
        crate::testing::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The route table, without handlers.
pub fn table() -> Vec<RouteInfo> {
    all().into_iter().map(|r| RouteInfo { method: r.method, path: r.path, action: r.action }).collect()
}

static ACTIONS: LazyLock<HashMap<(Method, &'static str), Action>> =
    LazyLock::new(|| all().into_iter().map(|r| ((r.method, r.path), r.action)).collect());

/// The action of a matched route.
pub fn action_for(method: &Method, matched_path: &str) -> Option<Action> {
    ACTIONS.get(&(method.clone(), matched_path)).copied()
}
