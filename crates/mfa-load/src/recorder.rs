//! What one worker saw: latencies and counts inside the measurement window,
//! and every failure whenever it happened. Workers each own a [`Recorder`];
//! the driver merges them when the run ends.

use std::time::Instant;

use http::StatusCode;

use crate::stats::Latencies;

/// Counts and latencies of one worker (or, merged, of a whole run).
#[derive(Debug, Clone)]
pub struct Recorder {
    window_start: Instant,
    window_end: Instant,
    /// Latency of every request that finished inside the window.
    pub latencies: Latencies,
    /// Requests (any status) that finished inside the window.
    pub requests: u64,
    /// Complete, verified flows that finished inside the window.
    pub flows: u64,
    /// Answers outside 200–299, warm-up included.
    pub non_2xx: u64,
    /// 2xx answers that were not what the scenario needed (an unparseable body,
    /// a verification that came back `valid: false`), warm-up included.
    pub failed_checks: u64,
    /// Requests that got no answer at all (connection closed or refused).
    pub transport_errors: u64,
    /// The first failure, to show what went wrong.
    pub first_problem: Option<String>,
}

impl Recorder {
    /// A recorder that counts what finishes in `[window_start, window_end)`.
    pub fn new(window_start: Instant, window_end: Instant) -> Self {
        Self {
            window_start,
            window_end,
            latencies: Latencies::new(),
            requests: 0,
            flows: 0,
            non_2xx: 0,
            failed_checks: 0,
            transport_errors: 0,
            first_problem: None,
        }
    }

    /// Records one answered request; returns whether its status was 2xx.
    pub fn request(&mut self, started: Instant, finished: Instant, status: StatusCode) -> bool {
        if self.in_window(finished) {
            self.requests += 1;
            self.latencies
                .record(finished.saturating_duration_since(started));
        }
        if status.is_success() {
            return true;
        }
        self.non_2xx += 1;
        false
    }

    /// Records a non-2xx answer's body, the first time one comes.
    pub fn non_2xx_body(&mut self, status: StatusCode, what: &str, body: &[u8]) {
        if self.first_problem.is_none() {
            let excerpt = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            self.first_problem = Some(format!("{what}: {status} {excerpt}"));
        }
    }

    /// Records a flow that completed (its verification said `valid: true`).
    pub fn flow(&mut self, finished: Instant) {
        if self.in_window(finished) {
            self.flows += 1;
        }
    }

    /// Records a 2xx answer that was not what the scenario needed.
    pub fn failed_check(&mut self, problem: String) {
        self.failed_checks += 1;
        self.first_problem.get_or_insert(problem);
    }

    /// Records a request that got no answer.
    pub fn transport_error(&mut self, problem: String) {
        self.transport_errors += 1;
        self.first_problem.get_or_insert(problem);
    }

    /// Adds another worker's counts and latencies to these.
    pub fn merge(&mut self, other: &Recorder) {
        self.latencies.merge(&other.latencies);
        self.requests += other.requests;
        self.flows += other.flows;
        self.non_2xx += other.non_2xx;
        self.failed_checks += other.failed_checks;
        self.transport_errors += other.transport_errors;
        if self.first_problem.is_none() {
            self.first_problem.clone_from(&other.first_problem);
        }
    }

    /// Answers that should not have happened: non-2xx, failed checks, no answer.
    pub fn failures(&self) -> u64 {
        self.non_2xx + self.failed_checks + self.transport_errors
    }

    fn in_window(&self, instant: Instant) -> bool {
        instant >= self.window_start && instant < self.window_end
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn window() -> (Instant, Recorder) {
        let start = Instant::now() + Duration::from_secs(1);
        (start, Recorder::new(start, start + Duration::from_secs(1)))
    }

    #[test]
    fn requests_finishing_in_the_warm_up_are_not_counted() {
        let (start, mut recorder) = window();
        let early = start - Duration::from_millis(10);
        assert!(recorder.request(early, early, StatusCode::OK));
        assert_eq!(recorder.requests, 0);
        assert_eq!(recorder.latencies.count(), 0);
    }

    #[test]
    fn requests_finishing_in_the_window_are_counted_with_their_latency() {
        let (start, mut recorder) = window();
        let finished = start + Duration::from_millis(5);
        recorder.request(start, finished, StatusCode::CREATED);
        assert_eq!(recorder.requests, 1);
        assert!(recorder.latencies.percentile(50.0) >= Duration::from_micros(4_990));
    }

    #[test]
    fn requests_finishing_after_the_window_are_not_counted() {
        let (start, mut recorder) = window();
        let late = start + Duration::from_secs(1);
        recorder.request(late, late, StatusCode::OK);
        recorder.flow(late);
        assert_eq!((recorder.requests, recorder.flows), (0, 0));
    }

    #[test]
    fn non_2xx_answers_count_even_in_the_warm_up() {
        let (start, mut recorder) = window();
        let early = start - Duration::from_millis(10);
        assert!(!recorder.request(early, early, StatusCode::UNPROCESSABLE_ENTITY));
        recorder.non_2xx_body(
            StatusCode::UNPROCESSABLE_ENTITY,
            "enroll",
            b"{\"code\":\"x\"}",
        );
        assert_eq!(recorder.non_2xx, 1);
        assert_eq!(recorder.failures(), 1);
        let problem = recorder.first_problem.unwrap_or_default();
        assert!(problem.starts_with("enroll: 422"), "{problem}");
    }

    #[test]
    fn merging_adds_counts_and_keeps_the_first_problem() {
        let (start, mut left) = window();
        let mut right = left.clone();
        left.request(start, start, StatusCode::OK);
        right.request(start, start, StatusCode::OK);
        right.failed_check("valid was false".to_owned());
        left.merge(&right);
        assert_eq!(left.requests, 2);
        assert_eq!(left.failed_checks, 1);
        assert_eq!(left.first_problem.as_deref(), Some("valid was false"));
    }
}
