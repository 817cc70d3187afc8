"""The runai-token CLI's on-disk token cache: one small JSON file per base URL and identity.

A warm `runai-token get` must answer in about the time Python takes to start, so this module uses
the standard library only (no httpx, no generated client). The rules:

- Whose directory. The cache directory must be a directory, not a symlink to one, owned by the
  current user and writable by nobody else (one that others can only read is tightened to 0700).
  Anything else raises UnusableCache and the CLI runs without a cache: in a directory others can
  write to they could plant an entry (their token, handed on to kubectl) or the key.
- No symlinks. Every file is opened relative to the checked directory's descriptor, with
  O_NOFOLLOW, and must be a regular 0600 file of ours. New files are created O_EXCL under a
  random name and renamed into place, so a symlink planted as an entry, a lock or the key is
  never followed: not read, not written through, not created at the place it points to.
- Keys. One entry per (base URL, grant, identity, secret). The file name is a keyed BLAKE2b
  (256-bit, BLAKE2's own MAC mode, as strong a keyed hash as HMAC-SHA256) of the four under a
  random 32-byte key kept in the directory (mac-key, 0600). No secret or identity is readable in
  a listing, a rotated secret misses the old entry, and a password cannot be recovered from the
  cache with a dictionary unless the key is read too, which is as private as the tokens
  themselves. Entries made under another key are unreachable, so they are deleted when a key is
  made: those of older versions too (keyed on a plain sha256 of the secret, or an HMAC-SHA256
  under hmac-key, which goes with them). BLAKE2b rather than HMAC because hashlib and hmac load
  OpenSSL's libcrypto, a third as much CPU as the interpreter's own start-up; BLAKE2 is built in.
- Writes go to a temporary file and then os.replace, so a reader sees the old entry or the new
  one, never half of one; reads therefore need no lock.
- Minting takes an exclusive flock on a per-entry lock file, and re-reads the entry once it holds
  it: concurrent invocations that all missed queue on the lock, the first mints, the rest find its
  token. That is what makes eight parallel `runai-token get` cost one grant.
- Expiry is absolute wall-clock time (seconds since the epoch): the entry outlives the process
  that wrote it, so a monotonic clock cannot be used.
- Anything unreadable (corrupt JSON, a wrong shape, a different identity, a token that cannot go
  into a header) is a miss, and the next mint replaces it. The cache is an optimisation: it never
  turns a working `get` into a failure.

The value types are plain classes, not attrs classes or NamedTuples: importing attrs, or typing
(which NamedTuple needs), cost more than everything else a warm `get` does (-X importtime). So
this module, like all of the warm path, imports typing only for the type checker.
"""

from __future__ import annotations

import json
import math
import os

from .._private_files import (
    TMP_PREFIX,
    UnusableCache,
    checked_directory,
    open_private,
    read_private,
    write_new,
)

# Where it always was, for the CLI and its tests (it lives with the files it protects).
from .._private_files import default_cache_dir as default_cache_dir
from .._untrusted import header_value_problem

try:
    # hashlib's own blake2b (hashlib always takes BLAKE2 from here, never from OpenSSL), without
    # `import hashlib`, which loads libcrypto (see the module docstring).
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads it the same)
if TYPE_CHECKING:
    from typing import Any, TypeGuard

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, so concurrent misses each mint
    fcntl = None  # type: ignore[assignment]

_FORMAT = 2
KEY_FILE = "mac-key"
# The HMAC-SHA256 key of older versions: removed with their entries when KEY_FILE is made.
_OLD_KEY_FILE = "hmac-key"
_KEY_SIZE = 32
_MAX_ENTRY = 256 * 1024  # an entry is a token of a few KB and a few fields


class CacheKey:
    """Who a cached token belongs to. digest is the keyed hash that names the entry's file."""

    __slots__ = ("base_url", "digest", "grant", "identity")

    def __init__(self, base_url: str, grant: str, identity: str, digest: str) -> None:
        self.base_url = base_url
        self.grant = grant
        self.identity = identity
        self.digest = digest

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CacheKey):
            return NotImplemented
        return (self.base_url, self.grant, self.identity, self.digest) == (
            other.base_url,
            other.grant,
            other.identity,
            other.digest,
        )

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"CacheKey({self.base_url!r}, {self.grant!r}, {self.identity!r})"

    @property
    def file_stem(self) -> str:
        return self.digest[:40]


class CachedToken:
    """A token and its absolute wall-clock expiry (None when the server did not say)."""

    __slots__ = ("access_token", "expires_at", "issued_at")

    def __init__(self, access_token: str, expires_at: float | None, issued_at: float) -> None:
        self.access_token = access_token
        self.expires_at = expires_at
        self.issued_at = issued_at

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CachedToken):
            return NotImplemented
        return (self.access_token, self.expires_at, self.issued_at) == (
            other.access_token,
            other.expires_at,
            other.issued_at,
        )

    def __hash__(self) -> int:
        return hash((self.access_token, self.expires_at, self.issued_at))

    def __repr__(self) -> str:  # the token stays out of tracebacks and logs
        return f"CachedToken(expires_at={self.expires_at!r}, issued_at={self.issued_at!r})"

    def valid_at(self, now: float, margin: float) -> bool:
        """Usable at `now` with at least `margin` seconds to spare."""
        return self.expires_at is not None and self.expires_at - margin > now


def reuse_margin(lifetime: float) -> float:
    """How long a cached token must still be valid to be handed out again.

    The caller uses the printed token after we exit (kubectl for a burst of requests, a script for
    a job step), so it needs real time left: a tenth of the lifetime, capped at five minutes (a
    3600 s token is reused until its last 5 minutes; a 10 s token until its last second).
    """
    return min(300.0, max(0.0, lifetime) / 10)


class TokenCache:
    """The cache directory. Each call checks the directory afresh; none keeps a descriptor."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"TokenCache({str(self.directory)!r})"

    def key(self, base_url: str, grant: str, identity: str, secret: str) -> CacheKey:
        """The key of an entry, under this cache's secret key (made on first use).

        Raises OSError, UnusableCache when the directory or the key file cannot be trusted.
        """
        base_url = base_url.rstrip("/")  # a trailing slash names the same control plane
        with checked_directory(self.directory, create=True) as directory:
            secret_key = _secret_key(directory)
        # Length-prefixed parts, so ("ab", "c") and ("a", "bc") cannot collide.
        parts = (base_url, grant, identity, secret)
        message = "".join(f"{len(p)}:{p}" for p in parts).encode("utf-8", "surrogatepass")
        digest = blake2b(message, key=secret_key, digest_size=32).hexdigest()
        return CacheKey(base_url, grant, identity, digest)

    def load(self, key: CacheKey) -> CachedToken | None:
        """The entry for key, or None when there is none or it cannot be trusted."""
        try:
            with checked_directory(self.directory, create=False) as directory:
                raw = read_private(directory, f"{key.file_stem}.json", _MAX_ENTRY, "an entry")
            return None if raw is None else _decode(raw.decode("utf-8"), key)
        except (OSError, UnicodeDecodeError):
            return None

    def store(self, key: CacheKey, token: CachedToken) -> None:
        """Atomically replace key's entry with token (0600). Raises OSError on failure."""
        entry = {
            "format": _FORMAT,
            "baseUrl": key.base_url,
            "grant": key.grant,
            "identity": key.identity,
            "keyHmac": key.digest,
            "accessToken": token.access_token,
            "expiresAt": token.expires_at,
            "issuedAt": token.issued_at,
        }
        with checked_directory(self.directory, create=True) as directory:
            write_new(directory, f"{key.file_stem}.json", json.dumps(entry).encode(), replace=True)

    def delete(self, key: CacheKey) -> bool:
        """Remove key's entry (`runai-token logout`); whether there was one. Raises OSError."""
        with checked_directory(self.directory, create=False) as directory:
            try:
                os.unlink(f"{key.file_stem}.json", dir_fd=directory)
            except FileNotFoundError:
                return False
        return True

    def lock(self, key: CacheKey) -> EntryLock:
        """The exclusive lock for key's entry, for a `with` (blocks while another holds it)."""
        return EntryLock(self, f"{key.file_stem}.lock")


class EntryLock:
    """An flock on an entry's lock file. Entering never raises: when the lock cannot be taken
    (no directory, a read-only disk, a symlink planted in its place), `error` says why and the
    caller goes on without the cache."""

    def __init__(self, cache: TokenCache, name: str) -> None:
        self._cache = cache
        self._name = name
        self._fd: int | None = None
        self.error: OSError | None = None

    def __enter__(self) -> EntryLock:
        try:
            with checked_directory(self._cache.directory, create=True) as directory:
                self._fd = open_private(directory, self._name, os.O_RDWR | os.O_CREAT, "a lock")
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError as exc:
            self.error = exc
            self._close()
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Closing the descriptor releases the flock. The lock file stays: deleting it would let a
        # waiter lock an unlinked inode while a newcomer locks a fresh one.
        self._close()

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _secret_key(directory: int) -> bytes:
    """The cache's MAC key, made (atomically, with every older entry removed) if missing."""
    for _ in range(3):
        try:
            key = read_private(directory, KEY_FILE, _KEY_SIZE, "the key")
        except UnusableCache:
            key = b""  # a symlink, someone else's, open to others: replaced, not trusted
        if key is not None and len(key) == _KEY_SIZE:
            return key
        new_key = os.urandom(_KEY_SIZE)
        _remove_entries(directory)
        try:
            write_new(directory, KEY_FILE, new_key, replace=key is not None)
        except FileExistsError:
            continue  # another process made one first: use theirs
        return new_key
    raise UnusableCache("the key keeps changing")  # pragma: no cover - a pathological race


def _remove_entries(directory: int) -> None:
    """Delete entries (and an older version's key): without the key they were made under,
    nothing can use them.

    Lock files stay. They hold nothing, and another process that lost the race to make the key
    also comes here: deleting a lock file someone holds would let the next caller lock a new
    file of the same name, and two processes would mint at once.
    """
    for name in os.listdir(directory):
        old = name == _OLD_KEY_FILE or name.endswith(".json")
        if old and not name.startswith(TMP_PREFIX):
            try:  # noqa: SIM105 - contextlib.suppress, without importing contextlib
                os.unlink(name, dir_fd=directory)
            except OSError:  # gone already: someone else removed it
                pass


def _decode(raw: str, key: CacheKey) -> CachedToken | None:
    try:
        entry: Any = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
        return None
    expected = {
        "baseUrl": key.base_url,
        "grant": key.grant,
        "identity": key.identity,
        "keyHmac": key.digest,
    }
    if any(entry.get(name) != value for name, value in expected.items()):
        return None
    token, expires_at, issued_at = (entry.get(k) for k in ("accessToken", "expiresAt", "issuedAt"))
    if not isinstance(token, str) or header_value_problem(token) is not None:
        return None
    if not _is_number(issued_at):
        return None
    if expires_at is None:
        return CachedToken(token, None, float(issued_at))
    if not _is_number(expires_at):
        return None
    return CachedToken(token, float(expires_at), float(issued_at))


def _is_number(value: object) -> TypeGuard[float]:
    # bool is an int subclass; true/false in the file is corruption, not a timestamp. So is a
    # time no float can hold (10**400 would overflow float(); 1e400 reads as inf).
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False
