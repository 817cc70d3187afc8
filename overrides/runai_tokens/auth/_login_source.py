"""LoginTokenSource: the TokenSource TokenAuth uses for a LoginSession.

A fetch reads the stored login for TokenAuth's own base URL (so a refresh token only ever goes
to the control plane it came from), trades its refresh token with the refresh_token grant, and
hands the new refresh token the server sends to the session, which stores it before the access
token is used. The store is read on every fetch (once per token lifetime): another process, or a
new `runai-token login`, may have replaced the token since, and `runai-token logout` ends the
session here too.

Our own copy wins only while the store still holds the token we last read or wrote: when the
store could not be written, the rotated token lives on in this process.

A refused refresh token is tried once more if the store holds another one by then (another
process rotated it first), and is otherwise a LoginRequiredError. The refused token is
remembered, so further calls raise at once instead of asking again, until a new login.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..credentials import RefreshTokenCredentials
from ..errors import ApiException
from ..login._session import LoginSession
from ._grant import REJECTED, Grants
from ._source import TokenSource, _FetchFlow

if TYPE_CHECKING:
    from ..login._store import StoredLogin


class LoginTokenSource(TokenSource):
    """A TokenSource that grants with a stored login (see the module docstring)."""

    def __init__(
        self,
        session: LoginSession,
        base_url: str,
        grants: Grants,
        *,
        clock: Callable[[], float],
        random: Callable[[], float],
        refresh_margin: float | None,
    ) -> None:
        self.session = session
        self.base_url = session.for_base_url(base_url)
        self.grants = grants
        self._clock = clock
        self._random = random
        self._refresh_margin = refresh_margin
        self._login: StoredLogin | None = None  # ours: as last read, or rotated since
        self._stored: str | None = None  # the refresh token the store held when we last looked
        self._refused: str | None = None

    def _flow(self) -> _FetchFlow:
        login = self._current()
        for first_try in (True, False):
            started = self._clock()
            try:
                granted = yield RefreshTokenCredentials(login.refresh_token, login.client_id)
            except ApiException as exc:
                if exc.status not in REJECTED:
                    raise  # a refresh is never retried after a 5xx: the token may be spent
                self._refused, self._login = login.refresh_token, None
                stored = self.session.load(self.base_url) if first_try else None
                if stored is None or stored.refresh_token == login.refresh_token:
                    raise self.session.login_error(
                        self.base_url, f"the control plane refused the stored refresh token: {exc}"
                    ) from exc
                login = stored  # another process rotated it first: theirs is the live one
                self._stored = stored.refresh_token
                continue
            if granted.refresh_token is not None and granted.refresh_token != login.refresh_token:
                login = login.replace(refresh_token=granted.refresh_token)
                if self.session.keep_rotated(login):
                    self._stored = login.refresh_token
            self._login = login
            return self.token(granted, started)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _current(self) -> StoredLogin:
        stored = self.session.load(self.base_url)
        if stored.refresh_token == self._refused:
            raise self.session.login_error(
                self.base_url, "the control plane refused the stored refresh token"
            )
        if self._login is not None and stored.refresh_token == self._stored:
            return self._login
        self._stored = stored.refresh_token
        return stored
