//! API keys: which requests are let in, and which tenant each belongs to.
//!
//! The key is the tenant: everything a request creates is visible only to
//! requests with the same key. By default any `sk_test_` key (and the documents'
//! `sk_example_` keys) is accepted; `--api-key` narrows that to an explicit list.
//! Live keys are always refused, loudly.

use http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// Key prefixes accepted when no explicit list is configured.
pub(crate) const ACCEPTED_PREFIXES: [&str; 2] = ["sk_test_", "sk_example_"];
/// The longest key let in: real keys are far shorter, and each key names a
/// tenant kept in memory, so a huge one would cost memory on every request.
pub(crate) const MAX_KEY_CHARS: usize = 256;

/// The API key in `headers`, if it is one this server accepts.
///
/// `allowed` is the explicit list; when it is empty, any key with an accepted
/// prefix is let in. Keys are compared in constant time.
pub(crate) fn api_key<'h>(headers: &'h HeaderMap, allowed: &[String]) -> Result<&'h str, ApiError> {
    let unauthorized = |reason| ApiError::Unauthorized { reason };
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(unauthorized("send Authorization: Bearer sk_test_..."))?
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not ASCII"))?;
    let (scheme, key) = value.split_once(' ').ok_or(unauthorized(
        "use the Bearer scheme: Authorization: Bearer sk_test_...",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(unauthorized(
            "use the Bearer scheme: Authorization: Bearer sk_test_...",
        ));
    }
    // `to_str` let only visible ASCII through, so bytes are characters here.
    if key.is_empty() || key.bytes().any(|byte| byte.is_ascii_whitespace()) {
        return Err(unauthorized(
            "the API key after Bearer is empty or contains whitespace",
        ));
    }
    if key.len() > MAX_KEY_CHARS {
        return Err(unauthorized("the API key is longer than 256 characters"));
    }
    if key.starts_with("sk_live_") {
        return Err(ApiError::LiveKeyRefused);
    }
    if allowed.is_empty() {
        if ACCEPTED_PREFIXES.contains(&key) {
            return Err(unauthorized(
                "the API key is only a prefix: sk_test_ must be followed by more characters",
            ));
        }
        return match ACCEPTED_PREFIXES
            .iter()
            .any(|prefix| key.starts_with(prefix))
        {
            true => Ok(key),
            false => Err(unauthorized("API keys must start with sk_test_")),
        };
    }
    let listed = allowed.iter().fold(false, |found, candidate| {
        found | bool::from(candidate.as_bytes().ct_eq(key.as_bytes()))
    });
    match listed {
        true => Ok(key),
        false => Err(unauthorized(
            "this key is not one of the server's --api-key keys",
        )),
    }
}

/// What a log line may say about a key: its prefix when it is a well-known one
/// (`sk_test_`), and the first 8 hex digits of its SHA-256, which tell two keys
/// apart without revealing either.
pub(crate) fn fingerprint(key: &str) -> String {
    let prefix = ["sk_test_", "sk_example_", "sk_live_"]
        .into_iter()
        .find(|prefix| key.starts_with(prefix))
        .unwrap_or("");
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{prefix}…#{hex}")
}

/// The fingerprint of the key in `headers`, or what stands there instead.
pub(crate) fn presented(headers: &HeaderMap) -> String {
    match headers.get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => "no Authorization header".to_owned(),
        Some(Err(_)) => "a non-ASCII Authorization header".to_owned(),
        Some(Ok(value)) => fingerprint(value.split_once(' ').map_or(value, |(_, key)| key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(authorization) {
            headers.insert(header::AUTHORIZATION, value);
        }
        headers
    }

    #[test]
    fn any_test_or_example_key_is_accepted_by_default() {
        assert_eq!(
            api_key(&headers("Bearer sk_test_abc"), &[]),
            Ok("sk_test_abc")
        );
        assert_eq!(
            api_key(&headers("bearer sk_example_123456789"), &[]),
            Ok("sk_example_123456789")
        );
    }

    #[test]
    fn missing_malformed_and_unknown_keys_are_unauthorized() {
        for value in [
            "",
            "Bearer",
            "Bearer ",
            "Basic sk_test_abc",
            "sk_test_abc",
            "Bearer nonsense",
            "Bearer sk_test_a b",
            "Bearer sk_test_",
            "Bearer sk_example_",
        ] {
            assert!(
                matches!(
                    api_key(&headers(value), &[]),
                    Err(ApiError::Unauthorized { .. })
                ),
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_key_longer_than_the_limit_is_unauthorized_even_when_listed() {
        let long = format!("sk_test_{}", "k".repeat(MAX_KEY_CHARS));
        let listed = [long.clone()];
        for allowed in [&[][..], &listed[..]] {
            assert!(matches!(
                api_key(&headers(&format!("Bearer {long}")), allowed),
                Err(ApiError::Unauthorized { .. })
            ));
        }
        let longest = "k".repeat(MAX_KEY_CHARS - 8);
        let fits = format!("Bearer sk_test_{longest}");
        assert!(api_key(&headers(&fits), &[]).is_ok());
    }

    #[test]
    fn live_keys_are_refused_even_when_listed() {
        let listed = vec!["sk_live_abc".to_owned()];
        assert_eq!(
            api_key(&headers("Bearer sk_live_abc"), &listed),
            Err(ApiError::LiveKeyRefused)
        );
    }

    #[test]
    fn a_fingerprint_keeps_the_prefix_and_hides_the_rest() {
        let print = fingerprint("sk_test_VerySecretPart");
        assert!(print.starts_with("sk_test_…#"), "{print}");
        assert!(!print.contains("VerySecret"), "{print}");
        assert_eq!(print.len(), "sk_test_…#".len() + 8);
        assert_ne!(print, fingerprint("sk_test_OtherSecretPart"));
        assert!(!fingerprint("customsecret").contains("custom"));
    }

    #[test]
    fn an_explicit_list_admits_only_its_keys() {
        let listed = vec!["sk_test_one".to_owned(), "custom_key".to_owned()];
        assert_eq!(
            api_key(&headers("Bearer custom_key"), &listed),
            Ok("custom_key")
        );
        assert!(api_key(&headers("Bearer sk_test_two"), &listed).is_err());
    }
}
