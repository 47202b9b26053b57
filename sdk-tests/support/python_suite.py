"""Every step of a Python SDK suite, written once.

Each version's test file subclasses `WorkOSSuite` as `TestWorkOS<major>` and supplies what
differs between SDK versions; the steps call only those and the calls that both versions
share (`mfa.enroll_factor(...)`, `mfa.get_factor(id)`, `mfa.delete_factor(id)`,
`client.user_management.create_user(...)`). What a subclass supplies:

- `UNPROCESSABLE_ENTITY`, `NOT_FOUND`, `AUTHENTICATION`: the exception classes the SDK raises
  for a 422, a 404 and a 401; `status_of(error)`: the HTTP status such an exception carries.
- `new_client(api_key)`: a client against the server; `mfa_of(client)`: its MFA resource.
- `challenge_factor(mfa, factor_id, **options)`, `verify_challenge(mfa, challenge_id, code)`.
- `enroll_auth_factor(client, user_id, **options)`, `list_auth_factors(client, user_id, **options)`:
  the AuthKit factor calls.
- `next_after(page)`: a list page's `after` cursor; `every_factor(first_page)`: every item of
  a list, fetched by the SDK's own paging.

Test ids name the SDK and its version, e.g.
`test_workos_10.py::TestWorkOS10::test_get_factor[python-workos-10.8.0]` (see sdk_helpers.py).
"""

from __future__ import annotations

import secrets

import pytest
from sdk_helpers import (
    KNOWN_TOTP_SECRET,
    SOME_FACTOR_ID,
    decode_qr_code,
    new_api_key,
    sms_sent_for_challenge,
    totp_code,
    wrong_totp_code,
)


def new_user(client):
    return client.user_management.create_user(
        email=f"sdk-{secrets.token_hex(4)}@example.com", first_name="Alan", last_name="Turing"
    )


class WorkOSSuite:
    # One API key, client and TOTP factor for all the steps of a version.
    @pytest.fixture(scope="class")
    @classmethod
    def api_key(cls):
        return new_api_key()

    @pytest.fixture(scope="class")
    @classmethod
    def client(cls, api_key):
        return cls.new_client(api_key)

    @pytest.fixture(scope="class")
    @classmethod
    def mfa(cls, client):
        return cls.mfa_of(client)

    @pytest.fixture(scope="class")
    @classmethod
    def totp_factor(cls, mfa):
        return mfa.enroll_factor(type="totp", totp_issuer="Foo Corp", totp_user="alan.turing@example.com")

    def verify_fresh_challenge(self, mfa, factor, code):
        """A fresh challenge on `factor`, verified with `code`: the challenge and the result."""
        challenge = self.challenge_factor(mfa, factor.id)
        return challenge, self.verify_challenge(mfa, challenge.id, code)

    def test_enroll_totp_and_decode_its_qr_code(self, totp_factor):
        factor = totp_factor
        assert factor.id.startswith("auth_factor_")
        assert factor.type == "totp"
        assert factor.totp.issuer == "Foo Corp"
        assert factor.totp.user == "alan.turing@example.com"
        assert factor.totp.uri.startswith("otpauth://totp/")
        assert f"secret={factor.totp.secret}" in factor.totp.uri
        assert decode_qr_code(factor.totp.qr_code) == factor.totp.uri

    def test_challenge_totp_factor(self, mfa, totp_factor):
        challenge = self.challenge_factor(mfa, totp_factor.id)
        assert challenge.id.startswith("auth_challenge_")
        assert challenge.authentication_factor_id == totp_factor.id
        # A TOTP challenge neither expires nor carries a code.
        assert challenge.expires_at is None
        assert challenge.code is None

    def test_verify_with_pyotp_code_is_valid(self, mfa, totp_factor):
        challenge, result = self.verify_fresh_challenge(mfa, totp_factor, totp_code(totp_factor.totp.secret))
        assert result.valid is True
        assert result.challenge.id == challenge.id

    def test_verify_again_is_previously_verified(self, mfa, totp_factor):
        code = totp_code(totp_factor.totp.secret)
        challenge, result = self.verify_fresh_challenge(mfa, totp_factor, code)
        assert result.valid is True
        with pytest.raises(self.UNPROCESSABLE_ENTITY) as raised:
            self.verify_challenge(mfa, challenge.id, code)
        assert self.status_of(raised.value) == 422
        assert raised.value.code == "authentication_challenge_previously_verified"

    def test_wrong_code_on_fresh_challenge_is_invalid(self, mfa, totp_factor):
        challenge, result = self.verify_fresh_challenge(mfa, totp_factor, wrong_totp_code(totp_factor.totp.secret))
        assert result.valid is False
        assert result.challenge.id == challenge.id

    def test_get_factor(self, mfa, totp_factor):
        factor = mfa.get_factor(totp_factor.id)
        assert factor.id == totp_factor.id
        assert factor.type == "totp"
        assert factor.created_at == totp_factor.created_at
        assert (factor.totp.issuer, factor.totp.user) == ("Foo Corp", "alan.turing@example.com")

    def test_delete_factor_then_get_is_not_found(self, mfa):
        factor = mfa.enroll_factor(type="totp", totp_issuer="Foo Corp", totp_user="deleted@example.com")
        assert mfa.delete_factor(factor.id) is None
        with pytest.raises(self.NOT_FOUND) as raised:
            mfa.get_factor(factor.id)
        assert self.status_of(raised.value) == 404
        assert raised.value.code == "entity_not_found"

    def test_sms_code_from_outbox_verifies(self, mfa, api_key):
        factor = mfa.enroll_factor(type="sms", phone_number="+15005550006")
        assert factor.type == "sms"
        assert factor.sms.phone_number == "+15005550006"
        challenge = self.challenge_factor(mfa, factor.id, sms_template="Your Foo Corp code is {{code}}")
        assert challenge.authentication_factor_id == factor.id
        assert challenge.expires_at is not None
        assert challenge.code is None  # an SMS code goes to the phone, not to the caller

        sms = sms_sent_for_challenge(api_key, challenge.id)
        assert sms["phone_number"] == "+15005550006"
        assert sms["authentication_factor_id"] == factor.id
        assert sms["text"] == f"Your Foo Corp code is {sms['code']}"

        result = self.verify_challenge(mfa, challenge.id, sms["code"])
        assert result.valid is True

    def test_authkit_enroll_with_known_secret(self, client, mfa):
        user = new_user(client)
        assert user.id.startswith("user_")

        enrolled = self.enroll_auth_factor(
            client,
            user.id,
            type="totp",
            totp_issuer="Foo Corp",
            totp_user=user.email,
            totp_secret=KNOWN_TOTP_SECRET,
        )
        factor, challenge = enrolled.authentication_factor, enrolled.authentication_challenge
        assert factor.user_id == user.id
        assert factor.totp.secret == KNOWN_TOTP_SECRET
        assert decode_qr_code(factor.totp.qr_code) == factor.totp.uri
        assert f"secret={KNOWN_TOTP_SECRET}" in factor.totp.uri
        assert challenge.authentication_factor_id == factor.id

        result = self.verify_challenge(mfa, challenge.id, totp_code(KNOWN_TOTP_SECRET))
        assert result.valid is True

    def test_list_user_factors_with_paging(self, client):
        user = new_user(client)
        enrolled = [self.enroll_auth_factor(client, user.id, type="totp").authentication_factor.id for _ in range(3)]
        newest_first = enrolled[::-1]

        first = self.list_auth_factors(client, user.id, limit=1)
        seen = [f.id for f in first.data]
        page = first
        while self.next_after(page) is not None and len(seen) <= len(enrolled):
            page = self.list_auth_factors(client, user.id, limit=1, after=self.next_after(page))
            seen += [f.id for f in page.data]
        assert seen == newest_first
        assert all(f.user_id == user.id for f in first.data)

        assert [f.id for f in self.every_factor(first)] == newest_first

    def test_bad_api_key_is_authentication_error(self):
        bad_client = self.new_client("not_a_workos_key")
        with pytest.raises(self.AUTHENTICATION) as raised:
            self.mfa_of(bad_client).get_factor(SOME_FACTOR_ID)
        assert self.status_of(raised.value) == 401
