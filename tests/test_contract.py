"""The generated client against Prism serving openapi.yaml: every operation, sync and async.

Prism answers in static mode, so a valid call comes back with the document's own example, which
the parsed model must reproduce key for key. Calls that break the contract, sent with raw httpx,
must be rejected: that proves the mock validates, so the passing calls mean something.
"""

from __future__ import annotations

import pytest
from runai_tokens_client import AuthenticatedClient, Client
from runai_tokens_client.api.tokens import grant_token, grant_token_v2
from runai_tokens_client.models import GrantType, OAuth2GrantType, OAuth2TokenRequest, TokenRequest

from tests.helpers.contract import (
    CALL_IDS,
    CALLS,
    GRANT_EXAMPLES,
    GRANT_V2_EXAMPLES,
    TIMEOUT,
    TLS,
    VIOLATIONS,
    Call,
    Violation,
    assert_example,
    assert_rejected,
)

# Loaded as a plugin, not imported: pytest would warn that it came in unrewritten.
pytest_plugins = ["tests.helpers.prism"]


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_every_operation_sync(prism_ours: str, call: Call) -> None:
    # No Authorization header: the contract accepts a bearer but does not require one.
    with Client(base_url=prism_ours, timeout=TIMEOUT, verify_ssl=TLS) as client:
        assert_example(call.sync(client), call)


@pytest.mark.anyio
@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
async def test_every_operation_asyncio(prism_ours: str, call: Call) -> None:
    async with Client(base_url=prism_ours, timeout=TIMEOUT, verify_ssl=TLS) as client:
        assert_example(await call.asyncio(client), call)


@pytest.mark.parametrize("call", CALLS, ids=CALL_IDS)
def test_a_bearer_is_accepted_too(prism_ours: str, call: Call) -> None:
    with AuthenticatedClient(
        base_url=prism_ours, token="fake-token", timeout=TIMEOUT, verify_ssl=TLS
    ) as client:
        assert_example(call.sync(client), call)


@pytest.mark.parametrize("name", sorted(GRANT_EXAMPLES))
def test_grant_token_accepts_every_documented_request(prism_ours: str, name: str) -> None:
    body = TokenRequest.from_dict(GRANT_EXAMPLES[name])
    assert body.to_dict() == GRANT_EXAMPLES[name]
    with Client(base_url=prism_ours, timeout=TIMEOUT, verify_ssl=TLS) as client:
        response = grant_token.sync_detailed(client=client, body=body)
    assert_example(response, CALLS[CALL_IDS.index("grant_token")])


def test_every_grant_type_has_a_documented_request() -> None:
    assert {example["grantType"] for example in GRANT_EXAMPLES.values()} == set(GrantType)
    assert {e["grant_type"] for e in GRANT_V2_EXAMPLES.values()} == set(OAuth2GrantType)


def test_the_authorization_code_example_sends_the_pkce_verifier() -> None:
    """RFC 7636: the v2 code grant carries its verifier. The model has it as a field of its own
    (not an extra key) and, as the contract marks it secret, keeps it out of its repr. The Prism
    tests (ours here, each version's in test_contract_upstream.py) send this very example."""
    example = GRANT_V2_EXAMPLES["authorization_code"]
    body = OAuth2TokenRequest.from_dict(example)
    assert body.grant_type == OAuth2GrantType.AUTHORIZATION_CODE
    assert body.code_verifier == example["code_verifier"]
    assert body.additional_properties == {}
    assert example["code_verifier"] not in repr(body)


@pytest.mark.parametrize("name", sorted(GRANT_V2_EXAMPLES))
def test_grant_token_v2_accepts_every_documented_request(prism_ours: str, name: str) -> None:
    body = OAuth2TokenRequest.from_dict(GRANT_V2_EXAMPLES[name])
    assert body.to_dict() == GRANT_V2_EXAMPLES[name]
    with Client(base_url=prism_ours, timeout=TIMEOUT, verify_ssl=TLS) as client:
        response = grant_token_v2.sync_detailed(client=client, body=body)
    assert_example(response, CALLS[CALL_IDS.index("grant_token_v2")])


@pytest.mark.parametrize("violation", VIOLATIONS, ids=[v.name for v in VIOLATIONS])
def test_prism_rejects_a_contract_violation(prism_ours: str, violation: Violation) -> None:
    assert_rejected(prism_ours, violation, headers={})
