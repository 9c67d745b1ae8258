//! The install's certificate as the Application Gateway takes it: a PKCS#12 (PFX) made from the
//! PEM chain and key, under a random password.
//!
//! Azure's certificate upload reads the legacy PKCS#12 suite (3DES key and certificate
//! encryption, SHA-1 MAC: what `openssl pkcs12 -legacy` writes); an AES-256 PBES2 file, OpenSSL
//! 3's default, is refused as "password incorrect" (MicrosoftDocs/azure-docs#54393, #91029,
//! checked 2026-12-07). Its password must be alphanumeric (Application Gateway's TLS tutorial).

use base64::Engine;
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKey,
    PrivateKeyChain,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use secrecy::{ExposeSecret, SecretString};

/// Length of the generated password: 12 alphanumeric characters (~71 bits), within every
/// length Azure's documentation has stated, and long enough for the redactor to register.
pub const PASSWORD_LEN: usize = 12;

/// A PFX (base64, as the gateway's `sslCertificates[].properties.data`) and its password.
/// `Debug` shows neither.
#[derive(Debug, Clone)]
pub struct Pfx {
    pub base64: SecretString,
    pub password: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum PfxError {
    #[error("the certificate chain holds no PEM certificate")]
    NoCertificate,
    #[error("the certificate chain does not parse: {0}")]
    BadCertificate(String),
    #[error("the private key does not parse as PEM")]
    NoKey,
    #[error(
        "the private key is an EC key in SEC1 form (`BEGIN EC PRIVATE KEY`): convert it to PKCS#8 (`openssl pkcs8 -topk8 -nocrypt -in key.pem`) and upload it again"
    )]
    Sec1Key,
    #[error("the PFX could not be written: {0}")]
    Encode(String),
    #[error("no randomness for the PFX password: {0}")]
    Random(String),
}

/// A PFX holding `key_pem` and every certificate of `cert_chain_pem` (leaf first), under a new
/// random password.
pub fn build(cert_chain_pem: &str, key_pem: &SecretString) -> Result<Pfx, PfxError> {
    let password = random_password()?;
    let bytes = encode(cert_chain_pem, key_pem, &password)?;
    Ok(Pfx {
        base64: SecretString::from(base64::engine::general_purpose::STANDARD.encode(bytes)),
        password,
    })
}

fn encode(
    cert_chain_pem: &str,
    key_pem: &SecretString,
    password: &SecretString,
) -> Result<Vec<u8>, PfxError> {
    let chain = chain_der(cert_chain_pem)?;
    let certs = chain
        .iter()
        .map(|der| Certificate::from_der(der).map_err(|e| PfxError::BadCertificate(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.expose_secret().as_bytes())
        .map_err(|_| PfxError::NoKey)?;
    let pkcs8 = match &key {
        PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
        PrivateKeyDer::Pkcs1(k) => rsa_pkcs1_to_pkcs8(k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(_) => return Err(PfxError::Sec1Key),
        _ => return Err(PfxError::NoKey),
    };
    let key = PrivateKey::from_der(&pkcs8).map_err(|e| PfxError::Encode(e.to_string()))?;
    // The local key id ties the key to its certificate inside the file: the leaf's hash.
    let key_id = key_id(&chain[0]);
    let mut store = KeyStore::new();
    store.add_entry(
        "install-certificate",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(key_id, key, certs)),
    );
    store
        .writer(password.expose_secret())
        .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .mac_algorithm(MacAlgorithm::HmacSha1)
        .write()
        .map_err(|e| PfxError::Encode(e.to_string()))
}

/// Every certificate of a PEM chain, as DER, leaf first.
fn chain_der(cert_chain_pem: &str) -> Result<Vec<Vec<u8>>, PfxError> {
    let chain = CertificateDer::pem_slice_iter(cert_chain_pem.as_bytes())
        .map(|c| {
            c.map(|c| c.to_vec())
                .map_err(|e| PfxError::BadCertificate(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if chain.is_empty() {
        return Err(PfxError::NoCertificate);
    }
    Ok(chain)
}

/// The root the gateway must trust to reach a backend serving `cert_chain_pem`: the chain's
/// last certificate when it is self-issued (a trial certificate is its own root; a private CA's
/// chain may end with its root), base64 of its DER. `None` for a chain that stops below its
/// root: a public CA's, which Application Gateway v2 trusts by itself.
pub fn trusted_root(cert_chain_pem: &str) -> Option<String> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let chain = chain_der(cert_chain_pem).ok()?;
    let last = chain.last()?;
    let (_, cert) = X509Certificate::from_der(last).ok()?;
    (cert.subject().as_raw() == cert.issuer().as_raw())
        .then(|| base64::engine::general_purpose::STANDARD.encode(last))
}

/// Alphanumeric, uniformly drawn (rejection sampling over random bytes).
fn random_password() -> Result<SecretString, PfxError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    // 248 = 4 × 62: bytes at or above it would favour the first letters.
    const LIMIT: u8 = 248;
    let mut out = String::with_capacity(PASSWORD_LEN);
    while out.len() < PASSWORD_LEN {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf).map_err(|e| PfxError::Random(e.to_string()))?;
        for b in buf.into_iter().filter(|b| *b < LIMIT) {
            if out.len() < PASSWORD_LEN {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(SecretString::from(out))
}

/// An RSA key in PKCS#1 (`BEGIN RSA PRIVATE KEY`) as PKCS#8 `PrivateKeyInfo` (RFC 5208):
/// `SEQUENCE { INTEGER 0, AlgorithmIdentifier { rsaEncryption, NULL }, OCTET STRING pkcs1 }`.
fn rsa_pkcs1_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    const VERSION: [u8; 3] = [0x02, 0x01, 0x00];
    const RSA_ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut body = Vec::with_capacity(pkcs1.len() + 32);
    body.extend_from_slice(&VERSION);
    body.extend_from_slice(&RSA_ALGORITHM);
    body.extend(der_tlv(0x04, pkcs1));
    der_tlv(0x30, &body)
}

/// One DER tag-length-value.
fn der_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(value);
    out
}

/// SHA-256's first 20 bytes of the leaf (the size of the SHA-1 key ids other tools write).
fn key_id(leaf_der: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(leaf_der)[..20].to_vec()
}

#[cfg(test)]
#[path = "pfx_tests.rs"]
mod tests;
