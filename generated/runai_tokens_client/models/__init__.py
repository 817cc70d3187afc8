"""Contains all the data models used in inputs/outputs"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app_token_request import AppTokenRequest
    from .app_token_response import AppTokenResponse
    from .error import Error
    from .grant_type import GrantType
    from .o_auth_2_error import OAuth2Error
    from .o_auth_2_error_code import OAuth2ErrorCode
    from .o_auth_2_grant_type import OAuth2GrantType
    from .o_auth_2_token_request import OAuth2TokenRequest
    from .o_auth_2_token_response import OAuth2TokenResponse
    from .token_request import TokenRequest
    from .token_response import TokenResponse

# Each model's module, by the name it is imported as.
_MODULES: dict[str, str] = {
    "AppTokenRequest": ".app_token_request",
    "AppTokenResponse": ".app_token_response",
    "Error": ".error",
    "GrantType": ".grant_type",
    "OAuth2Error": ".o_auth_2_error",
    "OAuth2ErrorCode": ".o_auth_2_error_code",
    "OAuth2GrantType": ".o_auth_2_grant_type",
    "OAuth2TokenRequest": ".o_auth_2_token_request",
    "OAuth2TokenResponse": ".o_auth_2_token_response",
    "TokenRequest": ".token_request",
    "TokenResponse": ".token_response",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


__all__ = (
    "AppTokenRequest",
    "AppTokenResponse",
    "Error",
    "GrantType",
    "OAuth2Error",
    "OAuth2ErrorCode",
    "OAuth2GrantType",
    "OAuth2TokenRequest",
    "OAuth2TokenResponse",
    "TokenRequest",
    "TokenResponse",
)
