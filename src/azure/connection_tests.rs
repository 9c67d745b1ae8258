//! Tests of the Azure connection entered on the settings page: parsing, the secret never echoed, and flags winning over saved settings.

use super::*;
use secrecy::ExposeSecret;

const TENANT: &str = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d";
const CLIENT: &str = "11111111-2222-4333-8444-555555555555";

fn flags() -> ArmSettings {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        arm: ArmSettings,
    }
    Wrapper::parse_from(["test"]).arm
}

fn sp(secret: &str) -> ConnectionInput {
    ConnectionInput {
        credential: "service-principal".into(),
        cloud: "public".into(),
        tenant_id: TENANT.into(),
        client_id: CLIENT.into(),
        managed_identity_client_id: String::new(),
        client_secret: Some(SecretString::from(secret.to_string())),
    }
}

#[test]
fn a_service_principal_parses_and_its_secret_is_replaced() {
    let (c, change) = sp("a-40-character-secret~xxxxxxxxxxxxxxxxxx")
        .parse(false, false)
        .unwrap();
    assert_eq!(c.credential, CredentialChoice::ServicePrincipal);
    assert_eq!(c.tenant_id.as_deref(), Some(TENANT));
    assert!(matches!(change, SecretChange::Replace(s) if s.expose_secret().starts_with("a-40")));
    // Empty keeps what is stored.
    let (_, change) = sp("").parse(true, false).unwrap();
    assert!(matches!(change, SecretChange::Keep));
}

#[test]
fn each_bad_field_is_named_and_the_secret_never_echoed() {
    let input = ConnectionInput {
        credential: "password".into(),
        cloud: "mars".into(),
        tenant_id: "contoso".into(),
        client_id: "12".into(),
        managed_identity_client_id: String::new(),
        client_secret: Some(SecretString::from(" padded-secret-value ".to_string())),
    };
    let errors = input.parse(false, false).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    for f in [
        field::CREDENTIAL,
        field::CLOUD,
        field::TENANT_ID,
        field::CLIENT_ID,
        field::CLIENT_SECRET,
    ] {
        assert!(fields.contains(&f), "{f} in {errors:?}");
    }
    assert!(!format!("{errors:?}").contains("padded-secret-value"));
}

#[test]
fn a_service_principal_without_any_secret_is_refused() {
    let errors = sp("").parse(false, false).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, field::CLIENT_SECRET);
    assert_eq!(errors[0].rule, "required");
    // Clearing the stored one leaves none either.
    let errors = sp("").parse(true, true).unwrap_err();
    assert_eq!(errors[0].rule, "required");
    // Managed identity needs none.
    let mi = ConnectionInput {
        credential: "managed-identity".into(),
        ..ConnectionInput::default()
    };
    let (c, change) = mi.parse(true, true).unwrap();
    assert_eq!(c.credential, CredentialChoice::ManagedIdentity);
    assert!(matches!(change, SecretChange::Clear));
}

#[test]
fn flags_that_are_given_win_over_saved_settings() {
    let saved = SavedConnection {
        connection: Connection {
            credential: CredentialChoice::ServicePrincipal,
            cloud: CloudChoice::China,
            tenant_id: Some(TENANT.into()),
            client_id: Some(CLIENT.into()),
            managed_identity_client_id: None,
        },
        client_secret: Some(SecretString::from("saved-secret-value".to_string())),
        revision: 1,
    };
    let none = effective(&flags(), Some(&saved));
    assert_eq!(none.cloud, Cloud::China);
    assert_eq!(none.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(
        none.client_secret.as_ref().unwrap().expose_secret(),
        "saved-secret-value"
    );
    let mut given = flags();
    given.cloud = Cloud::UsGov;
    given.client_id = Some("flag-client".into());
    given.client_secret = Some(SecretString::from("env-secret-value".to_string()));
    let both = effective(&given, Some(&saved));
    assert_eq!(both.cloud, Cloud::UsGov);
    assert_eq!(both.client_id.as_deref(), Some("flag-client"));
    assert_eq!(both.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(
        both.client_secret.as_ref().unwrap().expose_secret(),
        "env-secret-value"
    );
    let o = overrides(&given);
    assert!(o.any() && o.client_secret);
    assert_eq!(o.cloud.as_deref(), Some("usgov"));
    assert!(!overrides(&flags()).any());
    assert!(!format!("{none:?}").contains("saved-secret-value"));
}
