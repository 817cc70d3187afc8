"""runai_tokens: always-valid Run:ai tokens, retries that survive a flaky control plane.

The hand-written layer over the generated client (runai_tokens_client):

    from runai_tokens import ClientCredentials, connect
    client = connect("https://tenant.run.ai", ClientCredentials.from_env())

The public names load on first use (PEP 562), so `import runai_tokens` costs nothing and loads
no HTTP stack: the CLI answers from its token cache without importing httpx, and the test kit in
runai_tokens.testing (PyYAML, jsonschema) loads only when asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# The one place the version is written: pyproject reads it from here (hatch's version source),
# and a vendored copy, which has no distribution metadata, still knows it.
__version__ = "0.1.0"

# Public name -> the module defining it. connect() lives in people._default (it walks the
# credential chain when given no credentials), not in a module named `connect`: importing a
# submodule sets it as an attribute of the package, which would shadow the lazily loaded
# function of the same name.
_EXPORTS: dict[str, str] = {
    "CliError": "cli._exit",
    "DeadlineExceeded": "retry._deadline",
    "DiscoveryError": "login._errors",
    "GrantNotSupported": "errors",
    "InvalidArgument": "_base_errors",
    "InvalidArgumentType": "_base_errors",
    "LoginError": "login._errors",
    "LoginStoreError": "login._index",
    "OutputError": "cli._output",
    "RefreshLockTimeout": "login._refresh_lock",
    "UnexpectedStatus": "errors",
    "UntrustedJsonError": "_untrusted",
    "AccessToken": "_token",
    "ApiException": "errors",
    "AppCredentials": "credentials",
    "AsyncTokensApi": "api",
    # The contract's version (openapi.yaml's info), which lives with the generated code.
    "CONTRACT_VERSION": "_generated",
    "ClientCredentials": "credentials",
    "ExternalTokenCredentials": "credentials",
    "InsecureHttpWarning": "_validate",
    "LoginSession": "login._session",
    "LoginRequiredError": "_base_errors",
    "MissingCredentialsError": "_base_errors",
    "PasswordCredentials": "credentials",
    "RefreshTokenCredentials": "credentials",
    "RetryAfterExceedsDeadline": "errors",
    "RetryPolicy": "retry",
    "RetryTransport": "retry",
    "RunaiCliSession": "people._runai_cli",
    "RunaiTokensError": "_base_errors",
    "StaticToken": "credentials",
    "TokenAuth": "auth",
    "TokensApi": "api",
    "connect": "people._default",
    "default_credentials": "people._default",
}

__all__ = [
    "CONTRACT_VERSION",
    "AccessToken",
    "ApiException",
    "AppCredentials",
    "AsyncTokensApi",
    "CliError",
    "ClientCredentials",
    "DeadlineExceeded",
    "DiscoveryError",
    "ExternalTokenCredentials",
    "GrantNotSupported",
    "InsecureHttpWarning",
    "InvalidArgument",
    "InvalidArgumentType",
    "LoginError",
    "LoginRequiredError",
    "LoginSession",
    "LoginStoreError",
    "MissingCredentialsError",
    "OutputError",
    "PasswordCredentials",
    "RefreshLockTimeout",
    "RefreshTokenCredentials",
    "RetryAfterExceedsDeadline",
    "RetryPolicy",
    "RetryTransport",
    "RunaiCliSession",
    "RunaiTokensError",
    "StaticToken",
    "TokenAuth",
    "TokensApi",
    "UnexpectedStatus",
    "UntrustedJsonError",
    "connect",
    "default_credentials",
]

if TYPE_CHECKING:
    from typing import Any

    from ._base_errors import (
        InvalidArgument,
        InvalidArgumentType,
        LoginRequiredError,
        MissingCredentialsError,
        RunaiTokensError,
    )
    from ._generated import CONTRACT_VERSION
    from ._token import AccessToken
    from ._untrusted import UntrustedJsonError
    from ._validate import InsecureHttpWarning
    from .api import AsyncTokensApi, TokensApi
    from .auth import TokenAuth
    from .cli._exit import CliError
    from .cli._output import OutputError
    from .credentials import (
        AppCredentials,
        ClientCredentials,
        ExternalTokenCredentials,
        PasswordCredentials,
        RefreshTokenCredentials,
        StaticToken,
    )
    from .errors import ApiException, GrantNotSupported, RetryAfterExceedsDeadline, UnexpectedStatus
    from .login._errors import DiscoveryError, LoginError
    from .login._index import LoginStoreError
    from .login._refresh_lock import RefreshLockTimeout
    from .login._session import LoginSession
    from .people._default import connect, default_credentials
    from .people._runai_cli import RunaiCliSession
    from .retry import RetryPolicy, RetryTransport
    from .retry._deadline import DeadlineExceeded


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
