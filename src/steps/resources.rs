//! Resource group, network (NSG, VNet and subnets), cluster identity, storage and registry.

use super::ensure::{ensure, id_of};
use super::errors::step_error;
use super::names;
use super::output;
use crate::azure::resources::{
    self, ResourceGroup, SubResource, identity::IdentityResponse, install_tags, network, registry,
    storage,
};
use crate::azure::{ArmClient, api};
use crate::worker::{StepContext, StepError};
use katonic_domain::plan::StepId;
use katonic_domain::spec::RegistrySku;
use reqwest::Method;
use serde_json::{Value, json};

fn target(ctx: &StepContext) -> (String, String, String) {
    let a = &ctx.spec.azure;
    (
        a.subscription_id.to_string(),
        a.resource_group.to_string(),
        a.location.to_string(),
    )
}

fn body<T: serde::Serialize>(value: &T) -> Result<Value, StepError> {
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

/// NSG first (the AKS subnet references it), then the VNet with both subnets; or, with an
/// existing VNet, only checks.
pub async fn network(ctx: &StepContext, arm: &ArmClient) -> Result<Value, StepError> {
    let (sub, rg, location) = target(ctx);
    let net = &ctx.spec.cluster.network;
    if let Some(existing) = &net.existing_vnet {
        return existing_network(ctx, arm, existing).await;
    }
    let tags = install_tags(&ctx.install.to_string());
    let nsg_name = names::nsg(&ctx.spec);
    let nsg_path = resources::resource_id(
        &sub,
        &rg,
        "Microsoft.Network/networkSecurityGroups",
        &nsg_name,
    );
    let nsg = network::NetworkSecurityGroup {
        location: location.clone(),
        tags: tags.clone(),
        properties: network::NetworkSecurityGroupProperties {
            security_rules: vec![network::SecurityRule {
                name: "allow-jumphost-to-aks".to_string(),
                properties: network::SecurityRuleProperties {
                    priority: 100,
                    direction: "Inbound",
                    access: "Allow",
                    protocol: "Tcp",
                    source_address_prefix: net.jumphost_subnet_cidr.to_string(),
                    source_port_range: "*".to_string(),
                    destination_address_prefix: net.aks_subnet_cidr.to_string(),
                    destination_port_ranges: vec!["443".to_string(), "80".to_string()],
                    description: Some(
                        "The admin's jumphost reaches the API server and the platform".to_string(),
                    ),
                },
            }],
        },
    };
    let nsg = ensure(
        ctx,
        arm,
        &nsg_path,
        api::NETWORK,
        &body(&nsg)?,
        "network security group",
    )
    .await?;
    let nsg_id = id_of(&nsg, &nsg_path);

    let vnet_name = names::vnet(&ctx.spec);
    let vnet_path =
        resources::resource_id(&sub, &rg, "Microsoft.Network/virtualNetworks", &vnet_name);
    let vnet = network::VirtualNetwork {
        location,
        tags,
        properties: network::VirtualNetworkProperties {
            address_space: network::AddressSpace {
                address_prefixes: vec![net.vnet_cidr.to_string()],
            },
            subnets: vec![
                network::Subnet {
                    name: names::AKS_SUBNET.to_string(),
                    properties: network::SubnetProperties {
                        address_prefix: net.aks_subnet_cidr.to_string(),
                        network_security_group: Some(SubResource { id: nsg_id.clone() }),
                    },
                },
                network::Subnet {
                    name: names::JUMPHOST_SUBNET.to_string(),
                    properties: network::SubnetProperties {
                        address_prefix: net.jumphost_subnet_cidr.to_string(),
                        network_security_group: None,
                    },
                },
            ],
        },
    };
    let vnet = ensure(
        ctx,
        arm,
        &vnet_path,
        api::NETWORK,
        &body(&vnet)?,
        "virtual network",
    )
    .await?;
    let vnet_id = id_of(&vnet, &vnet_path);
    Ok(json!({
        "nsgId": nsg_id,
        "vnetId": vnet_id,
        "aksSubnetId": format!("{vnet_id}/subnets/{}", names::AKS_SUBNET),
        "jumphostSubnetId": format!("{vnet_id}/subnets/{}", names::JUMPHOST_SUBNET),
    }))
}

/// The cluster's user-assigned identity, with Network Contributor on the AKS subnet before the
/// cluster exists (so AKS can place NICs and the internal load balancer from its first minute).
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
    let subnet = output(ctx, StepId::Network, "aksSubnetId")?;
    super::aks::assign_role(
        ctx,
        arm,
        subnet,
        crate::azure::resources::authorization::NETWORK_CONTRIBUTOR,
        &identity.properties.principal_id,
        "Network Contributor for the cluster identity on the AKS subnet",
    )
    .await?;
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
    let share = if ctx.spec.storage.shared_files {
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
        Some(names::SHARED_FILE_SHARE)
    } else {
        None
    };
    Ok(json!({
        "id": id_of(&account, &path),
        "name": name,
        "containers": containers,
        "fileShare": share,
    }))
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

/// An existing VNet (where the jumphost usually is): read it and its two subnets and check them
/// against the spec. It is never written to (a VNet PUT would replace its subnets).
async fn existing_network(
    ctx: &StepContext,
    arm: &ArmClient,
    existing: &katonic_domain::spec::ExistingVnet,
) -> Result<Value, StepError> {
    let spec = &ctx.spec;
    let net = &spec.cluster.network;
    let sub = spec.azure.subscription_id.as_str();
    let path = resources::resource_id(
        sub,
        existing.resource_group.as_str(),
        "Microsoft.Network/virtualNetworks",
        existing.name.as_str(),
    );
    let wrong =
        |code: &str, message: String, hint: String| Err(StepError::terminal(code, message, hint));
    ctx.guard()?;
    let Some(vnet) = arm
        .get(&path, api::NETWORK)
        .await
        .map_err(|e| step_error("reading the existing VNet", e))?
    else {
        return wrong(
            "VirtualNetworkNotFound",
            format!("VNet {} was not found in resource group {}", existing.name, existing.resource_group),
            "Check cluster.network.existingVnet (resource group and name) in a clone of this install.".into(),
        );
    };
    let location = vnet
        .get("location")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !location.eq_ignore_ascii_case(spec.azure.location.as_str()) {
        return wrong(
            "VirtualNetworkInAnotherRegion",
            format!(
                "VNet {} is in {location}; the cluster goes to {}",
                existing.name, spec.azure.location
            ),
            format!("AKS needs its VNet in its own region: set azure.location to {location}."),
        );
    }
    let prefixes: Vec<&str> = vnet
        .pointer("/properties/addressSpace/addressPrefixes")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !prefixes.iter().any(|p| *p == net.vnet_cidr.to_string()) {
        return wrong(
            "AddressSpaceMismatch",
            format!(
                "VNet {} has address space {}, not {}",
                existing.name,
                prefixes.join(", "),
                net.vnet_cidr
            ),
            format!(
                "Set cluster.network.vnetCidr to {}.",
                prefixes.first().unwrap_or(&"its range")
            ),
        );
    }
    let mut ids = Vec::new();
    for (name, cidr, field, needs) in [
        (
            &existing.aks_subnet,
            net.aks_subnet_cidr,
            "aksSubnetCidr",
            spec.ip_budget().needed,
        ),
        (
            &existing.jumphost_subnet,
            net.jumphost_subnet_cidr,
            "jumphostSubnetCidr",
            1,
        ),
    ] {
        ctx.guard()?;
        let subnet_path = format!("{path}/subnets/{name}");
        let Some(subnet) = arm
            .get(&subnet_path, api::NETWORK)
            .await
            .map_err(|e| step_error(&format!("reading subnet {name}"), e))?
        else {
            return wrong(
                "SubnetNotFound",
                format!("VNet {} has no subnet {name}", existing.name),
                "Create the subnet, or name an existing one in cluster.network.existingVnet."
                    .into(),
            );
        };
        let prefix = subnet
            .pointer("/properties/addressPrefix")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if prefix != cidr.to_string() {
            return wrong(
                "AddressPrefixMismatch",
                format!("subnet {name} is {prefix}, not {cidr}"),
                format!("Set cluster.network.{field} to {prefix}."),
            );
        }
        let used = subnet
            .pointer("/properties/ipConfigurations")
            .and_then(Value::as_array)
            .map_or(0, Vec::len) as u64;
        let free =
            katonic_domain::spec::capacity::usable_addresses(cidr.prefix()).saturating_sub(used);
        if free < needs {
            return wrong(
                "InsufficientSubnetSize",
                format!(
                    "subnet {name} ({cidr}) has {free} free addresses ({used} in use); the install needs {needs}"
                ),
                "Free addresses in the subnet, use a larger one, or use Azure CNI overlay.".into(),
            );
        }
        ctx.progress(format!(
            "subnet {name} ({cidr}): {free} free addresses, {needs} needed"
        ))
        .await?;
        ids.push(id_of(&subnet, &subnet_path));
    }
    Ok(json!({
        "vnetId": id_of(&vnet, &path),
        "aksSubnetId": ids[0],
        "jumphostSubnetId": ids[1],
        "existing": true,
    }))
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
