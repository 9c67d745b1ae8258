//! Role assignments at any scope (principal and role checks, duplicates, immutability) and
//! the caller's permissions list; also answers "does this principal hold this role here".

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::Route;
use crate::catalog::ROLES;
use crate::schema;
use crate::server::list;
use crate::state::State;

use super::common::{self, method_not_allowed};

pub(crate) const ASSIGNMENT: &str = "Microsoft.Authorization/roleAssignments";

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, route: &Route) -> ArmResult {
    match route {
        Route::Permissions { scope } if *ctx.method() == Method::GET => permissions(ctx, st, scope),
        Route::RoleAssignments { scope } if *ctx.method() == Method::GET => {
            list_assignments(ctx, st, scope)
        }
        Route::RoleDefinitions { scope } if *ctx.method() == Method::GET => {
            list_definitions(ctx, st, scope)
        }
        Route::RoleDefinition { scope, id } if *ctx.method() == Method::GET => {
            get_definition(st, scope, id)
        }
        Route::RoleAssignment { scope, name } => match ctx.method().as_str() {
            "PUT" => put(ctx, st, scope, name),
            "GET" => st
                .get(&assignment_id(scope, name))
                .map(|r| Reply::ok(r.body.clone()))
                .ok_or_else(|| not_found(name)),
            "DELETE" => {
                let removed = st.remove_tree(&assignment_id(scope, name));
                Ok(match removed.first() {
                    Some(r) => Reply::ok(r.body.clone()),
                    None => Reply::empty(StatusCode::NO_CONTENT),
                })
            }
            _ => Err(method_not_allowed(ctx)),
        },
        _ => Err(method_not_allowed(ctx)),
    }
}

fn assignment_id(scope: &str, name: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}")
}

fn not_found(name: &str) -> ArmError {
    ArmError::not_found(
        "RoleAssignmentNotFound",
        format!("The role assignment '{name}' is not found."),
    )
}

/// The scope must exist: the subscription, a resource group, a resource or a subnet.
fn require_scope(st: &State, scope: &str) -> Result<String, ArmError> {
    let segs: Vec<&str> = scope.split('/').filter(|s| !s.is_empty()).collect();
    let sub = format!("/subscriptions/{}", st.account.subscription_id);
    if segs.len() == 2 {
        return Ok(sub);
    }
    if segs.len() >= 4 {
        let rg = format!("{sub}/resourceGroups/{}", segs[3]);
        let Some(g) = st.get(&rg) else {
            return Err(ArmError::not_found(
                "ResourceGroupNotFound",
                format!("Resource group '{}' could not be found.", segs[3]),
            ));
        };
        if segs.len() == 4 {
            return Ok(g.id.clone());
        }
    }
    if let Some(r) = st.get(scope) {
        return Ok(r.id.clone());
    }
    if let Some((_, subnet)) = super::network::find_subnet(st, scope) {
        return Ok(subnet["id"].as_str().unwrap_or(scope).to_string());
    }
    Err(ArmError::not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            segs.get(5..).map(|s| s.join("/")).unwrap_or_default(),
            segs.get(3).unwrap_or(&"")
        ),
    ))
}

fn role_guid(role_definition_id: &str) -> Option<&str> {
    let lower = role_definition_id.to_ascii_lowercase();
    let idx = lower.find("/providers/microsoft.authorization/roledefinitions/")?;
    let guid =
        &role_definition_id[idx + "/providers/microsoft.authorization/roledefinitions/".len()..];
    ROLES
        .iter()
        .find(|(_, g)| g.eq_ignore_ascii_case(guid))
        .map(|(_, g)| *g)
}

fn put(ctx: &Ctx<'_>, st: &mut State, scope: &str, name: &str) -> ArmResult {
    if uuid::Uuid::parse_str(name).is_err() {
        return Err(ArmError::bad_request(
            "InvalidRoleAssignmentId",
            format!(
                "The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."
            ),
        ));
    }
    let scope = require_scope(st, scope)?;
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request("RoleAssignments_Create", &raw)?;
    checked.raise("InvalidRequestContent")?;
    let body = checked.body;
    let role = requested_role(&body)?;
    let (principal, principal_type) = requested_principal(st, &body)?;
    let sub = st.account.subscription_id.clone();
    let role_definition_id =
        format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role}");
    let wanted = Wanted {
        principal: &principal,
        role_definition_id: &role_definition_id,
        scope: &scope,
    };
    let id = assignment_id(&scope, name);
    if let Some(existing) = st.get(&id) {
        // An assignment is immutable: only the same one may be PUT again.
        if !wanted.matches(&existing.body["properties"]) {
            return Err(ArmError::conflict(
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            ));
        }
        return Ok(Reply::ok(existing.body.clone()));
    }
    if let Some(d) = st
        .of_kind(ASSIGNMENT)
        .find(|r| wanted.matches(&r.body["properties"]))
    {
        return Err(already_exists(d.body["name"].as_str().unwrap_or("")));
    }
    let props = wanted.properties(ctx, &body, &principal_type);
    let assignment = json!({
        "properties": props,
        "id": id,
        "type": ASSIGNMENT,
        "name": name.to_ascii_lowercase(),
    });
    st.insert(common::new_resource(
        ctx,
        &id,
        ASSIGNMENT,
        assignment.clone(),
        body,
    ));
    Ok(Reply::json(StatusCode::CREATED, assignment))
}

/// The built-in role the body names.
fn requested_role(body: &Value) -> Result<&str, ArmError> {
    let role_def = body
        .pointer("/properties/roleDefinitionId")
        .and_then(Value::as_str)
        .unwrap_or("");
    role_guid(role_def).ok_or_else(|| {
        let guid = role_def.rsplit('/').next().unwrap_or(role_def);
        ArmError::bad_request(
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{guid}' does not exist."),
        )
    })
}

/// The principal (lower case) and its type; a stated type must be the directory's.
fn requested_principal(st: &State, body: &Value) -> Result<(String, String), ArmError> {
    let principal = body
        .pointer("/properties/principalId")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let Some(known) = st.principals.get(&principal) else {
        return Err(ArmError::bad_request(
            "PrincipalNotFound",
            format!(
                "Principal {} does not exist in the directory {}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
                principal.replace('-', ""),
                st.account.tenant_id
            ),
        ));
    };
    match body
        .pointer("/properties/principalType")
        .and_then(Value::as_str)
    {
        Some(t) if !t.eq_ignore_ascii_case(&known.kind) => Err(ArmError::bad_request(
            "UnmatchedPrincipalType",
            format!(
                "The PrincipalId '{}' has type '{}' , which is different from specified PrincipalType '{t}'.",
                principal.replace('-', ""),
                known.kind
            ),
        )),
        _ => {
            let kind = known.kind.clone();
            Ok((principal, kind))
        }
    }
}

fn already_exists(name: &str) -> ArmError {
    ArmError::conflict(
        "RoleAssignmentExists",
        "The role assignment already exists.",
    )
    .with_detail(crate::arm::errors::ErrorDetail::new(
        "RoleAssignmentExists",
        format!("The role assignment already exists with ID '{name}'."),
    ))
}

/// What an assignment grants: who, which role, where.
struct Wanted<'a> {
    principal: &'a str,
    role_definition_id: &'a str,
    scope: &'a str,
}

impl Wanted<'_> {
    /// Whether stored assignment properties grant the same.
    fn matches(&self, p: &Value) -> bool {
        p["principalId"].as_str() == Some(self.principal)
            && p["roleDefinitionId"]
                .as_str()
                .is_some_and(|r| r.eq_ignore_ascii_case(self.role_definition_id))
            && p["scope"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(self.scope))
    }

    fn properties(&self, ctx: &Ctx<'_>, body: &Value, principal_type: &str) -> Value {
        let now = common::rfc3339(ctx.now());
        let mut props = json!({
            "roleDefinitionId": self.role_definition_id,
            "principalId": self.principal,
            "principalType": principal_type,
            "scope": self.scope,
            "createdOn": now,
            "updatedOn": now,
            "createdBy": ctx.caller,
            "updatedBy": ctx.caller,
        });
        for key in [
            "description",
            "condition",
            "conditionVersion",
            "delegatedManagedIdentityResourceId",
        ] {
            if let Some(v) = body
                .pointer(&format!("/properties/{key}"))
                .filter(|v| v.is_string())
            {
                props[key] = v.clone();
            }
        }
        props
    }
}

/// `a` is `b` or an ancestor scope of `b` (segment-aligned, case-insensitive).
pub(crate) fn scope_covers(a: &str, b: &str) -> bool {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    b == a || b.starts_with(&format!("{}/", a.trim_end_matches('/')))
}

/// Whether `principal` holds one of `roles` (GUIDs) at `target` or above.
pub(crate) fn granted(st: &State, principal: &str, target: &str, roles: &[&str]) -> bool {
    st.of_kind(ASSIGNMENT).any(|r| {
        let p = &r.body["properties"];
        p["principalId"]
            .as_str()
            .is_some_and(|x| x.eq_ignore_ascii_case(principal))
            && p["roleDefinitionId"].as_str().is_some_and(|d| {
                roles
                    .iter()
                    .any(|g| d.to_ascii_lowercase().ends_with(&g.to_ascii_lowercase()))
            })
            && p["scope"].as_str().is_some_and(|s| scope_covers(s, target))
    })
}

fn list_assignments(ctx: &Ctx<'_>, st: &State, scope: &str) -> ArmResult {
    let scope = require_scope(st, scope)?;
    let filter = ctx.req.q("$filter").unwrap_or("");
    let at_scope = filter.to_ascii_lowercase().contains("atscope()");
    let principal = filter
        .to_ascii_lowercase()
        .split("principalid eq '")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .map(str::to_string);
    let value = st
        .of_kind(ASSIGNMENT)
        .filter(|r| {
            let s = r.body["properties"]["scope"].as_str().unwrap_or("");
            scope_covers(s, &scope) || (!at_scope && scope_covers(&scope, s))
        })
        .filter(|r| {
            principal
                .as_ref()
                .is_none_or(|p| r.body["properties"]["principalId"].as_str() == Some(p.as_str()))
        })
        .map(|r| r.body.clone())
        .collect();
    Ok(Reply::ok(list(value)))
}

fn permissions(ctx: &Ctx<'_>, st: &State, scope: &str) -> ArmResult {
    let scope = require_scope(st, scope)?;
    let p = &ctx.catalog().caller_permissions;
    let mut value = vec![json!({
        "actions": p.actions,
        "notActions": p.not_actions,
        "dataActions": [],
        "notDataActions": [],
    })];
    // Data actions come only from roles that have them (Owner has none): the Kubernetes
    // ones of "Azure Kubernetes Service RBAC Cluster Admin" held at or above the scope.
    if granted(
        st,
        &ctx.caller,
        &scope,
        &[crate::kube::auth::RBAC_CLUSTER_ADMIN],
    ) {
        value.push(json!({
            "actions": [
                "Microsoft.Authorization/*/read",
                "Microsoft.Resources/subscriptions/operationresults/read",
                "Microsoft.Resources/subscriptions/read",
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
            ],
            "notActions": [],
            "dataActions": ["Microsoft.ContainerService/managedClusters/*"],
            "notDataActions": [],
        }));
    }
    Ok(Reply::ok(list(value)))
}

/// A built-in role as `RoleDefinitions_Get` returns it, read at `scope` (ARM answers the same
/// definition at every scope; its id names the subscription). Only the roles' names and ids are
/// simulated: the permissions list is the documented one for the roles the console grants.
fn definition(st: &State, name: &str, guid: &str) -> Value {
    let sub = &st.account.subscription_id;
    json!({
        "id": format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
        "name": guid,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": name,
            "type": "BuiltInRole",
            "description": format!("{name} (built-in role)"),
            "assignableScopes": ["/"],
            // Built-in roles carry their publication dates (Azure's answers; its `createdBy:
            // null` is left out, as the spec types it a string).
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2024-01-01T00:00:00.0000000Z",
            "permissions": [{
                "actions": role_actions(name),
                "notActions": [],
                "dataActions": [],
                "notDataActions": [],
            }],
        },
    })
}

/// The control-plane actions of the roles the console and the vendor's sequence grant (from
/// Azure's built-in roles reference); others list none here.
fn role_actions(name: &str) -> &'static [&'static str] {
    match name {
        "Owner" | "Contributor" => &["*"],
        "Reader" => &["*/read"],
        "Network Contributor" => &[
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Network/*",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
        ],
        "AcrPull" => &["Microsoft.ContainerRegistry/registries/pull/read"],
        "Storage Account Contributor" => &[
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Insights/diagnosticSettings/*",
            "Microsoft.Network/virtualNetworks/subnets/joinViaServiceEndpoint/action",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Storage/storageAccounts/*",
            "Microsoft.Support/*",
        ],
        _ => &[],
    }
}

fn list_definitions(ctx: &Ctx<'_>, st: &State, scope: &str) -> ArmResult {
    require_scope(st, scope)?;
    // az filters by name (`roleName eq 'Network Contributor'`); other filters list them all.
    let filter = ctx.req.q("$filter").unwrap_or("");
    let wanted = filter
        .split_once("roleName eq '")
        .and_then(|(_, rest)| rest.split('\'').next());
    let value = ROLES
        .iter()
        .filter(|(name, _)| wanted.is_none_or(|w| w.eq_ignore_ascii_case(name)))
        .map(|(name, guid)| definition(st, name, guid))
        .collect();
    Ok(Reply::ok(list(value)))
}

fn get_definition(st: &State, scope: &str, id: &str) -> ArmResult {
    require_scope(st, scope)?;
    ROLES
        .iter()
        .find(|(_, guid)| guid.eq_ignore_ascii_case(id))
        .map(|(name, guid)| Reply::ok(definition(st, name, guid)))
        .ok_or_else(|| {
            ArmError::not_found(
                "RoleDefinitionDoesNotExist",
                format!("The specified role definition with ID '{id}' does not exist."),
            )
        })
}
