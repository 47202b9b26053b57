//! Which operation a method and path ask for.
//!
//! One enum, one `match`. Static segments win over parameters
//! (`/auth/factors/enroll` is never a factor id), and a known path with the
//! wrong method is told apart from an unknown path, so a typo is never mistaken
//! for a missing object.

use http::Method;
use percent_encoding::percent_decode_str;

/// An operation, with the ids its path carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /health`
    Health,
    /// `POST /auth/factors/enroll`
    EnrollFactor,
    /// `GET /auth/factors/:id`
    GetFactor(String),
    /// `DELETE /auth/factors/:id`
    DeleteFactor(String),
    /// `POST /auth/factors/:id/challenge`
    ChallengeFactor(String),
    /// `POST /auth/challenges/:id/verify`
    VerifyChallenge(String),
    /// `POST /user_management/users`
    CreateUser,
    /// `GET /user_management/users/:id`
    GetUser(String),
    /// `DELETE /user_management/users/:id`
    DeleteUser(String),
    /// `POST /user_management/users/:id/auth_factors`
    EnrollAuthFactor(String),
    /// `GET /user_management/users/:id/auth_factors`
    ListAuthFactors(String),
    /// A test control under `/_mock/`.
    Control(Control),
    /// A known path with a method it does not take.
    MethodNotAllowed {
        /// The path pattern.
        pattern: &'static str,
        /// The methods it takes, as an `Allow` header lists them.
        allowed: &'static str,
    },
    /// No such path.
    NotFound,
}

/// The test controls under `/_mock/`; off the WorkOS paths, so no SDK reaches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// `GET /_mock/clock`
    GetClock,
    /// `POST /_mock/clock`
    SetClock,
    /// `GET /_mock/sms`
    ListSms,
    /// `DELETE /_mock/sms`
    ClearSms,
    /// `GET /_mock/requests`
    ListRequests,
    /// `DELETE /_mock/requests`
    ClearRequests,
    /// `GET /_mock/faults`
    ListFaults,
    /// `POST /_mock/faults`
    AddFault,
    /// `DELETE /_mock/faults/:id`
    RemoveFault(String),
    /// `POST /_mock/reset`
    Reset,
    /// `GET /_mock/state`
    ExportState,
    /// `PUT /_mock/state`
    ImportState,
}

/// The route for `method` on `path` (the path without its query string).
pub fn route(method: &Method, path: &str) -> Route {
    let Some(rest) = path.strip_prefix('/') else {
        return Route::NotFound;
    };
    let segments: Vec<String> = rest.split('/').map(decode).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let is = |wanted: &Method| method == wanted;
    match segments.as_slice() {
        ["health"] if is(&Method::GET) => Route::Health,
        ["health"] => not_allowed("/health", "GET"),
        ["auth", "factors", "enroll"] if is(&Method::POST) => Route::EnrollFactor,
        ["auth", "factors", "enroll"] => not_allowed("/auth/factors/enroll", "POST"),
        ["auth", "factors", id] if is(&Method::GET) && valid(id) => Route::GetFactor(own(id)),
        ["auth", "factors", id] if is(&Method::DELETE) && valid(id) => Route::DeleteFactor(own(id)),
        ["auth", "factors", id] if valid(id) => not_allowed("/auth/factors/:id", "GET, DELETE"),
        ["auth", "factors", id, "challenge"] if is(&Method::POST) && valid(id) => {
            Route::ChallengeFactor(own(id))
        }
        ["auth", "factors", id, "challenge"] if valid(id) => {
            not_allowed("/auth/factors/:id/challenge", "POST")
        }
        ["auth", "challenges", id, "verify"] if is(&Method::POST) && valid(id) => {
            Route::VerifyChallenge(own(id))
        }
        ["auth", "challenges", id, "verify"] if valid(id) => {
            not_allowed("/auth/challenges/:id/verify", "POST")
        }
        ["user_management", "users"] if is(&Method::POST) => Route::CreateUser,
        ["user_management", "users"] => not_allowed("/user_management/users", "POST"),
        ["user_management", "users", id] if is(&Method::GET) && valid(id) => {
            Route::GetUser(own(id))
        }
        ["user_management", "users", id] if is(&Method::DELETE) && valid(id) => {
            Route::DeleteUser(own(id))
        }
        ["user_management", "users", id] if valid(id) => {
            not_allowed("/user_management/users/:id", "GET, DELETE")
        }
        ["user_management", "users", id, "auth_factors"] if valid(id) => match *method {
            Method::POST => Route::EnrollAuthFactor(own(id)),
            Method::GET => Route::ListAuthFactors(own(id)),
            _ => not_allowed("/user_management/users/:id/auth_factors", "GET, POST"),
        },
        ["_mock", rest @ ..] => control(method, rest),
        _ => Route::NotFound,
    }
}

fn control(method: &Method, segments: &[&str]) -> Route {
    let pick = |pairs: &[(Method, Control)], pattern: &'static str, allowed: &'static str| {
        pairs
            .iter()
            .find(|(wanted, _)| wanted == method)
            .map_or_else(
                || not_allowed(pattern, allowed),
                |(_, control)| Route::Control(control.clone()),
            )
    };
    match segments {
        ["clock"] => pick(
            &[
                (Method::GET, Control::GetClock),
                (Method::POST, Control::SetClock),
            ],
            "/_mock/clock",
            "GET, POST",
        ),
        ["sms"] => pick(
            &[
                (Method::GET, Control::ListSms),
                (Method::DELETE, Control::ClearSms),
            ],
            "/_mock/sms",
            "GET, DELETE",
        ),
        ["requests"] => pick(
            &[
                (Method::GET, Control::ListRequests),
                (Method::DELETE, Control::ClearRequests),
            ],
            "/_mock/requests",
            "GET, DELETE",
        ),
        ["faults"] => pick(
            &[
                (Method::GET, Control::ListFaults),
                (Method::POST, Control::AddFault),
            ],
            "/_mock/faults",
            "GET, POST",
        ),
        ["faults", id] if valid(id) => pick(
            &[(Method::DELETE, Control::RemoveFault(own(id)))],
            "/_mock/faults/:id",
            "DELETE",
        ),
        ["reset"] => pick(&[(Method::POST, Control::Reset)], "/_mock/reset", "POST"),
        ["state"] => pick(
            &[
                (Method::GET, Control::ExportState),
                (Method::PUT, Control::ImportState),
            ],
            "/_mock/state",
            "GET, PUT",
        ),
        _ => Route::NotFound,
    }
}

/// A path parameter must be non-empty; an empty one means the path is wrong.
fn valid(id: &str) -> bool {
    !id.is_empty()
}

fn own(id: &str) -> String {
    id.to_owned()
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

fn not_allowed(pattern: &'static str, allowed: &'static str) -> Route {
    Route::MethodNotAllowed { pattern, allowed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> String {
        s.to_owned()
    }

    #[test]
    fn every_route_in_the_table_resolves() {
        let table = [
            (Method::GET, "/health", Route::Health),
            (Method::POST, "/auth/factors/enroll", Route::EnrollFactor),
            (Method::GET, "/auth/factors/f1", Route::GetFactor(id("f1"))),
            (
                Method::DELETE,
                "/auth/factors/f1",
                Route::DeleteFactor(id("f1")),
            ),
            (
                Method::POST,
                "/auth/factors/f1/challenge",
                Route::ChallengeFactor(id("f1")),
            ),
            (
                Method::POST,
                "/auth/challenges/c1/verify",
                Route::VerifyChallenge(id("c1")),
            ),
            (Method::POST, "/user_management/users", Route::CreateUser),
            (
                Method::GET,
                "/user_management/users/u1",
                Route::GetUser(id("u1")),
            ),
            (
                Method::DELETE,
                "/user_management/users/u1",
                Route::DeleteUser(id("u1")),
            ),
            (
                Method::POST,
                "/user_management/users/u1/auth_factors",
                Route::EnrollAuthFactor(id("u1")),
            ),
            (
                Method::GET,
                "/user_management/users/u1/auth_factors",
                Route::ListAuthFactors(id("u1")),
            ),
        ];
        let controls = [
            (Method::GET, "/_mock/clock", Control::GetClock),
            (Method::POST, "/_mock/clock", Control::SetClock),
            (Method::GET, "/_mock/sms", Control::ListSms),
            (Method::DELETE, "/_mock/sms", Control::ClearSms),
            (Method::GET, "/_mock/requests", Control::ListRequests),
            (Method::DELETE, "/_mock/requests", Control::ClearRequests),
            (Method::GET, "/_mock/faults", Control::ListFaults),
            (Method::POST, "/_mock/faults", Control::AddFault),
            (
                Method::DELETE,
                "/_mock/faults/fault_1",
                Control::RemoveFault(id("fault_1")),
            ),
            (Method::POST, "/_mock/reset", Control::Reset),
            (Method::GET, "/_mock/state", Control::ExportState),
            (Method::PUT, "/_mock/state", Control::ImportState),
        ];
        let table = table.into_iter().chain(
            controls
                .into_iter()
                .map(|(m, p, c)| (m, p, Route::Control(c))),
        );
        for (method, path, expected) in table {
            assert_eq!(route(&method, path), expected, "{method} {path}");
        }
    }

    #[test]
    fn the_static_enroll_segment_is_never_taken_for_a_factor_id() {
        assert_eq!(
            route(&Method::GET, "/auth/factors/enroll"),
            Route::MethodNotAllowed {
                pattern: "/auth/factors/enroll",
                allowed: "POST"
            }
        );
    }

    #[test]
    fn a_known_path_with_the_wrong_method_is_not_allowed_rather_than_not_found() {
        assert_eq!(
            route(&Method::PUT, "/auth/factors/f1"),
            Route::MethodNotAllowed {
                pattern: "/auth/factors/:id",
                allowed: "GET, DELETE"
            }
        );
        assert!(matches!(
            route(&Method::PATCH, "/user_management/users/u1/auth_factors"),
            Route::MethodNotAllowed { .. }
        ));
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
        ] {
            assert_eq!(route(&Method::GET, path), Route::NotFound, "{path:?}");
        }
    }

    #[test]
    fn percent_encoded_ids_are_decoded() {
        assert_eq!(
            route(&Method::GET, "/auth/factors/auth%5Ffactor%2F1"),
            Route::GetFactor(id("auth_factor/1"))
        );
    }
}
