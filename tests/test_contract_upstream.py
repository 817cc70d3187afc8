"""The generated client against Prism serving upstream's own documents: our wire is theirs.

The same calls as against openapi.yaml, now judged by runai-2.18-tokens.json (which demands a
bearer), and grant_token with client_credentials by runai-2.24-tokens.json. Upstream documents
carry no examples, so Prism makes up values: the parse must succeed, every field must have its
declared type, and no response key may be one our models do not know.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs
import httpx
import pytest
from runai_tokens_client import AuthenticatedClient, Client
from runai_tokens_client.api.tokens import app_token, grant_token
from runai_tokens_client.errors import ApiException
from runai_tokens_client.models import AppTokenResponse, GrantType, TokenRequest, TokenResponse
from runai_tokens_client.types import UNSET, Response

from tests.test_contract import (
    APP,
    CALL_IDS,
    CALLS,
    GRANT_EXAMPLES,
    TIMEOUT,
    VIOLATIONS,
    Call,
    Violation,
    assert_rejected,
)

pytest_plugins = ["tests.prism"]

BEARER = "fake-token"
CLIENT_CREDENTIALS = TokenRequest(
    grant_type=GrantType.CLIENT_CREDENTIALS,
    client_id="ci-pipeline",
    client_secret="fake-secret-client",
)
# The grants 2.18 knew; client_credentials came in 2.20, external_token_exchange in 2.22.
GRANTS_2_18 = {
    GrantType.APP_TOKEN,
    GrantType.EXCHANGE_TOKEN,
    GrantType.PASSWORD,
    GrantType.REFRESH_TOKEN,
}


def authenticated(base_url: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=base_url, token=BEARER, timeout=TIMEOUT)


def assert_parsed(response: Response[Any], model: type[Any]) -> None:
    """A 200 parsed into ``model``, every attribute of its declared type, no unknown key."""
    assert response.status_code == 200, response.content
    parsed = response.parsed
    assert isinstance(parsed, model)
    hints = typing.get_type_hints(model)
    present = 0
    for field in attrs.fields(model):
        if field.name == "additional_properties":
            continue
        value = getattr(parsed, field.name)
        assert isinstance(value, hints[field.name]), (field.name, value)
        present += value is not UNSET
    assert present, f"Prism sent none of {model.__name__}'s keys: {response.content!r}"
    assert parsed.additional_properties == {}, "upstream sends keys our model does not know"


# --- 2.18: the four operations --------------------------------------------------------------
@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_2_18_every_operation_sync(prism_2_18: str, call: Call) -> None:
    with authenticated(prism_2_18) as client:
        assert_parsed(call.sync(client), call.model)


@pytest.mark.anyio
@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
async def test_2_18_every_operation_asyncio(prism_2_18: str, call: Call) -> None:
    async with authenticated(prism_2_18) as client:
        assert_parsed(await call.asyncio(client), call.model)


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_2_18_demands_a_bearer(prism_2_18: str, call: Call) -> None:
    # Proves Prism checks security on upstream's document, so the bearer above is what passes.
    with Client(base_url=prism_2_18, timeout=TIMEOUT) as client, pytest.raises(ApiException) as no:
        call.sync(client)
    assert no.value.status == 401


@pytest.mark.parametrize("violation", VIOLATIONS, ids=[v.name for v in VIOLATIONS])
def test_2_18_rejects_a_contract_violation(prism_2_18: str, violation: Violation) -> None:
    assert_rejected(prism_2_18, violation, headers={"Authorization": f"Bearer {BEARER}"})


@pytest.mark.parametrize("name", sorted(GRANT_EXAMPLES))
def test_2_18_accepts_our_requests_for_the_grants_it_knows(prism_2_18: str, name: str) -> None:
    body = TokenRequest.from_dict(GRANT_EXAMPLES[name])
    with authenticated(prism_2_18) as client:
        if body.grant_type in GRANTS_2_18:
            assert_parsed(grant_token.sync_detailed(client=client, body=body), TokenResponse)
            return
        # The union document is a superset: newer grants are for newer control planes.
        with pytest.raises(ApiException) as refused:
            grant_token.sync_detailed(client=client, body=body)
    assert refused.value.status == 400
    assert "grantType" in refused.value.headers["sl-violations"]


# --- 2.24: grant_token grew client_credentials and expiresIn --------------------------------
def test_2_24_grant_token_client_credentials_sync(prism_2_24: str) -> None:
    with authenticated(prism_2_24) as client:
        response = grant_token.sync_detailed(client=client, body=CLIENT_CREDENTIALS)
    assert_parsed(response, TokenResponse)
    assert isinstance(response.parsed, TokenResponse)
    assert isinstance(response.parsed.expires_in, int)


@pytest.mark.anyio
async def test_2_24_grant_token_client_credentials_asyncio(prism_2_24: str) -> None:
    async with authenticated(prism_2_24) as client:
        response = await grant_token.asyncio_detailed(client=client, body=CLIENT_CREDENTIALS)
    assert_parsed(response, TokenResponse)


def test_2_24_client_credentials_body_is_upstreams_example_shape(prism_2_24: str) -> None:
    # The same keys as upstream's own client_credentials example, nothing renamed.
    assert set(CLIENT_CREDENTIALS.to_dict()) == {"grantType", "clientID", "clientSecret"}
    with httpx.Client(base_url=prism_2_24, timeout=TIMEOUT) as raw:
        response = raw.post(
            "/api/v1/token",
            json=CLIENT_CREDENTIALS.to_dict(),
            headers={"Authorization": f"Bearer {BEARER}"},
        )
    assert response.status_code == 200, response.text
    assert "sl-violations" not in response.headers


@pytest.mark.parametrize("name", sorted(GRANT_EXAMPLES))
def test_2_24_accepts_every_request_we_document(prism_2_24: str, name: str) -> None:
    with authenticated(prism_2_24) as client:
        response = grant_token.sync_detailed(
            client=client, body=TokenRequest.from_dict(GRANT_EXAMPLES[name])
        )
    assert_parsed(response, TokenResponse)


def test_2_24_app_token(prism_2_24: str) -> None:
    with authenticated(prism_2_24) as client:
        assert_parsed(app_token.sync_detailed(client=client, body=APP), AppTokenResponse)
