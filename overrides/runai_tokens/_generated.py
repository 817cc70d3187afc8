"""The one seam to the generated package.

Every hand-written module imports generated names from here, never from runai_tokens_client
directly, so a regeneration that renames something breaks in exactly one place.
"""

from runai_tokens_client import AuthenticatedClient, Client
from runai_tokens_client.api.tokens import (
    app_token,
    exchange_code_for_token,
    grant_token,
    refresh_token,
)
from runai_tokens_client.models import (
    AppTokenRequest,
    AppTokenResponse,
    Error,
    GrantType,
    TokenRequest,
    TokenResponse,
)
from runai_tokens_client.types import UNSET, Response, Unset

# The paths of the four token operations, read from the generated code so they cannot drift from
# openapi.yaml. Auth never touches requests to these, and the retry policy treats grants specially.
# A base URL may carry a prefix (a self-hosted control plane behind /runai, say): match with
# `is_token_path`, which compares the end of the path.
GRANT_PATH: str = grant_token._get_kwargs()["url"]
APPTOKEN_PATH: str = app_token._get_kwargs()["url"]
EXCHANGE_PATH: str = exchange_code_for_token._get_kwargs(redirect_uri="", code="")["url"]
REFRESH_PATH: str = refresh_token._get_kwargs(refresh_token="")["url"]
TOKEN_PATHS: frozenset[str] = frozenset({GRANT_PATH, APPTOKEN_PATH, EXCHANGE_PATH, REFRESH_PATH})


def is_token_path(path: str) -> bool:
    """True for a request path that ends in one of the four token operations' paths."""
    return any(path.endswith(token_path) for token_path in TOKEN_PATHS)


def is_grant_path(path: str) -> bool:
    """True for a request path that ends in grant_token's path."""
    return path.endswith(GRANT_PATH)


__all__ = [
    "APPTOKEN_PATH",
    "EXCHANGE_PATH",
    "GRANT_PATH",
    "REFRESH_PATH",
    "TOKEN_PATHS",
    "UNSET",
    "AppTokenRequest",
    "AppTokenResponse",
    "AuthenticatedClient",
    "Client",
    "Error",
    "GrantType",
    "Response",
    "TokenRequest",
    "TokenResponse",
    "Unset",
    "app_token",
    "exchange_code_for_token",
    "grant_token",
    "is_grant_path",
    "is_token_path",
    "refresh_token",
]
CONTRACT_VERSION = "2.18-2.24"
