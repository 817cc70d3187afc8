"""runai_tokens: always-valid Run:ai tokens, retries that survive a flaky control plane.

The hand-written layer over the generated client (runai_tokens_client):

    from runai_tokens import ClientCredentials, connect
    client = connect("https://tenant.run.ai", ClientCredentials.from_env())

Importing this package loads only the runtime dependencies (httpx, attrs, python-dateutil); the
test kit lives in runai_tokens.testing and is imported only when asked for.
"""

from .api import AsyncTokensApi, TokensApi
from .auth import TokenAuth
from .connect import connect
from .credentials import (
    AppCredentials,
    ClientCredentials,
    PasswordCredentials,
    RefreshTokenCredentials,
    StaticToken,
)
from .errors import ApiException, RetryAfterExceedsDeadline
from .retry import RetryPolicy, RetryTransport

__version__ = "0.1.0"

__all__ = [
    "ApiException",
    "AppCredentials",
    "AsyncTokensApi",
    "ClientCredentials",
    "PasswordCredentials",
    "RefreshTokenCredentials",
    "RetryAfterExceedsDeadline",
    "RetryPolicy",
    "RetryTransport",
    "StaticToken",
    "TokenAuth",
    "TokensApi",
    "connect",
]
