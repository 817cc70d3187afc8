"""The one seam to the generated package.

Every hand-written module imports generated names from here, never from runai_tokens_client
directly, so a regeneration that renames something breaks in exactly one place.

What a token operation is comes from the contract, not from a list kept here: openapi.yaml tags
them Tokens, and the generator's table of that tag (runai_tokens_client.api.tokens.OPERATIONS,
written by templates/endpoint_init.py.jinja) says each one's method, path, query and grant field.
Adding an operation to openapi.yaml and running `make generate` is all it takes for TokenAuth to
leave it alone and for the retry rules to treat it as a grant.

TokensApi and the grants build a request and parse its answer with the generated operation's own
functions (request_kwargs and parse_response below wrap its _get_kwargs and _parse_response), so
the wire format is the generated code's, and the strict contract on top is api._shape's.

What connect() and TokenAuth need to be built (Client, the table of operations) is imported
with this module. The operations' modules and the models load on first use (PEP 562
__getattr__), with the first call that sends or parses one: a module that needs them at run
time imports this one (`from .. import _generated as gen`) and reads `gen.TokenRequest` there,
since `from .._generated import TokenRequest` at its top would load them with it.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from runai_tokens_client import CONTRACT_VERSION, AuthenticatedClient, Client
from runai_tokens_client.api.tokens import OPERATIONS
from runai_tokens_client.errors import UnexpectedStatus as GeneratedUnexpectedStatus
from runai_tokens_client.types import UNSET, Unset

if TYPE_CHECKING:
    from types import ModuleType

    import httpx
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

    # The models openapi.yaml documents for an error status: ApiException.error is one of them.
    ERROR_MODELS: tuple[type[Error], type[OAuth2Error]]


def __getattr__(name: str) -> Any:
    """The operations' modules and the models, imported when first asked for (PEP 562).

    What connect() and TokenAuth need to be built is above; the operations and the models load
    with the first call that sends or parses one, so that a program pays for them only then.
    """
    if name.startswith("_"):  # the import system asks for __path__ and the like: no model
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value: Any
    if name in OPERATIONS:
        from runai_tokens_client.api import tokens

        value = importlib.import_module(f".{name}", tokens.__name__)
    elif name == "ERROR_MODELS":
        from runai_tokens_client.models import Error, OAuth2Error

        value = (Error, OAuth2Error)
    else:
        from runai_tokens_client import models

        try:
            value = getattr(models, name)
        except AttributeError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value  # later lookups are plain attribute reads
    return value


class TokenOperation(NamedTuple):
    """One operation tagged Tokens in openapi.yaml, as the generator read it. (A NamedTuple: the
    cheapest record to define, and connect() defines it at import.)"""

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


def request_kwargs(operation: ModuleType, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of httpx's request() for a generated operation called with
    arguments: its method, path, query, headers and body, as the operation's own _get_kwargs
    builds them."""
    kwargs: dict[str, Any] = operation._get_kwargs(**arguments)
    return kwargs


def parse_response(operation: ModuleType, response: httpx.Response) -> Any:
    """What the generated operation parses response as: the model documented for its status.

    Raises GeneratedUnexpectedStatus for a status the operation does not document, and whatever
    the generated parse raises for a body that is not the documented model.
    """
    return operation._parse_response(client=_STRICT, response=response)


# What the generated _parse_response reads of its client: raise for an undocumented status.
_STRICT = Client(base_url="", raise_on_unexpected_status=True)


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
    "AppTokenRequest",
    "AppTokenResponse",
    "AuthenticatedClient",
    "Client",
    "Error",
    "GeneratedUnexpectedStatus",
    "GrantType",
    "OAuth2Error",
    "OAuth2ErrorCode",
    "OAuth2GrantType",
    "OAuth2TokenRequest",
    "OAuth2TokenResponse",
    "TokenOperation",
    "TokenRequest",
    "TokenResponse",
    "Unset",
    "app_token",
    "exchange_code_for_token",
    "grant_token",
    "grant_token_v2",
    "is_token_path",
    "parse_response",
    "refresh_token",
    "request_kwargs",
    "token_operation",
]
