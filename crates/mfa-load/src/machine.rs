//! The machine the figures come from: how many cores this process may use and
//! the CPU model named in `/proc/cpuinfo`. Printed in the report's header,
//! since absolute figures mean little without it.

use serde::Serialize;

/// Cores and CPU model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Machine {
    /// Cores this process may run on.
    pub cores: usize,
    /// The CPU's model name, or `unknown CPU`.
    pub cpu_model: String,
}

impl Machine {
    /// Reads this machine's figures.
    pub fn detect() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|text| cpu_model(&text))
            .unwrap_or_else(|| "unknown CPU".to_owned());
        Self { cores, cpu_model }
    }

    /// `2 cores, AMD EPYC 7763 64-Core Processor`.
    pub fn describe(&self) -> String {
        let plural = if self.cores == 1 { "" } else { "s" };
        format!("{} core{plural}, {}", self.cores, self.cpu_model)
    }
}

/// The first `model name` in a `/proc/cpuinfo` text (ARM kernels name none, so
/// `Hardware` and `CPU part` are tried too).
pub fn cpu_model(cpuinfo: &str) -> Option<String> {
    ["model name", "Hardware", "CPU part"]
        .iter()
        .find_map(|key| {
            cpuinfo.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                (name.trim() == *key && !value.trim().is_empty()).then(|| value.trim().to_owned())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_name_comes_from_the_first_processor() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7763 64-Core Processor\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7763 64-Core Processor\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("AMD EPYC 7763 64-Core Processor")
        );
    }

    #[test]
    fn a_cpuinfo_without_a_model_gives_none() {
        assert_eq!(cpu_model("processor\t: 0\n"), None);
    }

    #[test]
    fn the_description_names_cores_and_model() {
        let machine = Machine {
            cores: 2,
            cpu_model: "AMD EPYC".to_owned(),
        };
        assert_eq!(machine.describe(), "2 cores, AMD EPYC");
    }
}
