//! Storage accounts (legacy LRO: 202 + `Location`, no body), global name checks, keys, and
//! blob containers / file shares (synchronous, the account must be provisioned).

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, UrlStyle};
use crate::arm::router::ResPath;
use crate::schema;
use crate::state::{Resource, State};

use super::common::{self, method_not_allowed, provisioning_state};

pub(crate) const ACCOUNT: &str = "Microsoft.Storage/storageAccounts";
const CONTAINER: &str = "Microsoft.Storage/storageAccounts/blobServices/containers";
const SHARE: &str = "Microsoft.Storage/storageAccounts/fileServices/shares";
const NS: &str = "Microsoft.Storage";
const ACCOUNT_SECS: f64 = 30.0;

fn valid_account_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn invalid_name_message(name: &str) -> String {
    format!(
        "{name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only."
    )
}

/// Who has the name: `None` free, `Some(None)` another tenant, `Some(Some(id))` a resource here.
fn holder(ctx: &Ctx<'_>, st: &State, name: &str) -> Option<Option<String>> {
    if ctx
        .catalog()
        .taken_names
        .storage_accounts
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
    {
        return Some(None);
    }
    st.of_kind(ACCOUNT)
        .find(|r| {
            r.body["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|r| Some(r.id.clone()))
}

/// `POST …/providers/Microsoft.Storage/checkNameAvailability`.
pub(crate) fn provider_op(ctx: &Ctx<'_>, st: &mut State, rest: &[String]) -> ArmResult {
    match (rest, ctx.method().as_str()) {
        ([op], "POST") if op.eq_ignore_ascii_case("checkNameAvailability") => {
            let body = common::body_object(ctx)?;
            let name = body["name"].as_str().unwrap_or("");
            if !body["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(ACCOUNT))
            {
                return Err(ArmError::bad_request(
                    "InvalidValuesForRequestParameters",
                    "Values for request parameters are invalid: type.",
                ));
            }
            let answer = if !valid_account_name(name) {
                json!({"nameAvailable": false, "reason": "AccountNameInvalid", "message": invalid_name_message(name)})
            } else if holder(ctx, st, name).is_some() {
                json!({"nameAvailable": false, "reason": "AlreadyExists", "message": format!("The storage account named {name} is already taken.")})
            } else {
                json!({"nameAvailable": true})
            };
            Ok(Reply::ok(answer))
        }
        _ => Err(ArmError::bad_request(
            "InvalidResourceType",
            format!(
                "The resource type '{}' could not be found in the namespace 'Microsoft.Storage'.",
                rest.join("/")
            ),
        )),
    }
}

pub(crate) fn handle(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    common::require_rg(ctx, st, p)?;
    let m = ctx.method().as_str();
    match (p.pairs.len(), p.tail.as_deref()) {
        (1, None) => match m {
            "PUT" => put_account(ctx, st, p),
            "GET" => st
                .get(&p.id())
                .map(|r| Reply::ok(r.body.clone()))
                .ok_or_else(|| common::not_found(p)),
            "DELETE" => {
                let removed = st.remove_tree(&p.id());
                Ok(Reply::empty(if removed.is_empty() {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::OK
                }))
            }
            _ => Err(method_not_allowed(ctx)),
        },
        (1, Some(t)) if m == "POST" && t.eq_ignore_ascii_case("listKeys") => list_keys(ctx, st, p),
        (3, None)
            if p.pairs[1].0.eq_ignore_ascii_case("blobServices")
                && p.pairs[2].0.eq_ignore_ascii_case("containers") =>
        {
            child(ctx, st, p, CONTAINER)
        }
        (3, None)
            if p.pairs[1].0.eq_ignore_ascii_case("fileServices")
                && p.pairs[2].0.eq_ignore_ascii_case("shares") =>
        {
            child(ctx, st, p, SHARE)
        }
        _ => Err(method_not_allowed(ctx)),
    }
}

fn tier(sku: &str) -> &'static str {
    if sku.to_ascii_lowercase().starts_with("premium") {
        "Premium"
    } else {
        "Standard"
    }
}

// One piece: the storage account PUT's checks in the order Azure reports them, then the stored
// body; each check is an early return.
fn put_account(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let name = p.name().to_string();
    if !valid_account_name(&name) {
        return Err(ArmError::bad_request(
            "AccountNameInvalid",
            invalid_name_message(&name),
        ));
    }
    let raw = common::body_object(ctx)?;
    let checked = schema::check_request("StorageAccounts_Create", &raw)?;
    let body = checked.body.clone();
    let location = common::location(ctx, &body, ACCOUNT)?;
    let tags = common::tags(&body)?;
    let id = p.id();
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    if existing.is_none() {
        match holder(ctx, st, &name) {
            Some(None) => {
                return Err(ArmError::conflict(
                    "StorageAccountAlreadyTaken",
                    format!("The storage account named {name} is already taken."),
                ));
            }
            Some(Some(other)) => {
                return Err(ArmError::conflict(
                    "StorageAccountInAnotherResourceGroup",
                    format!(
                        "The account {name} is already in another resource group in this subscription ({other})."
                    ),
                ));
            }
            None => {}
        }
    }
    common::same_location(existing.as_ref(), &location, p)?;
    if let Some(issue) = checked.issues.first() {
        let field = issue
            .path
            .split('.')
            .next()
            .unwrap_or(&issue.path)
            .to_string();
        return Err(ArmError::bad_request(
            "InvalidValuesForRequestParameters",
            format!("Values for request parameters are invalid: {field}."),
        )
        .target(field));
    }
    let sku = body
        .pointer("/sku/name")
        .and_then(Value::as_str)
        .unwrap_or("Standard_LRS")
        .to_string();
    let kind = body["kind"].as_str().unwrap_or("StorageV2").to_string();
    if (kind == "FileStorage" || kind == "BlockBlobStorage") && tier(&sku) != "Premium" {
        return Err(ArmError::bad_request(
            "InvalidValuesForRequestParameters",
            "Values for request parameters are invalid: kind.",
        ));
    }
    // A create still running: answer like the first time (the client lost the response).
    if let Some(op) = lro::running(st, &id) {
        let op = op.id.clone();
        let mut reply = Reply::empty(StatusCode::ACCEPTED);
        for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), false, true) {
            reply = reply.header(k, v);
        }
        return Ok(reply);
    }
    if common::identical(existing.as_ref(), &body) {
        return Ok(Reply::ok(existing.map(|r| r.body).unwrap_or_default()));
    }
    let props_in = &body["properties"];
    let created = existing.as_ref().map(|r| r.created).unwrap_or(ctx.now());
    let created_s = common::rfc3339(created);
    let file_only = kind == "FileStorage";
    let endpoint = |svc: &str| format!("https://{name}.{svc}.core.windows.net/");
    let endpoints = if file_only {
        json!({"file": endpoint("file")})
    } else {
        json!({"dfs": endpoint("dfs"), "web": endpoint("z13.web"), "blob": endpoint("blob"), "queue": endpoint("queue"), "table": endpoint("table"), "file": endpoint("file")})
    };
    let mut props = json!({
        "keyCreationTime": {"key1": created_s, "key2": created_s},
        "privateEndpointConnections": [],
        "minimumTlsVersion": props_in["minimumTlsVersion"].as_str().unwrap_or("TLS1_0"),
        "allowBlobPublicAccess": props_in["allowBlobPublicAccess"].as_bool().unwrap_or(false),
        "supportsHttpsTrafficOnly": props_in["supportsHttpsTrafficOnly"].as_bool().unwrap_or(true),
        "networkAcls": props_in.get("networkAcls").cloned().unwrap_or(json!({"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow"})),
        "encryption": {
            "services": {
                "file": {"keyType": "Account", "enabled": true, "lastEnabledTime": created_s},
                "blob": {"keyType": "Account", "enabled": true, "lastEnabledTime": created_s}
            },
            "keySource": "Microsoft.Storage"
        },
        "provisioningState": if existing.is_some() { "Succeeded" } else { "Creating" },
        "creationTime": created_s,
        "primaryEndpoints": endpoints,
        "primaryLocation": location,
        "statusOfPrimary": "available",
    });
    if !file_only {
        props["accessTier"] = json!(props_in["accessTier"].as_str().unwrap_or("Hot"));
    }
    for key in [
        "allowSharedKeyAccess",
        "largeFileSharesState",
        "publicNetworkAccess",
        "isHnsEnabled",
        "isNfsV3Enabled",
    ] {
        if let Some(v) = props_in.get(key).filter(|v| !v.is_null()) {
            props[key] = v.clone();
        }
    }
    let mut account = json!({
        "sku": {"name": sku, "tier": tier(&sku)},
        "kind": kind,
        "id": existing.as_ref().map(|r| r.id.clone()).unwrap_or(id.clone()),
        "name": existing.as_ref().and_then(|r| r.body["name"].as_str().map(str::to_string)).unwrap_or(name),
        "type": ACCOUNT,
        "location": location,
        "tags": tags.unwrap_or(json!({})),
        "properties": props,
    });
    if let Some(identity) = body.get("identity").filter(|v| v.is_object()) {
        account["identity"] = identity.clone();
    }
    match existing {
        Some(mut r) => {
            // Updates of a provisioned account are synchronous.
            r.body = account.clone();
            r.request = body;
            st.insert(r);
            Ok(Reply::ok(account))
        }
        None => {
            let mut r = common::new_resource(ctx, &id, ACCOUNT, account, body);
            r.private = json!({"key1": random_key(), "key2": random_key()});
            st.insert(r);
            let op = lro::start(
                ctx,
                st,
                NewOp {
                    resource_id: &id,
                    kind: ACCOUNT,
                    action: OpAction::Create,
                    namespace: NS,
                    location: &location,
                    nominal_secs: ACCOUNT_SECS,
                    style: UrlStyle::Storage,
                    on_success: Final::Resource,
                    failure: None,
                },
            );
            let mut reply = Reply::empty(StatusCode::ACCEPTED);
            for (k, v) in lro::headers(ctx.shared, st, &op, ctx.now(), false, true) {
                reply = reply.header(k, v);
            }
            Ok(reply)
        }
    }
}

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

fn list_keys(ctx: &Ctx<'_>, st: &State, p: &ResPath) -> ArmResult {
    let _ = ctx;
    let account = st.get(&p.id()).ok_or_else(|| common::not_found(p))?;
    let created = account.body["properties"]["creationTime"].clone();
    let key = |k: &str| account.private[k].as_str().unwrap_or("").to_string();
    Ok(Reply::ok(json!({"keys": [
        {"creationTime": created, "keyName": "key1", "value": key("key1"), "permissions": "Full"},
        {"creationTime": created, "keyName": "key2", "value": key("key2"), "permissions": "Full"},
    ]})))
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
// One piece: blob containers and file shares share their PUT/GET/DELETE in one match on the method.
fn child(ctx: &Ctx<'_>, st: &mut State, p: &ResPath, kind: &str) -> ArmResult {
    let id = p.id();
    if !p.pairs[1].1.eq_ignore_ascii_case("default") {
        return Err(ArmError::bad_request(
            "InvalidResourceName",
            format!(
                "The service name '{}' is invalid: only 'default' is supported.",
                p.pairs[1].1
            ),
        ));
    }
    let is_share = kind == SHARE;
    match ctx.method().as_str() {
        "GET" => {
            st.get(&p.id_upto(1))
                .ok_or_else(|| common::parent_not_found(p, 1))?;
            st.get(&id)
                .map(|r| Reply::ok(r.body.clone()))
                .ok_or_else(|| {
                    let (code, what) = if is_share {
                        ("ShareNotFound", "share")
                    } else {
                        ("ContainerNotFound", "container")
                    };
                    ArmError::not_found(code, format!("The specified {what} does not exist."))
                })
        }
        "DELETE" => {
            st.get(&p.id_upto(1))
                .ok_or_else(|| common::parent_not_found(p, 1))?;
            let removed = st.remove_tree(&id);
            Ok(Reply::empty(if removed.is_empty() {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::OK
            }))
        }
        "PUT" => {
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
            let op = if is_share {
                "FileShares_Create"
            } else {
                "BlobContainers_Create"
            };
            let checked = schema::check_request(op, &raw)?;
            checked.raise("InvalidRequestPropertyValue")?;
            let body = checked.body;
            let kind_of_account = account.body["kind"].as_str().unwrap_or("");
            let premium = account.body["sku"]["tier"].as_str() == Some("Premium");
            let props_in = &body["properties"];
            let existing = st.get(&id).cloned();
            let now = common::rfc3339(ctx.now());
            let mut props = existing
                .as_ref()
                .map(|r| r.body["properties"].clone())
                .unwrap_or(json!({}));
            if is_share {
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
                let quota =
                    props_in["shareQuota"]
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
                let tier = props_in["accessTier"].as_str().unwrap_or(if premium {
                    "Premium"
                } else {
                    "TransactionOptimized"
                });
                if (tier == "Premium") != premium {
                    return Err(ArmError::bad_request(
                        "InvalidRequestPropertyValue",
                        format!(
                            "The access tier '{tier}' is not supported for this storage account."
                        ),
                    ));
                }
                props["shareQuota"] = json!(quota);
                props["enabledProtocols"] = json!(protocol);
                props["accessTier"] = json!(tier);
                props["accessTierChangeTime"] = json!(now);
                if let Some(rs) = props_in.get("rootSquash").filter(|v| !v.is_null()) {
                    props["rootSquash"] = rs.clone();
                }
                props["leaseStatus"] = json!("Unlocked");
                props["leaseState"] = json!("Available");
            } else {
                if kind_of_account == "FileStorage" {
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
                props["deleted"] = json!(false);
                props["remainingRetentionDays"] = json!(0);
                props["defaultEncryptionScope"] = json!("$account-encryption-key");
                props["denyEncryptionScopeOverride"] = json!(false);
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
        _ => Err(method_not_allowed(ctx)),
    }
}

/// A 64-byte account key, base64 like Azure's.
fn random_key() -> String {
    let mut bytes = Vec::with_capacity(64);
    for _ in 0..4 {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
