//! Entra ID: the v2 client-credentials token endpoint, OpenID/instance discovery, the
//! ADFS-flavoured authority (`/adfs/…`, as Azure Stack Hub serves it: one tenant, the
//! simulator's), and the managed identity endpoints (App Service and IMDS flavours); issues and
//! checks tokens.

use axum::http::{Method, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::arm::errors::Reply;
use super::server::{Req, Shared};
use super::state::{IssuedToken, State};
use super::urlencoded::parse_pairs;

/// Token lifetime Entra gives client-credentials tokens.
const TOKEN_SECONDS: i64 = 3599;
/// The AKS AAD server application (Kubernetes API tokens).
pub(crate) const AKS_AAD_SERVER: &str = "6dae42f8-4368-4678-94ff-3960e28e3630";

pub(crate) struct IdentityReply {
    pub reply: Reply,
    pub logged_body: Option<Value>,
}

/// Resources (audiences) this simulated tenant issues tokens for, besides the simulator's ARM URL.
const KNOWN_RESOURCES: &[&str] = &[
    "https://management.azure.com",
    "https://management.core.windows.net",
    AKS_AAD_SERVER,
];

/// Whether `audience` is Azure Resource Manager (for ARM's token check).
pub(crate) fn is_arm_audience(shared: &Shared, audience: &str) -> bool {
    let a = audience.trim_end_matches('/');
    a.eq_ignore_ascii_case("https://management.azure.com")
        || a.eq_ignore_ascii_case("https://management.core.windows.net")
        || a.eq_ignore_ascii_case(&shared.base)
}

fn known_resource(shared: &Shared, resource: &str) -> Option<String> {
    let r = resource.trim_end_matches('/');
    if r.eq_ignore_ascii_case(&shared.base)
        || KNOWN_RESOURCES.iter().any(|k| k.eq_ignore_ascii_case(r))
    {
        Some(r.to_string())
    } else {
        None
    }
}

/// Issue a JWT-shaped token for `object_id` and remember its signature.
pub(crate) fn issue(
    st: &mut State,
    object_id: &str,
    app_id: &str,
    audience: &str,
    lifetime: i64,
    now: OffsetDateTime,
) -> (String, i64) {
    let now_s = now.unix_timestamp();
    // Expired tokens are kept a day so ARM can still answer ExpiredAuthenticationToken.
    st.tokens.retain(|_, t| t.expires > now_s - 86_400);
    let jti = Uuid::new_v4().to_string();
    let exp = now_s + lifetime;
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "katonic-sim"});
    let claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{}/", st.account.tenant_id),
        "iat": now_s, "nbf": now_s, "exp": exp,
        "appid": app_id, "oid": object_id, "sub": object_id,
        "tid": st.account.tenant_id, "idtyp": "app", "ver": "1.0", "jti": jti,
    });
    let signature = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        signature
    );
    st.tokens.insert(
        jti,
        IssuedToken {
            signature,
            object_id: object_id.to_string(),
            audience: audience.to_string(),
            expires: exp,
        },
    );
    (token, exp)
}

/// Why a bearer token was refused.
pub(crate) enum TokenProblem {
    Malformed,
    Unknown,
    Expired(i64),
}

/// Check a token this simulator issued; returns the caller's object id and the audience.
pub(crate) fn verify(
    st: &State,
    token: &str,
    now: OffsetDateTime,
) -> Result<(String, String), TokenProblem> {
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenProblem::Malformed);
    };
    let claims: Value = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenProblem::Malformed)?;
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .ok_or(TokenProblem::Malformed)?;
    let issued = st.tokens.get(jti).ok_or(TokenProblem::Unknown)?;
    if issued.signature != signature {
        return Err(TokenProblem::Unknown);
    }
    if issued.expires <= now.unix_timestamp() {
        return Err(TokenProblem::Expired(issued.expires));
    }
    Ok((issued.object_id.clone(), issued.audience.clone()))
}

fn aad_error(
    shared: &Shared,
    status: StatusCode,
    error: &str,
    code: u32,
    description: String,
    now: OffsetDateTime,
) -> Reply {
    let ts = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut reply = Reply::json(
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description} Trace ID: {} Correlation ID: {} Timestamp: {ts}", Uuid::new_v4(), Uuid::new_v4()),
            "error_codes": [code],
            "timestamp": ts,
            "trace_id": Uuid::new_v4().to_string(),
            "correlation_id": Uuid::new_v4().to_string(),
            "error_uri": format!("{}/error?code={code}", shared.base),
        }),
    );
    reply.error_code = Some(format!("{error}/AADSTS{code}"));
    reply
}

/// Identity routes; `None` when the path is not an identity endpoint.
pub(crate) fn route(shared: &Shared, req: &Req) -> Option<IdentityReply> {
    let s = &req.segs;
    let plain = |reply| {
        Some(IdentityReply {
            reply,
            logged_body: None,
        })
    };
    match (req.method.clone(), s.len()) {
        // ADFS: one tenant (the simulator's); its paths come before the tenant-named ones.
        (Method::POST, 3)
            if req.seg_is(0, "adfs") && req.seg_is(1, "oauth2") && req.seg_is(2, "token") =>
        {
            Some(token(shared, req, None))
        }
        (Method::GET, 3)
            if req.seg_is(0, "adfs")
                && req.seg_is(1, ".well-known")
                && req.seg_is(2, "openid-configuration") =>
        {
            plain(adfs_openid(shared))
        }
        (Method::GET, 3)
            if req.seg_is(0, "adfs") && req.seg_is(1, "discovery") && req.seg_is(2, "keys") =>
        {
            plain(Reply::ok(json!({"keys": []})))
        }
        (Method::POST, 4)
            if req.seg_is(1, "oauth2") && req.seg_is(2, "v2.0") && req.seg_is(3, "token") =>
        {
            Some(token(shared, req, Some(&s[0])))
        }
        (Method::GET, 4)
            if req.seg_is(1, "v2.0")
                && req.seg_is(2, ".well-known")
                && req.seg_is(3, "openid-configuration") =>
        {
            plain(openid(shared, req, &s[0], true))
        }
        (Method::GET, 3)
            if req.seg_is(1, ".well-known") && req.seg_is(2, "openid-configuration") =>
        {
            plain(openid(shared, req, &s[0], false))
        }
        (Method::GET, 3)
            if req.seg_is(0, "common")
                && req.seg_is(1, "discovery")
                && req.seg_is(2, "instance") =>
        {
            plain(discovery(shared, req))
        }
        (Method::GET, 2) if req.seg_is(0, "msi") && req.seg_is(1, "token") => {
            plain(managed_identity(shared, req, false))
        }
        (Method::GET, 4)
            if req.seg_is(0, "metadata")
                && req.seg_is(1, "identity")
                && req.seg_is(2, "oauth2")
                && req.seg_is(3, "token") =>
        {
            plain(managed_identity(shared, req, true))
        }
        _ => None,
    }
}

fn tenant_known(st: &State, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&st.account.tenant_id)
}

/// `tenant` is `None` for the ADFS token endpoint (its single tenant is the simulator's).
fn token(shared: &Shared, req: &Req, tenant: Option<&str>) -> IdentityReply {
    let form = parse_pairs(std::str::from_utf8(&req.body).unwrap_or(""), true);
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    // The client secret never reaches the request log.
    let logged: serde_json::Map<String, Value> = form
        .iter()
        .map(|(k, v)| {
            let v = if k == "client_secret" || k == "client_assertion" {
                "<redacted>"
            } else {
                v.as_str()
            };
            (k.clone(), Value::String(v.to_string()))
        })
        .collect();
    let logged_body = Some(Value::Object(logged));
    let reply = token_reply(shared, req, tenant, field);
    IdentityReply { reply, logged_body }
}

// One piece: the token endpoint's grant checks, in the order Entra ID reports them; each is an
// early return, so the sequence reads top to bottom.
fn token_reply<'a>(
    shared: &Shared,
    req: &Req,
    tenant: Option<&str>,
    field: impl Fn(&str) -> Option<&'a str>,
) -> Reply {
    let now = req.now;
    let mut st = shared.lock();
    let adfs = tenant.is_none();
    let tenant = tenant
        .map(str::to_string)
        .unwrap_or_else(|| st.account.tenant_id.clone());
    let tenant = tenant.as_str();
    if !tenant_known(&st, tenant) {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
            now,
        );
    }
    let Some(grant) = field("grant_type") else {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.".into(),
            now,
        );
    };
    if grant != "client_credentials" {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
            now,
        );
    }
    let Some(client_id) = field("client_id") else {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.".into(),
            now,
        );
    };
    let Some(scope) = field("scope") else {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.".into(),
            now,
        );
    };
    if !client_id.eq_ignore_ascii_case(&st.account.client_id) {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
            now,
        );
    }
    let Some(secret) = field("client_secret") else {
        return aad_error(shared, StatusCode::UNAUTHORIZED, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.".into(), now);
    };
    if secret != st.account.client_secret {
        return aad_error(
            shared,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
            now,
        );
    }
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    let [only] = scopes.as_slice() else {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
            now,
        );
    };
    let Some(resource) = only.strip_suffix("/.default") else {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {only} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
            now,
        );
    };
    let Some(audience) = known_resource(shared, resource) else {
        return aad_error(
            shared,
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
            now,
        );
    };
    let oid = st.account.sp_object_id.clone();
    let app = st.account.client_id.clone();
    let (token, _) = issue(&mut st, &oid, &app, &audience, TOKEN_SECONDS, now);
    if let Err(e) = shared.store.save(&st) {
        tracing::warn!(error = %e, "cannot save simulator state");
    }
    if adfs {
        // ADFS answers without `ext_expires_in`, with a lower-case token type.
        return Reply::ok(json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": TOKEN_SECONDS,
        }));
    }
    Reply::ok(json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_SECONDS,
        "ext_expires_in": TOKEN_SECONDS,
        "access_token": token,
    }))
}

/// ADFS's OpenID configuration (`/adfs/.well-known/openid-configuration`).
fn adfs_openid(shared: &Shared) -> Reply {
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

fn openid(shared: &Shared, req: &Req, tenant: &str, v2: bool) -> Reply {
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

fn discovery(shared: &Shared, req: &Req) -> Reply {
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

fn mi_error(status: StatusCode, message: &str) -> Reply {
    let mut reply = Reply::json(
        status,
        json!({"statusCode": status.as_u16(), "message": message, "correlationId": Uuid::new_v4().to_string()}),
    );
    reply.error_code = Some(format!("ManagedIdentity{}", status.as_u16()));
    reply
}

// One piece: IMDS and App Service identity requests share one sequence of header, resource and
// identity checks, each an early return.
fn managed_identity(shared: &Shared, req: &Req, imds: bool) -> Reply {
    let mut st = shared.lock();
    if imds {
        if !req
            .header("metadata")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            let mut r = Reply::json(
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}),
            );
            r.error_code = Some("invalid_request".into());
            return r;
        }
    } else if req.header("x-identity-header") != Some(st.account.mi_header.as_str()) {
        return mi_error(
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER request header is missing or does not match.",
        );
    }
    let Some(version) = req.q("api-version") else {
        return mi_error(
            StatusCode::BAD_REQUEST,
            "The api-version query parameter is required.",
        );
    };
    let supported: &[&str] = if imds {
        &["2018-02-01", "2019-08-01", "2021-02-01", "2025-04-07"]
    } else {
        &["2019-08-01"]
    };
    if !supported.contains(&version) {
        return mi_error(
            StatusCode::BAD_REQUEST,
            &format!("The api-version '{version}' is not supported."),
        );
    }
    let Some(resource) = req.q("resource") else {
        return mi_error(
            StatusCode::BAD_REQUEST,
            "The resource query parameter is required.",
        );
    };
    for key in [
        "client_id",
        "object_id",
        "principal_id",
        "mi_res_id",
        "msi_res_id",
    ] {
        if let Some(v) = req.q(key) {
            let ours = v.eq_ignore_ascii_case(&st.account.mi_client_id)
                || v.eq_ignore_ascii_case(&st.account.mi_object_id);
            if !ours {
                return mi_error(
                    StatusCode::BAD_REQUEST,
                    "Unable to load the requested managed identity: identity not found.",
                );
            }
        }
    }
    let Some(audience) = known_resource(shared, resource) else {
        return mi_error(
            StatusCode::BAD_REQUEST,
            &format!("The resource '{resource}' is not known to this tenant."),
        );
    };
    let oid = st.account.mi_object_id.clone();
    let app = st.account.mi_client_id.clone();
    let lifetime = 86399;
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
