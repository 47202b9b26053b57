//! The server's one RS256 signing key: access tokens are signed with it and
//! `GET /sso/jwks/:client_id` publishes its public half.
//!
//! One key for the whole server, not one per tenant: the SDKs fetch the JWKS
//! without an API key, so the JWKS cannot depend on one. The key is made on
//! first use, because generating an RSA-2048 key takes longer than the whole
//! start-up budget. With `--deterministic` it is derived from the seed, so it
//! is the same on every run; with `--state-file` it is saved and loaded, so
//! tokens issued before a restart still verify after it.

use std::sync::{Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The RSA modulus size, as WorkOS's own keys.
const KEY_BITS: usize = 2048;
/// Mixed into the seed so the key's stream is not the tenants' stream.
const KEY_SALT: u64 = 0x6a77_6b73_5f6b_6579;

/// The signing key, made or loaded once.
#[derive(Debug)]
pub(crate) struct Signer {
    seed: Option<u64>,
    /// A key loaded from the state file, waiting to be used.
    saved: Mutex<Option<String>>,
    key: OnceLock<Result<Key, String>>,
}

/// A usable key: what signs, and what the JWKS shows.
struct Key {
    pem: String,
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer whose key will come from `seed` (or the OS when `None`).
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Self {
            seed,
            saved: Mutex::new(None),
            key: OnceLock::new(),
        }
    }

    /// Uses `pem` (PKCS#8) as the key instead of making one, unless one is
    /// already in use. Checked when first used; a broken one is an error then.
    pub(crate) fn restore(&self, pem: String) {
        if let Ok(mut saved) = self.saved.lock() {
            *saved = Some(pem);
        }
    }

    /// The key as PKCS#8 PEM, for the state file; `None` if none was made.
    pub(crate) fn saved_pem(&self) -> Option<String> {
        match self.key.get() {
            Some(Ok(key)) => Some(key.pem.clone()),
            _ => self.saved.lock().ok().and_then(|saved| saved.clone()),
        }
    }

    fn key(&self) -> Result<&Key, String> {
        self.key
            .get_or_init(|| {
                let saved = self.saved.lock().ok().and_then(|mut saved| saved.take());
                let private = match saved {
                    Some(pem) => RsaPrivateKey::from_pkcs8_pem(&pem)
                        .map_err(|error| format!("the saved signing key does not load: {error}"))?,
                    None => generate(self.seed)?,
                };
                Key::new(private)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `claims` as an RS256 JWT whose header names the key.
    pub(crate) fn sign(&self, claims: &impl Serialize) -> Result<String, String> {
        let key = self.key()?;
        let mut header = Header::new(Algorithm::RS256);
        header.typ = None;
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding)
            .map_err(|error| format!("signing failed: {error}"))
    }

    /// The JWKS document: `{"keys": [the one key]}`.
    pub(crate) fn jwks(&self) -> Result<Value, String> {
        Ok(json!({"keys": [self.key()?.jwk.clone()]}))
    }
}

fn generate(seed: Option<u64>) -> Result<RsaPrivateKey, String> {
    let mut rng = match seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed ^ KEY_SALT),
        None => ChaCha20Rng::from_seed(rand::random()),
    };
    RsaPrivateKey::new(&mut rng, KEY_BITS).map_err(|error| format!("key generation: {error}"))
}

impl Key {
    fn new(private: RsaPrivateKey) -> Result<Self, String> {
        let fail = |what: &str, error: &dyn std::fmt::Display| format!("{what}: {error}");
        let pkcs1 = private.to_pkcs1_der().map_err(|e| fail("pkcs1", &e))?;
        let pkcs8 = private.to_pkcs8_der().map_err(|e| fail("pkcs8", &e))?;
        let pem = private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| fail("pem", &e))?
            .to_string();
        let public = private
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| fail("public key", &e))?;
        let digest = Sha256::digest(public.as_bytes());
        let mut ulid = [0u8; 16];
        ulid.copy_from_slice(&digest[..16]);
        let kid = format!("sso_oidc_key_pair_{}", ulid::Ulid::from_bytes(ulid));
        let certificate = certificate(pkcs8.as_bytes(), &digest[16..32])?;
        let jwk = json!({
            "alg": "RS256",
            "kty": "RSA",
            "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
            "kid": kid,
            "x5c": [STANDARD.encode(&certificate)],
            "x5t#S256": URL_SAFE_NO_PAD.encode(Sha256::digest(&certificate)),
        });
        Ok(Self {
            pem,
            kid,
            encoding: EncodingKey::from_rsa_der(pkcs1.as_bytes()),
            jwk,
        })
    }
}

/// A self-signed certificate of the key, as the real JWKS carries in `x5c`:
/// CN=auth.workos.com, five years. Fixed dates and serial, so the same key
/// always gives the same certificate.
fn certificate(pkcs8: &[u8], serial: &[u8]) -> Result<Vec<u8>, String> {
    let key_pair = rcgen::KeyPair::try_from(pkcs8).map_err(|e| format!("certificate key: {e}"))?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "auth.workos.com");
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2030, 1, 1);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
    params
        .self_signed(&key_pair)
        .map(|certificate| certificate.der().to_vec())
        .map_err(|e| format!("certificate: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[derive(Serialize, serde::Deserialize)]
    struct Claims {
        sub: String,
        exp: u64,
    }

    #[test]
    fn a_seeded_key_is_the_same_every_time_and_its_tokens_verify_through_the_jwks() {
        let (a, b) = (Signer::new(Some(7)), Signer::new(Some(7)));
        let jwks = a.jwks().expect("a key");
        assert_eq!(jwks, b.jwks().expect("a key"));
        let key = &jwks["keys"][0];
        let names: Vec<&String> = key
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            names,
            ["alg", "kty", "use", "n", "e", "kid", "x5c", "x5t#S256"]
        );
        assert!(
            key["kid"]
                .as_str()
                .is_some_and(|kid| kid.starts_with("sso_oidc_key_pair_"))
        );

        let token = a
            .sign(&Claims {
                sub: "user_1".into(),
                exp: 4_000_000_000,
            })
            .expect("signs");
        let header = jsonwebtoken::decode_header(&token).expect("a header");
        assert_eq!(header.kid.as_deref(), key["kid"].as_str());
        assert_eq!(header.typ, None);
        let decoding = DecodingKey::from_rsa_components(
            key["n"].as_str().unwrap_or_default(),
            key["e"].as_str().unwrap_or_default(),
        )
        .expect("components");
        let claims =
            jsonwebtoken::decode::<Claims>(&token, &decoding, &Validation::new(Algorithm::RS256))
                .expect("verifies");
        assert_eq!(claims.claims.sub, "user_1");
    }

    #[test]
    fn a_saved_key_is_used_instead_of_a_new_one() {
        let first = Signer::new(None);
        let jwks = first.jwks().expect("a key");
        let restored = Signer::new(Some(1));
        restored.restore(first.saved_pem().expect("made"));
        assert_eq!(restored.jwks().expect("loads"), jwks);
        let broken = Signer::new(None);
        broken.restore("not a key".into());
        assert!(broken.jwks().is_err());
    }

    #[test]
    fn the_certificate_hash_is_the_sha256_of_the_x5c_certificate() {
        let jwks = Signer::new(Some(3)).jwks().expect("a key");
        let key = &jwks["keys"][0];
        let der = STANDARD
            .decode(key["x5c"][0].as_str().unwrap_or_default())
            .expect("base64");
        assert_eq!(
            key["x5t#S256"],
            URL_SAFE_NO_PAD.encode(Sha256::digest(&der))
        );
    }
}
