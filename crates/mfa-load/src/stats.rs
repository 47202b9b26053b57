//! Latency histograms and the way every figure is written down: percentiles,
//! rates, ratios, sizes and medians. Pure functions; the driver records into a
//! [`Latencies`] per worker and merges them, the report formats the results.

use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies in nanoseconds, from 1 µs to 60 s at three significant digits.
#[derive(Debug, Clone)]
pub struct Latencies(Histogram<u64>);

const LOWEST_NANOS: u64 = 1_000;
const HIGHEST_NANOS: u64 = 60_000_000_000;

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

impl Latencies {
    /// An empty histogram.
    pub fn new() -> Self {
        // Constant bounds that hdrhistogram accepts (low >= 1, high >= 2 * low, sigfig <= 5).
        let histogram = Histogram::new_with_bounds(LOWEST_NANOS, HIGHEST_NANOS, 3)
            .expect("constant histogram bounds are valid");
        Self(histogram)
    }

    /// Records one latency; values outside the range are clamped to it.
    pub fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.0
            .saturating_record(nanos.clamp(LOWEST_NANOS, HIGHEST_NANOS));
    }

    /// Adds every value of `other` to this histogram.
    pub fn merge(&mut self, other: &Latencies) {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.0.add(&other.0);
    }

    /// How many latencies were recorded.
    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// The latency at `percentile` (0–100), or zero for an empty histogram.
    pub fn percentile(&self, percentile: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.0.value_at_percentile(percentile))
    }

    /// The largest latency recorded.
    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.0.max())
    }
}

/// `value / ceiling`, or `None` when the ceiling is missing or zero.
pub fn ratio(value: f64, ceiling: Option<f64>) -> Option<f64> {
    match ceiling {
        Some(ceiling) if ceiling > 0.0 => Some(value / ceiling),
        _ => None,
    }
}

/// A latency for a human: `850 µs`, `1.23 ms`, `12.5 ms`, `2.10 s`.
pub fn format_latency(latency: Duration) -> String {
    let micros = latency.as_secs_f64() * 1e6;
    if micros < 1_000.0 {
        format!("{micros:.0} µs")
    } else if micros < 10_000.0 {
        format!("{:.2} ms", micros / 1e3)
    } else if micros < 1_000_000.0 {
        format!("{:.1} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// A setting's duration: `2 s`, `500 ms`, `1.5 s`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis >= 1000 && millis.is_multiple_of(1000) {
        format!("{} s", millis / 1000)
    } else if millis < 1000 {
        format!("{millis} ms")
    } else {
        format!("{} s", duration.as_secs_f64())
    }
}

/// A rate rounded to a whole number, thousands grouped with a space: `98 123`.
pub fn format_rate(rate: f64) -> String {
    if !rate.is_finite() || rate < 0.0 {
        return "-".to_owned();
    }
    group_thousands(rate.round() as u64)
}

/// A count with thousands grouped with a space: `100 000`.
pub fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    grouped
}

/// A ratio as a percentage with one decimal (`82.3%`), or `-` when there is none.
pub fn format_ratio(ratio: Option<f64>) -> String {
    match ratio {
        Some(ratio) if ratio.is_finite() => format!("{:.1}%", ratio * 100.0),
        _ => "-".to_owned(),
    }
}

/// A size given in KiB, written in MiB with one decimal: `8.4 MiB`.
pub fn format_kib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The median of `values` (the lower middle one for an even count), with the
/// minimum and maximum; `None` for no values.
pub fn median_min_max(values: &[Duration]) -> Option<(Duration, Duration, Duration)> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let median = *sorted.get(sorted.len().checked_sub(1)? / 2)?;
    Some((median, *sorted.first()?, *sorted.last()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_recorded_values() {
        let mut latencies = Latencies::new();
        for micros in 1..=1000 {
            latencies.record(Duration::from_micros(micros));
        }
        let p50 = latencies.percentile(50.0).as_micros();
        let p99 = latencies.percentile(99.0).as_micros();
        assert!((499..=501).contains(&p50), "p50 was {p50}");
        assert!((989..=991).contains(&p99), "p99 was {p99}");
        assert_eq!(latencies.count(), 1000);
    }

    #[test]
    fn an_empty_histogram_reports_zero() {
        assert_eq!(Latencies::new().percentile(99.9), Duration::ZERO);
    }

    #[test]
    fn merged_histograms_hold_both_sets_of_values() {
        let mut left = Latencies::new();
        let mut right = Latencies::new();
        left.record(Duration::from_micros(10));
        right.record(Duration::from_millis(10));
        left.merge(&right);
        assert_eq!(left.count(), 2);
        assert!(left.max() >= Duration::from_micros(9_990));
    }

    #[test]
    fn latencies_outside_the_range_are_clamped_not_dropped() {
        let mut latencies = Latencies::new();
        latencies.record(Duration::from_nanos(10));
        latencies.record(Duration::from_secs(3600));
        assert_eq!(latencies.count(), 2);
    }

    #[test]
    fn latencies_are_written_in_the_unit_that_reads_best() {
        assert_eq!(format_latency(Duration::from_micros(850)), "850 µs");
        assert_eq!(format_latency(Duration::from_micros(1234)), "1.23 ms");
        assert_eq!(format_latency(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(format_latency(Duration::from_millis(2_100)), "2.10 s");
    }

    #[test]
    fn setting_durations_are_written_plainly() {
        assert_eq!(format_duration(Duration::from_secs(10)), "10 s");
        assert_eq!(format_duration(Duration::from_millis(300)), "300 ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5 s");
    }

    #[test]
    fn rates_are_rounded_and_grouped_by_thousands() {
        assert_eq!(format_rate(98_123.4), "98 123");
        assert_eq!(format_rate(999.5), "1 000");
        assert_eq!(format_rate(12.0), "12");
        assert_eq!(format_rate(f64::NAN), "-");
        assert_eq!(group_thousands(100_000), "100 000");
        assert_eq!(group_thousands(0), "0");
    }

    #[test]
    fn a_ratio_needs_a_positive_ceiling() {
        assert_eq!(ratio(50.0, Some(200.0)), Some(0.25));
        assert_eq!(ratio(50.0, Some(0.0)), None);
        assert_eq!(ratio(50.0, None), None);
    }

    #[test]
    fn ratios_are_written_as_percentages() {
        assert_eq!(format_ratio(Some(0.8234)), "82.3%");
        assert_eq!(format_ratio(Some(1.5)), "150.0%");
        assert_eq!(format_ratio(None), "-");
    }

    #[test]
    fn sizes_are_written_in_mebibytes() {
        assert_eq!(format_kib(8_602), "8.4 MiB");
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value() {
        let values = [5, 1, 3].map(Duration::from_millis);
        let (median, min, max) = median_min_max(&values).unwrap_or_default();
        assert_eq!(median, Duration::from_millis(3));
        assert_eq!(min, Duration::from_millis(1));
        assert_eq!(max, Duration::from_millis(5));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_lower_middle_value() {
        let values = [4, 1, 3, 2].map(Duration::from_millis);
        let median = median_min_max(&values).map(|(median, _, _)| median);
        assert_eq!(median, Some(Duration::from_millis(2)));
        assert_eq!(median_min_max(&[]), None);
    }
}
