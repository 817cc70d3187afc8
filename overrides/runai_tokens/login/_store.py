"""Where `runai-token login` keeps a person's session: StoredLogin, LoginStore, open_store().

One login per control plane. The refresh token is kept in the OS keyring (kind "keyring", the
`keyring` extra) or in a 0600 file in the CLI's cache directory (kind "file"), under the cache's
rules: a directory that is ours and writable by nobody else, files opened without following a
symlink, written to a temporary file and renamed into place. The index (_index) says which
logins exist and where each one's token is; it holds no token.

A store's kind is where save() puts a login. load() and delete() find one wherever the index
says it was saved (a login made with --store file is still found by the "auto" store), and
replace_refresh_token() writes a rotated token back to where the login already is, and
refresh_lock() is the lock a refresh holds meanwhile (_refresh_lock).
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .._base_errors import InvalidArgument, InvalidArgumentType
from .._private_files import checked_directory, default_cache_dir, read_private, write_new
from .._untrusted import header_value_problem
from .._value import Value
from . import _index
from ._index import LoginEntry, LoginStoreError, normalize_base_url

if TYPE_CHECKING:
    # Imported by a refresh, not with the store: it brings the generated package (its error is
    # an ApiException), which reading or saving a login does not need.
    from ._refresh_lock import RefreshLock

StoreKind = Literal["auto", "keyring", "file", "none"]
STORE_CHOICES: tuple[StoreKind, ...] = _index.STORE_CHOICES  # type: ignore[assignment]
_FORMAT = 1
_MAX_SECRET = 64 * 1024


def _required_str(value: object, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise (TypeError if not isinstance(value, str) else ValueError)(
            f"StoredLogin: {name} must be a non-empty str"
        )


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentType(f"StoredAccess: {name} must be a number")
    try:
        number = float(value)
    except OverflowError:  # an int no float can hold
        raise InvalidArgument(f"StoredAccess: {name} must be finite") from None
    if not math.isfinite(number):
        raise InvalidArgument(f"StoredAccess: {name} must be finite")
    return number


class StoredAccess(Value):
    """The access token the login's last refresh brought, kept with the login so that a caller
    who waited on the refresh lock (another process, another TokenAuth) uses it instead of
    refreshing again (auth/_login_source).

    obtained_at: when it was asked for, on the wall clock (seconds since the epoch: the one
    clock that processes share). lifetime: seconds, None when the token did not say. The token
    stays out of repr() and str().
    """

    __slots__ = _fields = ("token", "obtained_at", "lifetime")
    _hidden = frozenset({"token"})
    token: str
    obtained_at: float
    lifetime: float | None

    def __init__(self, token: str, obtained_at: float, lifetime: float | None = None) -> None:
        _required_str(token, "access token")
        if (problem := header_value_problem(token)) is not None:
            raise InvalidArgument(f"StoredAccess: the access token {problem}")
        obtained_at = _finite(obtained_at, "obtained_at")
        if lifetime is not None and (lifetime := _finite(lifetime, "lifetime")) <= 0:
            raise InvalidArgument("StoredAccess: lifetime must be positive")
        self._set(token, obtained_at, lifetime)


class StoredLogin(Value):
    """A person's login to one control plane, as a store keeps it.

    base_url is normalized (checked by runai_tokens._validate, trailing slashes dropped), so one
    control plane has one login however its URL was typed. access is the access token of the
    last refresh (StoredAccess), None before the first. The tokens stay out of repr() and str().
    """

    __slots__ = _fields = ("base_url", "client_id", "refresh_token", "subject", "access")
    _hidden = frozenset({"refresh_token", "access"})
    base_url: str
    client_id: str
    refresh_token: str
    subject: str | None
    access: StoredAccess | None

    def __init__(
        self,
        base_url: str,
        client_id: str,
        refresh_token: str,
        subject: str | None = None,
        access: StoredAccess | None = None,
    ) -> None:
        base_url = normalize_base_url(base_url)
        _required_str(client_id, "client_id")
        _required_str(refresh_token, "refresh_token")
        if subject is not None and not isinstance(subject, str):
            raise InvalidArgumentType("StoredLogin: subject must be a str or None")
        if access is not None and not isinstance(access, StoredAccess):
            raise InvalidArgumentType("StoredLogin: access must be a StoredAccess or None")
        self._set(base_url, client_id, refresh_token, subject, access)


class LoginStore(Protocol):
    """Keeps StoredLogins. Every method raises OSError (LoginStoreError, UnusableCache) when the
    store cannot be used safely; none ever puts a token in a message."""

    @property
    def kind(self) -> str:
        """ "keyring", "file" or "none": where save() puts a login."""
        ...

    def load(self, base_url: str | None = None) -> StoredLogin | None:
        """base_url's login, or the most recent one when None; None when there is none."""
        ...

    def save(self, login: StoredLogin) -> None:
        """Keep login (replacing any for its control plane) and make it the most recent."""
        ...

    def delete(self, base_url: str | None = None) -> bool:
        """Forget base_url's login (the most recent when None); whether there was one."""
        ...


class _NoStore:
    """--store none: keeps nothing, finds nothing."""

    kind = "none"

    def __repr__(self) -> str:
        return "LoginStore(kind='none')"

    def load(self, base_url: str | None = None) -> StoredLogin | None:
        if base_url is not None:
            normalize_base_url(base_url)
        return None

    def save(self, login: StoredLogin) -> None:
        return None

    def delete(self, base_url: str | None = None) -> bool:
        return self.load(base_url) is not None

    def replace_refresh_token(self, login: StoredLogin) -> None:
        return None

    def refresh_lock(self, base_url: str) -> RefreshLock:
        from ._refresh_lock import RefreshLock

        return RefreshLock(None, normalize_base_url(base_url), key=("none", base_url))


class _Store:
    """The keyring and file stores; "auto" picks between them on the first save."""

    def __init__(self, kind: Literal["auto", "keyring", "file"], directory: Path) -> None:
        self._kind = kind
        self.directory = directory

    def __repr__(self) -> str:
        return f"LoginStore(kind={self._kind!r}, directory={str(self.directory)!r})"

    @property
    def kind(self) -> str:
        if self._kind == "auto":  # decided once: the probe imports keyring
            from . import _keyring

            self._kind = "keyring" if _keyring.problem() is None else "file"
        return self._kind

    def entry(self, base_url: str | None = None) -> LoginEntry | None:
        """The index's entry for base_url (the most recent when None): no token, no keyring."""
        return _index.lookup(
            self.directory, None if base_url is None else normalize_base_url(base_url)
        )

    def load(self, base_url: str | None = None) -> StoredLogin | None:
        url: str | None = None if base_url is None else normalize_base_url(base_url)
        try:
            with checked_directory(self.directory, create=False) as directory:
                entry = _index.find(_index.read_index(directory), url)
                if entry is None and url is None:
                    return None
                url = entry.base_url if entry is not None else url
                assert url is not None
                # Without an index entry, only this store's own place is looked at, and "auto"
                # looks at the file only: probing the keyring would import it for every miss.
                where = entry.store if entry is not None else self._kind
                if where == "file" or where == "auto":
                    raw = read_private(
                        directory, _index.secret_file_name(url), _MAX_SECRET, "a login"
                    )
                    return None if raw is None else _decode(raw.decode("utf-8", "replace"), url)
        except FileNotFoundError:
            return None
        from . import _keyring

        value = _keyring.get(url)
        return None if value is None else _decode(value, url)

    def save(self, login: StoredLogin) -> None:
        kind = self.kind
        with (
            checked_directory(self.directory, create=True) as directory,
            _index.index_lock(directory),
        ):
            entries = _index.read_index(directory)
            old = _index.find(entries, login.base_url)
            self._put(directory, kind, login)
            if old is not None and old.store != kind:
                self._remove(directory, old.store, login.base_url)
            entry = LoginEntry(login.base_url, login.client_id, login.subject, kind, time.time())
            others = [e for e in entries if e.base_url != login.base_url]
            _index.write_index(directory, [*others, entry])

    def refresh_lock(self, base_url: str) -> RefreshLock:
        """The lock a refresh of base_url's login holds (_refresh_lock), in this store's
        directory whichever kind keeps the token: one per login across threads and processes."""
        from ._refresh_lock import RefreshLock

        return RefreshLock(os.path.abspath(self.directory), normalize_base_url(base_url))

    def replace_refresh_token(self, login: StoredLogin) -> None:
        """Write login (after a refresh: the rotated refresh token, the new access token) where
        its control plane's login is kept now, atomically. Under the index's lock, and only
        while the index still lists the login: a refresh racing a logout must not bring the
        forgotten login back (LoginStoreError)."""
        with (
            checked_directory(self.directory, create=False) as directory,
            _index.index_lock(directory),
        ):
            entry = _index.find(_index.read_index(directory), login.base_url)
            if entry is None:
                raise LoginStoreError("the login is no longer stored (logged out meanwhile?)")
            self._put(directory, entry.store, login)

    def delete(self, base_url: str | None = None) -> bool:
        url: str | None = None if base_url is None else normalize_base_url(base_url)
        try:
            with (
                checked_directory(self.directory, create=False) as directory,
                _index.index_lock(directory),
            ):
                entries = _index.read_index(directory)
                entry = _index.find(entries, url)
                if entry is None and url is None:
                    return False
                url = entry.base_url if entry is not None else url
                assert url is not None
                if entry is not None:
                    _index.write_index(directory, [e for e in entries if e is not entry])
                found = entry is not None
                found = self._remove(directory, "file", url) or found
                # The keyring is asked when the index says the login is there, or when this is
                # the keyring store and the index does not know the login (then a keyring that
                # cannot be used is an error worth seeing).
                in_keyring = entry.store == "keyring" if entry else self._kind == "keyring"
                if in_keyring:
                    found = self._remove(directory, "keyring", url) or found
                return found
        except FileNotFoundError:
            return False

    def _put(self, directory: int, kind: str, login: StoredLogin) -> None:
        value = _encode(login)
        if kind == "file":
            write_new(
                directory, _index.secret_file_name(login.base_url), value.encode(), replace=True
            )
        else:
            from . import _keyring

            _keyring.put(login.base_url, value)

    def _remove(self, directory: int, kind: str, base_url: str) -> bool:
        if kind == "keyring":
            from . import _keyring

            return _keyring.delete(base_url)
        try:
            os.unlink(_index.secret_file_name(base_url), dir_fd=directory)
        except FileNotFoundError:
            return False
        return True


def open_store(kind: StoreKind = "auto", *, cache_dir: Path | None = None) -> LoginStore:
    """The login store of this kind, in cache_dir (default: the CLI's cache directory,
    $XDG_CACHE_HOME/runai-tokens or ~/.cache/runai-tokens).

    "auto": the OS keyring when the keyring package is installed and has a real backend, else
    the file store (decided at the first save, so opening a store imports nothing).
    Raises ValueError for an unknown kind, UnusableCache when there is no home directory.
    """
    if kind not in STORE_CHOICES:
        raise InvalidArgument(f"kind must be one of {', '.join(STORE_CHOICES)}")
    if kind == "none":
        return _NoStore()
    directory = Path(default_cache_dir(os.environ) if cache_dir is None else cache_dir)
    return _Store(kind, directory)


def _encode(login: StoredLogin) -> str:
    data: dict[str, object] = {
        "format": _FORMAT,
        "baseUrl": login.base_url,
        "clientId": login.client_id,
        "subject": login.subject,
        "refreshToken": login.refresh_token,
    }
    if login.access is not None:  # a key older readers skip: the format stays 1
        data["access"] = {
            "token": login.access.token,
            "obtainedAt": login.access.obtained_at,
            "lifetime": login.access.lifetime,
        }
    return json.dumps(data)


def _decode(raw: str, base_url: str) -> StoredLogin | None:
    """A stored login, or None when it is not one of ours for base_url (read as no login)."""
    try:
        data: Any = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return None
    if data.get("baseUrl") != base_url:
        return None
    client_id, refresh_token, subject = (
        data.get(k) for k in ("clientId", "refreshToken", "subject")
    )
    if not (isinstance(client_id, str) and isinstance(refresh_token, str)):
        return None
    try:
        return StoredLogin(base_url, client_id, refresh_token, subject, _access(data.get("access")))
    except (TypeError, ValueError):
        return None


def _access(data: object) -> StoredAccess | None:
    """The stored access token, or None when there is none or it is not usable (then the next
    caller refreshes; the login itself stands)."""
    if not isinstance(data, dict):
        return None
    try:
        return StoredAccess(data.get("token"), data.get("obtainedAt"), data.get("lifetime"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


__all__ = [
    "STORE_CHOICES",
    "LoginStore",
    "LoginStoreError",
    "StoreKind",
    "StoredAccess",
    "StoredLogin",
    "open_store",
]
