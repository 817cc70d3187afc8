"""A loopback token server that every library in the comparison can talk to.

FakeRunaiServer speaks only Run:ai's wire format; httpx-auth and Authlib speak standard OAuth2
(a form-encoded token request, a snake_case `access_token` answer). This server speaks both, so
every library hits one implementation, and it counts what the benchmarks measure:

- POST /api/v1/token    Run:ai's grant (JSON, camelCase keys matched case-insensitively; the
                        client_credentials and app_token grants), answering accessToken/expiresIn
- POST /oauth/token     RFC 6749 client_credentials (form body, or HTTP Basic for the client)
- GET  /api/v1/whoami   the protected endpoint: 200 with a live token, else 401; a request that
                        carries a token this server issued but which has expired is counted stale

Access tokens are unsigned JWT-shaped strings whose payload segment never holds '-' or '_', so
that runapy (which decodes JWTs with standard base64) can parse them: the comparison measures
its concurrency, not its base64 bug (bench_jwt measures that separately).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import attrs

TOKEN_PATH = "/api/v1/token"
OAUTH_TOKEN_PATH = "/oauth/token"
PROTECTED_PATH = "/api/v1/whoami"


@attrs.define
class Counters:
    token_requests: int = 0
    protected: int = 0
    ok: int = 0
    stale: int = 0  # sent with a token this server issued, after it expired
    unknown: int = 0  # sent with no token, a revoked one, or one this server never issued


class TokenServer:
    """Threaded HTTP/1.1 server on 127.0.0.1 (see the module docstring); a context manager."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        lifetime: float = 3600.0,
        token_delay: float = 0.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = lifetime
        # Real identity providers take tens of milliseconds to mint; on loopback a grant would
        # otherwise finish before the next thread starts, hiding every race.
        self.token_delay = token_delay
        self.reject_grants = False  # answer every grant 401, whatever the credentials
        self.counters = Counters()
        self.issued: dict[str, float] = {}  # token -> expiry (time.time())
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> TokenServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def revoke_all(self) -> None:
        """Every token issued so far is rejected from now on, as after a signing-key rotation."""
        with self._lock:
            self.issued.clear()

    def reset_counters(self) -> None:
        with self._lock:
            self.counters = Counters()

    def mint(self) -> tuple[str, int]:
        now = time.time()
        lifetime = self.lifetime
        token = _jwt(now, lifetime)
        with self._lock:
            self.issued[token] = now + lifetime
        return token, max(int(lifetime), 0)

    # --- request handling (handler threads) ---------------------------------------------------

    def grant(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, object]]:
        with self._lock:
            self.counters.token_requests += 1
        if self.token_delay:
            time.sleep(self.token_delay)
        if self.reject_grants:
            return 401, {"code": 401, "message": "invalid client", "error": "invalid_client"}
        if path == TOKEN_PATH:
            if not self._runai_client_ok(body):
                return 401, {"code": 401, "message": "invalid client"}
            token, expires_in = self.mint()
            return 200, {"accessToken": token, "expiresIn": expires_in}
        if not self._oauth_client_ok(headers, body):
            return 401, {"error": "invalid_client"}
        token, expires_in = self.mint()
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}

    def check(self, authorization: str | None) -> int:
        token = (authorization or "").removeprefix("Bearer ").removeprefix("bearer ")
        now = time.time()
        with self._lock:
            self.counters.protected += 1
            expiry = self.issued.get(token)
            if expiry is None:
                self.counters.unknown += 1
                return 401
            if now >= expiry:
                self.counters.stale += 1
                return 401
            self.counters.ok += 1
            return 200

    def _runai_client_ok(self, body: bytes) -> bool:
        try:
            data = {k.lower(): v for k, v in json.loads(body).items()}
        except (ValueError, AttributeError):
            return False
        if data.get("granttype") == "app_token":
            pair = (data.get("appid"), data.get("appsecret"))
        else:
            pair = (data.get("clientid"), data.get("clientsecret"))
        return pair == (self.client_id, self.client_secret)

    def _oauth_client_ok(self, headers: dict[str, str], body: bytes) -> bool:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        pair = (form.get("client_id"), form.get("client_secret"))
        basic = headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            pair = (user, password)
        return form.get("grant_type") == "client_credentials" and pair == (
            self.client_id,
            self.client_secret,
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # 64 clients connect at once: the default backlog of 5 would turn the rest into SYN
    # retransmits a second later, which is the kernel's latency, not the library's.
    request_queue_size = 256


def _handler(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm the body would wait
        # for the client's delayed ACK, 40 ms per keep-alive request.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.split("?", 1)[0]
            if path not in (TOKEN_PATH, OAUTH_TOKEN_PATH):
                self._reply(404, {"message": "not found"})
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._reply(*server.grant(path, headers, body))

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != PROTECTED_PATH:
                self._reply(404, {"message": "not found"})
                return
            status = server.check(self.headers.get("Authorization"))
            self._reply(status, {"ok": True} if status == 200 else {"code": 401})

        def _reply(self, status: int, data: dict[str, object]) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the benchmarks read counters, not access logs

    return Handler


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(now: float, lifetime: float) -> str:
    header = _b64url(b'{"alg":"none","typ":"JWT"}')
    for _ in range(1000):  # a clean payload comes up within a few tries
        claims = {"sub": "bench", "iat": int(now), "exp": int(now + lifetime)}
        claims["jti"] = secrets.token_hex(8)
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        if "-" not in payload and "_" not in payload:
            return f"{header}.{payload}.{secrets.token_hex(16)}"
    raise RuntimeError("no base64-clean JWT payload found")


@contextmanager
def token_server(*, lifetime: float = 3600.0, token_delay: float = 0.0) -> Iterator[TokenServer]:
    with TokenServer(
        client_id="bench-client",
        client_secret="fake-secret-bench-0123456789",
        lifetime=lifetime,
        token_delay=token_delay,
    ) as server:
        yield server
