"""What every Python SDK suite needs besides the SDK under test.

A pytest plugin (run.sh loads it with `-p sdk_helpers`) and helpers: the server's URL, a fresh
API key, TOTP codes from pyotp (an implementation independent of the server's), a QR
decoder (zxing-cpp), and the SMS outbox of the control plane.

Every test id carries the SDK and its version, e.g.
`test_workos_10.py::TestWorkOS10::test_get_factor[python-workos-10.8.0]`, so a failure names both.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from importlib.metadata import version

import pyotp
import pytest
import zxingcpp
from PIL import Image

# The documents' example secret. It is 80 bits: shorter than pyotp's default minimum.
KNOWN_TOTP_SECRET = "JBSWY3DPEHPK3PXP"

# A well-formed factor id that no tenant has.
SOME_FACTOR_ID = "auth_factor_01HZZZZZZZZZZZZZZZZZZZZZZZ"

SDK_LABEL = f"python-workos-{version('workos')}"


# --- pytest plugin ------------------------------------------------------------------------

# The steps live in python_suite.py, outside the test files: have pytest explain their asserts.
pytest.register_assert_rewrite("python_suite")


def pytest_report_header(config):
    return [f"sdk: {SDK_LABEL}", f"server: {os.environ.get('MFA_MOCK_URL', '(MFA_MOCK_URL not set)')}"]


def pytest_generate_tests(metafunc):
    if "sdk" in metafunc.fixturenames:
        metafunc.parametrize("sdk", [SDK_LABEL], ids=[SDK_LABEL], indirect=True, scope="session")


@pytest.fixture(scope="session", autouse=True)
def mfa_mock_url(request):
    """Without MFA_MOCK_URL, the server of the `mfa-mock` package's plugin, when installed.

    That is how CI runs these suites from the built wheel (sdk-tests/run-packaged.sh).
    """
    if not os.environ.get("MFA_MOCK_URL") and request.config.pluginmanager.has_plugin("mfa_mock"):
        os.environ["MFA_MOCK_URL"] = request.getfixturevalue("mfa_mock_server").url
    yield server_url()


@pytest.fixture(scope="session", autouse=True)
def sdk(request):
    """The SDK under test, as a label; autouse so that it appears in every test id."""
    return request.param


# --- helpers ------------------------------------------------------------------------------


def server_url() -> str:
    url = os.environ.get("MFA_MOCK_URL")
    if not url:
        raise RuntimeError(
            "MFA_MOCK_URL is not set: run the suites with sdk-tests/run.sh, or install the mfa-mock wheel"
        )
    return url.rstrip("/")


def new_api_key() -> str:
    """A key of its own for each suite run: each key is a separate tenant on the server."""
    return f"sk_test_sdk_{secrets.token_hex(8)}"


class _Totp(pyotp.TOTP):
    # pyotp refuses secrets under 112 bits by default; the documents' example has 80.
    min_secret_length_bits = 80


def totp_code(secret: str) -> str:
    """The current RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret."""
    return _Totp(secret).now()


def wrong_totp_code(secret: str) -> str:
    """A 6-digit code that differs from the codes of the five 30 s steps around now."""
    totp = _Totp(secret)
    now = time.time()
    near = {totp.at(now + step * 30) for step in range(-2, 3)}
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        if code not in near:
            return code


def decode_qr_code(data_url: str) -> str:
    """The text of the single QR code in a `data:image/png;base64,...` URL."""
    prefix = "data:image/png;base64,"
    assert data_url.startswith(prefix), f"qr_code is not a PNG data URL: {data_url[:40]!r}"
    image = Image.open(io.BytesIO(base64.b64decode(data_url[len(prefix):], validate=True)))
    assert image.format == "PNG", image.format
    codes = zxingcpp.read_barcodes(image)
    assert [c.format for c in codes] == [zxingcpp.BarcodeFormat.QRCode], f"found {codes!r}"
    return codes[0].text


def require_mfa(api_key: str) -> None:
    """Turns the tenant's MFA requirement on for sign-in (the control plane; no SDK has it)."""
    request = urllib.request.Request(
        f"{server_url()}/_mock/settings",
        data=json.dumps({"mfa_required": True}).encode(),
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["mfa_required"] is True


def sms_sent_for_challenge(api_key: str, challenge_id: str) -> dict:
    """The message the server "sent" for an SMS challenge, read from its outbox.

    Plain HTTP: the outbox is mfa-mock's control plane, which no SDK knows about.
    """
    query = urllib.parse.urlencode({"authentication_challenge_id": challenge_id})
    request = urllib.request.Request(
        f"{server_url()}/_mock/sms?{query}",
        headers={"Authorization": f"Bearer {api_key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        raise AssertionError(
            f"GET /_mock/sms answered {error.code}: {error.read().decode(errors='replace')}"
        ) from None
    messages = [m for m in body["data"] if m["authentication_challenge_id"] == challenge_id]
    assert len(messages) == 1, f"expected one message for {challenge_id} in the outbox, got {body!r}"
    return messages[0]
