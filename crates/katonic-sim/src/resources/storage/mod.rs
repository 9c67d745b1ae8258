//! Storage accounts (legacy LRO: 202 + `Location`, no body), global name checks, keys, and
//! blob containers / file shares (synchronous, the account must be provisioned).

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::lro::{self, Final, NewOp, OpAction, UrlStyle};
use crate::arm::router::ResPath;
use crate::schema;
use crate::state::{Resource, State};

use super::common::{self, method_not_allowed};

mod children;
mod update;

use children::{CONTAINER, SHARE, child};

pub(crate) const ACCOUNT: &str = "Microsoft.Storage/storageAccounts";
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
            "PATCH" => update::patch_account(ctx, st, p),
            _ => Err(method_not_allowed(ctx)),
        },
        (1, Some(t)) if m == "POST" && t.eq_ignore_ascii_case("listKeys") => list_keys(ctx, st, p),
        (1, Some(t)) if m == "POST" && t.eq_ignore_ascii_case("regenerateKey") => {
            update::regenerate_key(ctx, st, p)
        }
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
        name_is_free(ctx, st, &name)?;
    }
    common::same_location(existing.as_ref(), &location, p)?;
    first_issue(&checked.issues)?;
    let (sku, kind) = sku_and_kind(&body)?;
    // A create still running: answer like the first time (the client lost the response).
    if let Some(op) = lro::running(st, &id) {
        let op = op.id.clone();
        return Ok(accepted(ctx, st, &op));
    }
    if common::identical(existing.as_ref(), &body) {
        return Ok(Reply::ok(existing.map(|r| r.body).unwrap_or_default()));
    }
    let account = Account {
        id,
        name,
        location,
        tags,
        sku,
        kind,
    };
    let rendered = account.render(ctx, existing.as_ref(), &body);
    save_account(ctx, st, existing, &account, rendered, body)
}

/// A new account's name must be free in Azure (another tenant) and in this subscription.
fn name_is_free(ctx: &Ctx<'_>, st: &State, name: &str) -> Result<(), ArmError> {
    match holder(ctx, st, name) {
        Some(None) => Err(ArmError::conflict(
            "StorageAccountAlreadyTaken",
            format!("The storage account named {name} is already taken."),
        )),
        Some(Some(other)) => Err(ArmError::conflict(
            "StorageAccountInAnotherResourceGroup",
            format!(
                "The account {name} is already in another resource group in this subscription ({other})."
            ),
        )),
        None => Ok(()),
    }
}

/// Storage reports the first schema issue by its top-level field.
fn first_issue(issues: &[schema::Issue]) -> Result<(), ArmError> {
    let Some(issue) = issues.first() else {
        return Ok(());
    };
    let field = issue
        .path
        .split('.')
        .next()
        .unwrap_or(&issue.path)
        .to_string();
    Err(ArmError::bad_request(
        "InvalidValuesForRequestParameters",
        format!("Values for request parameters are invalid: {field}."),
    )
    .target(field))
}

/// The SKU and kind, defaulted; premium-only kinds need a premium SKU.
fn sku_and_kind(body: &Value) -> Result<(String, String), ArmError> {
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
    Ok((sku, kind))
}

/// 202 with the operation's `Location` headers (legacy storage LRO).
fn accepted(ctx: &Ctx<'_>, st: &State, op: &str) -> Reply {
    let mut reply = Reply::empty(StatusCode::ACCEPTED);
    for (k, v) in lro::headers(ctx.shared, st, op, ctx.now(), false, true) {
        reply = reply.header(k, v);
    }
    reply
}

/// What a PUT asks for, checked.
struct Account {
    id: String,
    name: String,
    location: String,
    tags: Option<Value>,
    sku: String,
    kind: String,
}

impl Account {
    /// The stored body; an existing account keeps its id, name and creation time.
    fn render(&self, ctx: &Ctx<'_>, existing: Option<&Resource>, body: &Value) -> Value {
        let created = existing.map(|r| r.created).unwrap_or(ctx.now());
        let props = self.properties(&body["properties"], created, existing.is_some());
        let mut account = json!({
            "sku": {"name": self.sku, "tier": tier(&self.sku)},
            "kind": self.kind,
            "id": existing.map(|r| r.id.clone()).unwrap_or(self.id.clone()),
            "name": existing.and_then(|r| r.body["name"].as_str().map(str::to_string)).unwrap_or(self.name.clone()),
            "type": ACCOUNT,
            "location": self.location,
            "tags": self.tags.clone().unwrap_or(json!({})),
            "properties": props,
        });
        if let Some(identity) = body.get("identity").filter(|v| v.is_object()) {
            account["identity"] = identity.clone();
        }
        account
    }

    /// A geo-redundant account's copy in the paired region, and for read access (RA-GRS,
    /// RA-GZRS) its `-secondary` endpoints, as Azure answers them (issue 15).
    fn secondary(&self, props: &mut Value) {
        let sku = self.sku.to_ascii_uppercase();
        let Some(pair) = super::regions::paired(&self.location)
            .filter(|_| sku.contains("GRS") || sku.contains("GZRS"))
        else {
            return;
        };
        props["secondaryLocation"] = json!(pair);
        props["statusOfSecondary"] = json!("available");
        if sku.contains("_RA") {
            let name = &self.name;
            let endpoint = |svc: &str| format!("https://{name}-secondary.{svc}.core.windows.net/");
            props["secondaryEndpoints"] = json!({"dfs": endpoint("dfs"), "web": endpoint("z13.web"),
                "blob": endpoint("blob"), "queue": endpoint("queue"), "table": endpoint("table")});
        }
    }

    fn properties(&self, props_in: &Value, created: OffsetDateTime, exists: bool) -> Value {
        let created_s = common::rfc3339(created);
        let file_only = self.kind == "FileStorage";
        let name = &self.name;
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
            "provisioningState": if exists { "Succeeded" } else { "Creating" },
            "creationTime": created_s,
            "primaryEndpoints": endpoints,
            "primaryLocation": self.location,
            "statusOfPrimary": "available",
        });
        if !file_only {
            props["accessTier"] = json!(props_in["accessTier"].as_str().unwrap_or("Hot"));
        }
        self.secondary(&mut props);
        for key in OPTIONAL_PROPERTIES {
            if let Some(v) = props_in.get(key).filter(|v| !v.is_null()) {
                props[key] = v.clone();
            }
        }
        props
    }
}

/// Properties stored only when the request sets them.
const OPTIONAL_PROPERTIES: [&str; 5] = [
    "allowSharedKeyAccess",
    "largeFileSharesState",
    "publicNetworkAccess",
    "isHnsEnabled",
    "isNfsV3Enabled",
];

/// Updates of a provisioned account are synchronous; a new one starts its create operation.
fn save_account(
    ctx: &Ctx<'_>,
    st: &mut State,
    existing: Option<Resource>,
    account: &Account,
    rendered: Value,
    body: Value,
) -> ArmResult {
    if let Some(mut r) = existing {
        r.body = rendered.clone();
        r.request = body;
        st.insert(r);
        return Ok(Reply::ok(rendered));
    }
    let id = &account.id;
    let mut r = common::new_resource(ctx, id, ACCOUNT, rendered, body);
    r.private = json!({"key1": random_key(), "key2": random_key()});
    st.insert(r);
    let op = lro::start(
        ctx,
        st,
        NewOp {
            resource_id: id,
            kind: ACCOUNT,
            action: OpAction::Create,
            namespace: NS,
            location: &account.location,
            nominal_secs: ACCOUNT_SECS,
            style: UrlStyle::Storage,
            on_success: Final::Resource,
            failure: None,
        },
    );
    Ok(accepted(ctx, st, &op))
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

/// A 64-byte account key, base64 like Azure's.
fn random_key() -> String {
    let mut bytes = Vec::with_capacity(64);
    for _ in 0..4 {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
