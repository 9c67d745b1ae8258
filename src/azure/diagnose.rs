//! What a failure to reach or sign in to Azure actually is, worded for the admin who must fix it:
//! a network with no route (or no DNS) to Entra ID or ARM, a proxy intercepting TLS, Entra ID
//! refusing the credentials (with its `AADSTS` code), or ARM refusing the identity. Telling them
//! apart matters: an admin told "bad credentials" rotates a secret when the proxy is at fault.
//!
//! The token and transport errors arrive as text (azure_identity and reqwest errors), so the
//! classification reads their wording; anything unrecognised stays "other", quoted as is.

use super::error::ArmError;

/// The kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No connection (DNS, refused, unreachable, timed out) to Entra ID or ARM.
    NoRoute,
    /// The TLS handshake failed on the certificate: a proxy or firewall re-signing traffic.
    TlsInterception,
    /// Entra ID answered and refused the credentials.
    Refused,
    /// ARM answered and refused the identity (401/403).
    NotAuthorized,
    Other,
}

/// A failure, classified: what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    pub problem: Problem,
    /// `NoRoute`, `TlsInterception`, the `AADSTS…` code, ARM's code, or the error's code.
    pub code: String,
    pub message: String,
    pub fix: String,
}

/// The `AADSTS` code in an Entra ID error text (`AADSTS7000215`), if any.
fn aadsts_code(text: &str) -> Option<String> {
    let start = text.find("AADSTS")?;
    let digits: String = text[start + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("AADSTS{digits}"))
}

/// What to do about an Entra ID refusal. Codes and their meaning from Microsoft's
/// "Troubleshoot service principal authentication" (checked 2026-12-07).
fn refusal_fix(code: &str) -> &'static str {
    match code {
        "AADSTS7000215" => {
            "The client secret is wrong: give the secret's value (not its ID) on the settings \
             page (/settings) or in AZURE_CLIENT_SECRET; if unsure, create a new secret."
        }
        "AADSTS7000222" => {
            "The client secret has expired: create a new one for the app registration and \
             give it on the settings page (/settings)."
        }
        "AADSTS700016" => {
            "No such application in this tenant: check the client id and the tenant id on the \
             settings page (/settings)."
        }
        "AADSTS90002" => "No such tenant: check the tenant id on the settings page (/settings).",
        _ => {
            "Entra ID refused the console's credentials: check the tenant id, client id and \
             secret on the settings page (/settings); the code above says what Entra ID found."
        }
    }
}

const NO_ROUTE_WORDS: &[&str] = &[
    "dns error",
    "failed to lookup address",
    "name or service not known",
    "connection refused",
    "no route to host",
    "network is unreachable",
    "timed out",
    "tcp connect error",
    "error trying to connect",
    "connection reset",
];

const TLS_WORDS: &[&str] = &[
    "certificate",
    "unknownissuer",
    "invalid peer",
    "self signed",
    "self-signed",
    "handshake",
];

fn contains_any(text: &str, words: &[&str]) -> bool {
    let lower = text.to_ascii_lowercase();
    words.iter().any(|w| lower.contains(w))
}

/// Classify a failure of the console's first calls to Azure; `host` names where it was going.
pub fn diagnose(error: &ArmError) -> Diagnosis {
    let text = error.to_string();
    let diagnosis = |problem, code: String, message: String, fix: &str| Diagnosis {
        problem,
        code,
        message,
        fix: fix.to_string(),
    };
    let target = match error {
        ArmError::Auth(_) => "Entra ID (the token endpoint)",
        _ => "Azure Resource Manager",
    };
    if let Some(code) = aadsts_code(&text) {
        let message = format!("Entra ID refused the console's credentials ({code}): {text}");
        return diagnosis(Problem::Refused, code.clone(), message, refusal_fix(&code));
    }
    if matches!(error, ArmError::Auth(_) | ArmError::Transport { .. }) {
        if contains_any(&text, TLS_WORDS) {
            return diagnosis(
                Problem::TlsInterception,
                "TlsInterception".into(),
                format!("the TLS connection to {target} failed on its certificate: {text}"),
                "A proxy or firewall on the way re-signs HTTPS traffic: give the console its CA \
                 certificate with --ca-file (PEM), or let the console's traffic to \
                 login.microsoftonline.com and management.azure.com through unchanged.",
            );
        }
        if contains_any(&text, NO_ROUTE_WORDS) {
            return diagnosis(
                Problem::NoRoute,
                "NoRoute".into(),
                format!("no connection to {target}: {text}"),
                "This is the network, not the credentials: allow HTTPS (443) from this machine to \
                 login.microsoftonline.com and management.azure.com (an NSG, firewall or route \
                 table may block it), fix DNS for them, or set HTTPS_PROXY to your proxy.",
            );
        }
    }
    match error {
        ArmError::Api(f) if f.status == 401 || f.status == 403 => diagnosis(
            Problem::NotAuthorized,
            f.code.clone(),
            format!(
                "Azure Resource Manager refused the console's identity: {}",
                f.message
            ),
            "The identity signed in but lacks a role: grant it Contributor and User Access \
             Administrator (or Owner) on the subscription or resource group, then test again.",
        ),
        other => diagnosis(
            Problem::Other,
            other.code().to_string(),
            other.message(),
            "Check the settings page (/settings) and the console's log.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entra_refusal_names_its_code_and_the_fix() {
        let e = ArmError::Auth("ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided. Trace ID: x".into());
        let d = diagnose(&e);
        assert_eq!(
            (d.problem, d.code.as_str()),
            (Problem::Refused, "AADSTS7000215")
        );
        assert!(d.fix.contains("secret's value"), "{d:?}");
    }

    #[test]
    fn a_network_failure_is_not_called_bad_credentials() {
        let e = ArmError::Auth("error sending request for url (https://127.0.0.1:9/tenant/oauth2/v2.0/token): client error (Connect): tcp connect error: Connection refused (os error 111)".into());
        let d = diagnose(&e);
        assert_eq!(d.problem, Problem::NoRoute, "{d:?}");
        assert!(d.message.contains("Entra ID") && d.fix.contains("not the credentials"));
        let dns = ArmError::Transport {
            url: "https://management.azure.com".into(),
            message: "dns error: failed to lookup address information".into(),
        };
        assert_eq!(diagnose(&dns).problem, Problem::NoRoute);
        assert!(diagnose(&dns).message.contains("Azure Resource Manager"));
    }

    #[test]
    fn a_proxy_certificate_points_at_ca_file() {
        let e =
            ArmError::Auth("error sending request: invalid peer certificate: UnknownIssuer".into());
        let d = diagnose(&e);
        assert_eq!(d.problem, Problem::TlsInterception);
        assert!(d.fix.contains("--ca-file"));
    }
}
