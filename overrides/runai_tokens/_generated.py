"""The one seam to the generated package.

Every hand-written module imports generated names from here, never from runai_tokens_client
directly, so a regeneration that renames something breaks in exactly one place.

What a token operation is comes from the contract, not from a list kept here: openapi.yaml tags
them Tokens, and the generator's table of that tag (runai_tokens_client.api.tokens.OPERATIONS,
written by templates/endpoint_init.py.jinja) says each one's method, path, query and grant field.
Adding an operation to openapi.yaml and running `make generate` is all it takes for TokenAuth to
leave it alone and for the retry rules to treat it as a grant.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from runai_tokens_client import CONTRACT_VERSION, AuthenticatedClient, Client
from runai_tokens_client.api.tokens import (
    OPERATIONS,
    app_token,
    exchange_code_for_token,
    grant_token,
    grant_token_v2,
    refresh_token,
)
from runai_tokens_client.errors import (
    ERROR_MODELS,
    ApiException,
    ErrorModel,
    UnexpectedStatus,
    escape_controls,
    parse_error,
)
from runai_tokens_client.models import (
    AppTokenRequest,
    AppTokenResponse,
    Error,
    GrantType,
    OAuth2Error,
    OAuth2ErrorCode,
    OAuth2GrantType,
    OAuth2TokenRequest,
    OAuth2TokenResponse,
    TokenRequest,
    TokenResponse,
)
from runai_tokens_client.types import UNSET, Response, Unset, field_problem


@attrs.frozen
class TokenOperation:
    """One operation tagged Tokens in openapi.yaml, as the generator read it."""

    name: str
    method: str
    path: str
    query: tuple[str, ...]
    # The request body's content type, None when the operation takes no body.
    body: str | None
    # The body's enum field that names the grant (grantType, grant_type), if it has one.
    grant_field: str | None

    @classmethod
    def from_table(cls, name: str, row: Mapping[str, object]) -> TokenOperation:
        enums = row["enums"]
        assert isinstance(enums, Mapping)
        body = row["body"]
        return cls(
            name=name,
            method=str(row["method"]),
            path=str(row["path"]),
            query=tuple(str(q) for q in row["query"]),  # type: ignore[attr-defined]
            body=None if body is None else str(body),
            grant_field=next(iter(enums), None),
        )


TOKEN_OPERATIONS: Mapping[str, TokenOperation] = {
    name: TokenOperation.from_table(name, row) for name, row in OPERATIONS.items()
}
TOKEN_PATHS: frozenset[str] = frozenset(op.path for op in TOKEN_OPERATIONS.values())
# The two grant endpoints TokenAuth chooses between.
GRANT_PATH: str = TOKEN_OPERATIONS["grant_token"].path
GRANT_V2_PATH: str = TOKEN_OPERATIONS["grant_token_v2"].path


def token_operation(method: str, path: str) -> TokenOperation | None:
    """The token operation a request is for, or None.

    A base URL may carry a prefix (a self-hosted control plane behind /runai, say), so the end of
    the path is compared. The longest match wins should one path end another.
    """
    matches = [
        op for op in TOKEN_OPERATIONS.values() if op.method == method and path.endswith(op.path)
    ]
    return max(matches, key=lambda op: len(op.path), default=None)


def is_token_path(path: str) -> bool:
    """True for a request path that ends in one of the token operations' paths."""
    return any(path.endswith(token_path) for token_path in TOKEN_PATHS)


__all__ = [
    "CONTRACT_VERSION",
    "ERROR_MODELS",
    "GRANT_PATH",
    "GRANT_V2_PATH",
    "TOKEN_OPERATIONS",
    "TOKEN_PATHS",
    "UNSET",
    "ApiException",
    "AppTokenRequest",
    "AppTokenResponse",
    "AuthenticatedClient",
    "Client",
    "Error",
    "ErrorModel",
    "GrantType",
    "OAuth2Error",
    "OAuth2ErrorCode",
    "OAuth2GrantType",
    "OAuth2TokenRequest",
    "OAuth2TokenResponse",
    "Response",
    "TokenOperation",
    "TokenRequest",
    "TokenResponse",
    "UnexpectedStatus",
    "Unset",
    "app_token",
    "escape_controls",
    "exchange_code_for_token",
    "field_problem",
    "grant_token",
    "grant_token_v2",
    "is_token_path",
    "parse_error",
    "refresh_token",
    "token_operation",
]
