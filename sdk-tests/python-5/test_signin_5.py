"""AuthKit password sign-in with MFA through the official Python SDK, `workos` 5.x.

The whole flow as an app runs it: `authenticate_with_password` raises on the 403, the app
challenges (or enrolls) a factor and finishes with `authenticate_with_totp`; the SDK's own
session helper then verifies the access token through `GET /sso/jwks/:client_id` and refreshes it.

5.x has no typed sign-in errors: a 403 is `AuthorizationException` with `.code` and the rest of
the body in `.response_json`; a 400 is `BadRequestException` with `.code` (or `.error` for an
OAuth-shaped body). Enrolling is `user_management.enroll_auth_factor`, and passwords are strings.
"""

import pytest
from cryptography.fernet import Fernet
from sdk_helpers import new_api_key, require_mfa, server_url, totp_code, wrong_totp_code
from workos import WorkOSClient
from workos.exceptions import AuthorizationException, BadRequestException
from workos.session import Session

CLIENT_ID = "client_01HZSIGNINTESTS0000000000"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def api_key():
    return new_api_key()


@pytest.fixture
def client(api_key):
    return WorkOSClient(api_key=api_key, client_id=CLIENT_ID, base_url=server_url())


def new_user(client, email="ada@example.com"):
    return client.user_management.create_user(email=email, password=PASSWORD, email_verified=True)


def enroll(client, user_id):
    return client.user_management.enroll_auth_factor(user_id=user_id, type="totp")


class TestSignIn5:
    def test_challenge_then_totp_then_session_helper_then_refresh(self, client):
        user = new_user(client)
        factor = enroll(client, user.id).authentication_factor

        with pytest.raises(AuthorizationException) as raised:
            client.user_management.authenticate_with_password(email=user.email, password=PASSWORD)
        body = raised.value.response_json
        assert raised.value.code == "mfa_challenge"
        assert body["user"]["id"] == user.id
        assert body["authentication_factors"] == [{"id": factor.id, "type": "totp"}]

        challenge = client.mfa.challenge_factor(authentication_factor_id=body["authentication_factors"][0]["id"])
        response = client.user_management.authenticate_with_totp(
            code=totp_code(factor.totp.secret),
            pending_authentication_token=body["pending_authentication_token"],
            authentication_challenge_id=challenge.id,
        )
        assert response.user.id == user.id
        assert response.authentication_method == "Password"

        cookie_password = Fernet.generate_key().decode()
        sealed = Session.seal_data(
            {
                "access_token": response.access_token,
                "refresh_token": response.refresh_token,
                "user": response.user.model_dump(),
            },
            cookie_password,
        )
        session = client.user_management.load_sealed_session(
            sealed_session=sealed, cookie_password=cookie_password
        )
        verified = session.authenticate()
        assert verified.authenticated, getattr(verified, "reason", None)
        assert verified.session_id.startswith("session_")

        refreshed = session.refresh()
        assert refreshed.authenticated, getattr(refreshed, "reason", None)
        assert refreshed.session_id == verified.session_id
        again = client.user_management.load_sealed_session(
            sealed_session=refreshed.sealed_session, cookie_password=cookie_password
        ).authenticate()
        assert again.authenticated, getattr(again, "reason", None)

    def test_enrollment_when_the_tenant_requires_mfa(self, client, api_key):
        require_mfa(api_key)
        user = new_user(client)
        with pytest.raises(AuthorizationException) as raised:
            client.user_management.authenticate_with_password(email=user.email, password=PASSWORD)
        body = raised.value.response_json
        assert raised.value.code == "mfa_enrollment"
        assert body["user"]["id"] == user.id

        enrolled = enroll(client, body["user"]["id"])
        response = client.user_management.authenticate_with_totp(
            code=totp_code(enrolled.authentication_factor.totp.secret),
            pending_authentication_token=body["pending_authentication_token"],
            authentication_challenge_id=enrolled.authentication_challenge.id,
        )
        assert response.user.id == user.id

        with pytest.raises(AuthorizationException) as next_time:
            client.user_management.authenticate_with_password(email=user.email, password=PASSWORD)
        assert next_time.value.code == "mfa_challenge"

    def test_errors(self, client):
        user = new_user(client)
        for email, password in [(user.email, "wrong"), ("nobody@example.com", PASSWORD)]:
            with pytest.raises(BadRequestException) as refused:
                client.user_management.authenticate_with_password(email=email, password=password)
            assert refused.value.code == "invalid_credentials"

        factor = enroll(client, user.id).authentication_factor
        with pytest.raises(AuthorizationException) as raised:
            client.user_management.authenticate_with_password(email=user.email, password=PASSWORD)
        token = raised.value.response_json["pending_authentication_token"]
        challenge = client.mfa.challenge_factor(authentication_factor_id=factor.id)

        def totp(code):
            return client.user_management.authenticate_with_totp(
                code=code, pending_authentication_token=token, authentication_challenge_id=challenge.id
            )

        with pytest.raises(BadRequestException) as wrong_code:
            totp(wrong_totp_code(factor.totp.secret))
        assert wrong_code.value.code == "invalid_one_time_code"
        response = totp(totp_code(factor.totp.secret))
        with pytest.raises(BadRequestException) as used:
            totp(totp_code(factor.totp.secret))
        assert used.value.code == "invalid_pending_authentication_token"

        client.user_management.authenticate_with_refresh_token(refresh_token=response.refresh_token)
        with pytest.raises(BadRequestException) as reused:
            client.user_management.authenticate_with_refresh_token(refresh_token=response.refresh_token)
        assert reused.value.error == "invalid_grant"

    def test_update_list_and_delete_users(self, client):
        user = new_user(client, "grace@example.com")
        updated = client.user_management.update_user(user_id=user.id, first_name="Grace", password="new one")
        assert updated.first_name == "Grace"
        client.user_management.authenticate_with_password(email=user.email, password="new one")
        listed = client.user_management.list_users(email=user.email)
        assert [u.id for u in listed.data] == [user.id]
        assert client.user_management.delete_user(user_id=user.id) is None
