//! Settings' **Test connection** (issue 16) and `POST /api/v1/settings/azure/test`: a token and
//! the subscriptions the console's identity sees, with the saved settings, through `app` and the
//! worker's executor; failures classified (no route, TLS interception, AADSTS, authorization).

use super::AppState;
use super::error::{WebError, render};
use super::filters;
use crate::worker::ConnectionTest;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// `POST /api/v1/settings/azure/test`: 200 `{"ok", "subscriptions", "message", "fix", "code"}`.
pub async fn post_api(State(state): State<AppState>) -> Json<ConnectionTest> {
    Json(state.app().test_connection().await)
}

#[derive(Template)]
#[template(path = "connection_test.html")]
struct Fragment {
    test: ConnectionTest,
}

/// `POST /settings/test`: the same, as the settings page's result panel.
pub async fn post_fragment(State(state): State<AppState>) -> Result<Response, WebError> {
    let test = state.app().test_connection().await;
    Ok(render(&Fragment { test })?.into_response())
}
