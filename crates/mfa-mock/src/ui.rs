//! The inspector page at `GET /_mock/ui`: one HTML file built into the binary
//! (`ui/index.html`), its style and script inline, no build step and nothing
//! fetched from elsewhere.
//!
//! The page is public, like `/health`, because it holds no data: every call it
//! makes goes to the `/_mock/` and API routes with the key typed into it, so it
//! sees exactly one tenant, as any client would. This module only serves it.
//!
//! Its Content-Security-Policy admits the page's one inline `<style>` and one
//! inline `<script>` by their SHA-256 digests, `data:` images (the QR codes)
//! and requests to this origin, and nothing else: a value shown on the page
//! that carried markup could not run or load anything.

use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderName, HeaderValue, header};
use sha2::{Digest, Sha256};

use crate::handlers::{Answer, Env};
use crate::response::{ApiResponse, Document};

/// The page, as committed.
const PAGE: &str = include_str!("../ui/index.html");

/// The policy, computed once, at the first request for the page.
static POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    HeaderValue::from_str(&content_security_policy(PAGE))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
});

/// `GET /_mock/ui`: the page, never cached (a new server version brings a new one).
/// Any query is ignored: the page reads its key and view from the fragment.
pub(crate) fn page(_: &Env<'_>) -> Answer {
    Ok(response())
}

fn response() -> ApiResponse {
    let document = Document {
        bytes: PAGE.as_bytes(),
        content_type: "text/html; charset=utf-8",
    };
    let fixed = [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    fixed.into_iter().fold(
        ApiResponse::document(document)
            .with_header(header::CONTENT_SECURITY_POLICY, POLICY.clone()),
        |response, (name, value): (HeaderName, &'static str)| {
            response.with_header(name, HeaderValue::from_static(value))
        },
    )
}

/// The policy for `page`: its inline style and script by digest, `data:`
/// images, fetches to this origin; no frames, forms, plugins or base changes.
fn content_security_policy(page: &str) -> String {
    let style = digest(inline(page, "style"));
    let script = digest(inline(page, "script"));
    format!(
        "default-src 'none'; script-src '{script}'; style-src '{style}'; img-src data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// The text between `<tag>` and `</tag>` (the page has one of each, without attributes).
fn inline<'a>(page: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    page.split_once(&open)
        .and_then(|(_, rest)| rest.split_once(&close))
        .map_or("", |(text, _)| text)
}

/// A CSP source expression for `text`: `sha256-` and its base64 digest.
fn digest(text: &str) -> String {
    format!(
        "sha256-{}",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_one_inline_style_and_one_inline_script_and_nothing_external() {
        for tag in ["style", "script"] {
            assert_eq!(PAGE.matches(&format!("<{tag}")).count(), 1, "<{tag}>");
            assert!(!inline(PAGE, tag).trim().is_empty(), "<{tag}> is empty");
        }
        for external in ["http://", "https://", " src=\"/", "@import", "url("] {
            assert!(!PAGE.contains(external), "the page refers to {external}");
        }
        assert!(
            !PAGE.contains(" style=\""),
            "a style attribute would be blocked by the policy; use the stylesheet"
        );
    }

    #[test]
    fn the_policy_names_the_digests_of_exactly_the_inline_style_and_script() {
        let policy = content_security_policy("<style>a{}</style><script>go()</script>");
        let style = digest("a{}");
        let script = digest("go()");
        assert!(
            policy.contains(&format!("script-src '{script}';")),
            "{policy}"
        );
        assert!(
            policy.contains(&format!("style-src '{style}';")),
            "{policy}"
        );
        assert!(policy.starts_with("default-src 'none';"));
        assert!(!policy.contains("unsafe"), "{policy}");
    }

    #[test]
    fn a_digest_is_the_base64_sha256_of_the_text() {
        // SHA-256 of the empty string, base64.
        assert_eq!(
            digest(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn the_page_is_html_never_cached_and_framed_by_no_one() {
        let response = response();
        let document = response.document.expect("a document body");
        assert_eq!(document.content_type, "text/html; charset=utf-8");
        assert!(document.bytes.starts_with(b"<!doctype html>"));
        let header = |name: HeaderName| {
            response
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_str().unwrap_or_default().to_owned())
        };
        assert_eq!(header(header::CACHE_CONTROL).as_deref(), Some("no-store"));
        assert_eq!(header(header::X_FRAME_OPTIONS).as_deref(), Some("DENY"));
        let policy = header(header::CONTENT_SECURITY_POLICY).unwrap_or_default();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    }
}
