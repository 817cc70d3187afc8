"""FileTokenSource: the TokenSource TokenAuth uses for a RunaiCliSession.

A fetch reads the runai CLI's files instead of granting. A fetch while the token we handed out is
neither due nor stale means the keeper dropped it after a 401: if the files still hold that same
token, the control plane has refused the session and only `runai login` helps, so that is what
the error says. Otherwise a token near its expiry is simply read again: the CLI may have
refreshed it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .._token import FRESH, Token
from ..auth._grant import Grants
from ..auth._source import SourceTiming, TokenSource

if TYPE_CHECKING:
    from .._base_errors import LoginRequiredError


class Session(Protocol):
    """What a fetch asks of the RunaiCliSession that made this source (_runai_cli, which imports
    this module when asked for its source; so this one names it by what it does)."""

    def access_token(self, *, wall_clock: Callable[[], float]) -> tuple[str, float]: ...
    def login_error(self, why: str) -> LoginRequiredError: ...


class FileTokenSource(TokenSource):
    """A TokenSource that reads the CLI's files instead of granting (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        grants: Grants,
        timing: SourceTiming,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self.grants = grants  # never used to grant; TokenAuth closes it with the rest
        self._timing = timing
        self._wall_clock = wall_clock
        self._last: Token | None = None

    def fetch(self) -> Token:
        now = self._timing.clock()
        access_token, left = self.session.access_token(wall_clock=self._wall_clock)
        last = self._last
        if last is not None and last.access_token == access_token and last.state(now) is FRESH:
            raise self.session.login_error("the control plane refused the session's token")
        token = self._timing.token(access_token, obtained_at=now, lifetime=left)
        self._last = token
        return token

    async def afetch(self) -> Token:
        return self.fetch()  # two small local files: not worth a thread
