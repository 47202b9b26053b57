//! Passwords, kept only as salted argon2id hashes in PHC form.
//!
//! The plaintext lives in the request body and in this module's arguments,
//! nowhere else: users, exports, state files and the journal see the hash (or
//! nothing). The cost is deliberately light: this is a test server whose users
//! sign in on every test, not a store of real credentials, so a sign-in must
//! stay well under a millisecond (a production setting takes tens).

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash as Phc, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory cost in KiB: the smallest argon2 allows for one lane is 8; 256 keeps a
/// hash near a tenth of a millisecond in a release build.
const MEMORY_KIB: u32 = 256;
/// Passes over the memory.
const TIME_COST: u32 = 1;
/// Lanes.
const LANES: u32 = 1;

/// A stored password: an argon2id PHC string, salt and parameters included.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash([redacted])")
    }
}

impl PasswordHash {
    /// Hashes `password` with a 16-byte `salt`.
    pub fn new(password: &str, salt: [u8; 16]) -> Option<Self> {
        let salt = SaltString::encode_b64(&salt).ok()?;
        let hash = hasher().hash_password(password.as_bytes(), &salt).ok()?;
        Some(Self(hash.to_string()))
    }

    /// A stored PHC string, checked to be one this module can verify against.
    pub fn from_phc(text: &str) -> Option<Self> {
        let parsed = Phc::new(text).ok()?;
        (parsed.algorithm.as_str() == "argon2id").then(|| Self(text.to_owned()))
    }

    /// The PHC string, for the state file.
    pub fn as_phc(&self) -> &str {
        &self.0
    }

    /// Whether `password` is the one hashed. Runs in time independent of where
    /// the two differ.
    pub fn verifies(&self, password: &str) -> bool {
        Phc::new(&self.0).is_ok_and(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    }
}

/// Spends the time of one verification, for an email with no password, so the
/// answer's timing does not tell an unknown email from a wrong password.
pub(crate) fn burn_one_verification(password: &str) {
    static DECOY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    if let Some(decoy) = DECOY.get_or_init(|| PasswordHash::new("decoy", [0; 16])) {
        let _ = decoy.verifies(password);
    }
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, TIME_COST, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_never_contains_it() {
        let hash = PasswordHash::new("correct horse", [7; 16]).expect("hashes");
        assert!(hash.verifies("correct horse"));
        assert!(!hash.verifies("correct hors"));
        assert!(!hash.as_phc().contains("correct"));
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert_eq!(format!("{hash:?}"), "PasswordHash([redacted])");
    }

    #[test]
    fn the_same_password_with_other_salts_hashes_differently_and_round_trips() {
        let (a, b) = (
            PasswordHash::new("pw", [1; 16]).expect("hashes"),
            PasswordHash::new("pw", [2; 16]).expect("hashes"),
        );
        assert_ne!(a, b);
        let back = PasswordHash::from_phc(a.as_phc()).expect("parses");
        assert!(back.verifies("pw"));
        assert!(PasswordHash::from_phc("plaintext").is_none());
        assert!(PasswordHash::from_phc("$argon2i$v=19$m=256,t=1,p=1$c2FsdHNhbHQ$aGFzaA").is_none());
    }
}
