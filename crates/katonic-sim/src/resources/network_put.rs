//! The start every Microsoft.Network resource PUT shares (public IPs, NAT gateways, application
//! gateways, WAF policies): the body read and checked against the spec, then ARM's preconditions
//! in Azure's order, and the id and name the resource keeps.

use serde_json::Value;

use crate::arm::Ctx;
use crate::arm::errors::ArmError;
use crate::arm::router::ResPath;
use crate::resources::common;
use crate::schema;
use crate::state::{Resource, State};

/// A Network PUT that passed the shared checks.
pub(crate) struct NetworkPut {
    /// The request body, checked against `op`'s schema.
    pub body: Value,
    pub location: String,
    pub tags: Option<Value>,
    /// The id as addressed (the stored one may differ in case).
    pub id: String,
    pub existing: Option<Resource>,
    /// The stored resource's id, else the addressed one.
    pub canonical_id: String,
    /// The stored resource's name, else the addressed one.
    pub name: String,
}

/// Read and check a PUT of `kind` (operation `op`): unknown members, the schema, the location,
/// tags, If-Match/If-None-Match, an operation in flight, a moved location, then the schema's
/// own refusal, in that order (as Azure answers them).
pub(crate) fn begin(
    ctx: &Ctx<'_>,
    st: &State,
    p: &ResPath,
    op: &str,
    kind: &str,
) -> Result<NetworkPut, ArmError> {
    let raw = common::body_object(ctx)?;
    schema::network_unknown_members(op, &raw)?;
    let checked = schema::check_request(op, &raw)?;
    let body = checked.body.clone();
    let location = common::location(ctx, &body, kind)?;
    let tags = common::tags(&body)?;
    let id = p.id();
    let existing = st.get(&id).cloned();
    common::preconditions(ctx, existing.as_ref())?;
    common::busy(ctx, st, &id, false)?;
    common::same_location(existing.as_ref(), &location, p)?;
    checked.raise("InvalidRequestFormat")?;
    let canonical_id = existing.as_ref().map_or(id.clone(), |r| r.id.clone());
    let name = existing
        .as_ref()
        .and_then(|r| r.body["name"].as_str().map(str::to_string))
        .unwrap_or(p.name().to_string());
    Ok(NetworkPut {
        body,
        location,
        tags,
        id,
        existing,
        canonical_id,
        name,
    })
}
