"""LoginSession: a person's `runai-token login`, used as credentials.

It trades the stored refresh token for an access token (the refresh_token grant, through
/api/v2/token or /api/v1/token like any other grant) and writes the refresh token the server
sends back into the store at once: Run:ai's identity provider may rotate them, and the old one
is then spent. The grants themselves are _token_source's; this class says which login,
reads it, and words the errors: no login, a store that cannot be read, or a refresh token the
control plane refused all end in "run `runai-token login`".
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

from .._base_errors import InvalidArgument, InvalidArgumentType, LoginRequiredError
from .._value import Value

if TYPE_CHECKING:
    from ..auth._grant import Grants
    from ..auth._source import SourceTiming, TokenSource
    from ._refresh_lock import RefreshLock
    from ._store import LoginStore, StoredLogin

# The store (_store, _index: fcntl, the index's format) is imported when a LoginSession is made,
# not with this module: credentials imports it, so connect() would pay for it with any
# credentials.

logger = logging.getLogger("runai_tokens.auth")

LOGIN_COMMAND = "run `runai-token login`"


def _optional_url(value: object) -> str | None:
    from ._index import normalize_base_url

    return None if value is None else normalize_base_url(value)


def _store(value: object) -> LoginStore:
    if value is None:
        from ._store import open_store

        return open_store("auto")
    for method in ("load", "save", "delete"):
        if not callable(getattr(value, method, None)):
            raise InvalidArgumentType(
                f"store must be a LoginStore (see open_store), not {type(value).__name__}"
            )
    store: LoginStore = value  # type: ignore[assignment]
    return store


class LoginSession(Value):
    """The login `runai-token login` saved, for TokenAuth, connect() and `runai-token get`.

    base_url: the control plane whose login to use; None: the most recent login's (and
    connect() then takes its base URL from the login, as from a runai CLI session). Under a
    TokenAuth the login is always the one for the TokenAuth's base_url: a refresh token is never
    sent to another control plane.
    store: where the login is kept; None: open_store("auto") (the cache directory is resolved
    here, once).
    """

    __slots__ = _fields = ("_base_url", "store")
    _uncompared = frozenset({"store"})  # a store compares by identity: two are never equal
    _base_url: str | None
    store: LoginStore

    since: ClassVar[str] = "2.18"
    grants_on_v2: ClassVar[bool] = True  # it grants with its refresh token, which v2 has

    def __init__(self, base_url: str | None = None, *, store: LoginStore | None = None) -> None:
        self._set(_optional_url(base_url), _store(store))

    def __repr__(self) -> str:
        return f"LoginSession(base_url={self._base_url!r})"

    def base_url(self) -> str | None:
        """The control plane of this login: the one given, else the most recent login's, else
        None. Reads the index only (no keyring) when the store has one."""
        if self._base_url is not None:
            return self._base_url
        entry = getattr(self.store, "entry", None)
        try:
            if callable(entry):
                found: Any = entry(None)
            else:
                found = self.store.load(None)
        except OSError:
            return None
        return found.base_url if found is not None else None

    def for_base_url(self, base_url: str) -> str:
        """The control plane whose login a TokenAuth for base_url uses: base_url itself.
        Raises ValueError when this session names another one."""
        from ._index import normalize_base_url

        url = normalize_base_url(base_url)
        if self._base_url is not None and self._base_url != url:
            raise InvalidArgument(
                "LoginSession is for another control plane than the base URL it is used with"
            )
        return url

    def load(self, base_url: str) -> StoredLogin:
        """base_url's stored login. Raises LoginRequiredError when there is none or it cannot
        be read."""
        try:
            login = self.store.load(base_url)
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            raise self.login_error(base_url, f"the stored login cannot be read ({why})") from None
        if login is None:
            raise self.login_error(base_url, "there is no stored login")
        return login

    def refresh_lock(self, base_url: str) -> RefreshLock:
        """The lock a refresh of base_url's login holds from reading the store to saving what
        the refresh brought (login/_refresh_lock): the store's own, which works across
        processes; for a store of the caller's own without one, a lock within this process."""
        own = getattr(self.store, "refresh_lock", None)
        if callable(own):
            lock: RefreshLock = own(base_url)
            return lock
        from ._refresh_lock import RefreshLock

        return RefreshLock(None, base_url, key=(id(self.store), base_url))

    def keep_refreshed(self, login: StoredLogin, *, rotated: bool) -> bool:
        """Store login, which holds what a refresh just brought (the access token, and when
        rotated the refresh token the server sent in place of the stored one), where the login
        is kept; whether that worked.

        A store that cannot be written loses the new refresh token for other processes (this
        one keeps using it): that is logged, not raised, since the access token in hand is good.
        Without a rotation only the shared access token is lost, and the next process refreshes.
        """
        replace = getattr(self.store, "replace_refresh_token", None)
        try:
            replace(login) if callable(replace) else self.store.save(login)
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            if rotated:
                logger.warning(
                    "could not store the new refresh token for %s (%s); the next process will "
                    "need `runai-token login` again",
                    login.base_url,
                    why,
                )
            else:
                logger.info("could not store the new access token for %s (%s)", login.base_url, why)
            return False
        return True

    def token_source(self, base_url: str, grants: Grants, timing: SourceTiming) -> TokenSource:
        """TokenAuth's source: the stored login for base_url, refreshed under its lock."""
        from ._token_source import LoginTokenSource

        return LoginTokenSource(self, base_url, grants, timing)

    @staticmethod
    def login_error(base_url: str | None, why: str) -> LoginRequiredError:
        where = f" for {base_url}" if base_url else ""
        return LoginRequiredError(f"runai-token login{where}: {why}; {LOGIN_COMMAND}")
