"""FakeRunaiServer over real sockets with plain httpx: the four operations, both versions."""

from __future__ import annotations

import importlib.resources
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from runai_tokens.testing import FakeRunaiServer, InvalidToken, decode_jwt, make_jwt

GRANT = "/api/v1/token"
APPTOKEN = "/v1/k8s/auth/oauth/apptoken"
EXCHANGE = "/v1/k8s/auth/token/exchange"
REFRESH = "/v1/k8s/auth/oauth/tokens/refresh"
WHOAMI = FakeRunaiServer.PROTECTED_PATH

# Every URL here is http://127.0.0.1; one context spares each client loading the CA store.
TLS = ssl.create_default_context()
NOW = 1_800_000_000.0
CLIENT = ("ci-pipeline", "fake-secret-client")
APP = ("app-1", "fake-secret-app", "nightly")
USER = ("researcher", "fake-secret-password")
REDIRECT = "https://example.run.ai/oauth-code"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def make_server(version: str = "2.24", **kwargs: Any) -> FakeRunaiServer:
    server = FakeRunaiServer(version=version, **kwargs)
    server.add_client(*CLIENT)
    server.add_app(*APP)
    server.add_user(*USER)
    return server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["2.18", "2.24"])
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(version: str, clock: Clock) -> Iterator[FakeRunaiServer]:
    with make_server(version, clock=clock, lifetime=600) as server:
        yield server


@pytest.fixture
def http(server: FakeRunaiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5, verify=TLS) as client:
        yield client


def grant(http: httpx.Client, **body: str) -> httpx.Response:
    return http.post(GRANT, json=body)


def assert_envelope(response: httpx.Response, status: int, *needles: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["code"] == status
    assert set(data) <= {"code", "message", "details"}
    message = str(data["message"])
    for needle in needles:
        assert needle in message
    return message


def assert_tokens(
    server: FakeRunaiServer, data: dict[str, Any], subject: str, *, refresh: bool
) -> None:
    claims = server.decode_token(data["accessToken"])
    assert claims["sub"] == subject
    assert (claims["iat"], claims["exp"]) == (int(NOW), int(NOW) + 600)
    assert claims["typ"] == "Bearer"
    assert server.decode_token(data["idToken"])["typ"] == "ID"
    assert ("refreshToken" in data) is refresh
    if server.version == "2.24":
        assert data["expiresIn"] == 600
    else:
        assert "expiresIn" not in data


# --- grant_token ------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["clientID", "clientId", "ClientID", "clientid", "CLIENTID"])
def test_client_credentials_on_2_24_with_any_key_case(key: str, clock: Clock) -> None:
    with make_server("2.24", clock=clock, lifetime=600) as server, httpx.Client(verify=TLS) as http:
        body = {"GrantType": "client_credentials", key: CLIENT[0], "clientSECRET": CLIENT[1]}
        response = http.post(server.url + GRANT, json=body)
        assert response.status_code == 200, response.text
        assert_tokens(server, response.json(), CLIENT[0], refresh=False)
        assert server.tokens_issued == 1


def test_client_credentials_is_unknown_to_2_18() -> None:
    with make_server("2.18") as server, httpx.Client(base_url=server.url, verify=TLS) as http:
        response = grant(
            http, grantType="client_credentials", clientID=CLIENT[0], clientSecret=CLIENT[1]
        )
        assert_envelope(response, 400, "unsupported grantType client_credentials")
        assert server.tokens_issued == 0


@pytest.mark.parametrize("secret", ["fake-secret-wrong", ""])
def test_client_credentials_rejected(secret: str) -> None:
    with make_server() as server, httpx.Client(base_url=server.url, verify=TLS) as http:
        response = grant(
            http, grantType="client_credentials", clientID=CLIENT[0], clientSecret=secret
        )
        status = 401 if secret else 400  # an empty secret is a missing one
        message = assert_envelope(response, status)
        assert not secret or secret not in response.text
        assert "client" in message.lower() or "clientSecret" in message
        unknown = grant(
            http, grantType="client_credentials", clientID="nobody", clientSecret=CLIENT[1]
        )
        assert_envelope(unknown, 401, "invalid client credentials")


def test_app_token_grant(server: FakeRunaiServer, http: httpx.Client) -> None:
    response = grant(http, grantType="app_token", AppId=APP[0], appSecret=APP[1])
    assert response.status_code == 200, response.text
    assert_tokens(server, response.json(), APP[0], refresh=False)
    wrong = grant(http, grantType="app_token", appID=APP[0], appSecret="fake-secret-wrong")
    assert_envelope(wrong, 401, "invalid application credentials")


def test_password_grant_issues_a_refresh_token(server: FakeRunaiServer, http: httpx.Client) -> None:
    response = grant(http, grantType="password", username=USER[0], password=USER[1])
    assert response.status_code == 200, response.text
    assert_tokens(server, response.json(), USER[0], refresh=True)
    wrong = grant(http, grantType="password", username=USER[0], password="fake-secret-wrong")
    assert_envelope(wrong, 401, "invalid username or password")
    missing = grant(http, grantType="password", username=USER[0])
    assert_envelope(missing, 400, "missing required field 'password'")


def test_refresh_tokens_rotate_and_are_single_use(
    server: FakeRunaiServer, http: httpx.Client
) -> None:
    first = server.issue_refresh_token("someone", client_id="runai-cli")
    response = grant(http, grantType="refresh_token", refreshToken=first, clientID="runai-cli")
    assert response.status_code == 200, response.text
    assert_tokens(server, response.json(), "someone", refresh=True)
    second = response.json()["refreshToken"]
    assert second != first
    other_client = grant(http, grantType="refresh_token", refreshToken=second, clientID="other")
    assert_envelope(other_client, 401, "another client")
    third = grant(http, grantType="refresh_token", refreshToken=second).json()["refreshToken"]
    # The spent first token again: refused, and the whole login with it (reuse detection).
    reused = grant(http, grantType="refresh_token", refreshToken=first)
    assert_envelope(reused, 401, "reused")
    assert_envelope(grant(http, grantType="refresh_token", refreshToken=third), 401, "revoked")
    assert server.refresh_token_reuses == 1


def test_refresh_tokens_without_rotation_stay_valid(clock: Clock) -> None:
    with (
        make_server(rotate_refresh_tokens=False, clock=clock) as server,
        httpx.Client(verify=TLS) as http,
    ):
        token = server.issue_refresh_token("someone")
        for _ in range(2):
            response = http.post(
                server.url + GRANT, json={"grantType": "refresh_token", "refreshToken": token}
            )
            assert response.status_code == 200, response.text
            assert response.json()["refreshToken"] == token


def test_exchange_token_grant(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.add_code("fake-code-1", REDIRECT, "runai", subject="alice")
    body = {"grantType": "exchange_token", "code": "fake-code-1", "redirectUri": REDIRECT}
    response = http.post(GRANT, json={**body, "clientId": "runai"})
    assert response.status_code == 200, response.text
    assert_tokens(server, response.json(), "alice", refresh=True)
    assert_envelope(http.post(GRANT, json=body), 401, "authorization code")  # single use

    server.add_code("fake-code-2", REDIRECT, "runai")
    elsewhere = {**body, "code": "fake-code-2", "redirectUri": "https://evil.example/cb"}
    assert_envelope(http.post(GRANT, json=elsewhere), 401, "redirect URI")
    server.add_code("fake-code-3", REDIRECT, "runai")
    other = {**body, "code": "fake-code-3", "clientID": "other"}
    assert_envelope(http.post(GRANT, json=other), 401, "another client")
    missing = {"grantType": "exchange_token", "code": "fake-code-3"}
    assert_envelope(http.post(GRANT, json=missing), 400, "'redirectUri'")


def test_external_token_exchange(version: str, http: httpx.Client, server: FakeRunaiServer) -> None:
    server.add_external_token("fake-external-token", "bob")
    response = grant(http, grantType="external_token_exchange", externalToken="fake-external-token")
    if version == "2.18":
        assert_envelope(response, 400, "unsupported grantType external_token_exchange")
        return
    assert response.status_code == 200, response.text
    assert_tokens(server, response.json(), "bob", refresh=False)
    unknown = grant(http, grantType="external_token_exchange", externalToken="fake-other")
    assert_envelope(unknown, 401, "invalid external token")


def test_missing_grant_type_and_missing_body(http: httpx.Client) -> None:
    assert_envelope(grant(http, clientID=CLIENT[0]), 400, "missing required field 'grantType'")
    assert_envelope(http.post(GRANT), 400, "'grantType'")


# --- the deprecated operations ------------------------------------------------------------------
def test_apptoken_operation(server: FakeRunaiServer, http: httpx.Client) -> None:
    response = http.post(APPTOKEN, json={"ID": APP[0], "Name": APP[2], "secret": APP[1]})
    assert response.status_code == 200, response.text
    data = response.json()
    assert set(data) == {"access_token", "id_token"}  # snake_case, and never a refresh token
    assert server.decode_token(data["access_token"])["sub"] == APP[0]
    wrong_name = http.post(APPTOKEN, json={"id": APP[0], "name": "other", "secret": APP[1]})
    assert_envelope(wrong_name, 401, "invalid application credentials")
    no_name = http.post(APPTOKEN, json={"id": APP[0], "secret": APP[1]})
    assert_envelope(no_name, 400, "'name' is a required property")
    assert no_name.json()["details"] == "violates openapi.yaml (app_token)"


def test_exchange_code_operation(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.add_code("fake-code", REDIRECT, subject="carol")
    response = http.get(EXCHANGE, params={"redirect_uri": REDIRECT, "code": "fake-code"})
    assert response.status_code == 200, response.text
    assert_tokens(server, response.json(), "carol", refresh=True)
    again = http.get(EXCHANGE, params={"redirect_uri": REDIRECT, "code": "fake-code"})
    assert_envelope(again, 401)
    no_redirect = http.get(EXCHANGE, params={"code": "fake-code"})
    assert_envelope(no_redirect, 400, "missing required query parameter 'redirect_uri'")


def test_refresh_operation(server: FakeRunaiServer, http: httpx.Client) -> None:
    token = server.issue_refresh_token("dave")
    response = http.post(REFRESH, params={"refresh_token": token})
    assert response.status_code == 200, response.text
    assert_tokens(server, response.json(), "dave", refresh=True)
    assert_envelope(http.post(REFRESH, params={"refresh_token": token}), 401)
    assert_envelope(http.post(REFRESH), 400, "missing required query parameter 'refresh_token'")
    assert_envelope(http.post(REFRESH, params={"refresh_token": ""}), 400, "'refresh_token'")


# --- contract validation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "headers", "needle"),
    [
        (b'{"grantType": "bogus"}', {}, "field 'grantType' must be one of: app_token"),
        (
            b'{"grantType": "password", "username": 7}',
            {},
            "field 'username' must be of type string",
        ),
        (b"not json", {}, "request body is not valid JSON"),
        (b'["grantType", "password"]', {}, "request body must be a JSON object"),
        (b'{"clientID": "a", "CLIENTID": "b"}', {}, "key 'clientID' more than once"),
        (b'{"grantType": "password"}', {"Content-Type": "text/plain"}, "application/json"),
    ],
)
def test_contract_breaking_requests_get_400(
    http: httpx.Client, content: bytes, headers: dict[str, str], needle: str
) -> None:
    response = http.post(
        GRANT, content=content, headers={"Content-Type": "application/json", **headers}
    )
    assert_envelope(response, 400, needle)
    assert response.json()["details"] == "violates openapi.yaml (grant_token)"


def test_violation_messages_never_echo_a_value(http: httpx.Client) -> None:
    response = grant(http, grantType="password", username="u", password=["fake-secret-x"])  # type: ignore[arg-type]
    assert_envelope(response, 400, "field 'password' must be of type string")
    assert "fake-secret-x" not in response.text


def test_unknown_path_and_wrong_method(http: httpx.Client) -> None:
    assert_envelope(http.get("/api/v1/nothing"), 404)
    wrong = http.get(GRANT)
    assert_envelope(wrong, 405)
    assert wrong.headers["allow"] == "POST"


def test_every_answer_matches_the_contract(server: FakeRunaiServer, http: httpx.Client) -> None:
    from runai_tokens.testing._contract import load_contract

    contract = load_contract()
    server.add_code("fake-code", REDIRECT)
    server.add_code("fake-code-2", REDIRECT)
    exchanges: list[tuple[str, str, dict[str, Any]]] = [
        (
            "POST",
            GRANT,
            {"json": {"grantType": "password", "username": USER[0], "password": USER[1]}},
        ),
        ("POST", GRANT, {"json": {"grantType": "bogus"}}),
        (
            "POST",
            GRANT,
            {
                "json": {
                    "grantType": "exchange_token",
                    "code": "fake-code-2",
                    "redirectUri": REDIRECT,
                }
            },
        ),
        ("POST", APPTOKEN, {"json": {"id": APP[0], "name": APP[2], "secret": APP[1]}}),
        ("POST", APPTOKEN, {"json": {"id": APP[0]}}),
        ("GET", EXCHANGE, {"params": {"redirect_uri": REDIRECT, "code": "fake-code"}}),
        ("GET", EXCHANGE, {"params": {"code": "fake-code"}}),
        ("POST", REFRESH, {"params": {"refresh_token": server.issue_refresh_token("x")}}),
        ("POST", REFRESH, {}),
    ]
    statuses = set()
    for method, path, kwargs in exchanges:
        response = http.request(method, path, **kwargs)
        op = contract.match(method, path)
        assert op is not None
        contract.validate_response(op, response.status_code, response.json())
        statuses.add(response.status_code)
    assert statuses == {200, 400}


# --- JWTs ---------------------------------------------------------------------------------------
def test_make_jwt_round_trips_and_rejects_tampering() -> None:
    token = make_jwt("someone", lifetime=60, issued_at=NOW, key=b"k", aud="runai")
    assert decode_jwt(token, b"k") == {
        "sub": "someone",
        "iat": int(NOW),
        "exp": int(NOW) + 60,
        "aud": "runai",
    }
    with pytest.raises(InvalidToken, match="signature") as excinfo:
        decode_jwt(token, b"other key")
    assert token not in str(excinfo.value)
    header, payload, signature = token.split(".")
    with pytest.raises(InvalidToken):
        decode_jwt(f"{header}.{payload}x.{signature}", b"k")
    with pytest.raises(InvalidToken, match="three"):
        decode_jwt("not-a-jwt", b"k")


def test_version_must_be_known() -> None:
    with pytest.raises(ValueError, match=r"2\.18"):
        FakeRunaiServer(version="2.1")
    assert FakeRunaiServer(version="2.20").version == "2.20"


@pytest.mark.parametrize(
    ("version", "client_credentials", "external", "expires_in"),
    [("2.20", 200, 400, False), ("2.22", 200, 200, False), ("2.24", 200, 200, True)],
)
def test_features_arrive_with_their_versions(
    version: str, client_credentials: int, external: int, expires_in: bool
) -> None:
    with make_server(version) as server, httpx.Client(base_url=server.url, verify=TLS) as http:
        server.add_external_token("fake-external-token")
        response = grant(
            http, grantType="client_credentials", clientID=CLIENT[0], clientSecret=CLIENT[1]
        )
        assert response.status_code == client_credentials
        assert ("expiresIn" in response.json()) is expires_in
        exchanged = grant(
            http, grantType="external_token_exchange", externalToken="fake-external-token"
        )
        assert exchanged.status_code == external


def test_the_contract_is_read_from_the_package_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runai_tokens.testing import _contract

    source = _contract._spec_text()  # this checkout has no packaged copy: the repository's
    assert source == (Path(__file__).parents[1] / "openapi.yaml").read_text(encoding="utf-8")
    (tmp_path / "openapi.yaml").write_text("# packaged copy\n", encoding="utf-8")
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    assert _contract._spec_text() == "# packaged copy\n"
