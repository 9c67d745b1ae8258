//! Subscription preview features (`Microsoft.Features`): `GET …/providers/Microsoft.Features/
//! providers/{namespace}/features/{name}` and `POST …/register`, shaped as Azure answers them
//! (`{"properties": {"state"}, "id", "type": "Microsoft.Features/providers/features", "name":
//! "{namespace}/{name}"}`, documented examples checked 2026-12-07). A feature is registered when
//! the catalogue lists it (`features.registered`) or it was registered since; registration goes
//! `Registering` → `Registered` after the providers' registration time.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::arm::Ctx;
use crate::arm::errors::{ArmError, ArmResult, Reply};
use crate::state::{ProviderReg, State};

use super::common::method_not_allowed;

fn key(ns: &str, name: &str) -> String {
    format!("{ns}/{name}").to_ascii_lowercase()
}

/// The feature's state now: the state's record (settled if its time has come), else the
/// catalogue's default.
pub(crate) fn state_of(
    catalog: &crate::catalog::Catalog,
    st: &State,
    ns: &str,
    name: &str,
    now: OffsetDateTime,
) -> &'static str {
    if let Some(reg) = st.features.get(&key(ns, name)) {
        return match reg.state.as_str() {
            "Registering" if reg.registered_at.is_some_and(|t| t <= now) => "Registered",
            "Registering" => "Registering",
            "Registered" => "Registered",
            _ => "NotRegistered",
        };
    }
    let listed = catalog
        .features
        .registered
        .iter()
        .any(|f| f.eq_ignore_ascii_case(&format!("{ns}/{name}")));
    if listed {
        "Registered"
    } else {
        "NotRegistered"
    }
}

/// Set a feature's state (tests and rehearsals that start without it).
pub(crate) fn set(st: &mut State, ns: &str, name: &str, registered: bool) {
    st.features.insert(
        key(ns, name),
        ProviderReg {
            namespace: format!("{ns}/{name}"),
            state: if registered {
                "Registered"
            } else {
                "NotRegistered"
            }
            .into(),
            registered_at: None,
        },
    );
}

fn body(st: &State, ns: &str, name: &str, state: &str) -> Value {
    json!({
        "properties": {"state": state},
        "id": format!(
            "/subscriptions/{}/providers/Microsoft.Features/providers/{ns}/features/{name}",
            st.account.subscription_id
        ),
        "type": "Microsoft.Features/providers/features",
        "name": format!("{ns}/{name}"),
    })
}

/// `rest` after `providers/Microsoft.Features/`: `providers/{ns}/features/{name}[/register]`.
pub(crate) fn provider_op(ctx: &Ctx<'_>, st: &mut State, rest: &[String]) -> ArmResult {
    let eq = |a: &String, b: &str| a.eq_ignore_ascii_case(b);
    let (ns, name, register) = match rest {
        [p, ns, f, name] if eq(p, "providers") && eq(f, "features") => (ns, name, false),
        [p, ns, f, name, r] if eq(p, "providers") && eq(f, "features") && eq(r, "register") => {
            (ns, name, true)
        }
        _ => {
            return Err(ArmError::bad_request(
                "InvalidResourceType",
                format!(
                    "The resource type '{}' could not be found in the namespace 'Microsoft.Features' for api version.",
                    rest.first().map(String::as_str).unwrap_or("")
                ),
            ));
        }
    };
    let method = ctx.method().as_str();
    match (register, method) {
        (false, "GET") => {
            let state = state_of(ctx.catalog(), st, ns, name, ctx.now());
            Ok(Reply::ok(body(st, ns, name, state)))
        }
        (true, "POST") => {
            if state_of(ctx.catalog(), st, ns, name, ctx.now()) == "NotRegistered" {
                let secs = ctx.catalog().providers.registration_seconds * ctx.shared.time_scale;
                // Clamped: a catalogue value of `.inf` or NaN must not panic.
                let secs = if secs.is_finite() {
                    secs.clamp(0.0, 86_400.0)
                } else {
                    0.0
                };
                st.features.insert(
                    key(ns, name),
                    ProviderReg {
                        namespace: format!("{ns}/{name}"),
                        state: "Registering".into(),
                        registered_at: Some(ctx.now() + Duration::seconds_f64(secs)),
                    },
                );
                return Ok(Reply::ok(body(st, ns, name, "Registering")));
            }
            let state = state_of(ctx.catalog(), st, ns, name, ctx.now());
            Ok(Reply::ok(body(st, ns, name, state)))
        }
        _ => Err(method_not_allowed(ctx)),
    }
}
