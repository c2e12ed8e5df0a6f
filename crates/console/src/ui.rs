//! The console's page frame and small pieces every page uses.

use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

use crate::session::Session;

/// Sections of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Clusters,
    Fleets,
    Rules,
    Cce,
    Audit,
    /// The platform operator's sections.
    Tenants,
    Jobs,
    None,
}

const OPERATOR_NAV: [(Nav, &str, &str); 2] =
    [(Nav::Tenants, "/console/operator", "Tenants"), (Nav::Jobs, "/console/operator/jobs", "Job engine")];

const NAV: [(Nav, &str, &str); 6] = [
    (Nav::Overview, "/console", "Overview"),
    (Nav::Clusters, "/console/clusters", "Clusters"),
    (Nav::Fleets, "/console/fleets", "Fleets"),
    (Nav::Rules, "/console/rules", "Permission policies"),
    (Nav::Cce, "/console/cce", "CCE clusters"),
    (Nav::Audit, "/console/audit", "Audit log"),
];

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · ucsd console" }
            link rel="stylesheet" href="/console/assets/console.css";
            script src="/console/assets/console.js" defer {}
        }
    }
}

/// The sections a user's roles reach: a tenant's, or the platform operator's.
fn sections(session: &Session) -> &'static [(Nav, &'static str, &'static str)] {
    if session.can(domain::authz::actions::PLATFORM_TENANT_LIST) {
        &OPERATOR_NAV
    } else {
        &NAV
    }
}

/// A whole page for a signed-in user.
pub fn page(session: &Session, nav: Nav, title: &str, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE) html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/console" { "ucsd" }
                    nav aria-label="Sections" {
                        ul {
                            @for (item, href, label) in sections(session) {
                                li { a href=(href) aria-current=[(*item == nav).then_some("page")] { (label) } }
                            }
                        }
                    }
                    div.who {
                        span { (session.user.name) " @ " (session.tenant.name) }
                        form method="post" action="/console/logout" {
                            (csrf(session))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    Html(markup.into_string())
}

/// The hidden CSRF field of every form.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A one-button form posting to `action` (with the CSRF token).
pub fn button(session: &Session, action: &str, label: &str, class: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf(session))
            button type="submit" class=(class) { (label) }
        }
    }
}

/// The sign-in page.
pub fn sign_in_page(token: &str, next: &str, error: Option<&str>, account: &str, user: &str) -> Html<String> {
    let markup = html! {
        (DOCTYPE) html lang="en" {
            (head("Sign in"))
            body.signin {
                main #main {
                    h1 { "Sign in to ucsd" }
                    @if let Some(error) = error { p.error role="alert" { (error) } }
                    form method="post" action="/console/login" {
                        input type="hidden" name="csrf" value=(token);
                        input type="hidden" name="next" value=(next);
                        label for="account" { "Account (tenant) name" }
                        input #account name="account" required autocomplete="organization" value=(account) autofocus;
                        label for="user" { "IAM user name" }
                        input #user name="user" required autocomplete="username" value=(user);
                        label for="password" { "Password" }
                        input #password name="password" type="password" required autocomplete="current-password";
                        button type="submit" { "Sign in" }
                    }
                }
            }
        }
    };
    Html(markup.into_string())
}

/// 401: the sign-in form, coming back to `path` afterwards.
pub fn sign_in_required(path: &str) -> Response {
    let next = percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC).to_string();
    let markup = html! {
        (DOCTYPE) html lang="en" {
            (head("Sign in required"))
            body.signin {
                main #main {
                    h1 { "Sign in required" }
                    p { "Your session has ended or you have not signed in." }
                    p { a href={ "/console/login?next=" (next) } { "Sign in" } }
                }
            }
        }
    };
    (StatusCode::UNAUTHORIZED, Html(markup.into_string())).into_response()
}

/// An error page with the status of the refusal (403, 404, 400…).
pub fn error_page(session: Option<&Session>, status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::UNAUTHORIZED => "Sign in required",
        s if s.is_server_error() => "Something went wrong",
        _ => "The request was refused",
    };
    let body = html! {
        p.error role="alert" { (message) }
        p { a href="/console" { "Back to the overview" } }
    };
    let page = match session {
        Some(session) => page(session, Nav::None, title, body),
        None => Html(
            html! { (DOCTYPE) html lang="en" { (head(title)) body { main #main { h1 { (title) } (body) } } } }
                .into_string(),
        ),
    };
    (status, page).into_response()
}

/// A status word as a coloured badge.
pub fn badge(status: &str) -> Markup {
    let class = match status.to_ascii_lowercase().as_str() {
        "available" | "success" | "running" | "active" | "true" | "done" | "succeeded" | "installed" => "ok",
        "failed" | "unavailable" | "error" | "false" | "abnormal" => "bad",
        "" => "none",
        _ => "busy",
    };
    html! { span class={ "badge " (class) } { (if status.is_empty() { "—" } else { status }) } }
}

/// The text of a JSON field (strings as they are, other values as JSON, null as "").
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A used/limit bar.
pub fn meter(label: &str, used: i64, limit: i64) -> Markup {
    let id = format!("q-{}", label.to_ascii_lowercase().replace(' ', "-"));
    html! {
        div.quota {
            label for=(id) { (label) }
            meter id=(id) min="0" max=(limit.max(1)) low=(limit * 7 / 10) high=(limit * 9 / 10) optimum="0" value=(used) {
                (used) " of " (limit)
            }
            span.figure { (used) " / " (limit) }
        }
    }
}

/// A notice from the last action (`?done=` after a redirect).
pub fn notice(done: Option<&str>) -> Markup {
    html! { @if let Some(done) = done { p.notice role="status" { (done) } } }
}

/// Headers of every console response: no framing, no sniffing, only our own scripts and styles.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let policy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                  frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
