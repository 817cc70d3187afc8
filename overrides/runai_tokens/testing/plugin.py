"""pytest plugin (registered through the pytest11 entry point): a fake Run:ai per test.

Fixtures:
    runai_server       a fresh, running FakeRunaiServer with one registered client
                       (CLIENT_ID / CLIENT_SECRET); stopped after the test.
    runai_credentials  the ClientCredentials for that client.

Configure the server with a marker, whose keyword arguments go to FakeRunaiServer:

    @pytest.mark.runai_server(version="2.18", lifetime=5)
    def test_old_control_plane(runai_server, runai_credentials): ...

pytest loads this module for everyone who has runai-tokens installed, so it imports nothing but
pytest: the server (and PyYAML and jsonschema, from the `testing` extra) load only when a test
asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from runai_tokens.credentials import ClientCredentials
    from runai_tokens.testing import FakeRunaiServer

CLIENT_ID = "fake-client"
CLIENT_SECRET = "fake-secret-client"  # noqa: S105 (a test credential of the fake server)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "runai_server(**kwargs): keyword arguments for the runai_server fixture's "
        "FakeRunaiServer (version, lifetime, rotate_refresh_tokens, clock, ...)",
    )


@pytest.fixture
def runai_server(request: pytest.FixtureRequest) -> Iterator[FakeRunaiServer]:
    """A running FakeRunaiServer on 127.0.0.1 that accepts CLIENT_ID / CLIENT_SECRET."""
    from runai_tokens.testing import FakeRunaiServer

    marker = request.node.get_closest_marker("runai_server")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    with FakeRunaiServer(**kwargs) as server:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        yield server


@pytest.fixture
def runai_credentials(runai_server: FakeRunaiServer) -> ClientCredentials:
    """Client credentials that runai_server accepts (client_credentials needs version >= 2.20)."""
    from runai_tokens.credentials import ClientCredentials

    return ClientCredentials(CLIENT_ID, CLIENT_SECRET)
