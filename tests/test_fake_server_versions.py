"""FakeRunaiServer answers as the control-plane version it is given, 2.18 to 2.24.

Each version has what Run:ai's document of that version has: client_credentials from 2.20,
external_token_exchange from 2.22, expiresIn and /api/v2/token from 2.24. A grant a version
lacks is refused with a 400 that says so, so a client can tell its user the control plane is
too old rather than that the credentials are wrong.
"""

from __future__ import annotations

import ssl

import httpx
import pytest
from runai_tokens.testing import FakeRunaiServer

VERSIONS = ["2.18", "2.19", "2.20", "2.21", "2.22", "2.23", "2.24"]
V1 = "/api/v1/token"
V2 = "/api/v2/token"
TLS = ssl.create_default_context()
CLIENT = ("ci-pipeline", "fake-secret-client-ver")
EXTERNAL = "fake-secret-external-token"
USER = ("researcher", "fake-secret-password-ver")

# grant -> (v1 body, the first version that has it)
GRANTS = {
    "client_credentials": (
        {"grantType": "client_credentials", "clientID": CLIENT[0], "clientSecret": CLIENT[1]},
        "2.20",
    ),
    "external_token_exchange": (
        {"grantType": "external_token_exchange", "externalToken": EXTERNAL},
        "2.22",
    ),
}


def minor(version: str) -> int:
    return int(version.split(".")[1])


@pytest.mark.parametrize("grant", sorted(GRANTS))
@pytest.mark.parametrize("version", VERSIONS)
def test_each_grant_from_its_version_on(version: str, grant: str) -> None:
    body, since = GRANTS[grant]
    with (
        FakeRunaiServer(version=version) as server,
        httpx.Client(base_url=server.url, verify=TLS) as http,
    ):
        server.add_client(*CLIENT)
        server.add_external_token(EXTERNAL, "bob")
        response = http.post(V1, json=body)
        if minor(version) >= minor(since):
            assert response.status_code == 200, response.text
            assert ("expiresIn" in response.json()) is (version == "2.24")
            return
        assert response.status_code == 400
        assert response.json() == {
            "code": 400,
            "message": f"unsupported grantType {grant}: not supported by control plane "
            f"version {version} (introduced in {since})",
        }
        assert server.tokens_issued == 0
        # Refused for the version, whatever the credentials: a wrong secret gets the same answer.
        wrong = {k: "fake-secret-wrong" if k != "grantType" else v for k, v in body.items()}
        assert http.post(V1, json=wrong).json() == response.json()


@pytest.mark.parametrize("version", VERSIONS)
def test_password_grant_and_v2_by_version(version: str) -> None:
    with (
        FakeRunaiServer(version=version) as server,
        httpx.Client(base_url=server.url, verify=TLS) as http,
    ):
        server.add_user(*USER)
        v1 = http.post(V1, json={"grantType": "password", "username": USER[0], "password": USER[1]})
        assert v1.status_code == 200  # every version has the password grant
        v2 = http.post(
            V2, data={"grant_type": "password", "username": USER[0], "password": USER[1]}
        )
        assert v2.status_code == (200 if version == "2.24" else 404)
