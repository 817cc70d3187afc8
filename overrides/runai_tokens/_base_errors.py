"""RunaiTokensError, the root of every exception the package raises on purpose, and the errors
that code without attrs or httpx raises (the credential chain on a warm `runai-token get`, the
checks of what callers pass in). Standard library only; runai_tokens and runai_tokens.errors
export them.

Each error keeps the standard-library base it would have on its own (MissingCredentialsError is a
ValueError, InvalidArgument too), so `except ValueError` code keeps working, and
`except runai_tokens.RunaiTokensError` catches them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


class RunaiTokensError(Exception):
    """The base of every exception runai_tokens raises on purpose."""


class InvalidArgument(RunaiTokensError, ValueError):
    """An argument, option or environment variable has a value that cannot be used. The message
    names the input (base_url, --timeout, RUNAI_BASE_URL...), never its value."""


class InvalidArgumentType(RunaiTokensError, TypeError):
    """An argument is of a type that cannot be used. The message names the argument and the
    type given, never the value."""


class MissingCredentialsError(RunaiTokensError, ValueError):
    """Credentials could not be found. Names the variable (variable), with the one set without
    it (alongside), or everything that was tried (tried, from default_credentials()), never a
    value."""

    def __init__(
        self,
        variable: str | None = None,
        *,
        tried: Sequence[str] = (),
        alongside: str | None = None,
    ) -> None:
        self.variable = variable
        self.alongside = alongside
        self.tried = tuple(tried)
        if variable is not None:
            message = f"environment variable {variable} is not set (or is empty)"
            if alongside is not None:
                message += (
                    f", but {alongside} is: set both for a service account, or neither to "
                    "look for other credentials"
                )
        else:
            message = "no Run:ai credentials found; tried: " + "; ".join(self.tried)
        super().__init__(message)


class LoginRequiredError(RunaiTokensError, RuntimeError):
    """A person's session is missing, expired or refused: the message says which command fixes it.

    Never holds a token or a file's content.
    """
