"""Contains all the data models used in inputs/outputs"""

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
