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

mod client_credentials;
mod discovery;
mod managed;

use client_credentials::token;
use discovery::{adfs_openid, discovery, openid};
use managed::managed_identity;

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
