//! A list that keeps only its newest entries: what the SMS outbox and the
//! request journal are made of, so neither can grow without bound.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

/// At most `capacity` entries, newest first; older ones drop off the end.
#[derive(Debug)]
pub struct Bounded<T> {
    capacity: usize,
    entries: Mutex<VecDeque<T>>,
}

impl<T: Clone> Bounded<T> {
    /// An empty list keeping at most `capacity` (at least one) entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// Adds `entry` as the newest, dropping the oldest beyond capacity.
    pub fn push(&self, entry: T) {
        let mut entries = self.lock();
        entries.push_front(entry);
        entries.truncate(self.capacity);
    }

    /// The entries `keep` admits, newest first.
    pub fn list(&self, keep: impl Fn(&T) -> bool) -> Vec<T> {
        self.lock()
            .iter()
            .filter(|entry| keep(entry))
            .cloned()
            .collect()
    }

    /// Drops every entry.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<T>> {
        // A poisoned lock means a panic elsewhere mid-push; the deque is still whole.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_keeps_the_newest_entries_up_to_its_capacity_newest_first() {
        let list = Bounded::new(2);
        for n in 1..=3 {
            list.push(n);
        }
        assert_eq!(list.list(|_| true), [3, 2]);
        assert_eq!(list.list(|n| n % 2 == 1), [3]);
        list.clear();
        assert!(list.list(|_| true).is_empty());
    }

    #[test]
    fn a_capacity_of_zero_still_keeps_one() {
        let list = Bounded::new(0);
        list.push("a");
        assert_eq!(list.list(|_| true), ["a"]);
    }
}
