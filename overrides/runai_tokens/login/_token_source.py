"""LoginTokenSource: the TokenSource TokenAuth uses for a LoginSession.

A fetch refreshes the stored login for TokenAuth's own base URL (so a refresh token only ever
goes to the control plane it came from) with the refresh_token grant, and stores what the
refresh brought, the rotated refresh token and the access token, before the access token is
used.

One refresh at a time per login, everywhere. An identity provider that rotates refresh tokens
and detects their reuse revokes the whole login when one refresh token is sent twice, which two
overlapping refreshes would do. So a fetch holds the login's refresh lock (login/_refresh_lock:
one lock per login, for every thread and TokenAuth of this process and every other process)
from reading the store to saving. Holding it, it reads the store afresh, and when someone else
refreshed meanwhile it uses their result instead of refreshing again:
- the stored access token, when it is newer than the one this source handed out last and is
  neither stale nor due (its age is counted on the wall clock, the one clock that processes
  share);
- else the stored refresh token, whichever one is there now.
So any number of callers that find the token expired at once cost one refresh. A caller waits
for the lock no longer than it would for another thread's grant (TokenAuth's retry deadline plus
one request timeout, or MAX_LOCK_WAIT without a deadline): then RefreshLockTimeout.

Our own copy wins only while the store still holds the refresh token we last read or wrote: when
the store could not be written, the rotated token lives on in this process.

A refused refresh token is tried once more if the store holds another one by then (a writer that
bypassed the lock rotated it first), and is otherwise a LoginRequiredError. The refused token is
remembered, so further calls raise at once instead of asking again, until a new login.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .._flow import arun, run
from .._token import FRESH, Token
from ..auth._grant import REJECTED, Grants
from ..auth._source import SourceTiming, TokenSource, _FetchFlow
from ..credentials import RefreshTokenCredentials
from ..errors import ApiException
from ._store import StoredAccess

if TYPE_CHECKING:
    from .._base_errors import LoginRequiredError
    from ._refresh_lock import RefreshLock
    from ._store import StoredLogin


class Session(Protocol):
    """What a fetch asks of the LoginSession that made this source (_session, which imports
    this module when asked for its source; so this one names it by what it does)."""

    def for_base_url(self, base_url: str) -> str: ...
    def load(self, base_url: str) -> StoredLogin: ...
    def refresh_lock(self, base_url: str) -> RefreshLock: ...
    def keep_refreshed(self, login: StoredLogin, *, rotated: bool) -> bool: ...
    def login_error(self, base_url: str | None, why: str) -> LoginRequiredError: ...


# How long a caller waits for another's refresh when TokenAuth has no retry deadline to bound it.
MAX_LOCK_WAIT = 300.0


class LoginTokenSource(TokenSource):
    """A TokenSource that grants with a stored login (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        base_url: str,
        grants: Grants,
        timing: SourceTiming,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self.base_url = session.for_base_url(base_url)
        self.grants = grants
        self._timing = timing
        self._wall_clock = wall_clock
        wait = timing.wait_timeout
        self._lock_timeout = MAX_LOCK_WAIT if wait is None else wait
        self._login: StoredLogin | None = None  # ours: as last read, or rotated since
        self._stored: str | None = None  # the refresh token the store held when we last looked
        self._refused: str | None = None
        self._handed_out: str | None = None  # the access token this source returned last

    def fetch(self) -> Token:
        lock = self.session.refresh_lock(self.base_url)
        lock.acquire(self._lock_timeout)
        try:
            return run(self._flow(), self.grants.grant)
        finally:
            lock.release()

    async def afetch(self) -> Token:
        lock = self.session.refresh_lock(self.base_url)
        await lock.aacquire(self._lock_timeout)
        try:
            return await arun(self._flow(), self.grants.agrant)
        finally:
            lock.release()

    def _flow(self) -> _FetchFlow:
        """Runs under the refresh lock: the store read here is the latest there is."""
        login = self._current()
        theirs = self._refreshed_by_another(login)
        if theirs is not None:
            return theirs
        for first_try in (True, False):
            started, wall_started = self._timing.clock(), self._wall_clock()
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
                login = stored  # a writer that bypassed the lock rotated it first
                self._stored = stored.refresh_token
                continue
            token = self.token(granted, started)
            rotated = granted.refresh_token not in (None, login.refresh_token)
            login = login.replace(
                refresh_token=granted.refresh_token if rotated else login.refresh_token,
                access=StoredAccess(granted.access_token, wall_started, token.lifetime),
            )
            if self.session.keep_refreshed(login, rotated=rotated):
                self._stored = login.refresh_token
            self._login = login
            self._handed_out = granted.access_token
            return token
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

    def _refreshed_by_another(self, login: StoredLogin) -> Token | None:
        """The stored access token as a Token, when another caller's refresh brought it and it
        is good to use now; else None (then we refresh)."""
        access = login.access
        if access is None or access.token == self._handed_out:
            return None  # none, or the very token this source is asked to replace
        age = max(0.0, self._wall_clock() - access.obtained_at)  # a clock set back: just now
        now = self._timing.clock()
        token = self._timing.token(access.token, obtained_at=now - age, lifetime=access.lifetime)
        if token.state(now) is not FRESH:
            return None
        self._handed_out = access.token
        return token
