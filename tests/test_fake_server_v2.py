"""FakeRunaiServer's POST /api/v2/token (2.24+) over loopback with httpx posting forms.

The OAuth2 endpoint: four grants, RFC 6749 error bodies, 404 on older control planes, the
faults, and the request log redacting every form field the contract marks `format: password`.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from runai_tokens.testing import REDACTED, FakeRunaiServer
from runai_tokens.testing._contract import load_contract

V2 = "/api/v2/token"
V1 = "/api/v1/token"
WHOAMI = FakeRunaiServer.PROTECTED_PATH
FORM = "application/x-www-form-urlencoded"
TLS = ssl.create_default_context()  # every URL is http://127.0.0.1; loaded once, not per client
NOW = 1_800_000_000.0
CLIENT = ("ci-pipeline", "fake-secret-client-v2")
USER = ("researcher@example.com", "fake-secret-password-v2")
REDIRECT = "https://example.run.ai/oauth-code"
CLIENT_GRANT = {
    "grant_type": "client_credentials",
    "client_id": CLIENT[0],
    "client_secret": CLIENT[1],
}
PASSWORD_GRANT = {"grant_type": "password", "username": USER[0], "password": USER[1]}
OAUTH2_ERROR_KEYS = {"error", "error_description", "error_uri"}


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer(version="2.24", lifetime=600, clock=lambda: NOW) as server:
        server.add_client(*CLIENT)
        server.add_user(*USER)
        yield server


@pytest.fixture
def http(server: FakeRunaiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5, verify=TLS) as client:
        yield client


def conforms(response: httpx.Response) -> Any:
    """The decoded body, after checking it is what openapi.yaml documents for its status."""
    contract = load_contract()
    op = contract.match("POST", V2)
    assert op is not None
    data = response.json()
    contract.validate_response(op, response.status_code, data)
    return data


def assert_tokens(server: FakeRunaiServer, response: httpx.Response, subject: str) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"  # RFC 6749 section 5.1
    data = conforms(response)
    assert data["token_type"] == "Bearer"
    assert data["expires_in"] == 600
    claims = server.decode_token(data["access_token"])
    assert (claims["sub"], claims["typ"], claims["exp"]) == (subject, "Bearer", int(NOW) + 600)
    assert server.decode_token(data["id_token"])["typ"] == "ID"
    return data


def assert_oauth2_error(response: httpx.Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"  # RFC 6749 section 5.2
    data = conforms(response)
    assert set(data) <= OAUTH2_ERROR_KEYS
    assert data["error"] == error
    return str(data["error_description"])


# --- the four grants ----------------------------------------------------------------------------
def test_client_credentials(server: FakeRunaiServer, http: httpx.Client) -> None:
    response = http.post(V2, data=CLIENT_GRANT)
    data = assert_tokens(server, response, CLIENT[0])
    assert set(data) == {"access_token", "token_type", "expires_in", "id_token"}  # no refresh
    assert server.decode_token(data["access_token"])["azp"] == CLIENT[0]
    bearer = {"Authorization": f"Bearer {data['access_token']}"}
    assert http.get(WHOAMI, headers=bearer).json()["sub"] == CLIENT[0]
    assert server.tokens_issued == 1
    assert [r.operation for r in server.requests] == ["grant_token_v2", "whoami"]


@pytest.mark.parametrize("client_id", [None, "runai"])
def test_password_grant_issues_a_refresh_token(
    server: FakeRunaiServer, http: httpx.Client, client_id: str | None
) -> None:
    form = PASSWORD_GRANT if client_id is None else {**PASSWORD_GRANT, "client_id": client_id}
    data = assert_tokens(server, http.post(V2, data=form), USER[0])
    assert data["refresh_token"].startswith("fake-refresh-")
    assert server.decode_token(data["access_token"]).get("azp") == client_id


def test_refresh_tokens_rotate_and_are_single_use(
    server: FakeRunaiServer, http: httpx.Client
) -> None:
    first = server.issue_refresh_token("someone", client_id="runai")
    form = {"grant_type": "refresh_token", "refresh_token": first, "client_id": "runai"}
    second = assert_tokens(server, http.post(V2, data=form), "someone")["refresh_token"]
    assert second != first
    other = {"grant_type": "refresh_token", "refresh_token": second, "client_id": "other"}
    assert "another client" in assert_oauth2_error(http.post(V2, data=other), 400, "invalid_grant")
    no_client = {"grant_type": "refresh_token", "refresh_token": second}  # client_id is optional
    assert_tokens(server, http.post(V2, data=no_client), "someone")
    assert server.refreshes == 2


def test_a_reused_refresh_token_is_refused_and_revokes_its_whole_login(
    server: FakeRunaiServer, http: httpx.Client
) -> None:
    """As Keycloak ("Revoke Refresh Token"), oidc-provider (public clients), Okta and Auth0 do:
    a spent refresh token presented again means two holders, so the grant ends for both."""
    first = server.issue_refresh_token("someone", client_id="runai")
    other_login = server.issue_refresh_token("someone", client_id="runai")

    def refresh(token: str) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": "runai"}
        return http.post(V2, data=form)

    second = assert_tokens(server, refresh(first), "someone")["refresh_token"]
    third = assert_tokens(server, refresh(second), "someone")["refresh_token"]
    reused = refresh(first)  # spent two rotations ago
    assert "reused" in assert_oauth2_error(reused, 400, "invalid_grant")
    assert first not in reused.text
    # The live token of that login is revoked with it, and refused as such (no second "reuse").
    assert "revoked" in assert_oauth2_error(refresh(third), 400, "invalid_grant")
    assert "revoked" in assert_oauth2_error(refresh(second), 400, "invalid_grant")
    assert (server.refreshes, server.refresh_token_reuses) == (2, 1)
    # Another login of the same person and client is a family of its own: untouched.
    assert_tokens(server, refresh(other_login), "someone")


def test_without_reuse_detection_a_spent_token_is_only_refused() -> None:
    with (
        FakeRunaiServer(
            detect_refresh_token_reuse=False, lifetime=600, clock=lambda: NOW
        ) as server,
        httpx.Client(base_url=server.url, verify=TLS) as http,
    ):
        first = server.issue_refresh_token("someone")
        form = {"grant_type": "refresh_token", "refresh_token": first}
        second = assert_tokens(server, http.post(V2, data=form), "someone")["refresh_token"]
        assert "refresh token" in assert_oauth2_error(
            http.post(V2, data=form), 400, "invalid_grant"
        )
        again = {"grant_type": "refresh_token", "refresh_token": second}
        assert_tokens(server, http.post(V2, data=again), "someone")
        assert server.refresh_token_reuses == 0


def test_refresh_tokens_without_rotation_stay_valid() -> None:
    with (
        FakeRunaiServer(rotate_refresh_tokens=False) as server,
        httpx.Client(base_url=server.url, verify=TLS) as http,
    ):
        token = server.issue_refresh_token("someone")
        for _ in range(2):
            response = http.post(V2, data={"grant_type": "refresh_token", "refresh_token": token})
            assert response.status_code == 200, response.text
            assert response.json()["refresh_token"] == token


def test_authorization_code(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.add_code("fake-code-1", REDIRECT, "runai", subject="alice")
    form = {"grant_type": "authorization_code", "code": "fake-code-1", "redirect_uri": REDIRECT}
    data = assert_tokens(server, http.post(V2, data={**form, "client_id": "runai"}), "alice")
    assert "refresh_token" in data
    used = http.post(V2, data=form)  # codes are single-use
    assert "authorization code" in assert_oauth2_error(used, 400, "invalid_grant")

    server.add_code("fake-code-2", REDIRECT, "runai")
    elsewhere = {**form, "code": "fake-code-2", "redirect_uri": "https://evil.example/cb"}
    assert "redirect URI" in assert_oauth2_error(
        http.post(V2, data=elsewhere), 400, "invalid_grant"
    )
    server.add_code("fake-code-3", REDIRECT, "runai")
    other = {**form, "code": "fake-code-3", "client_id": "other"}
    assert "another client" in assert_oauth2_error(http.post(V2, data=other), 400, "invalid_grant")


# --- RFC 6749 errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("form", "status", "error", "needle"),
    [
        ({"client_id": CLIENT[0]}, 400, "invalid_request", "'grant_type' is a required property"),
        ({}, 400, "invalid_request", "'grant_type'"),
        ({**CLIENT_GRANT, "client_secret": ""}, 400, "invalid_request", "'client_secret'"),
        (
            {"grant_type": "client_credentials", "client_secret": CLIENT[1]},
            400,
            "invalid_request",
            "'client_id'",
        ),
        ({"grant_type": "password", "username": USER[0]}, 400, "invalid_request", "'password'"),
        ({"grant_type": "refresh_token"}, 400, "invalid_request", "'refresh_token'"),
        (
            {"grant_type": "authorization_code", "code": "c"},
            400,
            "invalid_request",
            "'redirect_uri'",
        ),
        ({"grant_type": "bogus"}, 400, "unsupported_grant_type", "must be one of"),
        # v1's grants are not v2's: v2 has no app_token or external_token_exchange
        ({"grant_type": "external_token_exchange"}, 400, "unsupported_grant_type", "grant_type"),
        ({"grant_type": "app_token"}, 400, "unsupported_grant_type", "grant_type"),
        ({**CLIENT_GRANT, "client_secret": "fake-secret-wrong"}, 401, "invalid_client", "client"),
        ({**CLIENT_GRANT, "client_id": "nobody"}, 401, "invalid_client", "client"),
        ({**PASSWORD_GRANT, "password": "fake-secret-wrong"}, 400, "invalid_grant", "password"),
        ({**PASSWORD_GRANT, "username": "nobody"}, 400, "invalid_grant", "password"),
    ],
)
def test_rejections_are_rfc_6749_errors(
    server: FakeRunaiServer,
    http: httpx.Client,
    form: dict[str, str],
    status: int,
    error: str,
    needle: str,
) -> None:
    response = http.post(V2, data=form)
    assert needle in assert_oauth2_error(response, status, error)
    assert "fake-secret" not in response.text
    assert server.tokens_issued == 0


@pytest.mark.parametrize(
    ("content", "content_type", "needle"),
    [
        (json.dumps(CLIENT_GRANT).encode(), "application/json", f"must be {FORM}"),
        (b"grant_type=password&grant_type=client_credentials", FORM, "'grant_type' more than once"),
        (b"grant_type=password&username", FORM, "not a valid"),
        (b"grant_type=password&username=\xff", FORM, "not a valid"),
        (b"", FORM, "'grant_type' is a required property"),
    ],
)
def test_a_body_that_breaks_the_contract_is_invalid_request(
    http: httpx.Client, content: bytes, content_type: str, needle: str
) -> None:
    response = http.post(V2, content=content, headers={"Content-Type": content_type})
    assert needle in assert_oauth2_error(response, 400, "invalid_request")
    assert CLIENT[1] not in response.text


def test_form_fields_are_case_sensitive(http: httpx.Client) -> None:
    response = http.post(V2, data={"Grant_Type": "client_credentials"})
    assert "'grant_type'" in assert_oauth2_error(response, 400, "invalid_request")


def test_wrong_method_is_405_with_the_envelope(http: httpx.Client) -> None:
    response = http.get(V2)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["code"] == 405


# --- versions -----------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["2.18", "2.20", "2.22", "2.23"])
def test_before_2_24_the_path_is_unknown(version: str) -> None:
    with (
        FakeRunaiServer(version=version) as server,
        httpx.Client(base_url=server.url, verify=TLS) as http,
    ):
        server.add_client(*CLIENT)
        for response in (http.post(V2, data=CLIENT_GRANT), http.get(V2)):
            assert response.status_code == 404
            assert response.json() == {"code": 404, "message": "no such path"}  # as any path
            assert response.json() == http.post("/api/v9/token").json()
        v1 = {"grantType": "client_credentials", "clientID": CLIENT[0], "clientSecret": CLIENT[1]}
        expected = 200 if version >= "2.20" else 400
        assert http.post(V1, json=v1).status_code == expected  # the fallback a client makes
        assert server.tokens_issued == (1 if expected == 200 else 0)
        # The log names what the client tried, so a test can count a client's fallbacks.
        assert [(r.operation, r.status) for r in server.requests][:1] == [("grant_token_v2", 404)]
        assert server.token_requests == 3 and server.count(V2) == 2


# --- faults on the v2 path ----------------------------------------------------------------------
def test_fail_next_keeps_the_run_ai_envelope(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.fail_next(1, 503, path=V2, retry_after=2)
    server.fail_next(1, 500, path=V2)
    assert http.post(V1, json={"grantType": "password"}).status_code == 400  # not its path
    first, second = http.post(V2, data=CLIENT_GRANT), http.post(V2, data={"grant_type": "x"})
    assert (first.status_code, first.headers["retry-after"]) == (503, "2")
    assert first.json()["code"] == 503 and second.json()["code"] == 500
    op = load_contract().match("POST", V2)
    assert op is not None
    load_contract().validate_response(op, 503, first.json())
    assert http.post(V2, data=CLIENT_GRANT).status_code == 200
    assert [r.fault for r in server.requests][1:] == ["fail", "fail", None]
    assert server.tokens_issued == 1


def test_other_faults_on_the_v2_path(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.drop_next(1, path=V2)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(V2, data=CLIENT_GRANT)
    server.html_next(1, path=V2)
    html = http.post(V2, data=CLIENT_GRANT)
    assert (html.status_code, html.headers["content-type"]) == (502, "text/html")
    server.truncated_next(1, path=V2)
    truncated = http.post(V2, data=CLIENT_GRANT)
    assert truncated.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        truncated.json()
    assert server.tokens_issued == 0
    server.delay_next(1, 0.01, path=V2)
    assert http.post(V2, data=CLIENT_GRANT).status_code == 200
    assert [r.fault for r in server.requests] == ["drop", "html", "truncated", "delay"]
    assert server.pending_faults == 0


# --- the request log ----------------------------------------------------------------------------
def test_the_log_redacts_every_marked_form_field(
    server: FakeRunaiServer, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="runai_tokens.testing")
    server.add_code("fake-secret-code-v2", REDIRECT)
    refresh = server.issue_refresh_token("someone", client_id="runai")
    forms = [
        CLIENT_GRANT,
        {**PASSWORD_GRANT, "client_id": "runai"},
        {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "runai"},
        {
            "grant_type": "authorization_code",
            "code": "fake-secret-code-v2",
            "redirect_uri": REDIRECT,
        },
        {**CLIENT_GRANT, "client_secret": "fake-secret-wrong"},
    ]
    answers = [http.post(V2, data=form) for form in forms]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 401]
    secrets = [CLIENT[1], USER[1], refresh, "fake-secret-code-v2", "fake-secret-wrong"]
    for answer in answers[:4]:
        secrets += [v for k, v in answer.json().items() if k.endswith("_token")]

    log = repr(server.requests) + "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in log
    bodies = [r.body for r in server.requests]
    assert bodies[0] == {**CLIENT_GRANT, "client_secret": REDACTED}
    assert bodies[1] == {**forms[1], "password": REDACTED}  # username and client_id are kept
    assert bodies[2] == {**forms[2], "refresh_token": REDACTED}
    assert bodies[3] == {**forms[3], "code": REDACTED}
    assert f"POST {V2} -> 401" in caplog.text


def test_the_log_redacts_repeated_and_unreadable_forms(
    server: FakeRunaiServer, http: httpx.Client
) -> None:
    repeated = b"grant_type=password&password=fake-secret-a&password=fake-secret-b"
    as_form = json.dumps({"client_secret": "fake-secret-c=d"}).encode()  # JSON labelled a form
    for content in (repeated, as_form):
        response = http.post(V2, content=content, headers={"Content-Type": FORM})
        assert response.status_code == 400
    assert server.requests[0].body == {"grant_type": "password", "password": REDACTED}
    assert server.requests[1].body == f"<{len(as_form)} bytes, not a form>"
    # A v1 spelling sent to v2 by mistake: v2 does not declare it, v1 marks it, so it is hidden.
    v1_spelling = {"grant_type": "client_credentials", "clientSecret": "fake-secret-e"}
    assert http.post(V2, data=v1_spelling).status_code == 400
    assert server.requests[2].body == {**v1_spelling, "clientSecret": REDACTED}
    assert "fake-secret" not in repr(server.requests)
