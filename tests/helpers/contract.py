"""What the contract tests send to Prism and read from openapi.yaml: one valid call of each
operation through the generated client, the calls that break the contract, and the document's
own examples."""

from __future__ import annotations

import json
import ssl
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import httpx
import yaml
from runai_tokens_client import AuthenticatedClient, Client
from runai_tokens_client.api.tokens import (
    app_token,
    exchange_code_for_token,
    grant_token,
    grant_token_v2,
    refresh_token,
)
from runai_tokens_client.models import (
    AppTokenRequest,
    AppTokenResponse,
    GrantType,
    OAuth2GrantType,
    OAuth2TokenRequest,
    OAuth2TokenResponse,
    TokenRequest,
    TokenResponse,
)
from runai_tokens_client.types import Response

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = httpx.Timeout(10.0)
# httpx loads the CA bundle into a new SSL context for every client it builds (a third of a second
# on a busy machine), though Prism on loopback is plain HTTP: the contract tests share this one.
TLS = ssl.create_default_context()

AnyClient = Client | AuthenticatedClient


@attrs.frozen
class Call:
    """One valid call of an operation through the generated client, sync and asyncio."""

    operation_id: str
    sync: Callable[[AnyClient], Response[Any]]
    asyncio: Callable[[AnyClient], Awaitable[Response[Any]]]
    model: type[AppTokenResponse] | type[TokenResponse] | type[OAuth2TokenResponse]


APP = AppTokenRequest(
    id="3f2c9a8e-6b1d-4f0e-9c55-0d7e2a41b8c3", name="nightly-training", secret="fake-secret-app"
)
# A grant that 2.18 already knew, so the upstream tests can send the very same calls.
GRANT = TokenRequest(
    grant_type=GrantType.PASSWORD, username="researcher@example.com", password="fake-secret-pw"
)
# The v2 (2.24) form of the same grant; upstream's own v2 examples send client_id with it.
GRANT_V2 = OAuth2TokenRequest(
    grant_type=OAuth2GrantType.PASSWORD,
    username="researcher@example.com",
    password="fake-secret-pw",
    client_id="runai",
)
REDIRECT_URI = "https://example.run.ai/oauth-code"
CODE = "example-authorization-code"
REFRESH = "fake-secret-refresh-token"
USER_AGENT = "runai-tokens-contract-tests/0"

CALLS = [
    Call(
        "app_token",
        lambda c: app_token.sync_detailed(client=c, body=APP),
        lambda c: app_token.asyncio_detailed(client=c, body=APP),
        AppTokenResponse,
    ),
    Call(
        "exchange_code_for_token",
        lambda c: exchange_code_for_token.sync_detailed(
            client=c, redirect_uri=REDIRECT_URI, code=CODE
        ),
        lambda c: exchange_code_for_token.asyncio_detailed(
            client=c, redirect_uri=REDIRECT_URI, code=CODE
        ),
        TokenResponse,
    ),
    Call(
        "grant_token",
        lambda c: grant_token.sync_detailed(client=c, body=GRANT, user_agent=USER_AGENT),
        lambda c: grant_token.asyncio_detailed(client=c, body=GRANT, user_agent=USER_AGENT),
        TokenResponse,
    ),
    Call(
        "grant_token_v2",
        lambda c: grant_token_v2.sync_detailed(client=c, body=GRANT_V2),
        lambda c: grant_token_v2.asyncio_detailed(client=c, body=GRANT_V2),
        OAuth2TokenResponse,
    ),
    Call(
        "refresh_token",
        lambda c: refresh_token.sync_detailed(client=c, refresh_token=REFRESH),
        lambda c: refresh_token.asyncio_detailed(client=c, refresh_token=REFRESH),
        TokenResponse,
    ),
]
CALL_IDS = [call.operation_id for call in CALLS]


@attrs.frozen
class Violation:
    """A request that breaks the contract, and the field Prism must name."""

    name: str
    method: str
    path: str
    params: Mapping[str, str] = attrs.field(factory=dict)
    body: Any = None
    field: str = ""
    # Sent form-encoded instead of as JSON (grant_token_v2's body).
    form: Mapping[str, Any] | None = None


VIOLATIONS = [
    Violation(
        "exchange without redirect_uri",
        "GET",
        "/v1/k8s/auth/token/exchange",
        params={"code": CODE},
        field="redirect_uri",
    ),
    Violation(
        "exchange without code",
        "GET",
        "/v1/k8s/auth/token/exchange",
        params={"redirect_uri": REDIRECT_URI},
        field="code",
    ),
    Violation(
        "refresh without refresh_token",
        "POST",
        "/v1/k8s/auth/oauth/tokens/refresh",
        field="refresh_token",
    ),
    Violation(
        "unknown grantType",
        "POST",
        "/api/v1/token",
        body={"grantType": "client_secret_jwt", "clientID": "ci-pipeline"},
        field="grantType",
    ),
    Violation(
        "grantType not a string",
        "POST",
        "/api/v1/token",
        body={"grantType": 7},
        field="grantType",
    ),
    Violation(
        "username not a string",
        "POST",
        "/api/v1/token",
        body={"grantType": "password", "username": 42, "password": "fake-secret-pw"},
        field="username",
    ),
    Violation(
        "apptoken without secret",
        "POST",
        "/v1/k8s/auth/oauth/apptoken",
        body={"id": "3f2c9a8e", "name": "nightly-training"},
        field="secret",
    ),
    Violation(
        "apptoken id not a string",
        "POST",
        "/v1/k8s/auth/oauth/apptoken",
        body={"id": 3, "name": "nightly-training", "secret": "fake-secret-app"},
        field="id",
    ),
    Violation(
        "v2 without grant_type",
        "POST",
        "/api/v2/token",
        form={"username": "researcher@example.com", "password": "fake-secret-pw"},
        field="grant_type",
    ),
    Violation(
        "v2 unknown grant_type",
        "POST",
        "/api/v2/token",
        form={"grant_type": "exchange_token", "code": CODE},
        field="grant_type",
    ),
    Violation(
        "v2 body as JSON",
        "POST",
        "/api/v2/token",
        body={"grant_type": "password", "username": "researcher@example.com"},
        field="application/x-www-form-urlencoded",
    ),
]


def violations(response: httpx.Response) -> list[dict[str, Any]]:
    """Prism's validation findings: the sl-violations header, or a problem+json body's list.

    Prism puts them in the header when it can answer with a documented error response, and in
    the body of its own 422 problem otherwise.
    """
    header = response.headers.get("sl-violations")
    if header is not None:
        found: list[dict[str, Any]] = json.loads(header)
        return found
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        problem: dict[str, Any] = response.json()
        return list(problem.get("validation", []))
    return []


def assert_rejected(base_url: str, violation: Violation, headers: Mapping[str, str]) -> None:
    with httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT, verify=TLS) as raw:
        response = raw.request(
            violation.method,
            violation.path,
            params=violation.params,
            json=violation.body,
            data=violation.form,
        )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    found = violations(response)
    assert found, f"no Prism violation reported: {response.headers} {response.text}"
    # The field's name, as the last step of a finding's location or quoted in its message.
    named = [f for f in found if f["location"][-1:] == [violation.field]]
    named += [f for f in found if f"'{violation.field}'" in f["message"]]
    # A wrong content type is named in the message, with the one the operation takes.
    named += [f for f in found if f["message"].endswith(f": {violation.field}")]
    assert named, json.dumps(found)


# --- the project's document -----------------------------------------------------------------
SPEC: dict[str, Any] = yaml.safe_load((REPO / "openapi.yaml").read_text())


def resolve(node: Any) -> Any:
    """Follow a local $ref (``#/components/...``) to the node it names."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operation(operation_id: str) -> dict[str, Any]:
    for item in SPEC["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return op
    raise LookupError(operation_id)


def example_200(operation_id: str) -> dict[str, Any]:
    content = resolve(operation(operation_id)["responses"]["200"])["content"]
    example: dict[str, Any] = content["application/json"]["example"]
    return example


def request_examples(operation_id: str, media_type: str) -> dict[str, dict[str, Any]]:
    examples = operation(operation_id)["requestBody"]["content"][media_type]["examples"]
    return {name: resolve(example)["value"] for name, example in examples.items()}


GRANT_EXAMPLES = request_examples("grant_token", "application/json")
GRANT_V2_EXAMPLES = request_examples("grant_token_v2", "application/x-www-form-urlencoded")


def assert_example(response: Response[Any], call: Call) -> None:
    assert response.status_code == 200, response.content
    assert isinstance(response.parsed, call.model)
    assert response.parsed.to_dict() == example_200(call.operation_id)
