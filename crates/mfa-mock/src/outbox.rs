//! The SMS outbox: every text message an SMS challenge "sent", so a test can
//! read the code the way a user reads their phone.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use crate::clock::Timestamp;

/// How many messages a tenant's outbox keeps by default; older ones drop off.
pub const DEFAULT_CAPACITY: usize = 1000;

/// One sent text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmsMessage {
    /// Always `"sms_message"`.
    pub object: &'static str,
    /// `sms_` + ULID.
    pub id: String,
    /// Where it was sent, in E.164.
    pub phone_number: String,
    /// The text, with the code in it.
    pub text: String,
    /// The one-time code it carries.
    pub code: String,
    /// The SMS factor challenged.
    pub authentication_factor_id: String,
    /// The challenge the code verifies.
    pub authentication_challenge_id: String,
    /// When it was sent, by the tenant's clock.
    pub sent_at: Timestamp,
}

/// Which messages to list; each `Some` must match.
#[derive(Debug, Default, Clone)]
pub struct SmsFilter {
    /// Only messages to this number (normalised to E.164 by the caller).
    pub phone_number: Option<String>,
    /// Only messages for this factor.
    pub factor_id: Option<String>,
    /// Only the message for this challenge.
    pub challenge_id: Option<String>,
}

impl SmsFilter {
    fn admits(&self, message: &SmsMessage) -> bool {
        let matches =
            |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|w| w == actual);
        matches(&self.phone_number, &message.phone_number)
            && matches(&self.factor_id, &message.authentication_factor_id)
            && matches(&self.challenge_id, &message.authentication_challenge_id)
    }
}

/// A bounded list of sent messages.
#[derive(Debug)]
pub struct Outbox {
    capacity: usize,
    messages: Mutex<VecDeque<SmsMessage>>,
}

impl Outbox {
    /// An empty outbox keeping at most `capacity` messages.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            messages: Mutex::new(VecDeque::new()),
        }
    }

    /// Records a sent message, dropping the oldest beyond capacity.
    pub fn push(&self, message: SmsMessage) {
        let mut messages = self.lock();
        messages.push_front(message);
        messages.truncate(self.capacity);
    }

    /// The messages `filter` admits, newest first.
    pub fn list(&self, filter: &SmsFilter) -> Vec<SmsMessage> {
        self.lock()
            .iter()
            .filter(|m| filter.admits(m))
            .cloned()
            .collect()
    }

    /// Empties the outbox.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<SmsMessage>> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: u8, phone: &str) -> SmsMessage {
        SmsMessage {
            object: "sms_message",
            id: format!("sms_{n}"),
            phone_number: phone.to_owned(),
            text: format!("code {n}"),
            code: format!("{n:06}"),
            authentication_factor_id: format!("f{n}"),
            authentication_challenge_id: format!("c{n}"),
            sent_at: Timestamp::from_unix_millis(i64::from(n)),
        }
    }

    #[test]
    fn messages_list_newest_first_and_filter_by_number() {
        let outbox = Outbox::new(10);
        outbox.push(message(1, "+15005550006"));
        outbox.push(message(2, "+15555555555"));
        outbox.push(message(3, "+15005550006"));
        let ids: Vec<String> = outbox
            .list(&SmsFilter {
                phone_number: Some("+15005550006".into()),
                ..SmsFilter::default()
            })
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, ["sms_3", "sms_1"]);
    }

    #[test]
    fn the_outbox_keeps_only_its_capacity() {
        let outbox = Outbox::new(2);
        for n in 1..=3 {
            outbox.push(message(n, "+15005550006"));
        }
        let all = outbox.list(&SmsFilter::default());
        assert_eq!(
            all.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
            ["sms_3", "sms_2"]
        );
    }
}
