//! Resource group, network (NSG, VNet and subnets), cluster identity, storage and registry.

use super::ensure::{ensure, id_of};
use super::errors::step_error;
use super::names;
use crate::azure::resources::{
    self, ResourceGroup, identity::IdentityResponse, install_tags, network, registry, storage,
};
use crate::azure::{ArmClient, api};
use crate::worker::{StepContext, StepError};
use katonic_domain::spec::RegistrySku;
use reqwest::Method;
use serde_json::{Value, json};

mod nat;
mod peering;
mod vnet;
pub use peering::{dns_zone_link, peering};
pub use vnet::network;

fn target(ctx: &StepContext) -> (String, String, String) {
    let a = &ctx.spec.azure;
    (
        a.subscription_id.to_string(),
        a.resource_group.to_string(),
        a.location.to_string(),
    )
}

pub(super) fn body<T: serde::Serialize>(value: &T) -> Result<Value, StepError> {
    serde_json::to_value(value).map_err(|e| {
        StepError::terminal(
            "internal",
            format!("cannot encode a request: {e}"),
            "This is a console bug.",
        )
    })
}

/// Create the resource group, or adopt it as it is (its other tags are left alone).
pub async fn resource_group(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (sub, rg, location) = target(ctx);
    let path = resources::resource_group_id(&sub, &rg);
    let existing = arm
        .get(&path, api::RESOURCES)
        .await
        .map_err(|e| step_error("reading the resource group", e))?;
    if let Some(existing) = existing {
        let at = existing
            .get("location")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !at.eq_ignore_ascii_case(&location) {
            return Err(StepError::terminal(
                "InvalidResourceGroupLocation",
                format!("resource group {rg} exists in {at}, not {location}"),
                "Use the resource group's region, or another resource group, in a clone of this install.",
            ));
        }
        ctx.progress(format!("resource group {rg} exists in {at}: adopted"))
            .await?;
        return Ok(json!({ "id": existing.get("id"), "created": false }));
    }
    let group = ResourceGroup {
        location,
        tags: install_tags(&ctx.install.to_string()),
    };
    let created = arm
        .call(Method::PUT, &path, api::RESOURCES, Some(&body(&group)?))
        .await
        .map_err(|e| step_error("creating the resource group", e))?;
    let id = created.body.as_ref().and_then(|b| b.get("id")).cloned();
    Ok(json!({ "id": id, "created": true }))
}

/// The cluster's user-assigned identity, created beside the network; the cluster step grants it
/// Network Contributor on the AKS subnet before the cluster's create.
pub async fn identity(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (sub, rg, location) = target(ctx);
    let name = names::cluster_identity(&ctx.spec);
    let path = resources::resource_id(
        &sub,
        &rg,
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        &name,
    );
    let identity = resources::identity::UserAssignedIdentity {
        location,
        tags: install_tags(&ctx.install.to_string()),
    };
    let created = ensure(
        ctx,
        arm,
        &path,
        api::MANAGED_IDENTITY,
        &body(&identity)?,
        "cluster identity",
    )
    .await?;
    let identity: IdentityResponse = serde_json::from_value(created).map_err(|e| {
        StepError::terminal(
            "UnexpectedResponse",
            format!("identity response: {e}"),
            "Retry the step.",
        )
    })?;
    Ok(json!({
        "id": identity.id,
        "principalId": identity.properties.principal_id,
        "clientId": identity.properties.client_id,
    }))
}

/// Storage account (datasets, backups) with its blob containers and, with shared storage, the
/// Azure Files share behind `kfs-shared`.
pub async fn storage(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (sub, rg, location) = target(ctx);
    let name = names::storage_account_for(&ctx.spec, ctx.install);
    let path = resources::resource_id(&sub, &rg, "Microsoft.Storage/storageAccounts", &name);
    check_name(
        ctx,
        arm,
        &sub,
        &path,
        &name,
        "Microsoft.Storage/storageAccounts",
        api::STORAGE,
    )
    .await?;
    let account = storage::StorageAccount {
        location,
        tags: install_tags(&ctx.install.to_string()),
        sku: storage::Sku {
            name: "Standard_LRS".to_string(),
        },
        kind: "StorageV2",
        properties: storage::StorageAccountProperties {
            minimum_tls_version: "TLS1_2",
            allow_blob_public_access: false,
            supports_https_traffic_only: true,
            access_tier: "Hot",
        },
    };
    let account = ensure(
        ctx,
        arm,
        &path,
        api::STORAGE,
        &body(&account)?,
        "storage account",
    )
    .await?;
    let containers = blob_containers(ctx, arm, &path).await?;
    let share = file_share(ctx, arm, &path).await?;
    Ok(json!({
        "id": id_of(&account, &path),
        "name": name,
        "containers": containers,
        "fileShare": share,
    }))
}

/// The datasets and backups containers of the storage account at `path`, private.
async fn blob_containers(
    ctx: &StepContext,
    arm: &ArmClient,
    path: &str,
) -> Result<Vec<&'static str>, StepError> {
    let mut containers = Vec::new();
    for container in [names::DATASETS_CONTAINER, names::BACKUPS_CONTAINER] {
        let c_path = format!("{path}/blobServices/default/containers/{container}");
        let c_body = storage::BlobContainer {
            properties: storage::BlobContainerProperties {
                public_access: "None",
            },
        };
        ensure(
            ctx,
            arm,
            &c_path,
            api::STORAGE,
            &body(&c_body)?,
            &format!("blob container {container}"),
        )
        .await?;
        containers.push(container);
    }
    Ok(containers)
}

/// With shared storage, the Azure Files share behind `kfs-shared`; its name when created.
async fn file_share(
    ctx: &StepContext,
    arm: &ArmClient,
    path: &str,
) -> Result<Option<&'static str>, StepError> {
    if !ctx.spec.storage.shared_files {
        return Ok(None);
    }
    let s_path = format!(
        "{path}/fileServices/default/shares/{}",
        names::SHARED_FILE_SHARE
    );
    let s_body = storage::FileShare {
        properties: storage::FileShareProperties {
            share_quota: 1024,
            enabled_protocols: "SMB",
            access_tier: "TransactionOptimized",
        },
    };
    ensure(
        ctx,
        arm,
        &s_path,
        api::STORAGE,
        &body(&s_body)?,
        "Azure Files share",
    )
    .await?;
    Ok(Some(names::SHARED_FILE_SHARE))
}

/// The container registry the cluster pulls environment and model images from.
pub async fn registry(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (sub, rg, location) = target(ctx);
    let name = names::registry_for(&ctx.spec, ctx.install);
    let path = resources::resource_id(&sub, &rg, "Microsoft.ContainerRegistry/registries", &name);
    check_name(
        ctx,
        arm,
        &sub,
        &path,
        &name,
        "Microsoft.ContainerRegistry/registries",
        api::CONTAINER_REGISTRY,
    )
    .await?;
    let sku = match ctx.spec.registry.sku {
        RegistrySku::Basic => "Basic",
        RegistrySku::Standard => "Standard",
        RegistrySku::Premium => "Premium",
    };
    let reg = registry::Registry {
        location,
        tags: install_tags(&ctx.install.to_string()),
        sku: storage::Sku {
            name: sku.to_string(),
        },
        properties: registry::RegistryProperties {
            admin_user_enabled: false,
            public_network_access: "Enabled",
        },
    };
    let reg = ensure(
        ctx,
        arm,
        &path,
        api::CONTAINER_REGISTRY,
        &body(&reg)?,
        "container registry",
    )
    .await?;
    Ok(json!({
        "id": id_of(&reg, &path),
        "name": name,
        "loginServer": reg.pointer("/properties/loginServer"),
    }))
}

/// Global names: free, or already ours (in this resource group). `kind` is the resource type
/// (`Microsoft.Storage/storageAccounts`); its provider answers the name check.
async fn check_name(
    ctx: &StepContext,
    arm: &ArmClient,
    sub: &str,
    path: &str,
    name: &str,
    kind: &'static str,
    api_version: &str,
) -> Result<(), StepError> {
    ctx.guard()?;
    let provider = kind.split('/').next().unwrap_or(kind);
    if arm
        .get(path, api_version)
        .await
        .map_err(|e| step_error(&format!("reading {name}"), e))?
        .is_some()
    {
        return Ok(());
    }
    let check = storage::NameCheck {
        name: name.to_string(),
        kind,
    };
    let answer = arm
        .call(
            Method::POST,
            &format!("/subscriptions/{sub}/providers/{provider}/checkNameAvailability"),
            api_version,
            Some(&body(&check)?),
        )
        .await
        .map_err(|e| step_error(&format!("checking the name {name}"), e))?;
    let available = answer
        .body
        .as_ref()
        .and_then(|b| b.get("nameAvailable"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if available {
        return Ok(());
    }
    let reason = answer
        .body
        .as_ref()
        .and_then(|b| b.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("the name is taken");
    Err(StepError::terminal(
        "AlreadyInUse",
        format!("{name}: {reason}"),
        "Names of storage accounts and registries are global in Azure: set storage.accountName or registry.name in a clone of this install.",
    ))
}

/// The external ingress's static public IP, in the install's resource group: Standard SKU
/// (what a Standard load balancer frontend takes), Static IPv4, zone-redundant over the
/// cluster's zones. Created by the console rather than by AKS so the address outlives the
/// Service and DNS can point at it.
pub async fn ingress_ip(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (sub, rg, location) = target(ctx);
    let name = katonic_domain::plan::names::ingress_public_ip(&ctx.spec);
    let path = resources::resource_id(&sub, &rg, "Microsoft.Network/publicIPAddresses", &name);
    let pip = network::PublicIpAddress::standard_static_ipv4(
        location,
        install_tags(&ctx.install.to_string()),
        ctx.spec.cluster.zones.to_strings(),
    );
    let created = ensure(
        ctx,
        arm,
        &path,
        api::NETWORK,
        &body(&pip)?,
        &format!("public IP {name}"),
    )
    .await?;
    let id = id_of(&created, &path);
    let parsed: network::PublicIpAddressResponse =
        serde_json::from_value(created).map_err(|e| {
            StepError::terminal(
                "UnexpectedResponse",
                format!("public IP response: {e}"),
                "Retry the step.",
            )
        })?;
    let Some(address) = parsed.properties.ip_address else {
        return Err(StepError::retryable(
            "PublicIpNotAllocated",
            format!("public IP {name} has no address yet"),
            None,
        ));
    };
    ctx.progress(format!("public IP {name} in {rg}: {address}"))
        .await?;
    Ok(json!({ "id": id, "name": name, "resourceGroup": rg, "address": address }))
}
