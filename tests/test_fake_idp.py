"""FakeRunaiServer plays the identity provider: discovery, authorize, PKCE checked at exchange."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from runai_tokens.testing import REDACTED, FakeRunaiServer

REDIRECT = "http://127.0.0.1:43121/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(server: FakeRunaiServer, challenge: str, **extra: str) -> httpx.Response:
    discovery = httpx.get(f"{server.url}/auth/realms/runai/.well-known/openid-configuration")
    params = {
        "response_type": "code",
        "client_id": "runai",
        "redirect_uri": REDIRECT,
        "state": "fake-state-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return httpx.get(discovery.json()["authorization_endpoint"], params=params)


def code_from(response: httpx.Response) -> str:
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["fake-state-1"]
    return query["code"][0]


def test_the_discovery_document(runai_server: FakeRunaiServer) -> None:
    doc = httpx.get(f"{runai_server.url}/auth/realms/runai/.well-known/openid-configuration")
    assert doc.status_code == 200
    body = doc.json()
    assert body["issuer"] == f"{runai_server.url}/auth/realms/runai"
    assert body["authorization_endpoint"].startswith(body["issuer"] + "/")
    assert body["code_challenge_methods_supported"] == ["S256"]


def test_authorize_then_exchange_on_v2_with_the_verifier(runai_server: FakeRunaiServer) -> None:
    runai_server.login_as("alice@example.com")
    verifier, challenge = pkce()
    code = code_from(authorize(runai_server, challenge))
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "runai",
        "code_verifier": verifier,
    }
    answer = httpx.post(f"{runai_server.url}/api/v2/token", data=form)
    assert answer.status_code == 200, answer.text
    claims = runai_server.decode_token(answer.json()["access_token"])
    assert claims["sub"] == "alice@example.com"
    assert "refresh_token" in answer.json()
    again = httpx.post(f"{runai_server.url}/api/v2/token", data=form)
    assert again.json()["error"] == "invalid_grant"  # single-use
    # openapi.yaml marks the verifier format: password, so the request log never holds it.
    logged = [r.body for r in runai_server.requests if r.path == "/api/v2/token"]
    assert [body["code_verifier"] for body in logged] == [REDACTED, REDACTED]
    assert verifier not in repr(runai_server.requests)


@pytest.mark.parametrize("verifier", [None, "a-wrong-verifier-of-enough-length-0123456789abcdef"])
def test_v2_refuses_a_missing_or_wrong_verifier(
    runai_server: FakeRunaiServer, verifier: str | None
) -> None:
    _, challenge = pkce()
    form = {
        "grant_type": "authorization_code",
        "code": code_from(authorize(runai_server, challenge)),
    }
    form["redirect_uri"] = REDIRECT
    if verifier is not None:
        form["code_verifier"] = verifier
    answer = httpx.post(f"{runai_server.url}/api/v2/token", data=form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


@pytest.mark.runai_server(version="2.18")
def test_v1_exchange_token_reads_no_verifier(runai_server: FakeRunaiServer) -> None:
    """No document of v1 has a verifier, so the fake reads none there: a PKCE code goes through
    without one, and a codeVerifier sent anyway is not checked (a wrong one passes too). It is
    still kept out of the request log, as the contract's code_verifier in another spelling."""
    _, challenge = pkce()
    url = f"{runai_server.url}/api/v1/token"
    body = {"grantType": "exchange_token", "redirectUri": REDIRECT, "clientID": "runai"}
    plain = httpx.post(url, json={**body, "code": code_from(authorize(runai_server, challenge))})
    assert plain.status_code == 200, plain.text
    wrong = {
        **body,
        "code": code_from(authorize(runai_server, challenge)),
        "codeVerifier": "fake-wrong-verifier-0123456789-0123456789-0123",
    }
    assert httpx.post(url, json=wrong).status_code == 200
    [sent] = [r.body for r in runai_server.requests if "codeVerifier" in (r.body or {})]
    assert sent["codeVerifier"] == REDACTED


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"redirect_uri": "https://evil.example/cb"}, "loopback"),
        ({"redirect_uri": "not a uri"}, "loopback"),
        ({"response_type": "token"}, "response_type"),
        ({"client_id": ""}, "client_id"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge": ""}, "S256"),
    ],
)
def test_a_bad_authorize_request_is_a_page_never_a_redirect(
    runai_server: FakeRunaiServer, extra: dict[str, str], problem: str
) -> None:
    _, challenge = pkce()
    response = authorize(runai_server, challenge, **extra)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert problem in response.text


def test_only_get(runai_server: FakeRunaiServer) -> None:
    response = httpx.post(f"{runai_server.url}/auth/realms/runai/protocol/openid-connect/auth")
    assert response.status_code == 405
