//! A storage account's PATCH (sku, tags and properties over the existing ones, answered 200
//! with the account) and `regenerateKey` (the named key replaced, both keys answered), as
//! Azure answers them (azure-mgmt-storage 11.2.0 recording, issue 15; checked 2026-12-07).

use serde_json::{Value, json};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::arm::router::ResPath;
use crate::state::State;

use super::common;
use super::{Account, random_key, sku_and_kind};

/// PATCH: what is given replaces what was asked (properties one by one); the account keeps its
/// name, location, kind and creation time.
pub(super) fn patch_account(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let given = common::body_object(ctx)?;
    let mut r = st
        .get(&p.id())
        .cloned()
        .ok_or_else(|| common::not_found(p))?;
    let mut request = r.request.clone();
    if !request.is_object() {
        request = json!({});
    }
    for key in ["sku", "tags", "identity"] {
        if let Some(v) = given.get(key).filter(|v| !v.is_null()) {
            request[key] = v.clone();
        }
    }
    if let Some(props) = given.get("properties").and_then(Value::as_object) {
        if !request["properties"].is_object() {
            request["properties"] = json!({});
        }
        for (k, v) in props {
            request["properties"][k] = v.clone();
        }
    }
    // The kind stays the account's: a PATCH cannot turn one kind into another.
    request["kind"] = r.body["kind"].clone();
    let (sku, kind) = sku_and_kind(&request)?;
    let account = Account {
        id: r.id.clone(),
        name: p.name().to_string(),
        location: r.body["location"].as_str().unwrap_or_default().to_string(),
        tags: common::tags(&request)?,
        sku,
        kind,
    };
    let rendered = account.render(ctx, Some(&r), &request);
    r.body = rendered.clone();
    r.request = request;
    st.insert(r);
    Ok(Reply::ok(rendered))
}

/// `regenerateKey {"keyName": "key1" | "key2"}`: that key replaced, both answered.
pub(super) fn regenerate_key(ctx: &Ctx<'_>, st: &mut State, p: &ResPath) -> ArmResult {
    let given = common::body_object(ctx)?;
    let name = given["keyName"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name != "key1" && name != "key2" {
        return Err(ArmError::bad_request(
            "InvalidValuesForRequestParameters",
            "Values for request parameters are invalid: keyName.",
        ));
    }
    let mut r = st
        .get(&p.id())
        .cloned()
        .ok_or_else(|| common::not_found(p))?;
    if !r.private.is_object() {
        r.private = json!({});
    }
    r.private[name.as_str()] = json!(random_key());
    st.insert(r);
    super::list_keys(ctx, st, p)
}
