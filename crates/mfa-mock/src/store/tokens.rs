//! The opaque tokens of a sign-in: pending authentication tokens (handed out
//! with a 403 `mfa_challenge` or `mfa_enrollment`, traded for a session by the
//! MFA grant) and refresh tokens (traded for a new access token).
//!
//! Both are single use and taken atomically: of any number of concurrent
//! requests presenting one token, exactly one gets it. Each kind is capped per
//! tenant; past the cap the oldest token is forgotten, as if it had expired.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::clock::Timestamp;

/// How many pending tokens a tenant keeps by default.
pub(crate) const PENDING_CAPACITY: usize = 10_000;
/// How many refresh tokens a tenant keeps by default.
pub(crate) const REFRESH_CAPACITY: usize = 10_000;

/// A password sign-in waiting for its second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The user who gave the right password.
    pub user_id: String,
    /// When it stops being accepted (tenant time).
    pub expires_at: Timestamp,
}

/// What a refresh token continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refresh {
    /// The signed-in user.
    pub user_id: String,
    /// The session, `session_…`, kept across refreshes.
    pub session_id: String,
    /// When the session began, Unix seconds of the wall clock.
    pub auth_time: i64,
}

/// Single-use tokens, oldest evicted first past `capacity`.
#[derive(Debug)]
struct Book<T> {
    capacity: usize,
    entries: HashMap<String, T>,
    /// Tokens in issue order; may name tokens already taken.
    order: VecDeque<String>,
}

impl<T: Clone> Book<T> {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn insert(&mut self, token: String, value: T) {
        while self.entries.len() >= self.capacity.max(1) {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        // Taken tokens leave stale names behind; drop them before they pile up.
        if self.order.len() >= self.capacity.max(1) * 2 {
            let entries = &self.entries;
            self.order.retain(|token| entries.contains_key(token));
        }
        self.order.push_back(token.clone());
        self.entries.insert(token, value);
    }
}

/// A tenant's pending and refresh tokens.
#[derive(Debug)]
pub struct SignInTokens {
    pending: Mutex<Book<Pending>>,
    refresh: Mutex<Book<Refresh>>,
}

impl Default for SignInTokens {
    fn default() -> Self {
        Self::with_capacity(PENDING_CAPACITY, REFRESH_CAPACITY)
    }
}

impl SignInTokens {
    /// Books that keep at most `pending` and `refresh` tokens.
    pub fn with_capacity(pending: usize, refresh: usize) -> Self {
        Self {
            pending: Mutex::new(Book::new(pending)),
            refresh: Mutex::new(Book::new(refresh)),
        }
    }

    /// Remembers a pending token.
    pub fn add_pending(&self, token: String, pending: Pending) {
        lock(&self.pending).insert(token, pending);
    }

    /// The pending sign-in of `token`, if it is known and unexpired at `now`;
    /// it stays usable.
    pub fn pending(&self, token: &str, now: Timestamp) -> Option<Pending> {
        let book = lock(&self.pending);
        book.entries
            .get(token)
            .filter(|pending| now < pending.expires_at)
            .cloned()
    }

    /// Takes `token` for good, if it is still known and unexpired at `now`.
    pub fn take_pending(&self, token: &str, now: Timestamp) -> Option<Pending> {
        let mut book = lock(&self.pending);
        let pending = book.entries.remove(token)?;
        (now < pending.expires_at).then_some(pending)
    }

    /// Remembers a refresh token.
    pub fn add_refresh(&self, token: String, refresh: Refresh) {
        lock(&self.refresh).insert(token, refresh);
    }

    /// Takes `token` for good, if it is known.
    pub fn take_refresh(&self, token: &str) -> Option<Refresh> {
        lock(&self.refresh).entries.remove(token)
    }

    /// How many pending and refresh tokens are held.
    pub fn counts(&self) -> (usize, usize) {
        (
            lock(&self.pending).entries.len(),
            lock(&self.refresh).entries.len(),
        )
    }
}

/// The guard; a panic elsewhere while holding it leaves the book usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

    fn pending(user: &str) -> Pending {
        Pending {
            user_id: user.into(),
            expires_at: T0.plus_seconds(600),
        }
    }

    #[test]
    fn a_pending_token_is_readable_until_taken_once_and_refused_once_expired() {
        let tokens = SignInTokens::default();
        tokens.add_pending("a".into(), pending("user_1"));
        assert_eq!(tokens.pending("a", T0), Some(pending("user_1")));
        assert_eq!(tokens.pending("a", T0.plus_seconds(600)), None);
        assert_eq!(tokens.take_pending("a", T0), Some(pending("user_1")));
        assert_eq!(tokens.take_pending("a", T0), None);
        tokens.add_pending("b".into(), pending("user_1"));
        assert_eq!(tokens.take_pending("b", T0.plus_seconds(601)), None);
    }

    #[test]
    fn past_the_cap_the_oldest_tokens_are_forgotten() {
        let tokens = SignInTokens::with_capacity(3, 2);
        for n in 0..5 {
            tokens.add_pending(format!("p{n}"), pending("user_1"));
            let refresh = Refresh {
                user_id: "user_1".into(),
                session_id: "session_1".into(),
                auth_time: 0,
            };
            tokens.add_refresh(format!("r{n}"), refresh);
        }
        assert_eq!(tokens.counts(), (3, 2));
        assert_eq!(tokens.pending("p1", T0), None);
        assert!(tokens.pending("p2", T0).is_some());
        assert!(tokens.take_refresh("r2").is_none());
        assert!(tokens.take_refresh("r4").is_some());
        assert!(tokens.take_refresh("r4").is_none(), "single use");
    }

    #[test]
    fn taken_tokens_do_not_let_the_order_list_grow_without_bound() {
        let tokens = SignInTokens::with_capacity(4, 4);
        for n in 0..1000 {
            let token = format!("p{n}");
            tokens.add_pending(token.clone(), pending("user_1"));
            assert!(tokens.take_pending(&token, T0).is_some());
        }
        assert!(lock(&tokens.pending).order.len() <= 8);
    }

    #[test]
    fn of_many_threads_taking_one_refresh_token_exactly_one_gets_it() {
        let tokens = SignInTokens::default();
        tokens.add_refresh(
            "r".into(),
            Refresh {
                user_id: "user_1".into(),
                session_id: "session_1".into(),
                auth_time: 0,
            },
        );
        let winners = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| tokens.take_refresh("r").is_some()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(false))
                .filter(|won| *won)
                .count()
        });
        assert_eq!(winners, 1);
    }
}
