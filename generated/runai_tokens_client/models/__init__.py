"""Contains all the data models used in inputs/outputs"""

from .app_token_request import AppTokenRequest
from .app_token_response import AppTokenResponse
from .error import Error
from .grant_type import GrantType
from .token_request import TokenRequest
from .token_response import TokenResponse

__all__ = (
    "AppTokenRequest",
    "AppTokenResponse",
    "Error",
    "GrantType",
    "TokenRequest",
    "TokenResponse",
)
