use time::macros::datetime;

use super::*;

const NOW: OffsetDateTime = datetime!(2026-11-25 09:00 UTC);

fn hosts() -> Vec<Fqdn> {
    [
        "katonic.example.com",
        "dash-katonic.example.com",
        "connectors-katonic.example.com",
    ]
    .iter()
    .map(|h| Fqdn::parse(h).unwrap())
    .collect()
}

fn issue(names: &[&str], days: (i64, i64)) -> (String, String) {
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.not_before = NOW + Duration::days(days.0);
    params.not_after = NOW + Duration::days(days.1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn a_wildcard_covers_the_domain_and_both_addon_hosts() {
    let (cert, key) = issue(&["*.example.com"], (-1, 90));
    let material = check_uploaded(&cert, &key, &hosts(), NOW).unwrap();
    assert!(!material.self_signed);
    assert!(!expires_soon(&material, NOW));
}

#[test]
fn missing_addon_host_is_named_with_the_fix() {
    let (cert, key) = issue(
        &["katonic.example.com", "dash-katonic.example.com"],
        (-1, 90),
    );
    let err = check_uploaded(&cert, &key, &hosts(), NOW).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("connectors-katonic.example.com"), "{text}");
    assert!(
        !text.contains("does not cover katonic.example.com"),
        "{text}"
    );
    assert!(text.contains("*.example.com"), "{text}");
}

#[test]
fn a_wildcard_does_not_cover_deeper_names() {
    assert!(!covers("*.example.com", "a.b.example.com"));
    assert!(!covers("*.example.com", "example.com"));
    assert!(covers("*.example.com", "dash-katonic.example.com"));
}

#[test]
fn a_key_from_another_certificate_is_refused() {
    let (cert, _) = issue(&["*.example.com"], (-1, 90));
    let (_, other_key) = issue(&["*.example.com"], (-1, 90));
    assert_eq!(
        check_uploaded(&cert, &other_key, &hosts(), NOW).unwrap_err(),
        TlsError::KeyMismatch
    );
}

#[test]
fn expired_and_future_certificates_are_refused() {
    let (cert, key) = issue(&["*.example.com"], (-100, -1));
    assert!(matches!(
        check_uploaded(&cert, &key, &hosts(), NOW),
        Err(TlsError::Expired(_))
    ));
    let (cert, key) = issue(&["*.example.com"], (2, 90));
    assert!(matches!(
        check_uploaded(&cert, &key, &hosts(), NOW),
        Err(TlsError::NotYetValid(_))
    ));
}

#[test]
fn garbage_is_a_field_error_not_a_panic() {
    assert_eq!(
        check_uploaded("hello", "world", &hosts(), NOW).unwrap_err(),
        TlsError::NoCertificate
    );
    let (cert, _) = issue(&["*.example.com"], (-1, 90));
    assert_eq!(
        check_uploaded(&cert, "not a key", &hosts(), NOW).unwrap_err(),
        TlsError::NoKey
    );
}

#[test]
fn soon_expiring_certificate_is_flagged() {
    let (cert, key) = issue(&["*.example.com"], (-300, 10));
    let material = check_uploaded(&cert, &key, &hosts(), NOW).unwrap();
    assert!(expires_soon(&material, NOW));
}

#[test]
fn generated_trial_certificate_passes_its_own_check() {
    let material = self_signed(&hosts(), NOW).unwrap();
    assert!(material.self_signed);
    let checked = check_uploaded(
        &material.cert_chain_pem,
        secrecy::ExposeSecret::expose_secret(&material.key_pem),
        &hosts(),
        NOW,
    )
    .unwrap();
    assert_eq!(checked.not_after, material.not_after);
    assert!(!format!("{material:?}").contains("PRIVATE KEY"));
}

#[test]
fn the_summary_names_the_leaf_and_its_fingerprint_never_the_key() {
    let (cert, key) = issue(&["*.example.com", "katonic.example.com"], (-1, 90));
    let summary = summarize(&cert).unwrap();
    assert_eq!(summary.names, ["*.example.com", "katonic.example.com"]);
    assert_eq!(
        summary.not_after,
        (NOW + Duration::days(90)).replace_nanosecond(0).unwrap()
    );
    assert_eq!(summary.chain_len, 1);
    // 32 bytes as colon-separated hex.
    assert_eq!(summary.fingerprint.len(), 32 * 3 - 1);
    assert!(
        summary
            .fingerprint
            .chars()
            .all(|c| c == ':' || c.is_ascii_hexdigit())
    );
    assert!(!format!("{summary:?}").contains(&key[30..60]));
    assert_eq!(summarize("nothing").unwrap_err(), TlsError::NoCertificate);
}

#[test]
fn each_error_names_its_field_rule_and_fix() {
    assert_eq!(TlsError::KeyMismatch.field(), KEY_FIELD);
    assert_eq!(
        TlsError::Expired("2026-01-01 00:00 UTC".into()).field(),
        CERTIFICATE_FIELD
    );
    let text = TlsError::Expired("2026-01-01 00:00 UTC".into()).to_string();
    assert_eq!(
        text,
        "domain.tls.certificate: expired on 2026-01-01 00:00 UTC; renew it and upload the new one"
    );
}
