//! The client-credentials token endpoint (Entra ID v2.0 and ADFS): the grant's checks in the
//! order Entra ID reports them, then a token for the service principal.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{IdentityReply, TOKEN_SECONDS, aad_error, issue, known_resource, tenant_known};
use crate::arm::errors::Reply;
use crate::server::{Req, Shared};
use crate::state::State;
use crate::urlencoded::parse_pairs;

/// `tenant` is `None` for the ADFS token endpoint (its single tenant is the simulator's).
pub(super) fn token(shared: &Shared, req: &Req, tenant: Option<&str>) -> IdentityReply {
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

/// Why Entra ID refuses a grant: the parts of its error answer.
struct Refusal {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl Refusal {
    fn bad_request(error: &'static str, code: u32, description: String) -> Self {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            error,
            code,
            description,
        }
    }

    fn invalid_client(code: u32, description: String) -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            code,
            description,
        }
    }
}

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
    let audience = match granted_audience(shared, &st, &tenant, &field) {
        Ok(audience) => audience,
        Err(r) => return aad_error(shared, r.status, r.error, r.code, r.description, now),
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

/// The audience a valid grant gets a token for; the first failed check otherwise.
fn granted_audience<'a>(
    shared: &Shared,
    st: &State,
    tenant: &str,
    field: &impl Fn(&str) -> Option<&'a str>,
) -> Result<String, Refusal> {
    if !tenant_known(st, tenant) {
        return Err(Refusal::bad_request(
            "invalid_tenant",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        ));
    }
    let grant = required(field, "grant_type")?;
    if grant != "client_credentials" {
        return Err(Refusal::bad_request(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}'."),
        ));
    }
    let client_id = required(field, "client_id")?;
    let scope = required(field, "scope")?;
    check_client(st, tenant, client_id, field("client_secret"))?;
    scope_audience(shared, tenant, scope)
}

fn required<'a>(field: &impl Fn(&str) -> Option<&'a str>, name: &str) -> Result<&'a str, Refusal> {
    field(name).ok_or_else(|| {
        Refusal::bad_request(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    })
}

/// The application must be the simulator's service principal, with its secret.
fn check_client(
    st: &State,
    tenant: &str,
    client_id: &str,
    secret: Option<&str>,
) -> Result<(), Refusal> {
    if !client_id.eq_ignore_ascii_case(&st.account.client_id) {
        return Err(Refusal::bad_request(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        ));
    }
    let Some(secret) = secret else {
        return Err(Refusal::invalid_client(
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.".into(),
        ));
    };
    if secret != st.account.client_secret {
        return Err(Refusal::invalid_client(
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        ));
    }
    Ok(())
}

/// One `<resource>/.default` scope, of a resource this tenant knows.
fn scope_audience(shared: &Shared, tenant: &str, scope: &str) -> Result<String, Refusal> {
    let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    let [only] = scopes.as_slice() else {
        return Err(Refusal::bad_request(
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        ));
    };
    let Some(resource) = only.strip_suffix("/.default") else {
        return Err(Refusal::bad_request(
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {only} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    };
    known_resource(shared, resource).ok_or_else(|| {
        Refusal::bad_request(
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
        )
    })
}
