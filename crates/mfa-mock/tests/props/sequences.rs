//! Any sequence of operations keeps the store's invariants, and a model of
//! the tenant predicts every status on the way.

use http::Method;
use mfa_mock::ApiResponse;
use mfa_mock::ExpectedCode;
use mfa_mock::Tenant;
use mfa_mock::Timestamp;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use super::{app, call, config, fresh_key, str_at};

/// One step of a client's life.
#[derive(Debug, Clone)]
enum Op {
    Enroll(Kind),
    Challenge(usize),
    Verify {
        challenge: usize,
        right: bool,
        times: u8,
    },
    DeleteFactor(usize),
    CreateUser,
    EnrollForUser(usize),
    DeleteUser(usize),
    Advance(i64),
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Totp,
    Sms,
    Generic,
}

fn op() -> impl Strategy<Value = Op> {
    let index = any::<prop::sample::Index>().prop_map(|i| i.index(usize::MAX));
    prop_oneof![
        1 => Just(Op::Enroll(Kind::Totp)),
        2 => Just(Op::Enroll(Kind::Sms)),
        3 => Just(Op::Enroll(Kind::Generic)),
        6 => index.clone().prop_map(Op::Challenge),
        8 => (index.clone(), any::<bool>(), 1u8..=7)
            .prop_map(|(challenge, right, times)| Op::Verify { challenge, right, times }),
        2 => index.clone().prop_map(Op::DeleteFactor),
        1 => Just(Op::CreateUser),
        1 => index.clone().prop_map(Op::EnrollForUser),
        1 => index.prop_map(Op::DeleteUser),
        2 => (0i64..=700).prop_map(Op::Advance),
    ]
}

/// What the model knows of a factor.
#[derive(Debug)]
struct ModelFactor {
    id: String,
    user: Option<usize>,
    deleted: bool,
}

/// What the model knows of a challenge.
#[derive(Debug)]
struct ModelChallenge {
    id: String,
    factor: usize,
    expires_at: Option<Timestamp>,
    verified: bool,
    failed: u32,
}

/// The model of one tenant, and the tenant itself for the invariants.
struct Model {
    key: String,
    factors: Vec<ModelFactor>,
    challenges: Vec<ModelChallenge>,
    users: Vec<(String, bool)>,
}

impl Model {
    fn tenant(&self) -> std::sync::Arc<Tenant> {
        app().tenant(&self.key)
    }

    fn now(&self) -> Timestamp {
        self.tenant().clock.now()
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Enroll(kind) => self.enroll(kind),
            Op::Challenge(i) if !self.factors.is_empty() => self.challenge(i % self.factors.len()),
            Op::Verify {
                challenge,
                right,
                times,
            } if !self.challenges.is_empty() => {
                let challenge = challenge % self.challenges.len();
                (0..times).try_for_each(|_| self.verify(challenge, right))
            }
            Op::DeleteFactor(i) if !self.factors.is_empty() => {
                self.delete_factor(i % self.factors.len())
            }
            Op::CreateUser => self.create_user(),
            Op::EnrollForUser(u) if !self.users.is_empty() => {
                self.enroll_for_user(u % self.users.len())
            }
            Op::DeleteUser(u) if !self.users.is_empty() => self.delete_user(u % self.users.len()),
            Op::Advance(seconds) => {
                self.tenant().clock.advance(seconds);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn enroll(&mut self, kind: Kind) -> Result<(), TestCaseError> {
        let body = match kind {
            Kind::Totp => {
                json!({"type": "totp", "totp_issuer": "Props", "totp_user": "p@example.com"})
            }
            Kind::Sms => json!({"type": "sms", "phone_number": "+15005550006"}),
            Kind::Generic => json!({"type": "generic_otp"}),
        };
        let response = call(&self.key, Method::POST, "/auth/factors/enroll", body);
        prop_assert_eq!(response.status.as_u16(), 201, "{:?}", response.body);
        self.factors.push(ModelFactor {
            id: str_at(&response, "/id"),
            user: None,
            deleted: false,
        });
        Ok(())
    }

    fn challenge(&mut self, factor: usize) -> Result<(), TestCaseError> {
        let path = format!("/auth/factors/{}/challenge", self.factors[factor].id);
        let response = call(&self.key, Method::POST, &path, json!({}));
        if self.factors[factor].deleted {
            prop_assert_eq!(response.status.as_u16(), 404);
            return Ok(());
        }
        prop_assert_eq!(response.status.as_u16(), 201, "{:?}", response.body);
        prop_assert_eq!(
            str_at(&response, "/authentication_factor_id"),
            self.factors[factor].id.clone()
        );
        self.record_challenge(factor, &response, "");
        Ok(())
    }

    fn record_challenge(&mut self, factor: usize, response: &ApiResponse, at: &str) {
        let expires_at = Timestamp::parse(&str_at(response, &format!("{at}/expires_at")));
        self.challenges.push(ModelChallenge {
            id: str_at(response, &format!("{at}/id")),
            factor,
            expires_at,
            verified: false,
            failed: 0,
        });
    }

    /// The code the challenge takes now, or one it does not.
    fn code(&self, challenge: &ModelChallenge, right: bool) -> String {
        let now = self.now().unix_seconds();
        let accepted: Vec<String> = match self.tenant().challenge(&challenge.id).map(|c| c.expected)
        {
            Some(ExpectedCode::OneTime(code)) => vec![code],
            Some(ExpectedCode::Totp(secret)) => {
                let secret = secret.to_base32();
                (0..3)
                    .map(|step| totp_at(&secret, now + step * 30 - 30))
                    .collect()
            }
            None => vec![],
        };
        match (right, accepted.get(1).or(accepted.first())) {
            (true, Some(code)) => code.clone(),
            _ => (0..1_000_000)
                .map(|n| format!("{n:06}"))
                .find(|candidate| !accepted.contains(candidate))
                .unwrap_or_default(),
        }
    }

    fn verify(&mut self, index: usize, right: bool) -> Result<(), TestCaseError> {
        let code = self.code(&self.challenges[index], right);
        let path = format!("/auth/challenges/{}/verify", self.challenges[index].id);
        let now = self.now();
        let response = call(&self.key, Method::POST, &path, json!({"code": code}));
        let challenge = &mut self.challenges[index];
        let expected = if self.factors[challenge.factor].deleted {
            (404, Some("entity_not_found"))
        } else if challenge.verified {
            (422, Some("authentication_challenge_previously_verified"))
        } else if challenge.expires_at.is_some_and(|expiry| now >= expiry) {
            (422, Some("authentication_challenge_expired"))
        } else if challenge.failed >= app().config().attempt_limit {
            (400, Some("one_time_code_too_many_attempts"))
        } else {
            (201, None)
        };
        let body = response
            .body
            .as_ref()
            .map(|body| body.to_value())
            .unwrap_or_default();
        prop_assert_eq!(
            (response.status.as_u16(), body["code"].as_str()),
            expected,
            "{}",
            body
        );
        if expected.0 == 201 {
            prop_assert_eq!(body["valid"].as_bool(), Some(right), "{}", body);
            match right {
                true => challenge.verified = true,
                false => challenge.failed += 1,
            }
        }
        Ok(())
    }

    fn delete_factor(&mut self, factor: usize) -> Result<(), TestCaseError> {
        let path = format!("/auth/factors/{}", self.factors[factor].id);
        let response = call(&self.key, Method::DELETE, &path, Value::Null);
        let expected = if self.factors[factor].deleted {
            404
        } else {
            204
        };
        prop_assert_eq!(response.status.as_u16(), expected);
        self.factors[factor].deleted = true;
        Ok(())
    }

    fn create_user(&mut self) -> Result<(), TestCaseError> {
        let response = call(
            &self.key,
            Method::POST,
            "/user_management/users",
            json!({"email": "p@example.com"}),
        );
        prop_assert_eq!(response.status.as_u16(), 201);
        self.users.push((str_at(&response, "/id"), false));
        Ok(())
    }

    fn enroll_for_user(&mut self, user: usize) -> Result<(), TestCaseError> {
        let path = format!("/user_management/users/{}/auth_factors", self.users[user].0);
        let response = call(&self.key, Method::POST, &path, json!({"type": "totp"}));
        if self.users[user].1 {
            prop_assert_eq!(response.status.as_u16(), 404);
            return Ok(());
        }
        prop_assert_eq!(response.status.as_u16(), 201, "{:?}", response.body);
        let id = str_at(&response, "/authentication_factor/id");
        self.factors.push(ModelFactor {
            id,
            user: Some(user),
            deleted: false,
        });
        self.record_challenge(
            self.factors.len() - 1,
            &response,
            "/authentication_challenge",
        );
        Ok(())
    }

    fn delete_user(&mut self, user: usize) -> Result<(), TestCaseError> {
        let path = format!("/user_management/users/{}", self.users[user].0);
        let response = call(&self.key, Method::DELETE, &path, Value::Null);
        prop_assert_eq!(
            response.status.as_u16(),
            if self.users[user].1 { 404 } else { 200 }
        );
        self.users[user].1 = true;
        for factor in self.factors.iter_mut().filter(|f| f.user == Some(user)) {
            factor.deleted = true;
        }
        Ok(())
    }

    /// The store agrees with the model. A verified or expired challenge may
    /// have been pruned; a deleted factor's challenge must be gone.
    fn check_invariants(&self) -> Result<(), TestCaseError> {
        let tenant = self.tenant();
        let now = self.now();
        let live_factors = self.factors.iter().filter(|f| !f.deleted).count();
        prop_assert_eq!(tenant.factor_count(), live_factors);
        let (mut live, mut pending) = (0, 0);
        for challenge in &self.challenges {
            let factor = &self.factors[challenge.factor];
            let stored = tenant.challenge(&challenge.id);
            let prunable = challenge.verified || challenge.expires_at.is_some_and(|e| now >= e);
            if factor.deleted {
                prop_assert!(
                    stored.is_none(),
                    "challenge {} outlived factor {}",
                    challenge.id,
                    factor.id
                );
                continue;
            }
            live += 1;
            pending += usize::from(!prunable);
            match stored {
                Some(stored) => {
                    prop_assert_eq!(&stored.factor_id, &factor.id);
                    prop_assert!(tenant.factor(&stored.factor_id).is_some());
                    prop_assert_eq!(stored.verified, challenge.verified);
                }
                None => prop_assert!(prunable, "a pending challenge {} vanished", challenge.id),
            }
        }
        let count = tenant.challenge_count();
        prop_assert!(
            (pending..=live).contains(&count),
            "{count} stored; {pending} pending of {live}"
        );
        Ok(())
    }
}

/// The TOTP code for base32 `secret` at `unix_seconds`, by totp-lite (not the server's code).
fn totp_at(secret: &str, unix_seconds: u64) -> String {
    let key = data_encoding::BASE32_NOPAD
        .decode(secret.trim_end_matches('=').as_bytes())
        .unwrap_or_default();
    totp_lite::totp_custom::<totp_lite::Sha1>(30, 6, &key, unix_seconds)
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn any_sequence_of_operations_keeps_the_store_invariants(ops in prop::collection::vec(op(), 1..48)) {
        let mut model = Model { key: fresh_key(), factors: Vec::new(), challenges: Vec::new(), users: Vec::new() };

        for op in &ops {
            model.apply(op)?;
            model.check_invariants()?;
        }
    }
}
