//! A tenant's users as sign-in needs them: found by email, updated in place,
//! listed a page at a time, and their TOTP factors.

use std::collections::BTreeSet;

use super::Tenant;
use crate::model::{Factor, User};
use crate::store::page::{Page, PageRequest, page_of};

impl Tenant {
    /// The users whose email is `email`, compared without regard to ASCII
    /// case, oldest first.
    pub fn users_with_email(&self, email: &str) -> Vec<User> {
        let mut users: Vec<User> = self
            .users
            .iter()
            .filter(|user| user.email.eq_ignore_ascii_case(email))
            .map(|user| user.clone())
            .collect();
        users.sort_by(|a, b| a.id.cmp(&b.id));
        users
    }

    /// Applies `change` to the user with `id` and returns the result, in one
    /// atomic step; `None` if there is no such user.
    pub fn update_user(&self, id: &str, change: impl FnOnce(&mut User)) -> Option<User> {
        let mut user = self.users.get_mut(id)?;
        change(&mut user);
        Some(user.clone())
    }

    /// A page of the users, of those whose email is `email` if given.
    pub fn users_page(&self, email: Option<&str>, request: &PageRequest) -> Page<User> {
        let ids: BTreeSet<String> = self
            .users
            .iter()
            .filter(|user| email.is_none_or(|email| user.email.eq_ignore_ascii_case(email)))
            .map(|user| user.id.clone())
            .collect();
        let page = page_of(&ids, request);
        Page {
            data: page.data.iter().filter_map(|id| self.user(id)).collect(),
            before: page.before,
            after: page.after,
        }
    }

    /// The TOTP factors of the user with `user_id`, oldest first.
    pub fn totp_factors(&self, user_id: &str) -> Vec<Factor> {
        let ids: Vec<String> = self
            .user_factors
            .get(user_id)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        ids.iter().filter_map(|id| self.factor(id)).collect()
    }
}
