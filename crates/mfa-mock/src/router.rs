//! The route table: every method and path pattern the server answers, and
//! the handler each one runs.
//!
//! [`ROUTES`] is the single source of dispatch, of the `Allow` header of a
//! 405, of the route list a 404 `route_not_found` names, and of `HEAD` (which
//! answers any `GET` row). Adding a route is adding a row; nothing else
//! needs to learn about it.
//!
//! Patterns are matched in table order and the first pattern whose segments
//! fit the path wins, so static segments listed first beat parameters
//! (`/auth/factors/enroll` is never a factor id). A known path with a method
//! it does not take is told apart from an unknown path, so a typo is never
//! mistaken for a missing object.
//!
//! This module names handlers; handlers never name it, so dependencies point
//! one way.

use std::borrow::Cow;
use std::sync::LazyLock;

use http::Method;
use percent_encoding::percent_decode_str;

use crate::error::ApiError;
use crate::handlers::{self, Answer, Ctx, Env, control};
use crate::ui;

/// How a row is served, and so what its handler is given.
#[derive(Clone, Copy)]
pub(crate) enum Handler {
    /// No API key: the handler sees the settings, the store and the request.
    Public(fn(&Env<'_>) -> Answer),
    /// A WorkOS operation: the key picks the tenant; faults, `Idempotency-Key`
    /// and the request journal apply.
    Api(fn(&Ctx<'_>) -> Answer),
    /// A test control under `/_mock/`: the key picks the tenant; not
    /// journaled, never faulted, so a test can always reach it.
    Control(fn(&Ctx<'_>) -> Answer),
}

/// One row of the table.
pub(crate) struct Row {
    pub(crate) method: Method,
    /// Segments split by `/`; `:name` matches any one non-empty segment.
    pub(crate) pattern: &'static str,
    pub(crate) handler: Handler,
}

const fn row(method: Method, pattern: &'static str, handler: Handler) -> Row {
    Row {
        method,
        pattern,
        handler,
    }
}

use Handler::{Api, Control, Public};

/// Every route, static patterns before the parameterised ones they overlap.
/// Rows of one pattern are listed in the order a 405's `Allow` names them.
pub(crate) static ROUTES: [Row; 30] = [
    row(
        Method::POST,
        "/auth/factors/enroll",
        Api(handlers::factors::enroll),
    ),
    row(
        Method::GET,
        "/auth/factors/:id",
        Api(|ctx| handlers::factors::get(ctx, ctx.id)),
    ),
    row(
        Method::DELETE,
        "/auth/factors/:id",
        Api(|ctx| handlers::factors::delete(ctx, ctx.id)),
    ),
    row(
        Method::POST,
        "/auth/factors/:id/challenge",
        Api(|ctx| handlers::factors::challenge(ctx, ctx.id)),
    ),
    row(
        Method::POST,
        "/auth/challenges/:id/verify",
        Api(|ctx| handlers::challenges::verify(ctx, ctx.id)),
    ),
    row(
        Method::GET,
        "/user_management/users",
        Api(handlers::users::list),
    ),
    row(
        Method::POST,
        "/user_management/users",
        Api(handlers::users::create),
    ),
    row(
        Method::GET,
        "/user_management/users/:id",
        Api(|ctx| handlers::users::get(ctx, ctx.id)),
    ),
    row(
        Method::PUT,
        "/user_management/users/:id",
        Api(|ctx| handlers::users::update(ctx, ctx.id)),
    ),
    row(
        Method::DELETE,
        "/user_management/users/:id",
        Api(|ctx| handlers::users::delete(ctx, ctx.id)),
    ),
    row(
        Method::GET,
        "/user_management/users/:id/auth_factors",
        Api(|ctx| handlers::authkit::list(ctx, ctx.id)),
    ),
    row(
        Method::POST,
        "/user_management/users/:id/auth_factors",
        Api(|ctx| handlers::authkit::enroll(ctx, ctx.id)),
    ),
    row(
        Method::POST,
        "/user_management/authenticate",
        Api(handlers::signin::authenticate),
    ),
    row(Method::GET, "/sso/jwks/:id", Public(handlers::signin::jwks)),
    row(Method::GET, "/health", Public(handlers::health)),
    row(Method::GET, "/_mock/ui", Public(ui::page)),
    row(Method::GET, "/_mock/clock", Control(control::clock::show)),
    row(
        Method::POST,
        "/_mock/clock",
        Control(control::clock::change),
    ),
    row(Method::GET, "/_mock/sms", Control(control::outbox::list)),
    row(
        Method::DELETE,
        "/_mock/sms",
        Control(control::outbox::clear),
    ),
    row(
        Method::GET,
        "/_mock/requests",
        Control(control::journal::list),
    ),
    row(
        Method::DELETE,
        "/_mock/requests",
        Control(control::journal::clear),
    ),
    row(Method::GET, "/_mock/faults", Control(control::faults::list)),
    row(Method::POST, "/_mock/faults", Control(control::faults::add)),
    row(
        Method::DELETE,
        "/_mock/faults/:id",
        Control(control::faults::remove),
    ),
    row(
        Method::GET,
        "/_mock/settings",
        Control(control::settings::show),
    ),
    row(
        Method::POST,
        "/_mock/settings",
        Control(control::settings::change),
    ),
    row(Method::POST, "/_mock/reset", Control(control::state::reset)),
    row(Method::GET, "/_mock/state", Control(control::state::export)),
    row(Method::PUT, "/_mock/state", Control(control::state::import)),
];

/// What the table says about a method and path.
pub(crate) enum Resolved {
    /// The row to run, with the path's `:id` (empty when it has none).
    Found { row: &'static Row, id: String },
    /// The path is known, the method is not.
    NotAllowed(ApiError),
    /// No pattern fits the path.
    NotFound(ApiError),
}

/// The row for `method` on `path` (the path without its query string).
/// `HEAD` runs the `GET` row of a path that has no `HEAD` row of its own.
pub(crate) fn resolve(method: &Method, path: &str) -> Resolved {
    let not_found = || {
        Resolved::NotFound(ApiError::RouteNotFound {
            method: method.to_string(),
            path: path.to_owned(),
            routes: listed_patterns().join(", "),
        })
    };
    let Some(rest) = path.strip_prefix('/') else {
        return not_found();
    };
    let segments: Vec<Cow<'_, str>> = rest.split('/').map(decode).collect();
    let Some((pattern, id)) = ROUTES
        .iter()
        .zip(PATTERN_SEGMENTS.iter())
        .find_map(|(row, parts)| fit(parts, &segments).map(|id| (row.pattern, id)))
    else {
        return not_found();
    };
    let rows = || ROUTES.iter().filter(move |row| row.pattern == pattern);
    let wanted = |m: &Method| rows().find(|row| row.method == m);
    let found = wanted(method).or_else(|| {
        (method == Method::HEAD)
            .then(|| wanted(&Method::GET))
            .flatten()
    });
    match found {
        Some(row) => Resolved::Found { row, id },
        None => Resolved::NotAllowed(ApiError::MethodNotAllowed {
            method: method.to_string(),
            pattern,
            allowed: rows()
                .map(|row| row.method.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The patterns a `route_not_found` lists: the WorkOS routes and `/health`,
/// each once, in table order (the test controls are documented separately).
pub(crate) fn listed_patterns() -> Vec<&'static str> {
    let mut patterns: Vec<&'static str> = Vec::new();
    for row in ROUTES
        .iter()
        .filter(|row| !row.pattern.starts_with("/_mock/"))
    {
        if !patterns.contains(&row.pattern) {
            patterns.push(row.pattern);
        }
    }
    patterns
}

/// Each row's pattern split at `/` (without the leading one), once: splitting
/// all 30 patterns on every request was a quarter of routing's instructions.
static PATTERN_SEGMENTS: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .map(|row| row.pattern.trim_start_matches('/').split('/').collect())
        .collect()
});

/// The `:id` segment's value if `segments` fit the pattern split into `parts`
/// (empty when the pattern has no parameter), else `None`.
fn fit(parts: &[&str], segments: &[Cow<'_, str>]) -> Option<String> {
    if parts.len() != segments.len() {
        return None;
    }
    let mut id = None;
    for (part, segment) in parts.iter().zip(segments) {
        match *part {
            part if part.starts_with(':') && !segment.is_empty() => id = Some(segment),
            part if part == segment => {}
            _ => return None,
        }
    }
    Some(id.map(|id| id.clone().into_owned()).unwrap_or_default())
}

/// The segment percent-decoded; borrowed as it is when it holds no escape, as
/// nearly all do (it is already text, so there is nothing to check).
fn decode(segment: &str) -> Cow<'_, str> {
    if !segment.contains('%') {
        return Cow::Borrowed(segment);
    }
    percent_decode_str(segment).decode_utf8_lossy()
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHODS: [Method; 8] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ];

    /// The pattern with its parameter filled in.
    fn concrete(pattern: &str) -> String {
        pattern.replace(":id", "some_id")
    }

    fn resolved(method: &Method, path: &str) -> Result<(&'static str, Method, String), String> {
        match resolve(method, path) {
            Resolved::Found { row, id } => Ok((row.pattern, row.method.clone(), id)),
            Resolved::NotAllowed(error) | Resolved::NotFound(error) => {
                let allowed = match &error {
                    ApiError::MethodNotAllowed { allowed, .. } => allowed.clone(),
                    _ => "not found".to_owned(),
                };
                Err(allowed)
            }
        }
    }

    #[test]
    fn every_row_answers_its_method_head_its_get_and_other_methods_a_405_naming_the_rows() {
        for row in &ROUTES {
            let path = concrete(row.pattern);
            let rows: Vec<&Row> = ROUTES.iter().filter(|r| r.pattern == row.pattern).collect();
            let allowed: Vec<&str> = rows.iter().map(|r| r.method.as_str()).collect();
            for method in &METHODS {
                let own = rows.iter().find(|r| r.method == method);
                let runs = own.or_else(|| {
                    (*method == Method::HEAD)
                        .then(|| rows.iter().find(|r| r.method == Method::GET))
                        .flatten()
                });
                let expected = match runs {
                    Some(r) => Ok((
                        r.pattern,
                        r.method.clone(),
                        if r.pattern.contains(":id") {
                            "some_id".to_owned()
                        } else {
                            String::new()
                        },
                    )),
                    None => Err(allowed.join(", ")),
                };
                assert_eq!(resolved(method, &path), expected, "{method} {path}");
            }
        }
    }

    #[test]
    fn patterns_are_unique_per_method_and_well_formed() {
        for (index, row) in ROUTES.iter().enumerate() {
            assert!(row.pattern.starts_with('/'), "{}", row.pattern);
            let twin = ROUTES[index + 1..]
                .iter()
                .any(|other| other.pattern == row.pattern && other.method == row.method);
            assert!(!twin, "{} {} is listed twice", row.method, row.pattern);
        }
    }

    #[test]
    fn the_static_enroll_segment_is_never_taken_for_a_factor_id() {
        assert_eq!(
            resolved(&Method::GET, "/auth/factors/enroll"),
            Err("POST".to_owned())
        );
    }

    #[test]
    fn unknown_paths_empty_ids_and_trailing_slashes_are_not_found() {
        for path in [
            "/",
            "",
            "/auth/factor/f1",
            "/auth/factors/",
            "/auth/factors//challenge",
            "/auth/factors/f1/",
            "/health/",
            "/auth/challenges/c1",
            "/_mock/nothing",
            "/_mock/faults/",
        ] {
            assert_eq!(
                resolved(&Method::GET, path),
                Err("not found".to_owned()),
                "{path:?}"
            );
        }
    }

    #[test]
    fn percent_encoded_ids_and_segments_are_decoded() {
        assert_eq!(
            resolved(&Method::GET, "/auth/factors/auth%5Ffactor%2F1"),
            Ok(("/auth/factors/:id", Method::GET, "auth_factor/1".to_owned()))
        );
        assert_eq!(
            resolved(&Method::POST, "/auth/factors/%65nroll"),
            Ok(("/auth/factors/enroll", Method::POST, String::new()))
        );
    }

    #[test]
    fn a_route_not_found_lists_the_workos_routes_and_health_but_no_controls() {
        assert_eq!(
            listed_patterns().join(", "),
            "/auth/factors/enroll, /auth/factors/:id, /auth/factors/:id/challenge, \
             /auth/challenges/:id/verify, /user_management/users, /user_management/users/:id, \
             /user_management/users/:id/auth_factors, /user_management/authenticate, \
             /sso/jwks/:id, /health"
        );
    }
}
