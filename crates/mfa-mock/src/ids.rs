//! Identifiers and the randomness behind them.
//!
//! Object ids are ULIDs behind the WorkOS prefixes (`auth_factor_`,
//! `auth_challenge_`, `user_`). They are strictly increasing within a process,
//! even when many are made in the same millisecond, so sorting a user's factors
//! by id sorts them by creation; list pagination relies on that. The same
//! generator hands out TOTP secrets and one-time codes, so a seeded generator
//! makes a whole run reproducible.

use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ulid::Ulid;

use crate::clock::Timestamp;

/// The kinds of object that carry an id, each with its WorkOS prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// An authentication factor: `auth_factor_…`.
    Factor,
    /// An authentication challenge: `auth_challenge_…`.
    Challenge,
    /// A user: `user_…`.
    User,
    /// A request, as echoed in `X-Request-Id`: `req_…`.
    Request,
    /// A text message in the SMS outbox: `sms_…`.
    Sms,
    /// An injected fault: `fault_…`.
    Fault,
    /// A sign-in session: `session_…`.
    Session,
}

impl IdKind {
    /// The prefix WorkOS puts before the ULID.
    pub const fn prefix(self) -> &'static str {
        match self {
            IdKind::Factor => "auth_factor_",
            IdKind::Challenge => "auth_challenge_",
            IdKind::User => "user_",
            IdKind::Request => "req_",
            IdKind::Sms => "sms_",
            IdKind::Fault => "fault_",
            IdKind::Session => "session_",
        }
    }
}

/// Hands out ids, secrets and codes.
#[derive(Debug)]
pub struct Entropy {
    state: Mutex<EntropyState>,
}

#[derive(Debug)]
struct EntropyState {
    rng: StdRng,
    last_ulid: u128,
}

impl Entropy {
    /// A generator seeded from the operating system: ids and secrets differ every run.
    pub fn from_os() -> Self {
        Self::with_rng(StdRng::from_os_rng())
    }

    /// A generator whose whole output is determined by `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self::with_rng(StdRng::seed_from_u64(seed))
    }

    fn with_rng(rng: StdRng) -> Self {
        Self {
            state: Mutex::new(EntropyState { rng, last_ulid: 0 }),
        }
    }

    /// A new id of `kind` for an object created at `now`, greater than every id before it.
    pub fn id(&self, kind: IdKind, now: Timestamp) -> String {
        let ulid = self.with_state(|state| {
            let millis = u64::try_from(now.unix_millis()).unwrap_or(0);
            let fresh = Ulid::from_parts(millis, state.rng.random()).0;
            let next = fresh.max(state.last_ulid.saturating_add(1));
            state.last_ulid = next;
            Ulid(next)
        });
        let prefix = kind.prefix();
        let mut text = [0u8; ulid::ULID_LEN];
        let mut id = String::with_capacity(prefix.len() + ulid::ULID_LEN);
        id.push_str(prefix);
        id.push_str(ulid.array_to_str(&mut text));
        id
    }

    /// `N` random bytes, e.g. a 160-bit TOTP secret.
    pub fn bytes<const N: usize>(&self) -> [u8; N] {
        self.with_state(|state| state.rng.random())
    }

    /// A one-time code of six decimal digits, leading zeros kept.
    pub fn six_digit_code(&self) -> String {
        let number = self.with_state(|state| state.rng.random_range(0..1_000_000u32));
        format!("{number:06}")
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut EntropyState) -> T) -> T {
        // A poisoned lock only means another request panicked mid-draw; the
        // generator's state is still a valid generator state.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut state)
    }
}

/// Whether `id` is `kind`'s prefix followed by a well-formed ULID.
#[cfg(test)]
fn is_well_formed(kind: IdKind, id: &str) -> bool {
    id.strip_prefix(kind.prefix())
        .is_some_and(|rest| rest.len() == 26 && Ulid::from_string(rest).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

    #[test]
    fn ids_carry_the_workos_prefix_and_a_ulid() {
        let entropy = Entropy::from_os();
        let id = entropy.id(IdKind::Factor, NOW);
        assert!(id.starts_with("auth_factor_"));
        assert!(is_well_formed(IdKind::Factor, &id), "{id}");
        assert!(!is_well_formed(IdKind::Challenge, &id));
    }

    #[test]
    fn ids_made_in_the_same_millisecond_still_increase() {
        let entropy = Entropy::from_os();
        let ids: Vec<String> = (0..1000).map(|_| entropy.id(IdKind::User, NOW)).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn ids_keep_increasing_when_the_clock_goes_back() {
        let entropy = Entropy::from_os();
        let later = entropy.id(IdKind::User, NOW.plus_seconds(60));
        let earlier = entropy.id(IdKind::User, NOW);
        assert!(earlier > later);
    }

    #[test]
    fn a_seeded_generator_repeats_itself() {
        let (first, second) = (Entropy::seeded(7), Entropy::seeded(7));
        assert_eq!(
            first.id(IdKind::Factor, NOW),
            second.id(IdKind::Factor, NOW)
        );
        assert_eq!(first.bytes::<20>(), second.bytes::<20>());
        assert_eq!(first.six_digit_code(), second.six_digit_code());
    }

    #[test]
    fn codes_are_always_six_digits() {
        let entropy = Entropy::seeded(1);
        for _ in 0..1000 {
            let code = entropy.six_digit_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
