//! The door every request passes, in this order: the `Host` allow-list (403 before anything
//! else), cross-site POSTs refused (tower-http's CSRF layer, 403), a 30 s time limit, body
//! limits (413), then access: the one-time token of the access URL, a session cookie or the
//! API token. `/healthz`, `/readyz` (probes), `/static/` and the sign-in page need no access.

use super::AppState;
use crate::access::Principal;
use crate::store::AuditAction;
use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::time::{Duration, Instant};

/// Largest urlencoded form (the wizard's pages, a certificate pasted as PEM).
pub const FORM_LIMIT: usize = 64 * 1024;
/// Longest a request may take before its response starts (event streams start at once).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Paths anyone may reach: liveness, the page assets, signing in and out.
fn is_public(path: &str) -> bool {
    path == "/healthz"
        || path == "/readyz"
        || path.starts_with("/static/")
        || path == "/login"
        || path == "/logout"
}

/// 403 unless the request names an allowed host (DNS rebinding).
pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // HTTP/2 carries the host in the URI (`:authority`), HTTP/1.1 in `Host`.
    let authority = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        });
    let default_port = if state.access.https { 443 } else { 80 };
    match authority {
        Some(a) if state.access.hosts.allows(&a, default_port) => next.run(req).await,
        _ => (
            StatusCode::FORBIDDEN,
            "This console answers only to localhost, 127.0.0.1, [::1] and the names given with \
             --allowed-host, on its own port.\n",
        )
            .into_response(),
    }
}

/// Urlencoded forms get a smaller limit than uploads: 413 past 64 KiB.
pub async fn limit_forms(req: Request, next: Next) -> Response {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return next.run(req).await;
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > FORM_LIMIT as u64) {
        return too_large();
    }
    // Without a length (chunked), the body stops at the limit and the form extractor says 413.
    let req = req.map(|body| Body::new(http_body_util::Limited::new(body, FORM_LIMIT)));
    next.run(req).await
}

fn too_large() -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        "A form may hold at most 64 KiB; upload larger specs as a file (up to 1 MiB).\n",
    )
        .into_response()
}

/// Let the request through as a [`Principal`], or answer 401 (or trade an access token for a
/// session).
pub async fn require_access(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    if is_public(req.uri().path()) {
        return next.run(req).await;
    }
    let access = &state.access;
    if req.method() == Method::GET
        && let Some(token) = query_param(req.uri(), "token")
    {
        return exchange_token(&state, req.uri(), req.headers(), &token).await;
    }
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        return match bearer_token(value) {
            Some(token) if access.bearer_matches(token) => {
                req.extensions_mut().insert(Principal::ApiToken);
                next.run(req).await
            }
            Some(_) => unauthorized(
                &state,
                req.uri(),
                "The bearer token is not the one in <data-dir>/api-token.",
            ),
            None => unauthorized(
                &state,
                req.uri(),
                "Send exactly `Authorization: Bearer <token>`: one space after Bearer, the token \
                 of <data-dir>/api-token, nothing around it.",
            ),
        };
    }
    if let Some(session) =
        session_cookie(req.headers(), access.cookie_name()).and_then(|c| access.sessions.get(&c))
    {
        req.extensions_mut().insert(Principal::Session(session));
        return next.run(req).await;
    }
    unauthorized(&state, req.uri(), "")
}

/// The token of exactly `Bearer <token>`: one space, no other whitespace anywhere (a header
/// that differs is a client's mistake worth naming, not something to guess around).
fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let token = value.to_str().ok()?.strip_prefix("Bearer ")?;
    let clean = !token.is_empty() && !token.chars().any(char::is_whitespace);
    clean.then_some(token)
}

/// `?token=` of the access URL: once, within 15 minutes, it becomes a session, and the browser
/// goes (303) to the same URL without the token, so it stays out of history and `Referer`.
async fn exchange_token(state: &AppState, uri: &Uri, headers: &HeaderMap, token: &str) -> Response {
    let access = &state.access;
    // The link `serve` printed (in memory), else one `katonic-console access-link` issued.
    let how = if access.sessions.redeem_access_token(token) {
        "access URL"
    } else {
        match crate::access::links::redeem(&state.store, token).await {
            Ok(true) => "access link issued on the host",
            Ok(false) => "",
            Err(e) => return internal(&e.to_string()),
        }
    };
    if how.is_empty() {
        return unauthorized(
            state,
            uri,
            "This access link was used already or has expired (each works once, for 15 minutes).",
        );
    }
    let previous = session_cookie(headers, access.cookie_name());
    let new = match access.sessions.login(previous.as_deref()) {
        Ok(new) => new,
        Err(e) => return internal(&e.to_string()),
    };
    audit(
        state,
        &Principal::Session(new.session.clone()),
        AuditAction::SignIn,
        how,
    )
    .await;
    let target = without_param(uri, "token");
    signed_in(state, &new.cookie, &target)
}

/// The 303 after a sign-in, with the new session's cookie.
fn signed_in(state: &AppState, cookie: &str, target: &str) -> Response {
    let mut response = Redirect::to(target).into_response();
    if let Ok(value) = HeaderValue::from_str(&set_cookie(state, cookie, false)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `HttpOnly; SameSite=Strict; Path=/`, plus `Secure` under HTTPS (with the `__Host-` name).
fn set_cookie(state: &AppState, value: &str, clear: bool) -> String {
    let mut cookie = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict",
        state.access.cookie_name()
    );
    if state.access.https {
        cookie.push_str("; Secure");
    }
    if clear {
        cookie.push_str("; Max-Age=0");
    }
    cookie
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    title: String,
    message: String,
    password: bool,
    /// The command that prints a new access link on the host.
    access_link: String,
    /// The sign-out confirmation instead of the sign-in page.
    confirm_sign_out: bool,
}

/// `katonic-console access-link --data-dir DIR`, with this console's data dir.
fn access_link_command(state: &AppState) -> String {
    format!(
        "katonic-console access-link --data-dir {}",
        state.config.data_dir.display()
    )
}

fn login_page(state: &AppState, status: StatusCode, title: &str, message: &str) -> Response {
    let page = LoginPage {
        title: title.to_string(),
        message: message.to_string(),
        password: state.access.password().is_some(),
        access_link: access_link_command(state),
        confirm_sign_out: false,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => internal(&format!("login page: {e}")),
    }
}

/// 401: JSON for the API, the sign-in page for the browser.
fn unauthorized(state: &AppState, uri: &Uri, why: &str) -> Response {
    if uri.path().starts_with("/api/") {
        let message = if why.is_empty() {
            "Send the token in <data-dir>/api-token as `Authorization: Bearer <token>`."
        } else {
            why
        };
        let mut response = (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({ "message": message })),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    login_page(state, StatusCode::UNAUTHORIZED, "Sign in", why)
}

fn internal(detail: &str) -> Response {
    tracing::error!(error = %detail, "access check failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "The console hit an internal error; the details are in its log.\n",
    )
        .into_response()
}

/// `GET /login`
pub async fn get_login(State(state): State<AppState>) -> Response {
    login_page(&state, StatusCode::OK, "Sign in", "")
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    password: String,
}

/// The one message of every failed sign-in: it says nothing about why.
const SIGN_IN_FAILED: &str = "Sign-in failed.";

/// `POST /login`: the admin password (argon2id) for a new session; more than five failures a
/// minute get 429.
pub async fn post_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let access = state.access.clone();
    if !access.login_failures.allows(Instant::now()) {
        let mut response = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "Sign in",
            "Too many failed sign-ins; wait a minute and try again.",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    let checked = access.clone();
    // argon2id takes tens of milliseconds of CPU: off the async threads.
    let ok = tokio::task::spawn_blocking(move || {
        checked.password().is_some_and(|p| p.verify(&form.password))
    })
    .await
    .unwrap_or(false);
    if !ok {
        access.login_failures.record_failure(Instant::now());
        return login_page(&state, StatusCode::UNAUTHORIZED, "Sign in", SIGN_IN_FAILED);
    }
    let previous = session_cookie(&headers, access.cookie_name());
    let new = match access.sessions.login(previous.as_deref()) {
        Ok(new) => new,
        Err(e) => return internal(&e.to_string()),
    };
    audit(
        &state,
        &Principal::Session(new.session.clone()),
        AuditAction::SignIn,
        "password",
    )
    .await;
    signed_in(&state, &new.cookie, "/installs")
}

/// `GET /logout`: asks before signing out, and says how to come back.
pub async fn get_logout(State(state): State<AppState>) -> Response {
    let page = LoginPage {
        title: "Sign out?".to_string(),
        message: String::new(),
        password: state.access.password().is_some(),
        access_link: access_link_command(&state),
        confirm_sign_out: true,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => internal(&format!("sign-out page: {e}")),
    }
}

/// `POST /logout`: the session ends, its event streams close, its cookie is worthless.
pub async fn post_logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let access = &state.access;
    if let Some(cookie) = session_cookie(&headers, access.cookie_name()) {
        if let Some(session) = access.sessions.get(&cookie) {
            audit(
                &state,
                &Principal::Session(session),
                AuditAction::SignOut,
                "",
            )
            .await;
        }
        access.sessions.logout(&cookie);
    }
    let mut response = login_page(&state, StatusCode::OK, "Signed out", "");
    if let Ok(value) = HeaderValue::from_str(&set_cookie(&state, "", true)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Record an action of `principal`; a failed write is logged, not shown (the action happened).
pub async fn audit(state: &AppState, principal: &Principal, action: AuditAction, detail: &str) {
    record(state, principal, action, None, detail).await;
}

/// As [`audit`], about one install.
/// Who a request acts as, for the use cases' audit records.
pub fn actor(principal: &Principal) -> crate::app::Actor {
    crate::app::Actor::new(principal.actor())
}

pub async fn record(
    state: &AppState,
    principal: &Principal,
    action: AuditAction,
    install: Option<crate::store::InstallId>,
    detail: &str,
) {
    if let Err(e) =
        crate::store::audit::record(&state.store, &principal.actor(), action, install, detail).await
    {
        tracing::error!(error = %e, action = action.as_str(), "audit entry not written");
    }
}

/// The session cookie's value, if the request has one.
fn session_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The path and query of `uri` without `name` (the 303 target of a token exchange).
fn without_param(uri: &Uri, name: &str) -> String {
    let rest: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(name))
        .collect();
    if rest.is_empty() {
        uri.path().to_string()
    } else {
        format!("{}?{}", uri.path(), rest.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_removed_from_the_redirect() {
        let uri: Uri = "/installs?token=abc&x=1".parse().unwrap();
        assert_eq!(query_param(&uri, "token").as_deref(), Some("abc"));
        assert_eq!(without_param(&uri, "token"), "/installs?x=1");
        let uri: Uri = "/?token=abc".parse().unwrap();
        assert_eq!(without_param(&uri, "token"), "/");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; katonic_session=xyz; b=2"),
        );
        assert_eq!(
            session_cookie(&headers, "katonic_session").as_deref(),
            Some("xyz")
        );
        assert_eq!(session_cookie(&headers, "__Host-katonic_session"), None);
    }

    #[test]
    fn the_bearer_token_is_exactly_what_follows_one_space() {
        let token = |v: &'static str| bearer_token(&HeaderValue::from_static(v)).map(String::from);
        assert_eq!(token("Bearer tok").as_deref(), Some("tok"));
        for bad in [
            "Bearer   tok  ",
            "Bearer  tok",
            "Bearer tok x",
            "Bearer\ttok",
            "Bearer ",
            "bearer tok",
            "Basic tok",
        ] {
            assert_eq!(token(bad), None, "{bad:?}");
        }
    }
}
