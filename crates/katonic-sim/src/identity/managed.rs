//! The managed identity endpoints, App Service (`/msi/token`) and IMDS
//! (`/metadata/identity/oauth2/token`) flavours: header, version, resource and identity checks,
//! then a token for the simulator's managed identity.

use axum::http::StatusCode;
use serde_json::json;
use uuid::Uuid;

use super::{issue, known_resource};
use crate::arm::errors::Reply;
use crate::server::{Req, Shared};
use crate::state::State;

/// Lifetime IMDS gives managed identity tokens.
const MI_TOKEN_SECONDS: i64 = 86399;

fn mi_error(status: StatusCode, message: &str) -> Reply {
    let mut reply = Reply::json(
        status,
        json!({"statusCode": status.as_u16(), "message": message, "correlationId": Uuid::new_v4().to_string()}),
    );
    reply.error_code = Some(format!("ManagedIdentity{}", status.as_u16()));
    reply
}

pub(super) fn managed_identity(shared: &Shared, req: &Req, imds: bool) -> Reply {
    let mut st = shared.lock();
    if let Some(refused) = header_refusal(&st, req, imds).or_else(|| version_refusal(req, imds)) {
        return refused;
    }
    let Some(resource) = req.q("resource") else {
        return mi_error(
            StatusCode::BAD_REQUEST,
            "The resource query parameter is required.",
        );
    };
    if let Some(refused) = identity_refusal(&st, req) {
        return refused;
    }
    let Some(audience) = known_resource(shared, resource) else {
        return mi_error(
            StatusCode::BAD_REQUEST,
            &format!("The resource '{resource}' is not known to this tenant."),
        );
    };
    let oid = st.account.mi_object_id.clone();
    let app = st.account.mi_client_id.clone();
    let lifetime = MI_TOKEN_SECONDS;
    let (token, exp) = issue(&mut st, &oid, &app, &audience, lifetime, req.now);
    if let Err(e) = shared.store.save(&st) {
        tracing::warn!(error = %e, "cannot save simulator state");
    }
    if imds {
        Reply::ok(json!({
            "access_token": token, "client_id": app, "expires_in": lifetime.to_string(),
            "expires_on": exp.to_string(), "ext_expires_in": lifetime.to_string(),
            "not_before": req.now.unix_timestamp().to_string(), "resource": resource, "token_type": "Bearer",
        }))
    } else {
        Reply::ok(json!({
            "access_token": token, "expires_on": exp.to_string(), "resource": resource,
            "token_type": "Bearer", "client_id": app,
        }))
    }
}

/// IMDS wants `Metadata: true`; App Service its per-site `X-IDENTITY-HEADER`.
fn header_refusal(st: &State, req: &Req, imds: bool) -> Option<Reply> {
    if imds {
        if req
            .header("metadata")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return None;
        }
        let mut r = Reply::json(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}),
        );
        r.error_code = Some("invalid_request".into());
        return Some(r);
    }
    (req.header("x-identity-header") != Some(st.account.mi_header.as_str())).then(|| {
        mi_error(
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER request header is missing or does not match.",
        )
    })
}

fn version_refusal(req: &Req, imds: bool) -> Option<Reply> {
    let Some(version) = req.q("api-version") else {
        return Some(mi_error(
            StatusCode::BAD_REQUEST,
            "The api-version query parameter is required.",
        ));
    };
    let supported: &[&str] = if imds {
        &["2018-02-01", "2019-08-01", "2021-02-01", "2025-04-07"]
    } else {
        &["2019-08-01"]
    };
    (!supported.contains(&version)).then(|| {
        mi_error(
            StatusCode::BAD_REQUEST,
            &format!("The api-version '{version}' is not supported."),
        )
    })
}

/// A request naming an identity must name the simulator's one (any of its ids).
fn identity_refusal(st: &State, req: &Req) -> Option<Reply> {
    let keys = [
        "client_id",
        "object_id",
        "principal_id",
        "mi_res_id",
        "msi_res_id",
    ];
    let foreign = keys.iter().filter_map(|k| req.q(k)).any(|v| {
        !(v.eq_ignore_ascii_case(&st.account.mi_client_id)
            || v.eq_ignore_ascii_case(&st.account.mi_object_id))
    });
    foreign.then(|| {
        mi_error(
            StatusCode::BAD_REQUEST,
            "Unable to load the requested managed identity: identity not found.",
        )
    })
}
