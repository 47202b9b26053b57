//! All state, in memory, one [`Tenant`] per API key.
//!
//! This is the only module that touches dashmap. Every public method is
//! synchronous, returns owned data and is one atomic step as far as callers can
//! tell: no guard leaves this file, so none is ever held across an `.await`.
//!
//! Lock order, to rule out deadlock: a method may hold a `users` guard while
//! taking `factors`/`user_factors` guards, and a `factors` guard while taking
//! a `challenges` guard; never the other way round. Deletion never holds two
//! guards at once.

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::Arc;

use dashmap::DashMap;

use crate::clock::Timestamp;
use crate::model::{Challenge, ExpectedCode, Factor, User};

/// Every tenant's state, keyed by API key.
#[derive(Debug, Default)]
pub struct Store {
    tenants: DashMap<String, Arc<Tenant>>,
}

impl Store {
    /// The tenant for `api_key`, created empty on first use.
    pub fn tenant(&self, api_key: &str) -> Arc<Tenant> {
        if let Some(tenant) = self.tenants.get(api_key) {
            return Arc::clone(&tenant);
        }
        Arc::clone(&self.tenants.entry(api_key.to_owned()).or_default())
    }
}

#[derive(Debug)]
struct StoredFactor {
    factor: Factor,
    challenge_ids: Vec<String>,
}

/// One API key's users, factors and challenges.
#[derive(Debug, Default)]
pub struct Tenant {
    users: DashMap<String, User>,
    factors: DashMap<String, StoredFactor>,
    challenges: DashMap<String, Challenge>,
    /// User id → ids of that user's factors; ids sort in creation order.
    user_factors: DashMap<String, BTreeSet<String>>,
}

/// Why a verification did not get as far as comparing codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyRefusal {
    /// No such challenge in this tenant.
    NotFound,
    /// A correct code was already presented.
    AlreadyVerified,
    /// Its `expires_at` has passed.
    Expired,
    /// Too many wrong codes were presented.
    TooManyAttempts,
}

/// The sort order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Oldest first.
    Ascending,
    /// Newest first.
    Descending,
}

/// Which page of a list to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many items.
    pub limit: usize,
    /// The order of the whole list.
    pub order: Order,
    /// A cursor: the items that come just before this id in `order`.
    pub before: Option<String>,
    /// A cursor: the items that come just after this id in `order`.
    pub after: Option<String>,
}

/// One page of a list, with the cursors of its neighbours.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in the requested order.
    pub data: Vec<T>,
    /// The first item's id when items come before it.
    pub before: Option<String>,
    /// The last item's id when items come after it.
    pub after: Option<String>,
}

impl Tenant {
    /// Stores a new user.
    pub fn insert_user(&self, user: User) {
        self.users.insert(user.id.clone(), user);
    }

    /// The user with `id`.
    pub fn user(&self, id: &str) -> Option<User> {
        self.users.get(id).map(|user| user.clone())
    }

    /// Deletes the user and every factor enrolled for it; `false` if there was no such user.
    pub fn delete_user(&self, id: &str) -> bool {
        if self.users.remove(id).is_none() {
            return false;
        }
        let factor_ids = self.user_factors.remove(id).map(|(_, ids)| ids);
        for factor_id in factor_ids.into_iter().flatten() {
            self.delete_factor(&factor_id);
        }
        true
    }

    /// Stores a new factor (indexing it under its user, if it has one).
    pub fn insert_factor(&self, factor: Factor) {
        if let Some(user_id) = &factor.user_id {
            self.index_user_factor(user_id, &factor.id);
        }
        self.store_factor(factor);
    }

    /// Stores `build(user)` as a new factor of the user with `user_id`, atomically
    /// with respect to that user's deletion; `None` if there is no such user.
    pub fn insert_factor_for_user(
        &self,
        user_id: &str,
        build: impl FnOnce(&User) -> Factor,
    ) -> Option<Factor> {
        let user = self.users.get(user_id)?;
        let factor = build(&user);
        self.index_user_factor(user_id, &factor.id);
        self.store_factor(factor.clone());
        Some(factor)
    }

    fn index_user_factor(&self, user_id: &str, factor_id: &str) {
        self.user_factors
            .entry(user_id.to_owned())
            .or_default()
            .insert(factor_id.to_owned());
    }

    fn store_factor(&self, factor: Factor) {
        let stored = StoredFactor {
            factor,
            challenge_ids: Vec::new(),
        };
        self.factors.insert(stored.factor.id.clone(), stored);
    }

    /// The factor with `id`.
    pub fn factor(&self, id: &str) -> Option<Factor> {
        self.factors.get(id).map(|stored| stored.factor.clone())
    }

    /// Deletes the factor and its challenges; `false` if there was no such factor.
    pub fn delete_factor(&self, id: &str) -> bool {
        let Some((_, stored)) = self.factors.remove(id) else {
            return false;
        };
        if let Some(user_id) = &stored.factor.user_id
            && let Some(mut ids) = self.user_factors.get_mut(user_id)
        {
            ids.remove(id);
        }
        for challenge_id in &stored.challenge_ids {
            self.challenges.remove(challenge_id);
        }
        true
    }

    /// Stores `build(factor)` as a new challenge of the factor with `factor_id`,
    /// atomically with respect to that factor's deletion; `None` if there is no such factor.
    pub fn insert_challenge(
        &self,
        factor_id: &str,
        build: impl FnOnce(&Factor) -> Challenge,
    ) -> Option<Challenge> {
        let mut stored = self.factors.get_mut(factor_id)?;
        let challenge = build(&stored.factor);
        stored.challenge_ids.push(challenge.id.clone());
        self.challenges
            .insert(challenge.id.clone(), challenge.clone());
        Some(challenge)
    }

    /// The challenge with `id`, secrets included (for inspection, not for the wire).
    pub fn challenge(&self, id: &str) -> Option<Challenge> {
        self.challenges.get(id).map(|challenge| challenge.clone())
    }

    /// Presents a code to the challenge with `id`, at `now`.
    ///
    /// `matches` decides whether the code is right; it runs under the
    /// challenge's lock, so of any number of concurrent correct verifies exactly
    /// one succeeds. Wrong codes count towards `attempt_limit`; once that many
    /// have been presented, every further verify is refused.
    pub fn verify_challenge(
        &self,
        id: &str,
        now: Timestamp,
        attempt_limit: u32,
        matches: impl FnOnce(&ExpectedCode) -> bool,
    ) -> Result<(Challenge, bool), VerifyRefusal> {
        let mut challenge = self.challenges.get_mut(id).ok_or(VerifyRefusal::NotFound)?;
        if challenge.verified {
            return Err(VerifyRefusal::AlreadyVerified);
        }
        if challenge.expires_at.is_some_and(|expiry| now >= expiry) {
            return Err(VerifyRefusal::Expired);
        }
        if challenge.failed_attempts >= attempt_limit {
            return Err(VerifyRefusal::TooManyAttempts);
        }
        let valid = matches(&challenge.expected);
        if valid {
            challenge.verified = true;
            challenge.updated_at = now;
        } else {
            challenge.failed_attempts += 1;
        }
        Ok((challenge.clone(), valid))
    }

    /// A page of the factors of the user with `user_id`; `None` if there is no such user.
    pub fn user_factors(&self, user_id: &str, request: &PageRequest) -> Option<Page<Factor>> {
        if !self.users.contains_key(user_id) {
            return None;
        }
        let ids = self
            .user_factors
            .get(user_id)
            .map(|ids| page_of(&ids, request))
            .unwrap_or_else(|| Page {
                data: Vec::new(),
                before: None,
                after: None,
            });
        let data = ids.data.iter().filter_map(|id| self.factor(id)).collect();
        Some(Page {
            data,
            before: ids.before,
            after: ids.after,
        })
    }

    /// How many factors this tenant holds.
    pub fn factor_count(&self) -> usize {
        self.factors.len()
    }

    /// How many challenges this tenant holds.
    pub fn challenge_count(&self) -> usize {
        self.challenges.len()
    }
}

/// The ids after `cursor` in display order, nearest first (all ids without a cursor).
fn ids_after<'a>(
    ids: &'a BTreeSet<String>,
    order: Order,
    cursor: Option<&str>,
) -> Box<dyn Iterator<Item = &'a String> + 'a> {
    let bound = cursor.map_or(Bound::Unbounded, Bound::Excluded);
    match order {
        Order::Ascending => Box::new(ids.range::<str, _>((bound, Bound::Unbounded))),
        Order::Descending => Box::new(ids.range::<str, _>((Bound::Unbounded, bound)).rev()),
    }
}

/// The ids before `cursor` in display order, nearest first.
fn ids_before<'a>(
    ids: &'a BTreeSet<String>,
    order: Order,
    cursor: &str,
) -> Box<dyn Iterator<Item = &'a String> + 'a> {
    let reversed = match order {
        Order::Ascending => Order::Descending,
        Order::Descending => Order::Ascending,
    };
    ids_after(ids, reversed, Some(cursor))
}

fn page_of(ids: &BTreeSet<String>, request: &PageRequest) -> Page<String> {
    let data: Vec<String> = match &request.before {
        Some(cursor) => {
            let mut nearest: Vec<String> = ids_before(ids, request.order, cursor)
                .take(request.limit)
                .cloned()
                .collect();
            nearest.reverse();
            nearest
        }
        None => ids_after(ids, request.order, request.after.as_deref())
            .take(request.limit)
            .cloned()
            .collect(),
    };
    let before = data
        .first()
        .filter(|first| ids_before(ids, request.order, first).next().is_some())
        .cloned();
    let after = data
        .last()
        .filter(|last| ids_after(ids, request.order, Some(last)).next().is_some())
        .cloned();
    Page {
        data,
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> BTreeSet<String> {
        (1..=n).map(|i| format!("f{i:02}")).collect()
    }

    fn request(order: Order, before: Option<&str>, after: Option<&str>) -> PageRequest {
        PageRequest {
            limit: 2,
            order,
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn the_first_descending_page_is_the_newest_with_only_an_after_cursor() {
        let page = page_of(&ids(5), &request(Order::Descending, None, None));
        assert_eq!(page.data, ["f05", "f04"]);
        assert_eq!(page.before, None);
        assert_eq!(page.after.as_deref(), Some("f04"));
    }

    #[test]
    fn paging_after_walks_forward_to_a_last_page_without_an_after_cursor() {
        let set = ids(5);
        let second = page_of(&set, &request(Order::Descending, None, Some("f04")));
        assert_eq!(second.data, ["f03", "f02"]);
        assert_eq!(second.before.as_deref(), Some("f03"));
        let last = page_of(&set, &request(Order::Descending, None, Some("f02")));
        assert_eq!(last.data, ["f01"]);
        assert_eq!(last.after, None);
        assert_eq!(last.before.as_deref(), Some("f01"));
    }

    #[test]
    fn paging_before_returns_the_nearest_items_in_display_order() {
        let page = page_of(&ids(5), &request(Order::Descending, Some("f02"), None));
        assert_eq!(page.data, ["f04", "f03"]);
        assert_eq!(page.before.as_deref(), Some("f04"));
        assert_eq!(page.after.as_deref(), Some("f03"));
    }

    #[test]
    fn ascending_order_lists_oldest_first() {
        let page = page_of(&ids(5), &request(Order::Ascending, None, Some("f02")));
        assert_eq!(page.data, ["f03", "f04"]);
    }

    #[test]
    fn a_cursor_that_no_longer_exists_still_pages_by_position() {
        let mut set = ids(5);
        set.remove("f03");
        let page = page_of(&set, &request(Order::Descending, None, Some("f03")));
        assert_eq!(page.data, ["f02", "f01"]);
    }
}
