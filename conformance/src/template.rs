//! Filling `{{...}}` placeholders in fixture strings and JSON.
//!
//! Placeholders: `{{name}}` (an earlier capture), `{{unique}}` (a fresh lowercase ULID),
//! `{{totp:NAME}}` / `{{totp:NAME:+1}}` (a code from a captured secret),
//! `{{totp_wrong:NAME}}` and `{{long:N}}`. A JSON string that is exactly `{{name}}` is
//! replaced by the captured value itself, keeping its type. `{{{{` is a literal `{{`, so
//! a fixture can send text such as an `sms_template` holding the `{{code}}` token
//! (`"Your code is {{{{code}}"` sends `Your code is {{code}}`). Time and fresh values come
//! in from the caller, so this module is pure; sending the result is `runner`'s job.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::totp;

/// The largest `{{long:N}}` accepted, to catch a typo before it eats memory.
const LONG_LIMIT: usize = 64 * 1024 * 1024;

/// Written in a template, stands for a literal `{{`.
const ESCAPED_OPEN: &str = "{{{{";

/// Values captured by earlier steps, by name.
pub type Captures = BTreeMap<String, Value>;

/// A placeholder that cannot be filled, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a template holds at its first `{{`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'s> {
    /// `{{{{`: a literal `{{`.
    Escaped,
    /// `{{inner}}`: a placeholder.
    Placeholder(&'s str),
}

/// One parsed placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'s> {
    Unique,
    Long(usize),
    Totp { secret: &'s str, offset: i64 },
    TotpWrong(&'s str),
    Capture(&'s str),
}

/// Fills placeholders for one step: the captures so far, the time the step is sent at,
/// and a source of fresh unique values.
pub struct Templater<'a> {
    captures: &'a Captures,
    now: u64,
    unique: &'a mut dyn FnMut() -> String,
}

impl<'a> Templater<'a> {
    /// A templater reading `captures`, computing TOTP codes at `now` (Unix seconds) and
    /// drawing `{{unique}}` values from `unique`.
    pub fn new(captures: &'a Captures, now: u64, unique: &'a mut dyn FnMut() -> String) -> Self {
        Self {
            captures,
            now,
            unique,
        }
    }

    /// `text` with every placeholder filled and every `{{{{` made a literal `{{`; an
    /// unclosed `{{` is left as-is.
    pub fn render_str(&mut self, text: &str) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some((before, piece, after)) = split_placeholder(rest) {
            out.push_str(before);
            match piece {
                Piece::Escaped => out.push_str("{{"),
                Piece::Placeholder(inner) => out.push_str(&self.fill(parse_token(inner)?)?),
            }
            rest = after;
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `value` with every string (object values and array items, not keys) rendered; a
    /// string that is exactly `{{name}}` becomes the captured value itself.
    pub fn render_json(&mut self, value: &Value) -> Result<Value, TemplateError> {
        match value {
            Value::String(text) => self.render_json_string(text),
            Value::Array(items) => items.iter().map(|item| self.render_json(item)).collect(),
            Value::Object(map) => map
                .iter()
                .map(|(key, item)| Ok((key.clone(), self.render_json(item)?)))
                .collect::<Result<serde_json::Map<_, _>, _>>()
                .map(Value::Object),
            other => Ok(other.clone()),
        }
    }

    fn render_json_string(&mut self, text: &str) -> Result<Value, TemplateError> {
        if let Some(("", Piece::Placeholder(inner), "")) = split_placeholder(text)
            && let Token::Capture(name) = parse_token(inner)?
        {
            return self.captured(name).cloned();
        }
        self.render_str(text).map(Value::String)
    }

    fn fill(&mut self, token: Token<'_>) -> Result<String, TemplateError> {
        match token {
            Token::Unique => Ok((self.unique)()),
            Token::Long(length) => Ok("a".repeat(length)),
            Token::Totp { secret, offset } => {
                totp::code(self.secret(secret)?, self.now, offset).map_err(TemplateError)
            }
            Token::TotpWrong(secret) => {
                totp::wrong_code(self.secret(secret)?, self.now).map_err(TemplateError)
            }
            Token::Capture(name) => Ok(as_text(self.captured(name)?)),
        }
    }

    fn captured(&self, name: &str) -> Result<&Value, TemplateError> {
        self.captures.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.captures.keys().map(String::as_str).collect();
            TemplateError(format!(
                "{{{{{name}}}}} is not captured by an earlier step (captured so far: [{}]); \
                 add \"capture\": {{\"{name}\": \"/pointer\"}} to an earlier step",
                known.join(", ")
            ))
        })
    }

    fn secret(&self, name: &str) -> Result<&str, TemplateError> {
        self.captured(name)?.as_str().ok_or_else(|| {
            TemplateError(format!(
                "capture {name:?} is not a string, so not a TOTP secret"
            ))
        })
    }
}

/// A captured value as text: strings as-is, anything else as its JSON text.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Splits `text` at its first `{{{{` or complete `{{...}}`: (before, piece, after).
fn split_placeholder(text: &str) -> Option<(&str, Piece<'_>, &str)> {
    let start = text.find("{{")?;
    if text[start..].starts_with(ESCAPED_OPEN) {
        let after = &text[start + ESCAPED_OPEN.len()..];
        return Some((&text[..start], Piece::Escaped, after));
    }
    let end = start + 2 + text[start + 2..].find("}}")?;
    let inner = &text[start + 2..end];
    Some((&text[..start], Piece::Placeholder(inner), &text[end + 2..]))
}

fn parse_token(inner: &str) -> Result<Token<'_>, TemplateError> {
    let parts: Vec<&str> = inner.split(':').collect();
    match parts.as_slice() {
        ["unique"] => Ok(Token::Unique),
        ["long", length] => parse_long(length),
        ["totp", secret] => Ok(Token::Totp { secret, offset: 0 }),
        ["totp", secret, offset] => {
            parse_offset(offset).map(|offset| Token::Totp { secret, offset })
        }
        ["totp_wrong", secret] => Ok(Token::TotpWrong(secret)),
        [name] if is_name(name) => Ok(Token::Capture(name)),
        _ => Err(TemplateError(format!(
            "{{{{{inner}}}}} is not a placeholder; use {{{{name}}}}, {{{{unique}}}}, \
             {{{{totp:NAME}}}}, {{{{totp:NAME:+1}}}}, {{{{totp_wrong:NAME}}}} or {{{{long:N}}}}, \
             and write {{{{{{{{ for a literal {{{{"
        ))),
    }
}

fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn parse_long(length: &str) -> Result<Token<'_>, TemplateError> {
    match length.parse::<usize>() {
        Ok(length) if length <= LONG_LIMIT => Ok(Token::Long(length)),
        _ => Err(TemplateError(format!(
            "{{{{long:{length}}}}} needs a whole number of characters up to {LONG_LIMIT}"
        ))),
    }
}

fn parse_offset(offset: &str) -> Result<i64, TemplateError> {
    offset.parse().map_err(|_| {
        TemplateError(format!(
            "TOTP step offset {offset:?} is not a whole number; write e.g. +1 or -1"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn captures() -> Captures {
        BTreeMap::from([
            ("factor_id".to_string(), json!("auth_factor_1")),
            ("count".to_string(), json!(3)),
            ("flag".to_string(), json!(true)),
            ("secret".to_string(), json!(RFC_SECRET)),
        ])
    }

    fn render_str(text: &str) -> Result<String, TemplateError> {
        let captures = captures();
        let mut counter = 0;
        let mut unique = || {
            counter += 1;
            format!("u{counter}")
        };
        Templater::new(&captures, 59, &mut unique).render_str(text)
    }

    fn render_json(value: Value) -> Result<Value, TemplateError> {
        let captures = captures();
        let mut unique = || "u".to_string();
        Templater::new(&captures, 59, &mut unique).render_json(&value)
    }

    #[test]
    fn a_capture_inside_a_string_is_inserted_as_text() {
        let rendered = render_str("/auth/factors/{{factor_id}}/challenge").expect("renders");
        assert_eq!(rendered, "/auth/factors/auth_factor_1/challenge");
    }

    #[test]
    fn a_captured_number_inside_a_string_becomes_its_json_text() {
        assert_eq!(
            render_str("n={{count}}&f={{flag}}").expect("renders"),
            "n=3&f=true"
        );
    }

    #[test]
    fn every_unique_placeholder_gets_a_fresh_value() {
        assert_eq!(
            render_str("{{unique}}-{{unique}}").expect("renders"),
            "u1-u2"
        );
    }

    #[test]
    fn totp_placeholders_compute_codes_at_the_given_offset() {
        assert_eq!(render_str("{{totp:secret}}").expect("renders"), "287082");
        let next = totp::code(RFC_SECRET, 89, 0).expect("valid secret");
        assert_eq!(render_str("{{totp:secret:+1}}").expect("renders"), next);
    }

    #[test]
    fn the_wrong_totp_placeholder_is_not_the_current_code() {
        let wrong = render_str("{{totp_wrong:secret}}").expect("renders");
        assert_ne!(wrong, "287082");
        assert_eq!(wrong.len(), 6);
    }

    #[test]
    fn a_long_placeholder_repeats_the_letter_a() {
        assert_eq!(render_str("x{{long:3}}y").expect("renders"), "xaaay");
    }

    #[test]
    fn an_exact_capture_string_in_json_keeps_the_captured_type() {
        let rendered = render_json(json!({"n": "{{count}}", "s": "{{count}}!", "k": ["{{flag}}"]}))
            .expect("renders");
        assert_eq!(rendered, json!({"n": 3, "s": "3!", "k": [true]}));
    }

    #[test]
    fn an_exact_totp_string_in_json_stays_a_string() {
        assert_eq!(
            render_json(json!("{{totp:secret}}")).expect("renders"),
            json!("287082")
        );
    }

    #[test]
    fn object_keys_are_not_templated() {
        let rendered = render_json(json!({"{{count}}": 1})).expect("renders");
        assert_eq!(rendered, json!({"{{count}}": 1}));
    }

    #[test]
    fn an_unknown_capture_names_what_was_captured() {
        let error = render_str("{{missing}}").expect_err("not captured");
        assert!(
            error.0.contains("missing") && error.0.contains("factor_id"),
            "{error}"
        );
    }

    #[test]
    fn a_malformed_placeholder_lists_the_valid_forms() {
        let error = render_str("{{totp:secret:soon}}").expect_err("bad offset");
        assert!(error.0.contains("+1"), "{error}");
        assert!(render_str("{{what ever}}").is_err());
    }

    #[test]
    fn an_unclosed_brace_pair_is_left_alone() {
        assert_eq!(render_str("a {{ b").expect("renders"), "a {{ b");
    }

    #[test]
    fn four_open_braces_are_a_literal_pair_so_the_code_token_can_be_sent() {
        assert_eq!(
            render_str("Your code is {{{{code}}").expect("renders"),
            "Your code is {{code}}"
        );
        assert_eq!(
            render_str("{{{{{{factor_id}}}}").expect("renders"),
            "{{auth_factor_1}}"
        );
    }

    #[test]
    fn an_escaped_string_in_json_stays_a_string_even_when_it_names_a_capture() {
        assert_eq!(
            render_json(json!({"t": "{{{{count}}"})).expect("renders"),
            json!({"t": "{{count}}"})
        );
    }

    #[test]
    fn three_open_braces_are_an_error_that_mentions_the_escape() {
        let error = render_str("{{{code}}").expect_err("not a placeholder");
        assert!(error.0.contains("{{{{"), "{error}");
    }

    #[test]
    fn a_totp_placeholder_needs_a_string_capture() {
        let error = render_str("{{totp:count}}").expect_err("not a string");
        assert!(error.0.contains("count"), "{error}");
    }
}
