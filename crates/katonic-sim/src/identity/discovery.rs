//! OpenID and instance discovery documents: Entra ID's (v1 and v2.0) and ADFS's.

use axum::http::StatusCode;
use serde_json::json;

use super::{aad_error, tenant_known};
use crate::arm::errors::Reply;
use crate::server::{Req, Shared};

/// ADFS's OpenID configuration (`/adfs/.well-known/openid-configuration`).
pub(super) fn adfs_openid(shared: &Shared) -> Reply {
    let b = &shared.base;
    let host = b.trim_start_matches("https://");
    Reply::ok(json!({
        "issuer": format!("{b}/adfs"),
        "authorization_endpoint": format!("{b}/adfs/oauth2/authorize/"),
        "token_endpoint": format!("{b}/adfs/oauth2/token/"),
        "jwks_uri": format!("{b}/adfs/discovery/keys"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt", "windows_client_authentication"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token", "code token", "code id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer", "implicit", "password", "srv_challenge", "urn:ietf:params:oauth:grant-type:device_code", "device_code"],
        "subject_types_supported": ["pairwise"],
        "scopes_supported": ["openid", "profile", "email", "allatclaims", "aza", "user_impersonation"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "access_token_issuer": format!("http://{host}/adfs/services/trust"),
        "claims_supported": ["aud", "iss", "iat", "exp", "auth_time", "nonce", "at_hash", "c_hash", "sub", "upn", "unique_name", "pwd_url", "pwd_exp", "mfa_auth_time", "sid", "nbf"],
        "microsoft_multi_refresh_token": true,
        "userinfo_endpoint": format!("{b}/adfs/userinfo"),
        "capabilities": [],
        "end_session_endpoint": format!("{b}/adfs/oauth2/logout"),
        "device_authorization_endpoint": format!("{b}/adfs/oauth2/devicecode"),
    }))
}

pub(super) fn openid(shared: &Shared, req: &Req, tenant: &str, v2: bool) -> Reply {
    let st = shared.lock();
    let known = tenant_known(&st, tenant)
        || ["common", "organizations", "consumers"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(tenant));
    if !known {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
            req.now,
        );
    }
    let b = &shared.base;
    let tid = &st.account.tenant_id;
    let (suffix, issuer) = if v2 {
        ("/v2.0", format!("{b}/{tid}/v2.0"))
    } else {
        ("", format!("https://sts.windows.net/{tid}/"))
    };
    let flavour = if v2 { "/v2.0" } else { "" };
    Reply::ok(json!({
        "token_endpoint": format!("{b}/{tenant}/oauth2{flavour}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{b}/{tenant}/discovery{suffix}/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": format!("{b}/{tenant}/oauth2{flavour}/authorize"),
        "device_authorization_endpoint": format!("{b}/{tenant}/oauth2{flavour}/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{b}/{tenant}/oauth2{flavour}/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }))
}

pub(super) fn discovery(shared: &Shared, req: &Req) -> Reply {
    let host = shared.base.trim_start_matches("https://").to_string();
    let tenant = req
        .q("authorization_endpoint")
        .and_then(|a| a.trim_start_matches("https://").split('/').nth(1))
        .unwrap_or("common")
        .to_string();
    Reply::ok(json!({
        "tenant_discovery_endpoint": format!("{}/{tenant}/v2.0/.well-known/openid-configuration", shared.base),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }))
}
