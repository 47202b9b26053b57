//! What a fixture may ask of a run (`"requires"`), and whether this run provides it.
//!
//! `second_tenant` needs a key for the `other` tenant; `control_plane` needs mfa-mock's
//! test controls under `/_mock/`, which the real WorkOS API does not have. A fixture whose
//! requirement is missing is skipped with the reason, so one suite runs everywhere.
//! Finding out whether the control plane is there is `control`'s job.

use crate::fixture::{CONTROL_PLANE, SECOND_TENANT};

/// Whether the server under test has the test-control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlPlane {
    /// `GET /_mock/clock` answers a clock: fixtures may call `/_mock/`, and TOTP codes are
    /// computed at the tenant's time.
    Available,
    /// It does not, for the reason given; such fixtures are skipped.
    Unavailable(String),
}

impl ControlPlane {
    /// Whether the control plane can be used.
    pub fn is_available(&self) -> bool {
        *self == Self::Available
    }
}

/// What one run can provide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether there is a key for the `other` tenant.
    pub second_tenant: bool,
    /// Whether `/_mock/` can be used.
    pub control_plane: ControlPlane,
}

impl Capabilities {
    /// Why a fixture with these `requires` cannot run, if it cannot.
    pub fn missing(&self, requires: &[String]) -> Option<String> {
        requires
            .iter()
            .find_map(|requirement| self.missing_one(requirement))
    }

    fn missing_one(&self, requirement: &str) -> Option<String> {
        match (requirement, &self.control_plane) {
            (SECOND_TENANT, _) if self.second_tenant => None,
            (SECOND_TENANT, _) => {
                Some("needs a second tenant: pass --api-key-2 as well as --api-key".to_string())
            }
            (CONTROL_PLANE, ControlPlane::Available) => None,
            (CONTROL_PLANE, ControlPlane::Unavailable(reason)) => Some(format!(
                "needs mfa-mock's test-control plane (/_mock/), which this server lacks: {reason}"
            )),
            (unknown, _) => Some(format!(
                "requires {unknown:?}, which this runner does not know"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capabilities(second_tenant: bool, control_plane: ControlPlane) -> Capabilities {
        Capabilities {
            second_tenant,
            control_plane,
        }
    }

    fn requires(names: &[&str]) -> Vec<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_run_with_everything_misses_nothing() {
        let all = capabilities(true, ControlPlane::Available);
        assert_eq!(
            all.missing(&requires(&[SECOND_TENANT, CONTROL_PLANE])),
            None
        );
    }

    #[test]
    fn without_a_second_key_second_tenant_fixtures_are_skipped_naming_the_flag() {
        let reason = capabilities(false, ControlPlane::Available)
            .missing(&requires(&[SECOND_TENANT]))
            .expect("skipped");
        assert!(reason.contains("--api-key-2"), "{reason}");
    }

    #[test]
    fn without_the_control_plane_its_fixtures_are_skipped_with_the_probe_result() {
        let lacking = capabilities(
            true,
            ControlPlane::Unavailable("GET /_mock/clock: 404".into()),
        );
        let reason = lacking
            .missing(&requires(&[CONTROL_PLANE]))
            .expect("skipped");
        assert!(
            reason.contains("/_mock/") && reason.contains("404"),
            "{reason}"
        );
        assert_eq!(lacking.missing(&requires(&[SECOND_TENANT])), None);
    }

    #[test]
    fn an_unknown_requirement_is_reported() {
        let reason =
            capabilities(true, ControlPlane::Available).missing(&requires(&["time_travel"]));
        assert!(reason.is_some_and(|r| r.contains("time_travel")));
    }
}
