"""The small Run:ai control plane in front of the real provider: what `runai-token login`, `get`
and the library need from a control plane, and nothing else.

- /auth/realms/runai/... is the identity provider, as Run:ai serves its Keycloak there: every
  request (discovery, the authorization endpoint, the login and consent pages, the token and
  revocation endpoints) goes to the provider as it came, Host header, cookies and all, and its
  answer comes back as it went, redirects unfollowed.
- POST /api/v2/token (2.24+) hands its form to the provider's token endpoint and returns the
  provider's answer: both speak RFC 6749. `v2 = False` makes it answer 404, as a 2.18 to 2.23
  control plane does, and the library then uses v1.
- POST /api/v1/token (2.18+) turns Run:ai's JSON (grantType exchange_token or refresh_token,
  camelCase keys) into the provider's form, and its answer back into Run:ai's TokenResponse, or
  into Run:ai's Error ({code, message}) for a refusal. As in every document of v1, the exchange
  carries no PKCE verifier.

Every token request is recorded (endpoint, grant type, status, OAuth2 error), never a token or
a code. hold_refreshes() makes concurrent refreshes meet at the provider: a refresh waits there
until a second one arrives (or a few seconds pass), so two callers that each send the same
refresh token send it at the same time, as they would on a busy machine by chance.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import attrs

REALM_PATH = "/auth/realms/runai"
# Hop-by-hop headers (RFC 9110 section 7.6.1) are the proxy's own, never forwarded.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)
_V1_GRANTS = {"exchange_token": "authorization_code", "refresh_token": "refresh_token"}


@attrs.frozen
class TokenRequest:
    """One token request the control plane passed on: no token, no code."""

    endpoint: str  # "v1" or "v2"
    grant_type: str  # the OAuth2 grant type sent to the provider
    status: int
    error: str | None
    with_code: bool = False  # whether it carried an authorization code (a probe carries none)


class _Gate:
    """Holds refresh requests until `count` of them wait together, or `timeout` seconds pass."""

    def __init__(self, count: int, timeout: float) -> None:
        self.count, self.timeout = count, timeout
        self.waiting = 0
        self.condition = threading.Condition()

    def wait(self) -> None:
        with self.condition:
            self.waiting += 1
            self.condition.notify_all()
            self.condition.wait_for(lambda: self.waiting >= self.count, self.timeout)


class ControlPlane:
    """The control plane on a free loopback port; provider_url says where the provider is."""

    def __init__(self) -> None:
        self.provider_url: str | None = None
        self.v2 = True
        self._requests: list[TokenRequest] = []
        self._lock = threading.Lock()
        self._gate: _Gate | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.control_plane = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.url + REALM_PATH

    def start(self) -> ControlPlane:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # --- what the tests read and set ------------------------------------------------------------

    def token_requests(self) -> list[TokenRequest]:
        with self._lock:
            return list(self._requests)

    def refreshes(self) -> list[TokenRequest]:
        return [found for found in self.token_requests() if found.grant_type == "refresh_token"]

    @contextmanager
    def hold_refreshes(self, count: int = 2, timeout: float = 5.0) -> Iterator[None]:
        """Within the block, each refresh waits until `count` refreshes are waiting together or
        `timeout` seconds have passed, and only then goes to the provider."""
        self._gate = _Gate(count, timeout)
        try:
            yield
        finally:
            self._gate = None

    # --- serving --------------------------------------------------------------------------------

    def record(self, found: TokenRequest) -> None:
        with self._lock:
            self._requests.append(found)

    def forward(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request to the provider, as it came; its answer, as it went."""
        assert self.provider_url is not None, "the provider has not been started"
        parts = urlsplit(self.provider_url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
        try:
            connection.request(method, target, body=body or None, headers=headers)
            answer = connection.getresponse()
            return answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()

    def grant(
        self, endpoint: str, form: dict[str, str], host: str
    ) -> tuple[int, dict[str, object]]:
        """A grant at the provider's token endpoint: its status and JSON answer."""
        if form.get("grant_type") == "refresh_token" and (gate := self._gate) is not None:
            gate.wait()
        status, _, body = self.forward(
            "POST",
            f"{REALM_PATH}/token",
            {"Host": host, "Content-Type": "application/x-www-form-urlencoded"},
            urlencode(form).encode(),
        )
        try:
            answer = json.loads(body) if body else {}
        except ValueError:
            answer = {"error": "server_error", "error_description": "not JSON"}
        error = answer.get("error") if isinstance(answer, dict) else None
        self.record(
            TokenRequest(
                endpoint,
                form.get("grant_type", ""),
                status,
                error if error else None,
                with_code=bool(form.get("code")),
            )
        )
        return status, answer if isinstance(answer, dict) else {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    @property
    def control_plane(self) -> ControlPlane:
        found: ControlPlane = self.server.control_plane  # type: ignore[attr-defined]
        return found

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        if path == REALM_PATH or path.startswith(REALM_PATH + "/"):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            if body:
                headers["Content-Length"] = str(len(body))
            status, answer_headers, answer = self.control_plane.forward(
                self.command, self.path, headers, body
            )
            self._reply(
                status, answer, [h for h in answer_headers if h[0].lower() not in _HOP_BY_HOP]
            )
        elif path == "/api/v2/token" and self.command == "POST":
            self._v2(body)
        elif path == "/api/v1/token" and self.command == "POST":
            self._v1(body)
        else:
            self._json(404, {"code": 404, "message": "not found"})

    def _v2(self, body: bytes) -> None:
        if not self.control_plane.v2:
            self._json(404, {"code": 404, "message": "not found"})
            return
        form = {name: values[-1] for name, values in parse_qs(body.decode()).items()}
        status, answer = self.control_plane.grant("v2", form, self._host())
        self._json(status, answer)

    def _v1(self, body: bytes) -> None:
        try:
            request = json.loads(body)
            grant_type = _V1_GRANTS[request["grantType"]]
        except (ValueError, KeyError, TypeError):
            self._json(400, {"code": 400, "message": "unsupported grantType"})
            return
        if grant_type == "authorization_code":
            form = {
                "grant_type": grant_type,
                "code": request.get("code", ""),
                "redirect_uri": request.get("redirectUri", ""),
                "client_id": request.get("clientID", ""),
            }
        else:
            form = {
                "grant_type": grant_type,
                "refresh_token": request.get("refreshToken", ""),
                "client_id": request.get("clientID", ""),
            }
        status, answer = self.control_plane.grant("v1", form, self._host())
        if status != 200:
            said = f"{answer.get('error')}: {answer.get('error_description')}"
            self._json(status, {"code": status, "message": said})
            return
        names = {
            "access_token": "accessToken",
            "id_token": "idToken",
            "refresh_token": "refreshToken",
            "expires_in": "expiresIn",
        }
        self._json(200, {names[k]: v for k, v in answer.items() if k in names})

    def _host(self) -> str:
        return self.headers.get("Host") or self.control_plane.url.removeprefix("http://")

    def _json(self, status: int, answer: dict[str, object]) -> None:
        self._reply(status, json.dumps(answer).encode(), [("Content-Type", "application/json")])

    def _reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line can hold an authorization code."""
