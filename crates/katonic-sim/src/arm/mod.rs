//! ARM front door: authentication, api-version, throttling, subscription and RBAC checks, then
//! the resource handlers; saves the state after any change.

pub(crate) mod auth;
pub(crate) mod errors;
pub(crate) mod lro;
mod metadata;
pub(crate) mod router;
pub(crate) mod throttle;
pub(crate) mod versions;

use axum::http::Method;

use self::errors::{ArmError, ArmResult, Reply};
use super::catalog::Catalog;
use super::faults::Effects;
use super::server::{Req, Shared};

/// What a resource handler knows about the request it serves.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub req: &'a Req,
    pub fx: &'a Effects,
    /// Object id of the caller.
    pub caller: String,
    pub api_version: String,
}

impl Ctx<'_> {
    pub fn catalog(&self) -> &Catalog {
        &self.shared.catalog
    }

    pub fn method(&self) -> &Method {
        &self.req.method
    }

    pub fn now(&self) -> time::OffsetDateTime {
        self.req.now
    }
}

/// Serve one ARM request; errors become ARM envelopes.
pub(crate) fn handle(shared: &Shared, req: &Req, fx: &Effects) -> Reply {
    match handle_inner(shared, req, fx) {
        Ok(r) => r,
        Err(e) => e.into_reply(),
    }
}

fn handle_inner(shared: &Shared, req: &Req, fx: &Effects) -> ArmResult {
    if req.seg_is(0, "metadata") && req.seg_is(1, "endpoints") && req.segs.len() == 2 {
        return metadata::endpoints(shared, req);
    }
    if !req.seg_is(0, "subscriptions") {
        return Err(ArmError::not_found(
            "InvalidRequestUri",
            format!("The request URI '{}' is not valid.", req.path),
        ));
    }
    let caller = auth::authenticate(shared, req)?;
    let route = router::parse(req)?;
    let account = shared.lock().account.clone();
    // The scope of permission checks: the subscription the request names.
    let sub = req
        .segs
        .get(1)
        .cloned()
        .unwrap_or_else(|| account.subscription_id.clone());
    if let Some(s) = req.segs.get(1)
        && !account.has_subscription(s)
    {
        return Err(ArmError::not_found(
            "SubscriptionNotFound",
            format!("The subscription '{s}' could not be found."),
        ));
    }
    let api_version = versions::check(&route, req.q("api-version"), "eastus")?;
    let class = match req.method.as_str() {
        "GET" | "HEAD" => throttle::Class::Read,
        "DELETE" => throttle::Class::Delete,
        _ => throttle::Class::Write,
    };
    if let Err(wait) = shared
        .limits
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take(class, req.now)
    {
        return Err(throttle::too_many(wait));
    }
    if let Some((action, scope)) = auth::action_for(&route, req, &sub)
        && !auth::permitted(shared, &action)
    {
        return Err(auth::authorization_failed(&caller, &action, &scope));
    }
    let ctx = Ctx {
        shared,
        req,
        fx,
        caller,
        api_version,
    };
    // Run Command takes the state lock itself: its kubectl calls reach the API server's handler.
    if let Some(answer) = super::resources::aks::run_command::intercept(&ctx, &route) {
        return answer;
    }
    let mut st = shared.lock();
    let settled = lro::settle(shared, &mut st, req.now);
    let result = super::resources::dispatch(&ctx, &mut st, &route);
    if (settled || !is_read(&req.method))
        && let Err(e) = shared.store.save(&st)
    {
        tracing::warn!(error = %e, "cannot save simulator state");
    }
    result
}

fn is_read(m: &Method) -> bool {
    m == Method::GET || m == Method::HEAD
}
