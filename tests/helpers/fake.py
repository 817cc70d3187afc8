"""FakeRunaiServer as the auth tests use it: one client, one user and one app it accepts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from runai_tokens._generated import GRANT_PATH
from runai_tokens.testing import FakeRunaiServer

CLIENT_ID = "fake-client"
CLIENT_SECRET = "fake-secret-client-0123456789"
USERNAME = "fake-user"
PASSWORD = "fake-secret-password-0123456789"
APP_ID = "fake-app"
APP_SECRET = "fake-secret-app-0123456789"
# An API call that takes any method (a POST with a body, say) and a live token.
API_PATH = "/api/v1/echo"
# An API call that the control plane refuses with 403 whatever the token (add_protected_path).
FORBIDDEN_PATH = "/api/v1/forbidden"


@contextmanager
def token_server(**options: Any) -> Iterator[FakeRunaiServer]:
    """A running FakeRunaiServer(**options) that accepts the credentials above, with
    API_PATH and FORBIDDEN_PATH guarded."""
    server = FakeRunaiServer(**options)
    server.add_protected_path(API_PATH)
    server.add_protected_path(FORBIDDEN_PATH, 403)
    with server:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        server.add_user(USERNAME, PASSWORD)
        server.add_app(APP_ID, APP_SECRET)
        yield server


def grants(server: FakeRunaiServer) -> list[dict[str, Any]]:
    """The (redacted) bodies of the v1 grants the server received, oldest first."""
    return [r.body for r in server.requests if r.path == GRANT_PATH]


def grant_types(server: FakeRunaiServer) -> list[str]:
    return [str(body.get("grantType")) for body in grants(server)]
