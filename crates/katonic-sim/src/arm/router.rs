//! Parses an ARM path into a [`Route`]: subscription-level calls, resource groups, role
//! assignments at any scope, operation status URLs, and provider resources with their children.

use super::errors::ArmError;
use crate::server::Req;

/// A resource under a resource group: `…/providers/{ns}/{type}/{name}[/{type}/{name}…][/{tail}]`.
#[derive(Debug, Clone)]
pub(crate) struct ResPath {
    pub sub: String,
    pub rg: String,
    pub ns: String,
    /// (type, name) pairs as sent.
    pub pairs: Vec<(String, String)>,
    /// A trailing odd segment: a child collection (GET) or an action (POST).
    pub tail: Option<String>,
}

impl ResPath {
    pub fn rg_id(&self) -> String {
        format!("/subscriptions/{}/resourceGroups/{}", self.sub, self.rg)
    }

    /// Id of the resource named by the first `n` pairs.
    pub fn id_upto(&self, n: usize) -> String {
        let mut id = format!("{}/providers/{}", self.rg_id(), self.ns);
        for (t, name) in self.pairs.iter().take(n) {
            id.push('/');
            id.push_str(t);
            id.push('/');
            id.push_str(name);
        }
        id
    }

    pub fn id(&self) -> String {
        self.id_upto(self.pairs.len())
    }

    /// Lower-cased type path, e.g. `microsoft.network/virtualnetworks/subnets`.
    pub fn kind(&self) -> String {
        let mut k = self.ns.to_ascii_lowercase();
        for (t, _) in &self.pairs {
            k.push('/');
            k.push_str(&t.to_ascii_lowercase());
        }
        k
    }

    pub fn name(&self) -> &str {
        self.pairs.last().map(|(_, n)| n.as_str()).unwrap_or("")
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Route {
    SubscriptionList,
    Subscription,
    Locations,
    ProviderList,
    Provider {
        ns: String,
    },
    ProviderRegister {
        ns: String,
    },
    ResourceGroups,
    ResourceGroup {
        name: String,
    },
    RgResources {
        rg: String,
    },
    /// The resources of one type in a resource group (`…/providers/{ns}/{type}`).
    RgCollection {
        rg: String,
        ns: String,
        kind: String,
    },
    SubResources,
    Permissions {
        scope: String,
    },
    RoleAssignment {
        scope: String,
        name: String,
    },
    RoleAssignments {
        scope: String,
    },
    /// Built-in role definitions, listed or read at any scope (how `az role assignment create
    /// --role <name>` finds a role's id).
    RoleDefinitions {
        scope: String,
    },
    RoleDefinition {
        scope: String,
        id: String,
    },
    OpStatus {
        ns: String,
        id: String,
    },
    OpResult {
        ns: String,
        id: String,
    },
    RgOpResult {
        id: String,
    },
    /// Subscription-level provider calls (`checkNameAvailability`, usages, SKUs, versions).
    ProviderOp {
        ns: String,
        rest: Vec<String>,
    },
    Resource(ResPath),
}

impl Route {
    /// The provider namespace whose api-versions apply.
    pub fn namespace(&self) -> String {
        match self {
            Route::Permissions { .. }
            | Route::RoleAssignment { .. }
            | Route::RoleAssignments { .. }
            | Route::RoleDefinitions { .. }
            | Route::RoleDefinition { .. } => "Microsoft.Authorization".into(),
            Route::OpStatus { ns, .. }
            | Route::OpResult { ns, .. }
            | Route::ProviderOp { ns, .. }
            | Route::RgCollection { ns, .. } => ns.clone(),
            Route::Resource(p) => p.ns.clone(),
            _ => "Microsoft.Resources".into(),
        }
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn unknown(req: &Req) -> ArmError {
    ArmError::not_found(
        "InvalidResourceType",
        format!(
            "The resource type could not be found for the request path '{}'.",
            req.path
        ),
    )
}

/// Parse `req.segs` (already known to start with `subscriptions`).
// One piece: the route table of ARM paths, one match arm per path shape.
pub(crate) fn parse(req: &Req) -> Result<Route, ArmError> {
    let s: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    if s.len() == 1 {
        return Ok(Route::SubscriptionList);
    }
    // Role assignments and permissions at any scope: split at the last Authorization provider.
    if let Some(i) = (0..s.len()).rev().find(|&i| {
        eq(s[i], "providers")
            && s.get(i + 1)
                .is_some_and(|n| eq(n, "Microsoft.Authorization"))
    }) {
        let scope = format!("/{}", s[..i].join("/"));
        let rest = &s[i + 2..];
        let provider_itself =
            i == 2 && (rest.is_empty() || (rest.len() == 1 && eq(rest[0], "register")));
        if !provider_itself {
            return match rest {
                [t] if eq(t, "permissions") => Ok(Route::Permissions { scope }),
                [t] if eq(t, "roleAssignments") => Ok(Route::RoleAssignments { scope }),
                [t] if eq(t, "roleDefinitions") => Ok(Route::RoleDefinitions { scope }),
                [t, id] if eq(t, "roleDefinitions") => Ok(Route::RoleDefinition {
                    scope,
                    id: id.to_string(),
                }),
                [t, name] if eq(t, "roleAssignments") => Ok(Route::RoleAssignment {
                    scope,
                    name: name.to_string(),
                }),
                _ => Err(unknown(req)),
            };
        }
    }
    let sub = s[1].to_string();
    let r = &s[2..];
    Ok(match r {
        [] => Route::Subscription,
        [l] if eq(l, "locations") => Route::Locations,
        [p] if eq(p, "providers") => Route::ProviderList,
        [p, ns] if eq(p, "providers") => Route::Provider { ns: ns.to_string() },
        [p, ns, a] if eq(p, "providers") && eq(a, "register") => {
            Route::ProviderRegister { ns: ns.to_string() }
        }
        [p, ns, l, _loc, o, id]
            if eq(p, "providers") && eq(l, "locations") && eq(o, "operations") =>
        {
            Route::OpStatus {
                ns: ns.to_string(),
                id: id.to_string(),
            }
        }
        [p, ns, l, _loc, o, id]
            if eq(p, "providers")
                && eq(l, "locations")
                && (eq(o, "operationResults") || eq(o, "asyncoperations")) =>
        {
            Route::OpResult {
                ns: ns.to_string(),
                id: id.to_string(),
            }
        }
        [p, ns, rest @ ..] if eq(p, "providers") => Route::ProviderOp {
            ns: ns.to_string(),
            rest: rest.iter().map(|x| x.to_string()).collect(),
        },
        [o, id] if eq(o, "operationresults") => Route::RgOpResult { id: id.to_string() },
        [r] if eq(r, "resources") => Route::SubResources,
        [g] if eq(g, "resourceGroups") => Route::ResourceGroups,
        [g, name] if eq(g, "resourceGroups") => Route::ResourceGroup {
            name: name.to_string(),
        },
        [g, rg, r] if eq(g, "resourceGroups") && eq(r, "resources") => {
            Route::RgResources { rg: rg.to_string() }
        }
        [g, rg, p, ns, rest @ ..]
            if eq(g, "resourceGroups") && eq(p, "providers") && !rest.is_empty() =>
        {
            let mut pairs = Vec::new();
            let mut it = rest.chunks(2);
            let mut tail = None;
            for c in it.by_ref() {
                match c {
                    [t, n] => pairs.push((t.to_string(), n.to_string())),
                    [t] => tail = Some(t.to_string()),
                    _ => {}
                }
            }
            if pairs.is_empty() {
                return match tail {
                    Some(kind) => Ok(Route::RgCollection {
                        rg: rg.to_string(),
                        ns: ns.to_string(),
                        kind,
                    }),
                    None => Err(unknown(req)),
                };
            }
            Route::Resource(ResPath {
                sub,
                rg: rg.to_string(),
                ns: ns.to_string(),
                pairs,
                tail,
            })
        }
        _ => return Err(unknown(req)),
    })
}
