//! `GET /metadata/endpoints`: this cloud's endpoints, as ARM publishes them (no authentication).

use serde_json::json;

use super::errors::{ArmError, ArmResult, Reply};
use crate::server::{Req, Shared};

pub(crate) fn endpoints(shared: &Shared, req: &Req) -> ArmResult {
    let Some(version) = req.q("api-version") else {
        return Err(ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    let b = &shared.base;
    if version == "2022-09-01" || version == "2023-11-01" {
        // Newer shape: an array of clouds.
        let cloud = cloud(b);
        return Ok(Reply::ok(if version == "2022-09-01" {
            cloud
        } else {
            json!([cloud])
        }));
    }
    if ["2019-05-01", "2020-06-01", "2015-01-01"].contains(&version) {
        return Ok(Reply::ok(cloud(b)));
    }
    Err(ArmError::bad_request(
        "InvalidApiVersionParameter",
        format!(
            "The api-version '{version}' is invalid. The supported versions are '2023-11-01,2022-09-01,2020-06-01,2019-05-01'."
        ),
    ))
}

fn cloud(b: &str) -> serde_json::Value {
    json!({
        "portal": "https://portal.azure.com",
        "authentication": {
            "loginEndpoint": format!("{b}/"),
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/", format!("{b}/")],
            "tenant": "common",
            "identityProvider": "AAD"
        },
        "media": "https://rest.media.azure.net",
        "graphAudience": "https://graph.windows.net/",
        "graph": "https://graph.windows.net/",
        "name": "AzureCloud",
        "suffixes": {
            "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
            "acrLoginServer": "azurecr.io",
            "sqlServerHostname": "database.windows.net",
            "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
            "keyVaultDns": "vault.azure.net",
            "storage": "core.windows.net",
            "azureFrontDoorEndpointSuffix": "azurefd.net"
        },
        "batch": "https://batch.core.windows.net/",
        "resourceManager": format!("{b}/"),
        "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/quickstart-templates/aliases.json",
        "activeDirectoryDataLake": "https://datalake.azure.net/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "gallery": "https://gallery.azure.com/"
    })
}
