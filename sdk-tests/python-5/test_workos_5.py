"""The official Python SDK, `workos` 5.x, against mfa-mock.

The steps are in ../support/python_suite.py; this file names the 5.x calls they go through.

5.x is the style of the WorkOS documents: `WorkOSClient(api_key=..., client_id=..., base_url=...)`
(client_id is required even though no MFA call uses it), MFA calls in `workos_client.mfa` with
keyword-only ids, and the AuthKit factor calls in `workos_client.user_management`
(`enroll_auth_factor`, `list_auth_factors`). Errors are chosen by status only: 401
AuthenticationException, 404 NotFoundException, and every other 4xx, 422 included,
BadRequestException; each has `.code` and `.response.status_code`.
"""

from sdk_helpers import server_url
from python_suite import WorkOSSuite
from workos import WorkOSClient
from workos.exceptions import AuthenticationException, BadRequestException, NotFoundException

CLIENT_ID = "client_sdk_tests"


class TestWorkOS5(WorkOSSuite):
    UNPROCESSABLE_ENTITY = BadRequestException  # 5.x has no class of its own for 422
    NOT_FOUND = NotFoundException
    AUTHENTICATION = AuthenticationException

    @staticmethod
    def status_of(error):
        return error.response.status_code

    @staticmethod
    def new_client(api_key):
        return WorkOSClient(api_key=api_key, client_id=CLIENT_ID, base_url=server_url())

    @staticmethod
    def mfa_of(client):
        return client.mfa

    # Ids are keyword-only.
    @staticmethod
    def challenge_factor(mfa, factor_id, **options):
        return mfa.challenge_factor(authentication_factor_id=factor_id, **options)

    @staticmethod
    def verify_challenge(mfa, challenge_id, code):
        return mfa.verify_challenge(authentication_challenge_id=challenge_id, code=code)

    @staticmethod
    def enroll_auth_factor(client, user_id, **options):
        return client.user_management.enroll_auth_factor(user_id=user_id, **options)

    @staticmethod
    def list_auth_factors(client, user_id, **options):
        return client.user_management.list_auth_factors(user_id=user_id, **options)

    # A 5.x page keeps its cursor in `list_metadata`, and iterating it pages by itself: it
    # follows `after` with a limit of 10.
    @staticmethod
    def next_after(page):
        return page.list_metadata.after

    @staticmethod
    def every_factor(first_page):
        return iter(first_page)
