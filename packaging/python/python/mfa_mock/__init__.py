"""Start mfa-mock (the bundled binary) and drive its test controls from Python.

A local, in-memory copy of the WorkOS MFA API. Each API key is its own tenant: `tenant()`
makes a new `sk_test_` key, so every test starts from an empty world on a shared server.

    from mfa_mock import MfaMockServer

    with MfaMockServer() as server:          # the bundled binary, on a free port
        tenant = server.tenant()
        client = tenant.workos()             # needs `pip install workos`
        ...

`MfaMockServer.connect(url)` uses a server that is already running instead. Only the
standard library is used: the controls are plain HTTP under `/_mock/`.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

__all__ = ["MfaMockError", "MfaMockServer", "Tenant", "binary_path"]

_EXE = ".exe" if sys.platform == "win32" else ""


class MfaMockError(RuntimeError):
    """The server did not start, or a control request failed."""


def binary_path() -> str:
    """The `mfa-mock` executable: `MFA_MOCK_BINARY`, else the one this wheel installed.

    The wheel puts the binary in the environment's scripts folder, which is on PATH only when
    the environment is activated; look there first so an unactivated venv still works.
    """
    explicit = os.environ.get("MFA_MOCK_BINARY")
    if explicit:
        return explicit
    candidates = [Path(sysconfig.get_path("scripts")) / f"mfa-mock{_EXE}"]
    user_scripts = sysconfig.get_path("scripts", f"{os.name}_user")
    if user_scripts:
        candidates.append(Path(user_scripts) / f"mfa-mock{_EXE}")
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("mfa-mock")
    if found:
        return found
    raise MfaMockError(
        "no mfa-mock binary found: install the `mfa-mock` wheel for this platform, "
        "set MFA_MOCK_BINARY to the binary, or set MFA_MOCK_URL to a running server"
    )


class MfaMockServer:
    """One mfa-mock server: started here (`start()`), or already running (`connect(url)`).

    Started servers listen on 127.0.0.1 and a free port unless told otherwise, write their
    log to `log_path`, and stop on `stop()`, at the end of a `with` block, or at exit.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        args: Sequence[str] = (),
        binary: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
        start_timeout: float = 30.0,
    ) -> None:
        self._command = [binary or "", "--host", host, "--port", str(port), *args]
        self._env = dict(os.environ if env is None else env)
        self._start_timeout = start_timeout
        self._process: Optional[subprocess.Popen] = None
        self._log_dir: Optional[tempfile.TemporaryDirectory] = None
        self.url: Optional[str] = None
        self.log_path: Optional[Path] = None

    @classmethod
    def connect(cls, url: str) -> "MfaMockServer":
        """A handle on a server already running at `url`; `stop()` leaves it running."""
        server = cls()
        server.url = url.rstrip("/")
        return server

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> "MfaMockServer":
        """Starts the binary and waits for the line that names its URL."""
        if self.url is not None:
            return self
        command = list(self._command)
        command[0] = command[0] or binary_path()
        self._log_dir = tempfile.TemporaryDirectory(prefix="mfa-mock-")
        self.log_path = Path(self._log_dir.name) / "mfa-mock.log"
        log = open(self.log_path, "wb")
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=self._env,
            )
        except OSError as error:
            raise MfaMockError(f"could not run {command[0]}: {error}") from None
        finally:
            log.close()
        lines: "queue.Queue[bytes]" = queue.Queue()
        # Reads stdout to its end so the server never blocks on a full pipe.
        threading.Thread(target=_pump, args=(self._process.stdout, lines), daemon=True).start()
        try:
            first = lines.get(timeout=self._start_timeout)
        except queue.Empty:
            first = b""
        url = next((w for w in first.decode(errors="replace").split() if "://" in w), None)
        if url is None:
            self.stop()
            raise MfaMockError(f"mfa-mock did not print its URL; its log:\n{self._log_tail()}")
        self.url = url.rstrip("/")
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Stops a server started here (SIGTERM, then SIGKILL after 10 s); idempotent."""
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdout is not None:
                process.stdout.close()
            self.url = None
        if self._log_dir is not None:
            self._log_dir.cleanup()
            self._log_dir = None

    def __enter__(self) -> "MfaMockServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the server answers on its URL (a started one that exited does not)."""
        if self._process is not None and self._process.poll() is not None:
            return False
        return self.url is not None and _health(self.url)

    def _log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # --- tenants --------------------------------------------------------------------------

    def tenant(self, api_key: Optional[str] = None, client_id: Optional[str] = None) -> "Tenant":
        """A tenant: a new random `sk_test_` key (an empty world) unless one is given."""
        if self.url is None:
            raise MfaMockError("the server is not started: call start() or use `with`")
        return Tenant(
            self.url,
            api_key or f"sk_test_{secrets.token_hex(12)}",
            client_id or f"client_{secrets.token_hex(8).upper()}",
        )


class Tenant:
    """One API key's world on a server, and its test controls (`/_mock/...`)."""

    def __init__(self, url: str, api_key: str, client_id: str) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        #: WorkOS SDKs want a client id next to the key; mfa-mock's MFA API ignores it.
        self.client_id = client_id

    def __repr__(self) -> str:
        return f"Tenant(url={self.url!r}, api_key='{self.api_key[:12]}…')"

    def workos(self, **options: Any):
        """A `workos.WorkOSClient` for this tenant (needs the `workos` package, 5.x or later)."""
        try:
            from workos import WorkOSClient
        except ImportError:
            raise MfaMockError("the `workos` package is not installed: pip install workos") from None
        options.setdefault("api_key", self.api_key)
        options.setdefault("client_id", self.client_id)
        options.setdefault("base_url", self.url)
        return WorkOSClient(**options)

    # --- plain HTTP -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Optional[Mapping[str, str]] = None,
    ) -> Any:
        """Sends one request with this tenant's key; returns the JSON answer (None if empty).

        Raises MfaMockError with the status and body for any answer that is not 2xx.
        """
        url = f"{self.url}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.api_key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise MfaMockError(f"{method} {path} answered {error.code}: {detail}") from None
        except urllib.error.URLError as error:
            raise MfaMockError(f"{method} {url}: {error.reason}") from None
        return json.loads(text) if text.strip() else None

    # --- SMS outbox -----------------------------------------------------------------------

    def sms_messages(self, **filters: str) -> list:
        """The texts "sent" to this tenant's SMS factors, newest first.

        Filters: `phone_number`, `factor_id`, `challenge_id`.
        """
        return self.request("GET", "/_mock/sms", query=filters)["data"]

    def sms_code(self, challenge_id: str) -> str:
        """The code the server texted for an SMS challenge."""
        messages = self.sms_messages(challenge_id=challenge_id)
        if len(messages) != 1:
            raise MfaMockError(f"expected one text for {challenge_id}, the outbox has {messages!r}")
        return messages[0]["code"]

    def clear_sms(self) -> None:
        self.request("DELETE", "/_mock/sms")

    # --- clock ----------------------------------------------------------------------------

    def clock(self) -> dict:
        """`{"now": RFC 3339, "frozen": bool, ...}`: the time this tenant's API runs on."""
        return self.request("GET", "/_mock/clock")

    def freeze_clock(self, at: Optional[str] = None) -> dict:
        """Stops the clock at `at` (RFC 3339), or where it is now."""
        return self.request("POST", "/_mock/clock", {"freeze_at": at or self.clock()["now"]})

    def advance_clock(self, seconds: int) -> dict:
        """Moves the clock (frozen or not); negative goes back. Expires challenges, moves TOTP."""
        return self.request("POST", "/_mock/clock", {"advance_seconds": int(seconds)})

    def resume_clock(self) -> dict:
        """Back to the real time, running."""
        return self.request("POST", "/_mock/clock", {"resume": True})

    # --- faults ---------------------------------------------------------------------------

    def add_fault(
        self,
        *,
        method: str = "*",
        path: str = "*",
        status: Optional[int] = None,
        delay_ms: Optional[int] = None,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        times: Optional[int] = None,
    ) -> dict:
        """Makes matching requests fail with `status` and/or wait `delay_ms` (`*` is a wildcard)."""
        fault: dict = {"method": method, "path": path}
        for name, value in (("status", status), ("delay_ms", delay_ms), ("body", body),
                            ("headers", headers), ("times", times)):
            if value is not None:
                fault[name] = value
        return self.request("POST", "/_mock/faults", fault)

    def faults(self) -> list:
        return self.request("GET", "/_mock/faults")["data"]

    def remove_fault(self, fault_id: str) -> None:
        self.request("DELETE", f"/_mock/faults/{urllib.parse.quote(fault_id, safe='')}")

    def clear_faults(self) -> None:
        for fault in self.faults():
            self.remove_fault(fault["id"])

    # --- journal and state ----------------------------------------------------------------

    def journal(self) -> list:
        """The requests this tenant's key sent (newest first), as the server saw them."""
        return self.request("GET", "/_mock/requests")["data"]

    def clear_journal(self) -> None:
        self.request("DELETE", "/_mock/requests")

    def reset(self) -> None:
        """Forgets everything of this tenant: data, outbox, journal, faults, clock."""
        self.request("POST", "/_mock/reset")

    def export_state(self) -> dict:
        """Users, factors and challenges, secrets included, as a seed document."""
        return self.request("GET", "/_mock/state")

    def import_state(self, state: Mapping[str, Any]) -> dict:
        return self.request("PUT", "/_mock/state", dict(state))


def _pump(stream, lines: "queue.Queue[bytes]") -> None:
    for line in iter(stream.readline, b""):
        lines.put(line)


def _health(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
