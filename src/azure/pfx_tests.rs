use super::*;
use p12_keystore::Pkcs12ImportPolicy;

fn pair() -> (String, SecretString) {
    let mut params =
        rcgen::CertificateParams::new(vec!["katonic.example.com".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "katonic.example.com");
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), SecretString::from(key.serialize_pem()))
}

fn decode(pfx: &Pfx) -> KeyStore {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pfx.base64.expose_secret())
        .unwrap();
    KeyStore::from_pkcs12(
        &bytes,
        pfx.password.expose_secret(),
        Pkcs12ImportPolicy::default(),
    )
    .unwrap()
}

#[test]
fn the_pfx_opens_with_its_password_and_holds_the_key_and_chain() {
    let (chain, key) = pair();
    let pfx = build(&chain, &key).unwrap();
    let store = decode(&pfx);
    let (_, entry) = store.private_key_chain().unwrap();
    assert_eq!(entry.certs().len(), 1);
    assert_eq!(entry.certs()[0].subject(), "CN=katonic.example.com");
    // The key inside is the key given (PKCS#8 DER, as rcgen wrote it).
    let der = PrivateKeyDer::from_pem_slice(key.expose_secret().as_bytes()).unwrap();
    assert_eq!(entry.key().as_der(), der.secret_der());
    // A wrong password does not open it.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pfx.base64.expose_secret())
        .unwrap();
    assert!(KeyStore::from_pkcs12(&bytes, "wrong", Pkcs12ImportPolicy::default()).is_err());
}

#[test]
fn passwords_are_alphanumeric_fresh_and_never_printed() {
    let (chain, key) = pair();
    let a = build(&chain, &key).unwrap();
    let b = build(&chain, &key).unwrap();
    for p in [&a.password, &b.password] {
        let p = p.expose_secret();
        assert_eq!(p.len(), PASSWORD_LEN);
        assert!(p.chars().all(|c| c.is_ascii_alphanumeric()), "{p}");
    }
    assert_ne!(a.password.expose_secret(), b.password.expose_secret());
    let printed = format!("{a:?}");
    assert!(!printed.contains(a.password.expose_secret()));
    assert!(!printed.contains(&a.base64.expose_secret()[..16]));
}

#[test]
fn the_legacy_3des_sha1_suite_is_written() {
    let (chain, key) = pair();
    let pfx = build(&chain, &key).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(pfx.base64.expose_secret())
        .unwrap();
    // pbeWithSHAAnd3-KeyTripleDES-CBC (1.2.840.113549.1.12.1.3) and SHA-1 (1.3.14.3.2.26).
    let triple_des = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03];
    let sha1 = [0x2b, 0x0e, 0x03, 0x02, 0x1a];
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(&triple_des), "3DES not used");
    assert!(has(&sha1), "SHA-1 MAC not used");
    // and not PBES2 (1.2.840.113549.1.5.13), which Azure refuses.
    assert!(!has(&[
        0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d
    ]));
}

#[test]
fn an_rsa_pkcs1_key_is_wrapped_and_a_sec1_key_gets_a_fix() {
    let mut params =
        rcgen::CertificateParams::new(vec!["katonic.example.com".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "katonic.example.com");
    let rsa = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let cert = params.self_signed(&rsa).unwrap();
    // rcgen writes PKCS#8; take the PKCS#1 inside it (the last OCTET STRING of the info).
    let pkcs8 = rsa.serialize_der();
    let pkcs1 = &pkcs8[pkcs8.len() - inner_len(&pkcs8)..];
    assert_eq!(
        rsa_pkcs1_to_pkcs8(pkcs1),
        pkcs8,
        "the wrapping is what rcgen writes"
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs1);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pkcs1_pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let pfx = build(&cert.pem(), &SecretString::from(pkcs1_pem)).unwrap();
    let store = decode(&pfx);
    assert_eq!(
        store.private_key_chain().unwrap().1.key().as_der(),
        pkcs8.as_slice()
    );

    let sec1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\nAwEHoUQDQgAEPR3tU2Fta9ktY+6P9G0cWO+0kETA6SPs38hIOQvy/jyLuEuo3Xcs\nvr0SLZSZWnozHfMPZnw9ZrIvBCzhDTAOHg==\n-----END EC PRIVATE KEY-----\n";
    let err = build(&cert.pem(), &SecretString::from(sec1.to_string())).unwrap_err();
    assert!(err.to_string().contains("openssl pkcs8 -topk8"), "{err}");
}

/// Length of the value of the last TLV of a DER SEQUENCE (the PKCS#1 key inside PKCS#8).
fn inner_len(pkcs8: &[u8]) -> usize {
    // Walk: outer SEQUENCE header, then version (3 bytes), algorithm (15), then 04 len value.
    let header = if pkcs8[1] < 0x80 {
        2
    } else {
        2 + usize::from(pkcs8[1] & 0x7f)
    };
    let at = header + 3 + 15;
    assert_eq!(pkcs8[at], 0x04);
    let l = pkcs8[at + 1];
    if l < 0x80 {
        usize::from(l)
    } else {
        let n = usize::from(l & 0x7f);
        pkcs8[at + 2..at + 2 + n]
            .iter()
            .fold(0usize, |acc, b| acc * 256 + usize::from(*b))
    }
}

#[test]
fn a_self_issued_chain_end_is_the_root_to_trust_and_a_public_chain_has_none() {
    let (chain, _) = pair();
    let root = trusted_root(&chain).unwrap();
    let der = CertificateDer::pem_slice_iter(chain.as_bytes())
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        root,
        base64::engine::general_purpose::STANDARD.encode(der.as_ref())
    );
    // A leaf issued by a CA that is not in the chain: nothing to upload.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Some CA");
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["katonic.example.com".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    assert_eq!(trusted_root(&leaf.pem()), None);
}
