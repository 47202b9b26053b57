"""The official Python SDK, `workos` 5.x, against mfa-mock.

5.x is the style of the WorkOS documents: `WorkOSClient(api_key=..., client_id=..., base_url=...)`
(client_id is required even though no MFA call uses it), MFA calls in `workos_client.mfa` with
keyword-only ids, and the AuthKit factor calls in `workos_client.user_management`
(`enroll_auth_factor`, `list_auth_factors`). Errors are chosen by status only: 401
AuthenticationException, 404 NotFoundException, and every other 4xx, 422 included,
BadRequestException; each has `.code` and `.response.status_code`.
"""

import secrets

import pytest
from mfa_mock import (
    KNOWN_TOTP_SECRET,
    SOME_FACTOR_ID,
    decode_qr_code,
    new_api_key,
    server_url,
    sms_sent_for_challenge,
    totp_code,
    wrong_totp_code,
)
from workos import WorkOSClient
from workos.exceptions import AuthenticationException, BadRequestException, NotFoundException

CLIENT_ID = "client_sdk_tests"


@pytest.fixture(scope="module")
def api_key():
    return new_api_key()


@pytest.fixture(scope="module")
def workos_client(api_key):
    return WorkOSClient(api_key=api_key, client_id=CLIENT_ID, base_url=server_url())


@pytest.fixture(scope="module")
def mfa(workos_client):
    return workos_client.mfa


@pytest.fixture(scope="module")
def totp_factor(mfa):
    return mfa.enroll_factor(type="totp", totp_issuer="Foo Corp", totp_user="alan.turing@example.com")


def new_user(workos_client):
    return workos_client.user_management.create_user(
        email=f"sdk-{secrets.token_hex(4)}@example.com", first_name="Alan", last_name="Turing"
    )


def test_enroll_totp_and_decode_its_qr_code(totp_factor):
    factor = totp_factor
    assert factor.id.startswith("auth_factor_")
    assert factor.type == "totp"
    assert factor.totp.issuer == "Foo Corp"
    assert factor.totp.user == "alan.turing@example.com"
    assert factor.totp.uri.startswith("otpauth://totp/")
    assert f"secret={factor.totp.secret}" in factor.totp.uri
    assert decode_qr_code(factor.totp.qr_code) == factor.totp.uri


def test_challenge_totp_factor(mfa, totp_factor):
    challenge = mfa.challenge_factor(authentication_factor_id=totp_factor.id)
    assert challenge.id.startswith("auth_challenge_")
    assert challenge.authentication_factor_id == totp_factor.id
    # A TOTP challenge neither expires nor carries a code.
    assert challenge.expires_at is None
    assert challenge.code is None


def test_verify_with_pyotp_code_is_valid(mfa, totp_factor):
    challenge = mfa.challenge_factor(authentication_factor_id=totp_factor.id)
    result = mfa.verify_challenge(
        authentication_challenge_id=challenge.id, code=totp_code(totp_factor.totp.secret)
    )
    assert result.valid is True
    assert result.challenge.id == challenge.id


def test_verify_again_is_previously_verified(mfa, totp_factor):
    challenge = mfa.challenge_factor(authentication_factor_id=totp_factor.id)
    code = totp_code(totp_factor.totp.secret)
    assert mfa.verify_challenge(authentication_challenge_id=challenge.id, code=code).valid is True
    with pytest.raises(BadRequestException) as raised:
        mfa.verify_challenge(authentication_challenge_id=challenge.id, code=code)
    assert raised.value.response.status_code == 422
    assert raised.value.code == "authentication_challenge_previously_verified"


def test_wrong_code_on_fresh_challenge_is_invalid(mfa, totp_factor):
    challenge = mfa.challenge_factor(authentication_factor_id=totp_factor.id)
    result = mfa.verify_challenge(
        authentication_challenge_id=challenge.id, code=wrong_totp_code(totp_factor.totp.secret)
    )
    assert result.valid is False
    assert result.challenge.id == challenge.id


def test_get_factor(mfa, totp_factor):
    factor = mfa.get_factor(totp_factor.id)
    assert factor.id == totp_factor.id
    assert factor.type == "totp"
    assert factor.created_at == totp_factor.created_at
    assert (factor.totp.issuer, factor.totp.user) == ("Foo Corp", "alan.turing@example.com")


def test_delete_factor_then_get_is_not_found(mfa):
    factor = mfa.enroll_factor(type="totp", totp_issuer="Foo Corp", totp_user="deleted@example.com")
    assert mfa.delete_factor(factor.id) is None
    with pytest.raises(NotFoundException) as raised:
        mfa.get_factor(factor.id)
    assert raised.value.response.status_code == 404
    assert raised.value.code == "entity_not_found"


def test_sms_code_from_outbox_verifies(mfa, api_key):
    factor = mfa.enroll_factor(type="sms", phone_number="+15005550006")
    assert factor.type == "sms"
    assert factor.sms.phone_number == "+15005550006"
    challenge = mfa.challenge_factor(
        authentication_factor_id=factor.id, sms_template="Your Foo Corp code is {{code}}"
    )
    assert challenge.authentication_factor_id == factor.id
    assert challenge.expires_at is not None
    assert challenge.code is None  # an SMS code goes to the phone, not to the caller

    sms = sms_sent_for_challenge(api_key, challenge.id)
    assert sms["phone_number"] == "+15005550006"
    assert sms["authentication_factor_id"] == factor.id
    assert sms["text"] == f"Your Foo Corp code is {sms['code']}"

    result = mfa.verify_challenge(authentication_challenge_id=challenge.id, code=sms["code"])
    assert result.valid is True


def test_authkit_enroll_with_known_secret(workos_client):
    user = new_user(workos_client)
    assert user.id.startswith("user_")

    enrolled = workos_client.user_management.enroll_auth_factor(
        user_id=user.id,
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

    result = workos_client.mfa.verify_challenge(
        authentication_challenge_id=challenge.id, code=totp_code(KNOWN_TOTP_SECRET)
    )
    assert result.valid is True


def test_list_user_factors_with_paging(workos_client):
    user_management = workos_client.user_management
    user = new_user(workos_client)
    enrolled = [
        user_management.enroll_auth_factor(user_id=user.id, type="totp").authentication_factor.id
        for _ in range(3)
    ]
    newest_first = enrolled[::-1]

    first = user_management.list_auth_factors(user_id=user.id, limit=1)
    seen = [f.id for f in first.data]
    page = first
    while page.list_metadata.after is not None and len(seen) <= len(enrolled):
        page = user_management.list_auth_factors(user_id=user.id, limit=1, after=page.list_metadata.after)
        seen += [f.id for f in page.data]
    assert seen == newest_first
    assert all(f.user_id == user.id for f in first.data)

    # Iterating a 5.x list resource pages by itself: it follows `after` with a limit of 10.
    assert [f.id for f in first] == newest_first


def test_bad_api_key_is_authentication_error():
    bad_client = WorkOSClient(api_key="not_a_workos_key", client_id=CLIENT_ID, base_url=server_url())
    with pytest.raises(AuthenticationException) as raised:
        bad_client.mfa.get_factor(SOME_FACTOR_ID)
    assert raised.value.response.status_code == 401
