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


def authorize(server: FakeRunaiServer, challenge: str, **extra: str | None) -> httpx.Response:
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
    sent = {name: value for name, value in params.items() if value is not None}
    if sent.get("code_challenge") is None:
        sent.pop("code_challenge_method", None)
    return httpx.get(discovery.json()["authorization_endpoint"], params=sent)


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


@pytest.mark.parametrize("version", ["2.18", "2.23", "2.24"])
def test_v1_refuses_a_code_that_had_a_challenge(version: str) -> None:
    """RFC 7636 section 4.6: a challenge was sent, so the verifier is required, and v1's
    exchange_token has none in any document (a codeVerifier sent anyway is not read): such a
    code can only be exchanged at /api/v2/token. It is still kept out of the request log, as the
    contract's code_verifier in another spelling."""
    with FakeRunaiServer(version=version) as server:
        _, challenge = pkce()
        url = f"{server.url}/api/v1/token"
        body = {"grantType": "exchange_token", "redirectUri": REDIRECT, "clientID": "runai"}
        plain = httpx.post(url, json={**body, "code": code_from(authorize(server, challenge))})
        assert plain.status_code == 401 and "PKCE" in plain.json()["message"]
        verifier, challenge = pkce()
        sent = {**body, "code": code_from(authorize(server, challenge)), "codeVerifier": verifier}
        assert httpx.post(url, json=sent).status_code == 401
        [logged] = [r.body for r in server.requests if "codeVerifier" in (r.body or {})]
        assert logged["codeVerifier"] == REDACTED
        # Without a challenge, v1's exchange works.
        params = {"code_challenge": None}
        code = code_from(authorize(server, "", **params))
        assert httpx.post(url, json={**body, "code": code}).status_code == 200


def test_a_provider_requiring_pkce_refuses_a_request_without_a_challenge_by_redirect() -> None:
    with FakeRunaiServer(require_pkce=True) as server:
        response = authorize(server, "", code_challenge=None)
        assert response.status_code == 302
        query = parse_qs(urlsplit(response.headers["location"]).query)
        assert query["error"] == ["invalid_request"] and "PKCE" in query["error_description"][0]
        assert query["state"] == ["fake-state-1"]
        assert query["iss"] == [f"{server.url}/auth/realms/runai"]
        assert "code" not in query


def test_every_redirect_carries_iss_as_advertised(runai_server: FakeRunaiServer) -> None:
    """RFC 9207."""
    doc = httpx.get(f"{runai_server.url}/auth/realms/runai/.well-known/openid-configuration")
    assert doc.json()["authorization_response_iss_parameter_supported"] is True
    response = authorize(runai_server, pkce()[1])
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["iss"] == [doc.json()["issuer"]]


def exchange_v2(server: FakeRunaiServer, **extra: str) -> dict[str, object]:
    verifier, challenge = pkce()
    form = {
        "grant_type": "authorization_code",
        "code": code_from(authorize(server, challenge, **extra)),
        "redirect_uri": REDIRECT,
        "client_id": "runai",
        "code_verifier": verifier,
    }
    answer = httpx.post(f"{server.url}/api/v2/token", data=form)
    assert answer.status_code == 200, answer.text
    result: dict[str, object] = answer.json()
    return result


@pytest.mark.parametrize(
    ("extra", "refresh"),
    [
        ({}, False),
        ({"scope": "openid offline_access"}, False),  # oidc-provider ignores it without consent
        ({"scope": "openid", "prompt": "consent"}, False),
        ({"scope": "openid offline_access", "prompt": "consent"}, True),
    ],
)
def test_offline_access_only_issues_a_refresh_token_for_offline_access(
    extra: dict[str, str], refresh: bool
) -> None:
    with FakeRunaiServer(offline_access_only=True) as server:
        assert ("refresh_token" in exchange_v2(server, **extra)) is refresh


def test_by_default_every_login_gets_a_refresh_token(runai_server: FakeRunaiServer) -> None:
    assert "refresh_token" in exchange_v2(runai_server)


def test_revocation_endpoint_rfc_7009(runai_server: FakeRunaiServer) -> None:
    doc = httpx.get(f"{runai_server.url}/auth/realms/runai/.well-known/openid-configuration")
    endpoint = doc.json()["revocation_endpoint"]
    assert endpoint.startswith(doc.json()["issuer"] + "/")
    token = str(exchange_v2(runai_server)["refresh_token"])
    refresh = {"grant_type": "refresh_token", "refresh_token": token, "client_id": "runai"}
    form = {"token": token, "token_type_hint": "refresh_token"}
    # A public client names itself; another client may not revoke it.
    assert httpx.post(endpoint, data=form).status_code == 401
    assert httpx.post(endpoint, data={**form, "client_id": "other"}).status_code == 400
    assert httpx.post(endpoint, json={**form, "client_id": "runai"}).status_code == 400
    assert httpx.get(endpoint).status_code == 405
    answer = httpx.post(endpoint, data={**form, "client_id": "runai"})
    assert answer.status_code == 200
    refused = httpx.post(f"{runai_server.url}/api/v2/token", data=refresh)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    # An unknown (here: already revoked) token is no error (section 2.2).
    assert httpx.post(endpoint, data={**form, "client_id": "runai"}).status_code == 200
    assert token not in repr(runai_server.requests)


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
