"""How runai-token ends: its exit codes, and the one error every command raises to pick one.

Apart from the settings because every command (get, login, logout, serve) and every helper of
theirs fails through CliError, and most of them have nothing else to do with `get`'s settings.
Standard library only, like everything on the warm path.
"""

from __future__ import annotations

from .._base_errors import RunaiTokensError


class ExitCode:
    """runai-token's exit codes (documented in `runai-token --help`).

    Plain ints, not an IntEnum: importing enum costs a warm `get` a third of the interpreter's
    own start-up, and an exit code is only ever compared and returned.
    """

    OK = 0
    ERROR = 1  # anything not covered below (an unexpected answer, a bug)
    USAGE = 2  # bad flags, missing credentials, unreadable secret file
    REJECTED = 3  # the server refused the credentials (400, 401 or 403)
    UNAVAILABLE = 4  # no usable answer after retries (no response, 429, 5xx)


class CliError(RunaiTokensError):
    """A one-line failure for stderr and the exit code that goes with it. Never holds a secret."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(message)
