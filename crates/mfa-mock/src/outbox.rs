//! The SMS outbox: every text message an SMS challenge "sent", so a test can
//! read the code the way a user reads their phone.

use serde::Serialize;

use crate::bounded::{Bounded, Weigh};
use crate::clock::Timestamp;

/// How many messages a tenant's outbox keeps by default; older ones drop off.
pub(crate) const DEFAULT_CAPACITY: usize = 1000;
/// How many bytes of messages a tenant's outbox keeps by default: a custom
/// `sms_template` can make each message as long as a request body.
pub(crate) const DEFAULT_BYTE_CAP: usize = 1024 * 1024;

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

impl Weigh for SmsMessage {
    fn weight(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.id.len()
            + self.phone_number.len()
            + self.text.len()
            + self.code.len()
            + self.authentication_factor_id.len()
            + self.authentication_challenge_id.len()
    }
}

/// Which messages to list; each `Some` must match.
#[derive(Debug, Default, Clone)]
pub(crate) struct SmsFilter {
    /// Only messages to this number (normalised to E.164 by the caller).
    pub phone_number: Option<String>,
    /// Only messages for this factor.
    pub factor_id: Option<String>,
    /// Only the message for this challenge.
    pub challenge_id: Option<String>,
}

impl SmsFilter {
    /// Whether `message` passes every filter that is set.
    pub(crate) fn admits(&self, message: &SmsMessage) -> bool {
        let matches =
            |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|w| w == actual);
        matches(&self.phone_number, &message.phone_number)
            && matches(&self.factor_id, &message.authentication_factor_id)
            && matches(&self.challenge_id, &message.authentication_challenge_id)
    }
}

/// The sent messages, newest first, at most a capacity of them.
pub(crate) type Outbox = Bounded<SmsMessage>;

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
        let outbox = Outbox::new(10, usize::MAX);
        outbox.push(message(1, "+15005550006"));
        outbox.push(message(2, "+15555555555"));
        outbox.push(message(3, "+15005550006"));
        let filter = SmsFilter {
            phone_number: Some("+15005550006".into()),
            ..SmsFilter::default()
        };
        let ids: Vec<String> = outbox
            .list(|m| filter.admits(m))
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, ["sms_3", "sms_1"]);
    }

    #[test]
    fn long_messages_push_old_ones_out_by_bytes() {
        let outbox = Outbox::new(1000, 4096);
        for n in 0..100 {
            let mut long = message(n, "+15005550006");
            long.text = "x".repeat(1000);
            outbox.push(long);
        }
        assert!(outbox.bytes() <= 4096);
        assert_eq!(outbox.list(|_| true).len(), 3);
    }
}
