//! The web console of ucsd, served at `/console` by `ucsd serve` itself.
//!
//! Pages are rendered on the server (maud: compile-time templates, escaped by construction) and read
//! without JavaScript; one small script of our own (`assets/console.js`) refreshes the live regions of
//! a page. Every asset is compiled into the binary.
//!
//! The console is a client of the API, in-process: a console route is declared with its action (the
//! same [`Action`]s as the API's route table, so the authorization sweep covers it), the signed-in
//! user's roles are checked against it before the handler runs, and the handler then calls the API's
//! own routes (through the API router, as the session's user, with a short-lived token), so validation,
//! authorization, tenancy (another tenant's ids are 404), audit and the wire views are the API's.

mod api_client;
mod graph;
mod pages;
mod session;
mod ui;

use std::{collections::HashMap, sync::LazyLock};

use api::{routes::RouteInfo, AppState};
use axum::{
    handler::Handler,
    http::{header, HeaderValue, Method},
    middleware,
    response::IntoResponse,
    routing::{get, MethodRouter},
    Router,
};
use domain::authz::Action;

pub use session::ConsoleConfig;

/// What every console handler reaches: the API's state and the API router it calls.
#[derive(Clone)]
pub struct ConsoleState {
    pub app: AppState,
    pub api: Router,
    pub config: ConsoleConfig,
}

/// A console route and the action it performs, as the API's route table declares its routes.
pub struct ConsoleRoute {
    pub method: Method,
    pub path: &'static str,
    pub action: Action,
    handler: MethodRouter<ConsoleState>,
}

impl ConsoleRoute {
    pub fn get<H: Handler<T, ConsoleState>, T: 'static>(path: &'static str, action: Action, h: H) -> Self {
        Self { method: Method::GET, path, action, handler: axum::routing::get(h) }
    }

    pub fn post<H: Handler<T, ConsoleState>, T: 'static>(path: &'static str, action: Action, h: H) -> Self {
        Self { method: Method::POST, path, action, handler: axum::routing::post(h) }
    }
}

/// Every console route behind sign-in.
fn all() -> Vec<ConsoleRoute> {
    pages::routes()
}

/// The console's route table, without handlers (the authorization sweep iterates it).
pub fn table() -> Vec<RouteInfo> {
    all().into_iter().map(|r| RouteInfo { method: r.method, path: r.path, action: r.action }).collect()
}

static ACTIONS: LazyLock<HashMap<(Method, &'static str), Action>> =
    LazyLock::new(|| all().into_iter().map(|r| ((r.method, r.path), r.action)).collect());

/// The action of a matched console route.
pub(crate) fn action_for(method: &Method, matched_path: &str) -> Option<Action> {
    ACTIONS.get(&(method.clone(), matched_path)).copied()
}

const CSS: &str = include_str!("../assets/console.css");
const JS: &str = include_str!("../assets/console.js");

fn asset(content_type: &'static str, body: &'static str) -> axum::response::Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
    ];
    (headers, body).into_response()
}

/// The console, to merge into the API's router. `api` is the API router it calls.
pub fn router(app: AppState, api: Router, config: ConsoleConfig) -> Router {
    let state = ConsoleState { app, api, config };
    let signed_in = all()
        .into_iter()
        .fold(Router::new(), |router, route| router.route(route.path, route.handler))
        .route_layer(middleware::from_fn_with_state(state.clone(), session::require));
    let public = Router::new()
        .route("/console/login", get(session::login_page).post(session::login))
        .route("/console/assets/console.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/console/assets/console.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }));
    Router::new()
        .merge(public)
        .merge(signed_in)
        // Unknown console pages (the API router owns the fallback).
        .route("/console/{*rest}", axum::routing::any(pages::not_found))
        .layer(middleware::from_fn(ui::security_headers))
        .with_state(state)
}
