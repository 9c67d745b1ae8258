//! The cluster's kubeconfigs (`listClusterAdminCredential`, `listClusterUserCredential`): a
//! client certificate and token, or for an Entra ID cluster's user an exec plugin (kubelogin).

use serde_json::json;

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::resources::common::{self, provisioning_state};
use crate::state::State;

pub(super) fn credentials(ctx: &Ctx<'_>, st: &State, p: &ResPath, admin: bool) -> ArmResult {
    let cluster = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
    if provisioning_state(&cluster.body) == Some("Creating") {
        return Err(ArmError::conflict(
            "OperationNotAllowed",
            "The managed cluster is still being created; credentials are available once it is created.",
        ));
    }
    if admin && cluster.body["properties"]["disableLocalAccounts"].as_bool() == Some(true) {
        return Err(ArmError::bad_request(
            "BadRequest",
            "Getting static credential is not allowed because this cluster is set to disable local accounts.",
        ));
    }
    let format = ctx.req.q("format");
    if let Some(f) = format.filter(|f| !["azure", "exec"].iter().any(|a| a.eq_ignore_ascii_case(f)))
    {
        return Err(ArmError::bad_request(
            "InvalidParameter",
            format!("The value '{f}' of parameter format is invalid: allowed values are 'azure' and 'exec'."),
        )
        .target("format"));
    }
    let name = cluster.body["name"].as_str().unwrap_or("");
    let server = format!("{}/kubernetes/{name}", ctx.shared.base);
    let user = format!(
        "{}_{}_{name}",
        if admin { "clusterAdmin" } else { "clusterUser" },
        p.rg
    );
    let aad = cluster.body["properties"]["aadProfile"]["managed"].as_bool() == Some(true);
    let text = if aad && !admin {
        // An Entra ID cluster's user kubeconfig carries no credential: kubelogin gets a token.
        // (`format=azure`, the removed auth-provider form, is answered the same way here.)
        crate::kubeconfig::render_exec(&crate::kubeconfig::ExecParts {
            cluster: name,
            user: &user,
            server: &server,
            ca_pem: &ctx.shared.ca.pem,
            tenant: cluster.body["properties"]["aadProfile"]["tenantID"]
                .as_str()
                .unwrap_or(&st.account.tenant_id),
        })
    } else {
        crate::kubeconfig::render(&crate::kubeconfig::KubeconfigParts {
            cluster: name,
            user: &user,
            server: &server,
            ca_pem: &ctx.shared.ca.pem,
            cert_pem: cluster.private["certPem"].as_str().unwrap_or(""),
            key_pem: cluster.private["keyPem"].as_str().unwrap_or(""),
            token: cluster.private["token"].as_str().unwrap_or(""),
        })
    };
    use base64::Engine;
    let value = base64::engine::general_purpose::STANDARD.encode(text);
    Ok(Reply::ok(
        json!({"kubeconfigs": [{"name": if admin { "clusterAdmin" } else { "clusterUser" }, "value": value}]}),
    ))
}
