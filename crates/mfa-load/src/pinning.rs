//! Where each party runs. The server under test and the ceiling server share
//! one core, the load generator gets another, so neither steals the other's
//! CPU and the ratios mean something. A spawned server inherits the affinity
//! of the thread that spawns it, so pinning a short-lived thread before the
//! spawn pins the child process without `taskset` or unsafe code.

use serde::Serialize;

/// The cores each party is pinned to; `None` means unpinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Core of the server under test (spawned) and of the ceiling server.
    pub server_core: Option<usize>,
    /// Core of the load generator's thread.
    pub generator_core: Option<usize>,
    /// Why there is no pinning, when there is none.
    pub warning: Option<String>,
}

impl Plan {
    /// Decides the pinning from the cores this process may use: the first for
    /// the servers, the second for the generator; unpinned with a warning when
    /// there are fewer than two, or when pinning is `disabled`.
    pub fn from_cores(cores: &[usize], disabled: bool) -> Self {
        if disabled {
            return Self::unpinned(None);
        }
        match cores {
            [server, generator, ..] => Self {
                server_core: Some(*server),
                generator_core: Some(*generator),
                warning: None,
            },
            _ => Self::unpinned(Some(format!(
                "only {} core(s) available: server and load generator are not pinned and \
                 compete for the same CPU, so the figures are not comparable",
                cores.len()
            ))),
        }
    }

    /// The plan for this machine.
    pub fn detect(disabled: bool) -> Self {
        let cores: Vec<usize> = core_affinity::get_core_ids()
            .unwrap_or_default()
            .into_iter()
            .map(|core| core.id)
            .collect();
        Self::from_cores(&cores, disabled)
    }

    fn unpinned(warning: Option<String>) -> Self {
        Self {
            server_core: None,
            generator_core: None,
            warning,
        }
    }

    /// One line for the report: what runs where.
    pub fn describe(&self, spawned_server: bool) -> String {
        let (Some(server), Some(generator)) = (self.server_core, self.generator_core) else {
            return "not pinned".to_owned();
        };
        let server_part = if spawned_server {
            format!("mfa-mock (1 tokio worker), ceiling and floor on core {server}")
        } else {
            format!(
                "ceiling and floor on core {server} (the --url server is not pinned by mfa-load)"
            )
        };
        format!("{server_part}, load generator on core {generator}")
    }
}

/// Pins the calling thread to `core`, if one is given; false if that failed.
pub fn pin_current_thread(core: Option<usize>) -> bool {
    match core {
        Some(id) => core_affinity::set_for_current(core_affinity::CoreId { id }),
        None => true,
    }
}

/// The `Cpus_allowed_list` line of `/proc/<pid>/status`, to show that a
/// spawned server really is pinned.
pub fn cpus_allowed(pid: u32) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_field(&status, "Cpus_allowed_list")
}

/// The value of `field` in a `/proc/<pid>/status` text.
pub fn status_field(status: &str, field: &str) -> Option<String> {
    status.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name == field).then(|| value.trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_cores_put_the_servers_on_the_first_and_the_generator_on_the_second() {
        let plan = Plan::from_cores(&[0, 1], false);
        assert_eq!((plan.server_core, plan.generator_core), (Some(0), Some(1)));
        assert_eq!(plan.warning, None);
        assert_eq!(
            plan.describe(true),
            "mfa-mock (1 tokio worker), ceiling and floor on core 0, load generator on core 1"
        );
    }

    #[test]
    fn one_core_runs_unpinned_with_a_warning() {
        let plan = Plan::from_cores(&[0], false);
        assert_eq!((plan.server_core, plan.generator_core), (None, None));
        assert!(plan.warning.unwrap_or_default().contains("only 1 core"));
    }

    #[test]
    fn disabled_pinning_is_unpinned_without_a_warning() {
        let plan = Plan::from_cores(&[0, 1, 2, 3], true);
        assert_eq!(plan.describe(true), "not pinned");
        assert_eq!(plan.warning, None);
    }

    #[test]
    fn status_fields_are_read_by_name() {
        let status = "Name:\tmfa-mock\nVmRSS:\t    8123 kB\nCpus_allowed_list:\t0\n";
        assert_eq!(
            status_field(status, "Cpus_allowed_list").as_deref(),
            Some("0")
        );
        assert_eq!(status_field(status, "VmRSS").as_deref(), Some("8123 kB"));
        assert_eq!(status_field(status, "VmHWM"), None);
    }
}
