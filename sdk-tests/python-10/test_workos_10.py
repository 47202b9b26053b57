"""The official Python SDK, `workos` 10.x, against mfa-mock.

The steps are in ../support/python_suite.py; this file names the 10.x calls they go through.

In 10.x the client is `WorkOSClient(api_key=..., base_url=...)` (no client_id needed) and every
MFA call lives in `client.multi_factor_auth`, the AuthKit ones included
(`create_user_auth_factor`, `list_user_auth_factors`): `user_management` no longer has them.
Errors are `workos.APIError` subclasses chosen by status: 401 AuthenticationError,
404 NotFoundError, 422 UnprocessableEntityError; each has `.status_code` and `.code`.
"""

from sdk_helpers import server_url
from python_suite import WorkOSSuite
from workos import AuthenticationError, NotFoundError, UnprocessableEntityError, WorkOSClient


class TestWorkOS10(WorkOSSuite):
    UNPROCESSABLE_ENTITY = UnprocessableEntityError
    NOT_FOUND = NotFoundError
    AUTHENTICATION = AuthenticationError

    @staticmethod
    def status_of(error):
        return error.status_code

    @staticmethod
    def new_client(api_key):
        return WorkOSClient(api_key=api_key, base_url=server_url())

    @staticmethod
    def mfa_of(client):
        return client.multi_factor_auth

    # Ids are positional: `challenge_factor(id, ...)`, `verify_challenge(id, code=...)`.
    @staticmethod
    def challenge_factor(mfa, factor_id, **options):
        return mfa.challenge_factor(factor_id, **options)

    @staticmethod
    def verify_challenge(mfa, challenge_id, code):
        return mfa.verify_challenge(challenge_id, code=code)

    @staticmethod
    def enroll_auth_factor(client, user_id, **options):
        return client.multi_factor_auth.create_user_auth_factor(user_id, **options)

    @staticmethod
    def list_auth_factors(client, user_id, **options):
        return client.multi_factor_auth.list_user_auth_factors(user_id, **options)

    # A 10.x page carries its cursor itself, and `auto_paging_iter()` follows `after` with
    # the same limit.
    @staticmethod
    def next_after(page):
        return page.after

    @staticmethod
    def every_factor(first_page):
        return first_page.auto_paging_iter()
