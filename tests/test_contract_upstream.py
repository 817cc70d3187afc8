"""The version matrix: the generated client against Prism serving each upstream document.

For each control-plane version 2.18 ... 2.24 (tests/upstream/), Prism serves that version's own
document and judges our requests by it. Every operation the version has is called, sync and
asyncio, through connect()'s client; the grants it knows are accepted and the ones it does not are
rejected; the operations it lacks are not found; every status it documents parses. Upstream
documents carry no response examples, so Prism makes values up from the schema (it sends every
property): the parse must succeed, every field must have its declared type, no key may be one our
models do not know, and the keys must be exactly the ones the version sends.

What each version has is the promise in tests/helpers/versions.py (what the README's versions
table says); tests/test_versions.py checks it against the documents themselves.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Generator
from typing import Any

import attrs
import httpx
import pytest
from runai_tokens import RetryPolicy, connect
from runai_tokens_client import Client
from runai_tokens_client.api.tokens import grant_token, grant_token_v2
from runai_tokens_client.errors import UnexpectedStatus
from runai_tokens_client.models import (
    GrantType,
    OAuth2GrantType,
    OAuth2TokenRequest,
    TokenRequest,
    TokenResponse,
)
from runai_tokens_client.types import UNSET, Response

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
    assert_rejected,
)
from tests.helpers.versions import ALL_OPERATIONS, VERSION_NAMES, VERSIONS, Version

pytest_plugins = ["tests.helpers.prism"]

BEARER = "fake-token"
AUTHORIZATION = {"Authorization": f"Bearer {BEARER}"}
PrismUrl = Callable[[str], str]
TIMEOUT_SECONDS = 10.0
DEFAULT_RETRY = RetryPolicy()


class UpstreamBearer(httpx.Auth):
    """A fixed bearer on every request, token operations included.

    Upstream documents require one everywhere (a global bearerAuth), and Prism enforces it.
    TokenAuth rightly sends none to a token operation, so the matrix hands Prism what it wants.
    """

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(AUTHORIZATION)
        yield request


def upstream_client(
    base_url: str,
    retry: RetryPolicy = DEFAULT_RETRY,
    **headers: str,
) -> Client:
    """connect()'s client (retries, log redaction) with the bearer upstream demands."""
    client = connect(base_url, UpstreamBearer(), retry=retry, timeout=TIMEOUT_SECONDS, verify=TLS)
    return client.with_headers(headers) if headers else client


def assert_parsed(response: Response[Any], model: type[Any]) -> None:
    """A 200 parsed into ``model``, every attribute of its declared type, nothing lost."""
    assert response.status_code == 200, response.content
    parsed = response.parsed
    assert isinstance(parsed, model)
    hints = typing.get_type_hints(model)
    present = 0
    for name in model.__match_args__:  # every property, additional_properties not among them
        value = getattr(parsed, name)
        assert isinstance(value, hints[name]), (name, value)
        present += value is not UNSET
    assert present, f"Prism sent none of {model.__name__}'s keys: {response.content!r}"
    assert parsed.additional_properties == {}, "upstream sends keys our model does not know"
    assert parsed.to_dict() == json.loads(response.content)


def assert_sent_by(version: Version, response: Response[Any], call: Call) -> None:
    assert_parsed(response, call.model)
    if call.model is TokenResponse:
        assert set(json.loads(response.content)) == version.token_response_keys


def calls_of(version: Version) -> list[tuple[Version, Call]]:
    return [(version, call) for call in CALLS if call.operation_id in version.operations]


GRANT_CALL = CALLS[CALL_IDS.index("grant_token")]
V2_CALL = CALLS[CALL_IDS.index("grant_token_v2")]
MATRIX = [pair for version in VERSIONS for pair in calls_of(version)]
MATRIX_IDS = [f"{version.name}-{call.operation_id}" for version, call in MATRIX]
ABSENT = [(v, o) for v in VERSIONS for o in ALL_OPERATIONS if o not in v.operations]
# Where each operation is: (method, path), from whichever document has it.
WHERE = {
    op["operationId"]: (method.upper(), path)
    for version in VERSIONS
    for path, method, op in version.upstream_operations()
}


# --- every operation a version has, sync and asyncio ------------------------------------------
@pytest.mark.parametrize(("version", "call"), MATRIX, ids=MATRIX_IDS)
def test_every_operation_sync(prism_upstream: PrismUrl, version: Version, call: Call) -> None:
    with upstream_client(prism_upstream(version.name)) as client:
        assert_sent_by(version, call.sync(client), call)


@pytest.mark.anyio
@pytest.mark.parametrize(("version", "call"), MATRIX, ids=MATRIX_IDS)
async def test_every_operation_asyncio(
    prism_upstream: PrismUrl, version: Version, call: Call
) -> None:
    async with upstream_client(prism_upstream(version.name)) as client:
        assert_sent_by(version, await call.asyncio(client), call)


@pytest.mark.parametrize(("version", "operation"), ABSENT, ids=[f"{v.name}-{o}" for v, o in ABSENT])
def test_an_operation_the_version_lacks_is_not_there(
    prism_upstream: PrismUrl, version: Version, operation: str
) -> None:
    # Prism answers 404 for a path its document lacks: proof that each process serves its own.
    method, path = WHERE[operation]
    with httpx.Client(base_url=prism_upstream(version.name), timeout=TIMEOUT, verify=TLS) as raw:
        response = raw.request(method, path, headers=AUTHORIZATION)
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_NAMES)
def test_the_version_demands_a_bearer(prism_upstream: PrismUrl, version: Version) -> None:
    # Proves Prism checks security on upstream's documents, so the bearer above is what passes.
    url = prism_upstream(version.name)
    strict = Client(base_url=url, timeout=TIMEOUT, verify_ssl=TLS, raise_on_unexpected_status=True)
    with strict as client, pytest.raises(UnexpectedStatus) as refused:
        GRANT_CALL.sync(client)  # a status grant_token does not document
    assert refused.value.status_code == 401


# --- grants: the ones a version knows pass, the others are refused ---------------------------
GRANTS = [(v, grant) for v in VERSIONS for grant in GrantType]
# openapi.yaml's own example request for each grant.
OUR_GRANT_REQUESTS = {
    GrantType(example["grantType"]): example for example in GRANT_EXAMPLES.values()
}


@pytest.mark.parametrize(
    ("version", "grant"), GRANTS, ids=[f"{v.name}-{g.value}" for v, g in GRANTS]
)
def test_grant_token_with_each_grant(
    prism_upstream: PrismUrl, version: Version, grant: GrantType
) -> None:
    body = TokenRequest.from_dict(OUR_GRANT_REQUESTS[grant])
    with upstream_client(prism_upstream(version.name)) as client:
        if grant in version.grants:
            assert_sent_by(version, grant_token.sync_detailed(client=client, body=body), GRANT_CALL)
            return
        # openapi.yaml is the union: a newer grant is for a newer control plane.
        refused = grant_token.sync_detailed(client=client, body=body)
    assert refused.status_code == 400
    assert "grantType" in refused.headers["sl-violations"]


V2_VERSIONS = [v for v in VERSIONS if "grant_token_v2" in v.operations]
V2_GRANTS = [(v, grant) for v in V2_VERSIONS for grant in OAuth2GrantType]
# openapi.yaml's own example request for each v2 grant.
OUR_V2_GRANT_REQUESTS = {
    OAuth2GrantType(example["grant_type"]): example for example in GRANT_V2_EXAMPLES.values()
}


@pytest.mark.parametrize(
    ("version", "grant"), V2_GRANTS, ids=[f"{v.name}-{g.value}" for v, g in V2_GRANTS]
)
def test_grant_token_v2_with_each_grant(
    prism_upstream: PrismUrl, version: Version, grant: OAuth2GrantType
) -> None:
    body = OAuth2TokenRequest.from_dict(OUR_V2_GRANT_REQUESTS[grant])
    with upstream_client(prism_upstream(version.name)) as client:
        response = grant_token_v2.sync_detailed(client=client, body=body)
    assert_sent_by(version, response, V2_CALL)


@pytest.mark.parametrize("version", V2_VERSIONS, ids=[v.name for v in V2_VERSIONS])
def test_the_pkce_verifier_goes_through_the_versions_own_document(
    prism_upstream: PrismUrl, version: Version
) -> None:
    """code_verifier is in no Run:ai document (openapi.yaml marks it x-runai-tokens-not-upstream),
    but every one leaves the form open to other keys: Prism, judging by the version's own
    document, takes the code grant with it and finds no violation."""
    body = OAuth2TokenRequest.from_dict(OUR_V2_GRANT_REQUESTS[OAuth2GrantType.AUTHORIZATION_CODE])
    assert isinstance(body.code_verifier, str) and body.code_verifier
    with upstream_client(prism_upstream(version.name)) as client:
        response = grant_token_v2.sync_detailed(client=client, body=body)
    assert_sent_by(version, response, V2_CALL)
    assert "sl-violations" not in response.headers


@attrs.frozen
class Requester:
    """How an operation with a request body is called with one of upstream's own examples."""

    model: Any  # the generated request model: from_dict, to_dict, additional_properties
    send: Callable[[Client, Any], Response[Any]]
    call: Call


REQUESTERS = {
    "grant_token": Requester(
        TokenRequest, lambda c, body: grant_token.sync_detailed(client=c, body=body), GRANT_CALL
    ),
    "grant_token_v2": Requester(
        OAuth2TokenRequest,
        lambda c, body: grant_token_v2.sync_detailed(client=c, body=body),
        V2_CALL,
    ),
}


def upstream_request_examples() -> list[tuple[Version, str, str, dict[str, Any]]]:
    """Every request example the documents give (from 2.22 on, some do)."""
    found = []
    for version in VERSIONS:
        for _, _, op in version.upstream_operations():
            for media in op.get("requestBody", {}).get("content", {}).values():
                for name, example in media.get("examples", {}).items():
                    found.append((version, op["operationId"], name, example["value"]))
    return found


UPSTREAM_EXAMPLES = upstream_request_examples()


@pytest.mark.parametrize(
    ("version", "operation", "name", "example"),
    UPSTREAM_EXAMPLES,
    ids=[f"{v.name}-{operation}-{name}" for v, operation, name, _ in UPSTREAM_EXAMPLES],
)
def test_upstreams_own_request_examples_go_through_our_models(
    prism_upstream: PrismUrl, version: Version, operation: str, name: str, example: dict[str, Any]
) -> None:
    requester = REQUESTERS[operation]
    body = requester.model.from_dict(example)
    assert body.to_dict() == example  # the same keys, nothing renamed or dropped
    assert body.additional_properties == {}
    with upstream_client(prism_upstream(version.name)) as client:
        response = requester.send(client, body)
    assert_sent_by(version, response, requester.call)


# --- every status a version documents parses --------------------------------------------------
STATUSES = [
    (version, call, status)
    for version, call in MATRIX
    for status in version.document["paths"][WHERE[call.operation_id][1]][
        WHERE[call.operation_id][0].lower()
    ]["responses"]
    if status != "200"
]


@pytest.mark.parametrize(
    ("version", "call", "status"),
    STATUSES,
    ids=[f"{v.name}-{c.operation_id}-{s}" for v, c, s in STATUSES],
)
def test_every_documented_status_parses(
    prism_upstream: PrismUrl, version: Version, call: Call, status: str
) -> None:
    # Prism answers with the status a Prefer header asks for, with a body from that response.
    # No retries: a 503 is retried like any grant, and only its body matters here.
    # The generated function returns a documented error status's body parsed as its model.
    once = RetryPolicy(max_attempts=1)
    with upstream_client(prism_upstream(version.name), once, Prefer=f"code={status}") as client:
        response = call.sync(client)
    assert response.status_code == int(status), response.content
    error = response.parsed
    assert error is not None and not isinstance(error, call.model)
    assert error.to_dict() == json.loads(response.content)
    assert error.additional_properties == {}


# --- Prism judges by each version's document -------------------------------------------------
APPLICABLE = [
    (version, violation)
    for version in VERSIONS
    for violation in VIOLATIONS
    if violation.path in version.document["paths"]
]


@pytest.mark.parametrize(
    ("version", "violation"),
    APPLICABLE,
    ids=[f"{v.name}-{violation.name}" for v, violation in APPLICABLE],
)
def test_a_contract_violation_is_rejected(
    prism_upstream: PrismUrl, version: Version, violation: Violation
) -> None:
    assert_rejected(prism_upstream(version.name), violation, headers=AUTHORIZATION)
