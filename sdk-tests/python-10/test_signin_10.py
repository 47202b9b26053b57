"""AuthKit password sign-in with MFA through the official Python SDK, `workos` 10.x.

The whole flow as an app runs it: `authenticate_with_password` raises `MfaChallengeError` (or
`MfaEnrollmentError` when the tenant requires MFA), the app challenges (or enrolls) a factor
and finishes with `authenticate_with_totp`; the SDK's own session helper then verifies the
access token through `GET /sso/jwks/:client_id` and refreshes it.

In 10.x the 403s are typed (`.pending_authentication_token`, `.user`,
`.authentication_factors`), a 400 `{code, message}` is `BadRequestError(.code)` and a 400
`{error, error_description}` is `BadRequestError(.error)`. Passwords are `PasswordPlaintext`.
"""

import pytest
from cryptography.fernet import Fernet
from sdk_helpers import new_api_key, require_mfa, server_url, totp_code, wrong_totp_code
from workos import BadRequestError, WorkOSClient
from workos._errors import MfaChallengeError, MfaEnrollmentError
from workos.session import seal_session_from_auth_response
from workos.user_management import PasswordPlaintext

CLIENT_ID = "client_01HZSIGNINTESTS0000000000"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def client():
    return WorkOSClient(api_key=new_api_key(), client_id=CLIENT_ID, base_url=server_url())


def new_user(client, email="ada@example.com"):
    return client.user_management.create_user(
        email=email, password=PasswordPlaintext(password=PASSWORD), email_verified=True
    )


def enroll(client, user_id):
    return client.multi_factor_auth.create_user_auth_factor(user_id, type="totp")


def sealed(response, cookie_password):
    return seal_session_from_auth_response(
        access_token=response.access_token,
        refresh_token=response.refresh_token,
        user=response.user.to_dict(),
        cookie_password=cookie_password,
    )


class TestSignIn10:
    def test_challenge_then_totp_then_session_helper_then_refresh(self, client):
        user = new_user(client)
        enrolled = enroll(client, user.id)
        factor = enrolled.authentication_factor

        with pytest.raises(MfaChallengeError) as raised:
            client.user_management.authenticate_with_password(email=user.email, password=PASSWORD)
        challenge_error = raised.value
        assert challenge_error.code == "mfa_challenge"
        assert challenge_error.user["id"] == user.id
        assert challenge_error.authentication_factors == [{"id": factor.id, "type": "totp"}]

        challenge = client.multi_factor_auth.challenge_factor(challenge_error.authentication_factors[0]["id"])
        response = client.user_management.authenticate_with_totp(
            code=totp_code(factor.totp.secret),
            pending_authentication_token=challenge_error.pending_authentication_token,
            authentication_challenge_id=challenge.id,
        )
        assert response.user.id == user.id
        assert response.user.last_sign_in_at is not None
        assert response.authentication_method.value == "Password"

        cookie_password = Fernet.generate_key().decode()
        session = client.user_management.load_sealed_session(
            session_data=sealed(response, cookie_password), cookie_password=cookie_password
        )
        verified = session.authenticate()
        assert verified.authenticated, getattr(verified, "reason", None)
        assert verified.session_id.startswith("session_")

        refreshed = session.refresh()
        assert refreshed.authenticated, getattr(refreshed, "reason", None)
        assert refreshed.session_id == verified.session_id
        again = client.user_management.authenticate_with_session_cookie(
            session_data=refreshed.sealed_session, cookie_password=cookie_password
        )
        assert again.authenticated, getattr(again, "reason", None)

        keys = client.user_management.get_jwks(CLIENT_ID).keys
        assert [key.kid for key in keys] and keys[0].alg == "RS256"

    def test_enrollment_when_the_tenant_requires_mfa(self, client):
        require_mfa(client._api_key)
        user = new_user(client)
        with pytest.raises(MfaEnrollmentError) as raised:
            client.user_management.authenticate_with_password(email=user.email, password=PASSWORD)
        enrollment_error = raised.value
        assert enrollment_error.code == "mfa_enrollment"
        assert enrollment_error.user["id"] == user.id

        enrolled = enroll(client, enrollment_error.user["id"])
        response = client.user_management.authenticate_with_totp(
            code=totp_code(enrolled.authentication_factor.totp.secret),
            pending_authentication_token=enrollment_error.pending_authentication_token,
            authentication_challenge_id=enrolled.authentication_challenge.id,
        )
        assert response.user.id == user.id

        with pytest.raises(MfaChallengeError):
            client.user_management.authenticate_with_password(email=user.email, password=PASSWORD)

    def test_errors(self, client):
        user = new_user(client)
        with pytest.raises(BadRequestError) as wrong_password:
            client.user_management.authenticate_with_password(email=user.email, password="wrong")
        assert wrong_password.value.code == "invalid_credentials"
        with pytest.raises(BadRequestError) as unknown:
            client.user_management.authenticate_with_password(email="nobody@example.com", password=PASSWORD)
        assert unknown.value.code == "invalid_credentials"

        factor = enroll(client, user.id).authentication_factor
        with pytest.raises(MfaChallengeError) as raised:
            client.user_management.authenticate_with_password(email=user.email, password=PASSWORD)
        token = raised.value.pending_authentication_token
        challenge = client.multi_factor_auth.challenge_factor(factor.id)
        with pytest.raises(BadRequestError) as wrong_code:
            client.user_management.authenticate_with_totp(
                code=wrong_totp_code(factor.totp.secret),
                pending_authentication_token=token,
                authentication_challenge_id=challenge.id,
            )
        assert wrong_code.value.code == "invalid_one_time_code"
        response = client.user_management.authenticate_with_totp(
            code=totp_code(factor.totp.secret),
            pending_authentication_token=token,
            authentication_challenge_id=challenge.id,
        )
        with pytest.raises(BadRequestError) as used:
            client.user_management.authenticate_with_totp(
                code=totp_code(factor.totp.secret),
                pending_authentication_token=token,
                authentication_challenge_id=challenge.id,
            )
        assert used.value.code == "invalid_pending_authentication_token"

        client.user_management.authenticate_with_refresh_token(refresh_token=response.refresh_token)
        with pytest.raises(BadRequestError) as reused:
            client.user_management.authenticate_with_refresh_token(refresh_token=response.refresh_token)
        assert reused.value.error == "invalid_grant"

    def test_update_list_and_delete_users(self, client):
        user = new_user(client, "grace@example.com")
        updated = client.user_management.update_user(user.id, first_name="Grace", password=PasswordPlaintext(password="new one"))
        assert updated.first_name == "Grace"
        client.user_management.authenticate_with_password(email=user.email, password="new one")
        listed = client.user_management.list_users(email=user.email)
        assert [u.id for u in listed.data] == [user.id]
        assert client.user_management.delete_user(user.id) is None
