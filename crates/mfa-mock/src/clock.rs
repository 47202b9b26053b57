//! Time as the server sees it.
//!
//! Every timestamp the server stores is a [`Timestamp`]: milliseconds since the
//! Unix epoch, rendered on the wire exactly as WorkOS renders it
//! (`2022-02-15T15:14:19.392Z`: UTC, three fractional digits, `Z`). The
//! [`Clock`] lives in the application state rather than being read ambiently,
//! so tests can pin it.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The timestamp `millis` milliseconds after the Unix epoch.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (what TOTP counts in).
    pub fn unix_seconds(self) -> u64 {
        u64::try_from(self.0.div_euclid(1000)).unwrap_or(0)
    }

    /// This timestamp moved `seconds` later.
    pub const fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Parses an RFC 3339 timestamp (any offset, any fractional digits; the
    /// result keeps milliseconds).
    pub fn parse(text: &str) -> Option<Self> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        let millis = parsed.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(millis).ok().map(Self)
    }
}

impl Timestamp {
    /// The wire format, `[year]-[month]-[day]T[hour]:[minute]:[second].[ms]Z`,
    /// as ASCII bytes; `None` for years outside 0000–9999 (which need more
    /// room) or instants the calendar cannot hold. Written digit by digit
    /// because this runs for every timestamp in every response: with `time`'s
    /// own formatting instead, a `GET` of a factor costs the server 15.9% more
    /// instructions per request (1.0% more on an enroll → challenge → verify
    /// flow), counted by `crates/mfa-load/callgrind/variants.sh`. Years
    /// outside 0000–9999, which a tenant clock advanced far enough reaches,
    /// take the `Display` fallback below; it is rare, so it stays plain.
    fn wire_bytes(self) -> Option<[u8; 24]> {
        let nanos = i128::from(self.0) * 1_000_000;
        let instant = OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?;
        let (year, month, day) = instant.to_calendar_date();
        let year = u16::try_from(year).ok().filter(|year| *year <= 9999)?;
        let (hour, minute, second, milli) = instant.to_hms_milli();
        let mut out = *b"0000-00-00T00:00:00.000Z";
        let digits = |out: &mut [u8], mut value: u16| {
            for slot in out.iter_mut().rev() {
                // A remainder below 10 fits a u8.
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        digits(&mut out[0..4], year);
        digits(&mut out[5..7], u16::from(u8::from(month)));
        digits(&mut out[8..10], u16::from(day));
        digits(&mut out[11..13], u16::from(hour));
        digits(&mut out[14..16], u16::from(minute));
        digits(&mut out[17..19], u16::from(second));
        digits(&mut out[20..23], milli);
        Some(out)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(bytes) = self.wire_bytes() {
            // Only ASCII digits and separators were written.
            return f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?);
        }
        let nanos = i128::from(self.0) * 1_000_000;
        let instant = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| fmt::Error)?;
        let (year, month, day) = instant.to_calendar_date();
        let (hour, minute, second, milli) = instant.to_hms_milli();
        let month = u8::from(month);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z"
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.wire_bytes() {
            Some(bytes) => match std::str::from_utf8(&bytes) {
                Ok(text) => serializer.serialize_str(text),
                Err(_) => serializer.collect_str(self),
            },
            None => serializer.collect_str(self),
        }
    }
}

/// The source of the current time.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The machine's wall clock.
    #[default]
    System,
    /// Always the same instant; for tests.
    Fixed(Timestamp),
    /// An instant that only moves when its holder moves it; for tests.
    Manual(ManualClock),
}

/// A clock a test sets and advances by hand. Clones share the same instant.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(start.unix_millis())))
    }

    /// Moves the clock `seconds` forward.
    pub fn advance(&self, seconds: i64) {
        self.0
            .fetch_add(seconds.saturating_mul(1000), Ordering::SeqCst);
    }

    /// The instant the clock stands at.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

impl Clock {
    /// The current time according to this clock.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => {
                let millis = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |elapsed| elapsed.as_millis());
                Timestamp(i64::try_from(millis).unwrap_or(i64::MAX))
            }
            Clock::Fixed(instant) => *instant,
            Clock::Manual(clock) => clock.now(),
        }
    }
}

/// One tenant's view of time: the server's clock, shifted or frozen by the
/// tenant's own test controls.
#[derive(Debug)]
pub struct TenantClock {
    base: Clock,
    mode: Mutex<ClockMode>,
}

#[derive(Debug, Clone, Copy)]
enum ClockMode {
    Running { offset_millis: i64 },
    Frozen { at: Timestamp },
}

impl TenantClock {
    /// A clock that follows `base`, or stands at `frozen_at` if given.
    pub fn new(base: Clock, frozen_at: Option<Timestamp>) -> Self {
        let mode = match frozen_at {
            Some(at) => ClockMode::Frozen { at },
            None => ClockMode::Running { offset_millis: 0 },
        };
        Self {
            base,
            mode: Mutex::new(mode),
        }
    }

    /// The tenant's current time.
    pub fn now(&self) -> Timestamp {
        match self.mode() {
            ClockMode::Frozen { at } => at,
            ClockMode::Running { offset_millis } => {
                Timestamp(self.base.now().0.saturating_add(offset_millis))
            }
        }
    }

    /// Whether the clock stands still.
    pub fn is_frozen(&self) -> bool {
        matches!(self.mode(), ClockMode::Frozen { .. })
    }

    /// Stops the clock at `at`.
    pub fn freeze_at(&self, at: Timestamp) {
        self.set_mode(ClockMode::Frozen { at });
    }

    /// Moves the clock `seconds` (frozen or not; negative goes back).
    pub fn advance(&self, seconds: i64) {
        let delta = seconds.saturating_mul(1000);
        let moved = match self.mode() {
            ClockMode::Frozen { at } => ClockMode::Frozen {
                at: Timestamp(at.0.saturating_add(delta)),
            },
            ClockMode::Running { offset_millis } => ClockMode::Running {
                offset_millis: offset_millis.saturating_add(delta),
            },
        };
        self.set_mode(moved);
    }

    /// Back to the server's own time, running.
    pub fn resume(&self) {
        self.set_mode(ClockMode::Running { offset_millis: 0 });
    }

    fn mode(&self) -> ClockMode {
        *self
            .mode
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn set_mode(&self, mode: ClockMode) {
        *self
            .mode
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = mode;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_with_exactly_three_fractional_digits_and_z() {
        let instant = Timestamp::from_unix_millis(1_644_938_059_392);
        assert_eq!(instant.to_string(), "2022-02-15T15:14:19.392Z");
    }

    #[test]
    fn every_field_is_zero_padded_to_its_width() {
        let early = Timestamp::from_unix_millis(-61_000_000_000_000 + 5);
        assert_eq!(early.to_string(), "0036-12-26T11:33:20.005Z");
        assert_eq!(
            Timestamp::from_unix_millis(1_000).to_string(),
            "1970-01-01T00:00:01.000Z"
        );
    }

    #[test]
    fn the_digit_writer_agrees_with_the_calendar_over_ten_millennia() {
        let mut millis = -62_000_000_000_000i64;
        while millis < 253_402_300_800_000 {
            let instant = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
                .expect("in range");
            let (hour, minute, second, milli) = instant.to_hms_milli();
            let expected = format!(
                "{:04}-{:02}-{:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z",
                instant.year(),
                u8::from(instant.month()),
                instant.day()
            );
            let timestamp = Timestamp::from_unix_millis(millis);
            assert_eq!(timestamp.to_string(), expected);
            assert_eq!(
                serde_json::to_string(&timestamp).expect("serialises"),
                format!("\"{expected}\"")
            );
            millis += 7_654_321_987;
        }
    }

    #[test]
    fn years_past_9999_still_render() {
        let far = Timestamp::from_unix_millis(253_402_300_800_000 + 1);
        assert_eq!(far.to_string(), "10000-01-01T00:00:00.001Z");
        assert_eq!(
            serde_json::to_string(&far).expect("serialises"),
            "\"10000-01-01T00:00:00.001Z\""
        );
    }

    #[test]
    fn whole_seconds_render_with_zero_milliseconds() {
        assert_eq!(
            Timestamp::from_unix_millis(0).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn ten_minutes_later_is_six_hundred_seconds_later() {
        let start = Timestamp::from_unix_millis(1_000);
        assert_eq!(start.plus_seconds(600).unix_millis(), 601_000);
    }

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_share_it() {
        let manual = ManualClock::new(Timestamp::from_unix_millis(0));
        let clock = Clock::Manual(manual.clone());
        manual.advance(601);
        assert_eq!(clock.now().unix_millis(), 601_000);
    }

    #[test]
    fn rfc3339_input_parses_with_any_offset_and_keeps_milliseconds() {
        let parsed = Timestamp::parse("2022-02-15T16:14:19.392123+01:00").expect("valid");
        assert_eq!(parsed.to_string(), "2022-02-15T15:14:19.392Z");
        assert_eq!(Timestamp::parse("yesterday"), None);
    }

    #[test]
    fn a_tenant_clock_freezes_advances_and_resumes() {
        let base = ManualClock::new(Timestamp::from_unix_millis(10_000));
        let clock = TenantClock::new(Clock::Manual(base.clone()), None);
        clock.advance(5);
        assert_eq!(clock.now().unix_millis(), 15_000);
        clock.freeze_at(Timestamp::from_unix_millis(1_000));
        base.advance(100);
        assert_eq!(clock.now().unix_millis(), 1_000);
        clock.advance(601);
        assert_eq!(clock.now().unix_millis(), 602_000);
        assert!(clock.is_frozen());
        clock.resume();
        assert_eq!(clock.now(), base.now());
    }

    #[test]
    fn a_fixed_clock_always_answers_the_same_instant() {
        let clock = Clock::Fixed(Timestamp::from_unix_millis(42));
        assert_eq!(clock.now(), clock.now());
        assert_eq!(clock.now().unix_millis(), 42);
    }
}
