"""pytest plugin (registered through the pytest11 entry point): a fake Run:ai per test.

Fixtures:
    runai_server       a fresh, running FakeRunaiServer with one registered client
                       (CLIENT_ID / CLIENT_SECRET) and one user (USERNAME / PASSWORD);
                       stopped after the test.
    runai_credentials  credentials that this server's version accepts: ClientCredentials for
                       the client on 2.20 and later, PasswordCredentials for the user before
                       (client_credentials arrived in 2.20).

Configure the server with a marker, whose keyword arguments go to FakeRunaiServer:

    @pytest.mark.runai_server(version="2.18", lifetime=5)
    def test_old_control_plane(runai_server, runai_credentials): ...

The version (default "2.24", any of "2.18" to "2.24") decides what the server has:
/api/v2/token from 2.24, external tokens from 2.22, client_credentials from 2.20 and expiresIn
from 2.24, so one test module can run a client against every control plane it supports.

pytest loads this module for everyone who has runai-tokens installed, so it imports nothing but
pytest: the server (and PyYAML and jsonschema, from the `testing` extra) load only when a test
asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from runai_tokens.credentials import ClientCredentials, PasswordCredentials
    from runai_tokens.testing import FakeRunaiServer

# Test credentials of the fake server, obviously not real ones.
CLIENT_ID = "fake-client"
CLIENT_SECRET = "fake-secret-client"  # noqa: S105
USERNAME = "fake-user@example.com"
PASSWORD = "fake-secret-password"  # noqa: S105


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "runai_server(**kwargs): keyword arguments for the runai_server fixture's "
        "FakeRunaiServer (version='2.18'...'2.24', lifetime, rotate_refresh_tokens, clock, ...); "
        "runai_credentials follows the version (password credentials before 2.20)",
    )


@pytest.fixture
def runai_server(request: pytest.FixtureRequest) -> Iterator[FakeRunaiServer]:
    """A running FakeRunaiServer on 127.0.0.1 that knows CLIENT_ID and USERNAME."""
    from runai_tokens.testing import FakeRunaiServer

    marker = request.node.get_closest_marker("runai_server")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    with FakeRunaiServer(**kwargs) as server:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        server.add_user(USERNAME, PASSWORD)
        yield server


@pytest.fixture
def runai_credentials(runai_server: FakeRunaiServer) -> ClientCredentials | PasswordCredentials:
    """Credentials that runai_server's version accepts: the client's from 2.20, else the user's."""
    from runai_tokens.credentials import ClientCredentials, PasswordCredentials
    from runai_tokens.testing._versions import CLIENT_CREDENTIALS, parse_version

    if parse_version(runai_server.version) >= CLIENT_CREDENTIALS:
        return ClientCredentials(CLIENT_ID, CLIENT_SECRET)
    return PasswordCredentials(USERNAME, PASSWORD)
