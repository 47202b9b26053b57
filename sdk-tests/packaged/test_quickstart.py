"""What a Python user of the wheel writes: the `mfa_mock` fixture and the official SDK.

run-packaged.sh runs it with the wheel packaging/build.sh made, and no Rust on PATH.
"""

import pytest
from workos import UnprocessableEntityError


def test_sms_factor_verifies_with_the_code_from_the_outbox(mfa_mock):
    mfa = mfa_mock.workos().multi_factor_auth
    factor = mfa.enroll_factor(type="sms", phone_number="+15005550006")
    challenge = mfa.challenge_factor(factor.id)
    assert mfa.verify_challenge(challenge.id, code=mfa_mock.sms_code(challenge.id)).valid


def test_a_challenge_expires_when_the_clock_moves_past_ten_minutes(mfa_mock):
    mfa = mfa_mock.workos().multi_factor_auth
    factor = mfa.enroll_factor(type="sms", phone_number="+15005550006")
    challenge = mfa.challenge_factor(factor.id)
    code = mfa_mock.sms_code(challenge.id)
    mfa_mock.advance_clock(601)
    with pytest.raises(UnprocessableEntityError) as raised:
        mfa.verify_challenge(challenge.id, code=code)
    assert raised.value.code == "authentication_challenge_expired"


def test_each_test_gets_an_empty_tenant(mfa_mock, mfa_mock_server):
    assert mfa_mock.url == mfa_mock_server.url
    assert mfa_mock.api_key.startswith("sk_test_")
    assert mfa_mock.journal() == []
