//! A list that keeps only its newest entries: what the SMS outbox and the
//! request journal are made of, so neither can grow without bound, in entries
//! or in bytes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// What an entry costs in memory, roughly: the bytes it owns on the heap plus
/// its own size. The byte cap and the server's memory ledger both use it.
pub trait Weigh {
    /// Approximate bytes this entry holds.
    fn weight(&self) -> usize;
}

/// At most `capacity` entries and `byte_cap` bytes (by [`Weigh`]), newest
/// first; older ones drop off the end. The newest entry is always kept, so one
/// entry heavier than the cap still shows.
#[derive(Debug)]
pub struct Bounded<T> {
    capacity: usize,
    byte_cap: usize,
    entries: Mutex<VecDeque<T>>,
    /// The weight of every entry held, readable without the lock.
    bytes: AtomicUsize,
}

impl<T: Clone + Weigh> Bounded<T> {
    /// An empty list keeping at most `capacity` (at least one) entries and,
    /// beyond its newest entry, at most `byte_cap` bytes.
    pub fn new(capacity: usize, byte_cap: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            byte_cap,
            entries: Mutex::new(VecDeque::new()),
            bytes: AtomicUsize::new(0),
        }
    }

    /// Adds `entry` as the newest, dropping the oldest beyond either cap.
    pub fn push(&self, entry: T) {
        let mut entries = self.lock();
        let mut bytes = self.bytes.load(Ordering::Relaxed) + entry.weight();
        entries.push_front(entry);
        while entries.len() > self.capacity || (bytes > self.byte_cap && entries.len() > 1) {
            match entries.pop_back() {
                Some(dropped) => bytes = bytes.saturating_sub(dropped.weight()),
                None => break,
            }
        }
        self.bytes.store(bytes, Ordering::Relaxed);
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
        let mut entries = self.lock();
        entries.clear();
        self.bytes.store(0, Ordering::Relaxed);
    }

    /// The weight of the entries held.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
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

    impl Weigh for u32 {
        fn weight(&self) -> usize {
            *self as usize
        }
    }

    #[test]
    fn it_keeps_the_newest_entries_up_to_its_capacity_newest_first() {
        let list = Bounded::new(2, usize::MAX);
        for n in 1..=3u32 {
            list.push(n);
        }
        assert_eq!(list.list(|_| true), [3, 2]);
        assert_eq!(list.list(|n| n % 2 == 1), [3]);
        list.clear();
        assert!(list.list(|_| true).is_empty());
        assert_eq!(list.bytes(), 0);
    }

    #[test]
    fn a_capacity_of_zero_still_keeps_one() {
        let list = Bounded::new(0, usize::MAX);
        list.push(7u32);
        assert_eq!(list.list(|_| true), [7]);
    }

    #[test]
    fn old_entries_drop_off_once_the_bytes_pass_the_cap_but_the_newest_stays() {
        let list = Bounded::new(100, 10);
        for n in [4u32, 4, 4] {
            list.push(n);
        }
        assert_eq!(list.list(|_| true), [4, 4]);
        assert_eq!(list.bytes(), 8);
        list.push(50);
        assert_eq!(list.list(|_| true), [50]);
        assert_eq!(list.bytes(), 50);
    }
}
