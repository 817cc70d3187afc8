"""The login index: which `runai-token login` sessions exist and where their refresh tokens are.

One small JSON file (login-index, 0600) in the cache directory, next to the CLI's token cache,
holding for each control plane its client id, the subject who logged in, the store that keeps
the refresh token ("keyring" or "file") and when it was saved. Never a token: the refresh token
lives only in the OS keyring or in the login's own 0600 file (login-<hash>.secret).

The index is what lets "the most recent login" be found without a keyring, and what lets
`runai-token get` and default_credentials() decide that a login exists (and key the token cache
by it) without importing keyring or attrs. A person's warm `get` reads it on every kubectl call,
so reading it costs what the CLI's warm path costs (see cli._cache): LoginEntry is a plain class,
and contextlib and hashlib (OpenSSL) are imported only by what writes the index or names a
login's file, which a warm `get` never does. The file names end neither in .json nor in .lock: the
token cache deletes its own *.json entries when it makes a new key.

An index that cannot be parsed is read as empty (it is metadata, rebuilt by the next login);
one that cannot be trusted (a symlink, another user's) raises UnusableCache, as the cache does.
"""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING

from .. import _validate
from .._base_errors import RunaiTokensError
from .._private_files import checked_directory, open_private, read_private, write_new
from ._kinds import STORE_CHOICES as STORE_CHOICES

if TYPE_CHECKING:
    from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, concurrent logins may race
    fcntl = None  # type: ignore[assignment]

INDEX_FILE = "login-index"
_LOCK_FILE = "login-index.flock"
# A login file's name: login-<hash of the base URL>.secret; its refresh lock's, .flock.
_LOGIN_FILE = "login-{}.secret"
_LOGIN_LOCK = "login-{}.flock"
_FORMAT = 1
_MAX_INDEX = 256 * 1024
STORE_KINDS = ("keyring", "file")  # where a saved login's refresh token can be


class LoginStoreError(RunaiTokensError, OSError):
    """A login store cannot be used (the keyring failed, a file cannot be trusted). strerror
    says why; it never holds a token."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.strerror = why

    def __str__(self) -> str:
        return self.strerror or "the login store failed"


class LoginEntry:
    """One login as the index knows it: everything but the refresh token. (A plain class, not a
    NamedTuple: typing's import would cost a person's warm `get` more than the rest of it.)"""

    __slots__ = ("base_url", "client_id", "saved_at", "store", "subject")

    def __init__(
        self, base_url: str, client_id: str, subject: str | None, store: str, saved_at: float
    ) -> None:
        self.base_url = base_url
        self.client_id = client_id
        self.subject = subject
        self.store = store  # "keyring" or "file": where the refresh token is
        self.saved_at = saved_at

    def _fields(self) -> tuple[str, str, str | None, str, float]:
        return (self.base_url, self.client_id, self.subject, self.store, self.saved_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LoginEntry):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "LoginEntry({!r}, {!r}, {!r}, {!r}, {!r})".format(*self._fields())


def normalize_base_url(value: object, name: str = "base_url") -> _validate.BaseUrl:
    """The one spelling of a control plane that logins are filed under: checked by _validate
    (unless it is a BaseUrl, checked already), without surrounding whitespace or trailing
    slashes. Raises InvalidArgumentType, InvalidArgument."""
    return _validate.checked_url(value, name=name).trimmed()


def secret_file_name(base_url: str) -> str:
    """The file holding base_url's refresh token in the file store (a hash: no URL in names)."""
    # Only loading, saving or forgetting a login's token names its file; a warm `get` keys its
    # cache on the index entry alone, so hashlib (which loads OpenSSL) stays off its path.
    return _LOGIN_FILE.format(_digest(base_url))


def lock_file_name(base_url: str) -> str:
    """The file whose flock serializes refreshes of base_url's login (_refresh_lock), wherever
    its refresh token is kept."""
    return _LOGIN_LOCK.format(_digest(base_url))


def _digest(base_url: str) -> str:
    import hashlib

    return hashlib.sha256(base_url.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def read_index(directory: int) -> list[LoginEntry]:
    """The logins in the index, oldest first; [] when there is none or it cannot be parsed."""
    raw = read_private(directory, INDEX_FILE, _MAX_INDEX, "the login index")
    if raw is None:
        return []
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return []
    logins = data.get("logins")
    if not isinstance(logins, list):
        return []
    entries = [entry for item in logins if (entry := _entry(item)) is not None]
    return sorted(entries, key=lambda entry: entry.saved_at)


def find(entries: list[LoginEntry], base_url: str | None) -> LoginEntry | None:
    """base_url's login (normalized already), or the most recently saved one when None."""
    if base_url is None:
        return entries[-1] if entries else None
    return next((entry for entry in entries if entry.base_url == base_url), None)


def lookup(cache_dir: str | os.PathLike[str], base_url: str | None) -> LoginEntry | None:
    """find() in cache_dir's index; None when the directory does not exist. Raises OSError
    (UnusableCache) when it cannot be trusted."""
    try:
        with checked_directory(cache_dir, create=False) as directory:
            return find(read_index(directory), base_url)
    except FileNotFoundError:
        return None


def write_index(directory: int, entries: list[LoginEntry]) -> None:
    """Atomically replace the index (0600)."""
    data = {
        "format": _FORMAT,
        "logins": [
            {
                "baseUrl": entry.base_url,
                "clientId": entry.client_id,
                "subject": entry.subject,
                "store": entry.store,
                "savedAt": entry.saved_at,
            }
            for entry in entries
        ],
    }
    write_new(directory, INDEX_FILE, json.dumps(data, indent=1).encode(), replace=True)


class index_lock:  # named as the function it was: `with index_lock(directory):`
    """An exclusive flock for a read-modify-write of the index (two logins at once). A class,
    not a contextlib.contextmanager: importing contextlib would cost the warm `get` that reads
    this module."""

    __slots__ = ("_directory", "_fd")

    def __init__(self, directory: int) -> None:
        self._directory = directory
        self._fd: int | None = None

    def __enter__(self) -> None:
        fd = open_private(
            self._directory, _LOCK_FILE, os.O_RDWR | os.O_CREAT, "the login index lock"
        )
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def __exit__(self, *exc_info: object) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # releases the flock


def _entry(item: object) -> LoginEntry | None:
    if not isinstance(item, dict):
        return None
    base_url, client_id, subject, store, saved_at = (
        item.get(key) for key in ("baseUrl", "clientId", "subject", "store", "savedAt")
    )
    url = _validate.accepted_url(base_url)
    if url is None:
        return None
    if not isinstance(client_id, str) or not client_id or store not in STORE_KINDS:
        return None
    if subject is not None and not isinstance(subject, str):
        return None
    if isinstance(saved_at, bool) or not isinstance(saved_at, int | float):
        return None
    try:
        when = float(saved_at)
    except OverflowError:  # an int no float can hold
        return None
    if not math.isfinite(when):
        return None
    return LoginEntry(url, client_id, subject, str(store), when)
