"""pytest fixtures for mfa-mock, loaded through the `pytest11` entry point.

- `mfa_mock_server` (session): the bundled binary started once on a free port and stopped at
  the end; with `MFA_MOCK_URL` set, the server at that URL instead. Has `.url`.
- `mfa_mock` (function): a fresh tenant (a new `sk_test_` key) on that server, with `.url`,
  `.api_key`, `.client_id`, `.workos()`, `.sms_code(id)`, `.advance_clock(s)` and the other
  controls of `mfa_mock.Tenant`.

Extra flags for the started server: `--mfa-mock-arg=--totp-skew=0` (repeatable) or the
`mfa_mock_args` ini option.
"""

from __future__ import annotations

import os
import shlex

import pytest

from mfa_mock import MfaMockServer, Tenant


def pytest_addoption(parser):
    group = parser.getgroup("mfa-mock")
    group.addoption(
        "--mfa-mock-arg",
        action="append",
        default=[],
        metavar="FLAG",
        help="a flag for the mfa-mock server the mfa_mock_server fixture starts (repeatable)",
    )
    parser.addini("mfa_mock_args", "flags for the mfa-mock server the fixtures start", default="")


@pytest.fixture(scope="session")
def mfa_mock_server(pytestconfig):
    """The mfa-mock server of this test session (`MFA_MOCK_URL`, or the bundled binary)."""
    url = os.environ.get("MFA_MOCK_URL")
    if url:
        yield MfaMockServer.connect(url)
        return
    args = shlex.split(pytestconfig.getini("mfa_mock_args")) + pytestconfig.getoption("mfa_mock_arg")
    with MfaMockServer(args=args) as server:
        yield server


@pytest.fixture
def mfa_mock(mfa_mock_server) -> Tenant:
    """A tenant of its own for this test: a new `sk_test_` key on the session's server."""
    return mfa_mock_server.tenant()
