"""The pytest plugin, exercised from throwaway test projects (pytester) as a user would."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

# Inner runs skip hypothesis's plugin: it imports all of hypothesis (~0.5 s) at session end.
QUIET = ("-p", "no:hypothesispytest", "-p", "no:randomly")

USES_FIXTURES = """
    import httpx
    import pytest

    from runai_tokens.credentials import ClientCredentials, PasswordCredentials
    from runai_tokens.testing import FakeRunaiServer

    SEEN = []

    def grant(server, credentials):
        body = {"grantType": "client_credentials", "clientID": credentials.client_id,
                "clientSecret": credentials.client_secret}
        return httpx.post(server.url + "/api/v1/token", json=body)

    def test_token_then_protected_endpoint(runai_server, runai_credentials):
        assert isinstance(runai_server, FakeRunaiServer)
        assert isinstance(runai_credentials, ClientCredentials)
        assert runai_server.version == "2.24"
        access = grant(runai_server, runai_credentials).json()["accessToken"]
        whoami = httpx.get(runai_server.url + runai_server.PROTECTED_PATH,
                           headers={"Authorization": "Bearer " + access})
        assert whoami.json()["sub"] == runai_credentials.client_id
        SEEN.append(runai_server.url)

    def test_a_fresh_server_per_test(runai_server):
        assert runai_server.count() == 0 and runai_server.tokens_issued == 0
        assert runai_server.url not in SEEN
        with pytest.raises(httpx.ConnectError):  # the previous test's server is stopped
            httpx.get(SEEN[0])

    def test_token_auth_end_to_end(runai_server, runai_credentials):
        from runai_tokens import TokenAuth

        auth = TokenAuth(runai_server.url, runai_credentials)
        with httpx.Client(base_url=runai_server.url, auth=auth) as client:
            assert client.get(runai_server.PROTECTED_PATH).json()["sub"] == "fake-client"
            runai_server.revoke_all()  # the next call gets a 401, so a new token is fetched
            assert client.get(runai_server.PROTECTED_PATH).status_code == 200
        assert runai_server.tokens_issued == 2

    @pytest.mark.runai_server(version="2.18", lifetime=5)
    def test_marker_configures_the_server(runai_server, runai_credentials):
        assert runai_server.version == "2.18" and runai_server.lifetime == 5
        # 2.18 has no client_credentials grant, so the fixture hands out a user's password.
        assert isinstance(runai_credentials, PasswordCredentials)
        body = {"grantType": "password", "username": runai_credentials.username,
                "password": runai_credentials.password}
        assert httpx.post(runai_server.url + "/api/v1/token", json=body).status_code == 200
        client = ClientCredentials("fake-client", "fake-secret-client")
        assert grant(runai_server, client).status_code == 400
        assert httpx.post(runai_server.url + "/api/v2/token").status_code == 404

    @pytest.mark.runai_server(version="2.24")
    def test_on_2_24_the_oauth2_endpoint_takes_the_credentials(runai_server, runai_credentials):
        assert isinstance(runai_credentials, ClientCredentials)
        form = {"grant_type": "client_credentials", "client_id": runai_credentials.client_id,
                "client_secret": runai_credentials.client_secret}
        answer = httpx.post(runai_server.url + "/api/v2/token", data=form).json()
        assert answer["token_type"] == "Bearer" and answer["expires_in"] == 3600

    @pytest.mark.parametrize(
        "version",
        [pytest.param(f"2.{m}", marks=pytest.mark.runai_server(version=f"2.{m}"))
         for m in range(18, 25)],
    )
    def test_every_version_accepts_its_credentials(runai_server, runai_credentials, version):
        from runai_tokens import TokenAuth

        assert runai_server.version == version
        expected = ClientCredentials if int(version[2:]) >= 20 else PasswordCredentials
        assert type(runai_credentials) is expected
        auth = TokenAuth(runai_server.url, runai_credentials)
        with httpx.Client(base_url=runai_server.url, auth=auth) as client:
            assert client.get(runai_server.PROTECTED_PATH).status_code == 200
        auth.close()
"""


def test_fixtures_in_a_user_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_FIXTURES)
    result = pytester.runpytest_inprocess(*QUIET, "--strict-markers")
    result.assert_outcomes(passed=12)


def test_plugin_comes_from_the_pytest11_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_needs_it(runai_server):
            pass
        """
    )
    result = pytester.runpytest_inprocess(*QUIET, "-p", "no:runai_tokens")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'runai_server' not found*"])


def test_without_the_testing_extra_pytest_still_starts(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_plain():
            assert True

        def test_server(runai_server):
            pass
        """
    )
    # The testing extra (PyYAML, jsonschema, attrs) made unimportable before pytest (and so the
    # plugin) loads.
    code = (
        "import sys\n"
        "sys.modules['yaml'] = None\n"
        "sys.modules['jsonschema'] = None\n"
        "sys.modules['attrs'] = None\n"
        "import pytest\n"
        f"sys.exit(pytest.main(['-p', 'no:cacheprovider', '-q', *{QUIET!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "1 passed, 1 error" in result.stdout, result.stdout + result.stderr
    assert "pip install 'runai-tokens[testing]'" in result.stdout
