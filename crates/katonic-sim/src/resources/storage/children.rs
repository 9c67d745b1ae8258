//! Blob containers and file shares: synchronous, under a provisioned account's `default`
//! service.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::schema;
use crate::state::{Resource, State};

use super::super::common::{self, method_not_allowed, provisioning_state};

pub(super) const CONTAINER: &str = "Microsoft.Storage/storageAccounts/blobServices/containers";
pub(super) const SHARE: &str = "Microsoft.Storage/storageAccounts/fileServices/shares";

fn provisioned<'a>(st: &'a State, p: &ResPath) -> Result<&'a Resource, ArmError> {
    let account = st
        .get(&p.id_upto(1))
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    if provisioning_state(&account.body) != Some("Succeeded") {
        return Err(ArmError::conflict(
            "StorageAccountIsNotProvisioned",
            format!(
                "The storage account provisioning state must be 'Succeeded' before executing the operation. Current state: {}.",
                provisioning_state(&account.body).unwrap_or("Unknown")
            ),
        ));
    }
    Ok(account)
}

fn valid_child_name(name: &str, max: usize) -> bool {
    (3..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && !name.ends_with('-')
        && !name.contains("--")
}

fn quoted_etag() -> String {
    format!(
        "\"0x8DD{}\"",
        &uuid::Uuid::new_v4().simple().to_string()[..12].to_ascii_uppercase()
    )
}

/// Blob containers and file shares.
pub(super) fn child(ctx: &Ctx<'_>, st: &mut State, p: &ResPath, kind: &str) -> ArmResult {
    if !p.pairs[1].1.eq_ignore_ascii_case("default") {
        return Err(ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "The service name '{}' is invalid: only 'default' is supported.",
                p.pairs[1].1
            ),
        ));
    }
    match ctx.method().as_str() {
        "GET" => {
            // `$expand=stats` (FileShares_Get): the share's usage, which Azure answers only
            // when asked (azure-mgmt-storage 16.0.0's recording, checked 2026-12-07). Nothing
            // is written to a simulated share.
            let stats = ctx.req.q("$expand").is_some_and(|e| e.contains("stats"));
            let mut body = get_child(st, p, kind == SHARE)?;
            if kind == SHARE && stats {
                body["properties"]["shareUsageBytes"] = json!(0);
            }
            Ok(Reply::ok(body))
        }
        "DELETE" => delete_child(st, p),
        "PUT" => put_child(ctx, st, p, kind, false),
        // `az storage share-rm update` / `container-rm update` (FileShares_Update,
        // BlobContainers_Update): the given properties over the existing ones.
        "PATCH" => {
            get_child(st, p, kind == SHARE)?;
            put_child(ctx, st, p, kind, true)
        }
        _ => Err(method_not_allowed(ctx)),
    }
}

fn get_child(st: &State, p: &ResPath, is_share: bool) -> Result<Value, ArmError> {
    st.get(&p.id_upto(1))
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    st.get(&p.id()).map(|r| r.body.clone()).ok_or_else(|| {
        let (code, what) = if is_share {
            ("ShareNotFound", "share")
        } else {
            ("ContainerNotFound", "container")
        };
        ArmError::not_found(code, format!("The specified {what} does not exist."))
    })
}

fn delete_child(st: &mut State, p: &ResPath) -> ArmResult {
    st.get(&p.id_upto(1))
        .ok_or_else(|| common::parent_not_found(p, 1))?;
    let removed = st.remove_tree(&p.id());
    Ok(Reply::empty(if removed.is_empty() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::OK
    }))
}

fn put_child(ctx: &Ctx<'_>, st: &mut State, p: &ResPath, kind: &str, patch: bool) -> ArmResult {
    let is_share = kind == SHARE;
    let id = p.id();
    let account = provisioned(st, p)?.clone();
    let name = p.name();
    if !valid_child_name(name, 63) {
        return Err(ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "The specified resource name '{name}' contains invalid characters or length: use 3-63 lower-case letters, digits and single hyphens."
            ),
        ));
    }
    let raw = common::body_object(ctx)?;
    let op = match (is_share, patch) {
        (true, false) => "FileShares_Create",
        (true, true) => "FileShares_Update",
        (false, false) => "BlobContainers_Create",
        (false, true) => "BlobContainers_Update",
    };
    let checked = schema::check_request(op, &raw)?;
    checked.raise("InvalidRequestPropertyValue")?;
    let body = checked.body;
    let existing = st.get(&id).cloned();
    let props_in = &patched(existing.as_ref().filter(|_| patch), &body["properties"]);
    let now = common::rfc3339(ctx.now());
    let mut props = existing
        .as_ref()
        .map(|r| r.body["properties"].clone())
        .unwrap_or(json!({}));
    if is_share {
        share_properties(&account, props_in, &mut props, &now)?;
    } else {
        container_properties(&account, props_in, &mut props)?;
    }
    if let Some(meta) = props_in.get("metadata").filter(|v| v.is_object()) {
        props["metadata"] = meta.clone();
    }
    props["lastModifiedTime"] = json!(now);
    let canonical_id = existing.as_ref().map(|r| r.id.clone()).unwrap_or(format!(
        "{}/{}/default/{}/{name}",
        account.id, p.pairs[1].0, p.pairs[2].0
    ));
    let resource = json!({
        "id": canonical_id,
        "name": existing.as_ref().and_then(|r| r.body["name"].as_str().map(str::to_string)).unwrap_or(name.to_string()),
        "type": kind,
        "etag": quoted_etag(),
        "properties": props,
    });
    let created = common::upsert(
        ctx,
        st,
        existing,
        &canonical_id,
        kind,
        resource.clone(),
        body,
    );
    Ok(Reply::upserted(created, resource))
}

fn is_premium(account: &Resource) -> bool {
    account.body["sku"]["tier"].as_str() == Some("Premium")
}

/// A share's protocol, quota and tier, checked against the account in Azure's order.
fn share_properties(
    account: &Resource,
    props_in: &Value,
    props: &mut Value,
    now: &str,
) -> Result<(), ArmError> {
    let kind_of_account = account.body["kind"].as_str().unwrap_or("");
    let premium = is_premium(account);
    if kind_of_account == "BlockBlobStorage" {
        return Err(ArmError::bad_request(
            "FeatureNotSupportedForAccount",
            "File is not supported for the account.",
        ));
    }
    let protocol = props_in["enabledProtocols"].as_str().unwrap_or("SMB");
    if protocol == "NFS" && !(kind_of_account == "FileStorage" && premium) {
        return Err(ArmError::bad_request(
            "FeatureNotSupportedForAccount",
            "NFS protocol is not supported for this storage account: NFS shares need a FileStorage account with a Premium_LRS or Premium_ZRS SKU.",
        ));
    }
    if props_in.get("rootSquash").is_some_and(|v| !v.is_null()) && protocol != "NFS" {
        return Err(ArmError::bad_request(
            "InvalidRequestPropertyValue",
            "rootSquash is only supported on NFS shares.",
        ));
    }
    let quota = share_quota(props_in, premium)?;
    let tier = share_tier(props_in, premium)?;
    props["shareQuota"] = json!(quota);
    props["enabledProtocols"] = json!(protocol);
    props["accessTier"] = json!(tier);
    props["accessTierChangeTime"] = json!(now);
    if let Some(rs) = props_in.get("rootSquash").filter(|v| !v.is_null()) {
        props["rootSquash"] = rs.clone();
    }
    props["leaseStatus"] = json!("Unlocked");
    props["leaseState"] = json!("Available");
    // No stored access policies until one is set (Azure answers the empty list).
    props["signedIdentifiers"] = json!([]);
    Ok(())
}

/// A PATCH's properties over the existing resource's (a PUT's are taken as given).
fn patched(existing: Option<&Resource>, given: &Value) -> Value {
    let Some(r) = existing else {
        return given.clone();
    };
    let mut props = r.body["properties"].clone();
    if let (Some(into), Some(from)) = (props.as_object_mut(), given.as_object()) {
        for (k, v) in from {
            into.insert(k.clone(), v.clone());
        }
    }
    props
}

fn share_quota(props_in: &Value, premium: bool) -> Result<i64, ArmError> {
    let quota = props_in["shareQuota"]
        .as_i64()
        .unwrap_or(if premium { 100 } else { 5120 });
    let max = 102_400;
    if !(1..=max).contains(&quota) || (premium && quota < 100) {
        return Err(ArmError::bad_request(
            "InvalidHeaderValue",
            format!(
                "The value for one of the HTTP headers is not in the correct format: x-ms-share-quota {quota} is out of range (1-{max}, at least 100 on premium accounts)."
            ),
        ));
    }
    Ok(quota)
}

fn share_tier(props_in: &Value, premium: bool) -> Result<&str, ArmError> {
    let tier = props_in["accessTier"].as_str().unwrap_or(if premium {
        "Premium"
    } else {
        "TransactionOptimized"
    });
    if (tier == "Premium") != premium {
        return Err(ArmError::bad_request(
            "InvalidRequestPropertyValue",
            format!("The access tier '{tier}' is not supported for this storage account."),
        ));
    }
    Ok(tier)
}

/// A container's public access, checked against the account.
fn container_properties(
    account: &Resource,
    props_in: &Value,
    props: &mut Value,
) -> Result<(), ArmError> {
    if account.body["kind"].as_str().unwrap_or("") == "FileStorage" {
        return Err(ArmError::bad_request(
            "FeatureNotSupportedForAccount",
            "Blob is not supported for the account.",
        ));
    }
    let access = props_in["publicAccess"].as_str().unwrap_or("None");
    if access != "None"
        && !account.body["properties"]["allowBlobPublicAccess"]
            .as_bool()
            .unwrap_or(false)
    {
        return Err(ArmError::conflict(
            "PublicAccessNotPermitted",
            "Public access is not permitted on this storage account.",
        ));
    }
    props["publicAccess"] = json!(access);
    props["leaseStatus"] = json!("Unlocked");
    props["leaseState"] = json!("Available");
    props["hasImmutabilityPolicy"] = json!(false);
    props["hasLegalHold"] = json!(false);
    // Answered on every container, with or without a hold (Azure CLI and SDK recordings,
    // checked 2026-12-07).
    props["legalHold"] = json!({"hasLegalHold": false, "tags": []});
    props["deleted"] = json!(false);
    props["remainingRetentionDays"] = json!(0);
    props["defaultEncryptionScope"] = json!("$account-encryption-key");
    props["denyEncryptionScopeOverride"] = json!(false);
    Ok(())
}
