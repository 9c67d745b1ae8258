//! ARM's bearer-token check (401s as ARM words them) and RBAC on the caller's permissions (403).

use axum::http::StatusCode;

use super::errors::ArmError;
use super::router::Route;
use crate::identity::{TokenProblem, is_arm_audience, verify};
use crate::server::{Req, Shared};

const CHALLENGE: &str =
    "Bearer authorization_uri=\"https://login.windows.net/\", error=\"invalid_token\"";

fn unauthorized(code: &str, message: String, description: &str) -> ArmError {
    ArmError::new(StatusCode::UNAUTHORIZED, code, message).header(
        "www-authenticate",
        format!("{CHALLENGE}, error_description=\"{description}\""),
    )
}

/// The caller's object id, from `Authorization: Bearer <token this simulator issued>`.
pub(crate) fn authenticate(shared: &Shared, req: &Req) -> Result<String, ArmError> {
    let Some(header) = req.header("authorization") else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".into(),
            "The authentication failed because of missing 'Authorization' header.",
        ));
    };
    let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format."
                .into(),
            "The authentication failed because of invalid 'Authorization' header format.",
        ));
    };
    let st = shared.lock();
    match verify(&st, token, req.now) {
        Ok((oid, audience)) => {
            if !is_arm_audience(shared, &audience) {
                return Err(unauthorized(
                    "InvalidAuthenticationTokenAudience",
                    format!("The access token has been obtained for wrong audience or resource '{audience}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."),
                    "The access token has the wrong audience.",
                ));
            }
            Ok(oid)
        }
        Err(TokenProblem::Malformed) => Err(unauthorized(
            "InvalidAuthenticationToken",
            "The access token is invalid.".into(),
            "The access token is invalid.",
        )),
        Err(TokenProblem::Unknown) => Err(unauthorized(
            "InvalidAuthenticationToken",
            "The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' should be present. If you are accessing as application please make sure service principal is properly created in the tenant.".into(),
            "The access token is invalid.",
        )),
        Err(TokenProblem::Expired(exp)) => {
            let at = time::OffsetDateTime::from_unix_timestamp(exp).unwrap_or(req.now);
            Err(unauthorized(
                "ExpiredAuthenticationToken",
                format!("The access token expiry UTC time '{at}' is earlier than current UTC time '{}'.", req.now),
                "The access token expiry UTC time is earlier than current UTC time.",
            ))
        }
    }
}

/// Wildcard match of an action pattern (`*`, `Microsoft.Network/*`, `*/read`), case-insensitive.
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    let a = action.to_ascii_lowercase();
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == a;
    }
    let mut rest = a.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

pub(crate) fn permitted(shared: &Shared, action: &str) -> bool {
    let p = &shared.catalog.caller_permissions;
    p.actions.iter().any(|a| action_matches(a, action))
        && !p.not_actions.iter().any(|a| action_matches(a, action))
}

/// The RBAC action a request needs, and the scope it is checked on.
pub(crate) fn action_for(route: &Route, req: &Req, sub: &str) -> Option<(String, String)> {
    let verb = |method: &axum::http::Method| match method.as_str() {
        "GET" | "HEAD" => "read",
        "DELETE" => "delete",
        _ => "write",
    };
    let sub_scope = format!("/subscriptions/{sub}");
    Some(match route {
        Route::Subscription | Route::Locations | Route::SubscriptionList => {
            ("Microsoft.Resources/subscriptions/read".into(), sub_scope)
        }
        Route::ProviderList | Route::Provider { .. } => (
            "Microsoft.Resources/subscriptions/providers/read".into(),
            sub_scope,
        ),
        Route::ProviderRegister { ns } => (format!("{ns}/register/action"), sub_scope),
        Route::ResourceGroups => (
            "Microsoft.Resources/subscriptions/resourceGroups/read".into(),
            sub_scope,
        ),
        Route::ResourceGroup { name } => (
            format!(
                "Microsoft.Resources/subscriptions/resourceGroups/{}",
                verb(&req.method)
            ),
            format!("{sub_scope}/resourceGroups/{name}"),
        ),
        Route::RgResources { rg } => (
            "Microsoft.Resources/subscriptions/resourceGroups/resources/read".into(),
            format!("{sub_scope}/resourceGroups/{rg}"),
        ),
        Route::SubResources => (
            "Microsoft.Resources/subscriptions/resources/read".into(),
            sub_scope,
        ),
        Route::RgCollection { rg, ns, kind } => (
            format!("{ns}/{kind}/read"),
            format!("{sub_scope}/resourceGroups/{rg}"),
        ),
        Route::RoleAssignment { scope, .. } => (
            format!(
                "Microsoft.Authorization/roleAssignments/{}",
                verb(&req.method)
            ),
            scope.clone(),
        ),
        Route::RoleAssignments { scope } => (
            "Microsoft.Authorization/roleAssignments/read".into(),
            scope.clone(),
        ),
        Route::RoleDefinitions { scope } | Route::RoleDefinition { scope, .. } => (
            "Microsoft.Authorization/roleDefinitions/read".into(),
            scope.clone(),
        ),
        Route::Permissions { .. }
        | Route::OpStatus { .. }
        | Route::OpResult { .. }
        | Route::RgOpResult { .. } => return None,
        Route::ProviderOp { ns, rest } => {
            let types: Vec<&str> = rest
                .iter()
                .enumerate()
                .filter(|(i, _)| !(rest.len() > 2 && *i == 1))
                .map(|(_, s)| s.as_str())
                .collect();
            (format!("{ns}/{}/read", types.join("/")), sub_scope)
        }
        Route::Resource(p) => {
            let types: Vec<&str> = p.pairs.iter().map(|(t, _)| t.as_str()).collect();
            let action = match (&p.tail, req.method.as_str()) {
                (Some(t), "POST") => format!("{}/{}/{t}/action", p.ns, types.join("/")),
                (Some(t), _) => format!("{}/{}/{t}/read", p.ns, types.join("/")),
                (None, _) => format!("{}/{}/{}", p.ns, types.join("/"), verb(&req.method)),
            };
            (action, p.id())
        }
    })
}

pub(crate) fn authorization_failed(oid: &str, action: &str, scope: &str) -> ArmError {
    ArmError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        format!(
            "The client '{oid}' with object id '{oid}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials."
        ),
    )
}
