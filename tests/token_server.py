"""A small token server for the auth tests, on top of tests/scripted_server.py.

It grants tokens for a fixed set of fake credentials and guards a protected endpoint with them,
so TokenAuth's whole loop (grant, send, 401, refresh, replay) runs over real loopback sockets.
Tokens are HS256 JWTs (iat/exp), or opaque strings; the lifetime is checked against the
server's `clock` (time.monotonic, or the test's FakeClock shared with TokenAuth), so a token the
client keeps too long really gets a 401.

Replies queued with `script()` answer the next token requests instead of the normal grant logic,
for failure cases (500, HTML, broken JSON, rejections). `hold_grants()` keeps token requests
waiting until the test opens the gate: a test decides when a grant completes, instead of a sleep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from runai_tokens._generated import GRANT_PATH

from tests.parked import HANG_GUARD
from tests.scripted_server import Recorded, Reply, ScriptedServer

PROTECTED_PATH = "/api/v1/whoami"
FORBIDDEN_PATH = "/api/v1/forbidden"
CLIENT_ID = "fake-client"
CLIENT_SECRET = "fake-secret-client-0123456789"
USERNAME = "fake-user"
PASSWORD = "fake-secret-password-0123456789"
APP_ID = "fake-app"
APP_SECRET = "fake-secret-app-0123456789"
_SIGNING_KEY = b"fake-secret-signing-key"

Style = Literal["expires_in", "jwt", "opaque"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(_SIGNING_KEY, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def envelope(status: int, message: str) -> Reply:
    return Reply.json(status, {"code": status, "message": message})


class Gate:
    """Holds token requests at the server until open(); `arrived` is set by the first one."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self._open = threading.Event()

    def open(self) -> None:
        self._open.set()

    def pass_through(self) -> None:
        self.arrived.set()
        if not self._open.wait(HANG_GUARD):
            raise RuntimeError("the test never opened the gate")


class TokenServer:
    """Grants tokens and guards PROTECTED_PATH; use as a context manager."""

    def __init__(
        self,
        *,
        lifetime: int = 3600,
        style: Style = "expires_in",
        issue_refresh_tokens: bool = False,
        refresh_tokens: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifetime = lifetime
        self.style = style
        self.issue_refresh_tokens = issue_refresh_tokens
        self.clock = clock
        self._gate: Gate | None = None
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._valid: dict[str, float] = {}  # access token -> expiry on the server's clock
        self._refresh_tokens = set(refresh_tokens)
        self._scripted: list[Reply] = []
        self.grants: list[dict[str, Any]] = []  # the bodies of token requests, in order
        self.server = ScriptedServer(self._handle)

    @property
    def url(self) -> str:
        return self.server.url

    def count(self, path: str | None = None) -> int:
        return self.server.count(path)

    @property
    def token_requests(self) -> int:
        return self.server.count(GRANT_PATH)

    def grant_types(self) -> list[str]:
        with self._lock:
            return [grant.get("grantType", "") for grant in self.grants]

    def script(self, *replies: Reply) -> None:
        """Answer the next len(replies) token requests with these, in order."""
        with self._lock:
            self._scripted.extend(replies)

    def hold_grants(self) -> Gate:
        """Token requests from now on wait at the returned gate until it is opened."""
        gate = self._gate = Gate()
        return gate

    def revoke_all(self) -> None:
        """Every access and refresh token issued so far stops working."""
        with self._lock:
            self._valid.clear()
            self._refresh_tokens.clear()

    def __enter__(self) -> TokenServer:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._gate is not None:  # let a request still held at the gate finish
            self._gate.open()
        self.server.__exit__(*exc)

    def _handle(self, request: Recorded) -> Reply:
        if request.path == GRANT_PATH:
            return self._grant(request)
        if request.path in (PROTECTED_PATH, FORBIDDEN_PATH):
            return self._protected(request)
        return envelope(404, "not found")

    def _grant(self, request: Recorded) -> Reply:
        if self._gate is not None:
            self._gate.pass_through()
        try:
            body = request.json()
        except ValueError:
            return envelope(400, "body is not JSON")
        with self._lock:
            self.grants.append(body)
            if self._scripted:
                return self._scripted.pop(0)
            if not self._accepts(body):
                return envelope(401, "invalid credentials")
            return Reply.json(200, self._issue())

    def _accepts(self, body: dict[str, Any]) -> bool:
        grant = body.get("grantType")
        if grant == "client_credentials":
            return (body.get("clientID"), body.get("clientSecret")) == (CLIENT_ID, CLIENT_SECRET)
        if grant == "password":
            return (body.get("username"), body.get("password")) == (USERNAME, PASSWORD)
        if grant == "app_token":
            return (body.get("appID"), body.get("appSecret")) == (APP_ID, APP_SECRET)
        if grant == "refresh_token":
            return body.get("refreshToken") in self._refresh_tokens
        return False

    def _issue(self) -> dict[str, Any]:
        serial = next(self._serial)
        now = int(time.time())
        if self.style == "opaque":
            access = f"fake-opaque-token-{serial}"
        else:
            access = make_jwt(
                {"sub": CLIENT_ID, "n": serial, "iat": now, "exp": now + self.lifetime}
            )
        self._valid[access] = self.clock() + self.lifetime
        data: dict[str, Any] = {"accessToken": access, "idToken": f"fake-id-token-{serial}"}
        if self.style == "expires_in":
            data["expiresIn"] = self.lifetime
        if self.issue_refresh_tokens:
            refresh = f"fake-refresh-token-{serial}"
            self._refresh_tokens.add(refresh)
            data["refreshToken"] = refresh
        return data

    def _protected(self, request: Recorded) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        with self._lock:
            expires = self._valid.get(token)
        if expires is None or self.clock() >= expires:
            return envelope(401, "invalid or expired token")
        if request.path == FORBIDDEN_PATH:
            return envelope(403, "forbidden")
        return Reply.json(200, {"sub": CLIENT_ID})


@contextmanager
def token_server(**options: Any) -> Iterator[TokenServer]:
    with TokenServer(**options) as server:
        yield server


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
