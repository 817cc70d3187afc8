"""Why a browser login did not complete. No message holds a code, a verifier, a state or a token.

A refused code exchange is an ApiException (the error contract of every grant), not one of these.
"""

from __future__ import annotations

from .._base_errors import RunaiTokensError


class LoginError(RunaiTokensError):
    """A browser login did not complete; the message says why and never holds a secret."""


class DiscoveryError(LoginError):
    """The identity provider's OpenID discovery document is missing, unreachable or unusable."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        self.unreachable = unreachable
        super().__init__(message)


class CallbackError(LoginError):
    """The browser came back without a usable code: the identity provider said no, the state
    did not match, or the code was missing."""


class LoginTimeout(LoginError):
    """Nobody finished the login in the browser in time."""


class TokenEndpointError(LoginError):
    """The control plane's token endpoint could not be asked which exchange it has."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        self.unreachable = unreachable
        super().__init__(message)
