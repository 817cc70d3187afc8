"""The runai-token CLI's on-disk token cache: one small JSON file per base URL and identity.

A warm `runai-token get` must answer in about the time Python takes to start, so this module uses
the standard library only (no httpx, no generated client). The rules:

- One entry per (base URL, grant, identity, secret). The file name is a hash of the first three
  plus a hash of the secret, so no secret or identity is readable in a directory listing, and a
  rotated secret misses the old entry instead of reusing a token minted with the old one.
- The directory is 0700 and each file 0600 (it holds a bearer token). Writes go to a temporary
  file in the same directory and then os.replace, so a reader sees the old entry or the new one,
  never half of one; reads therefore need no lock.
- Minting takes an exclusive flock on a per-entry lock file, and re-reads the entry once it holds
  it: concurrent invocations that all missed queue on the lock, the first mints, the rest find its
  token. That is what makes eight parallel `runai-token get` cost one grant.
- Expiry is absolute wall-clock time (seconds since the epoch): the entry outlives the process
  that wrote it, so a monotonic clock cannot be used.
- Anything unreadable (corrupt JSON, a wrong shape, a different identity) is a miss, and the next
  mint replaces it. The cache is an optimisation: it never turns a working `get` into a failure.

The value types are NamedTuples rather than attrs classes: importing attrs is a third of a warm
`get`'s own start-up time (about 15 ms of 45 ms measured with -X importtime).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypeGuard

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, so concurrent misses each mint
    fcntl = None  # type: ignore[assignment]

_FORMAT = 1
_DIR_NAME = "runai-tokens"


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """$XDG_CACHE_HOME/runai-tokens, else ~/.cache/runai-tokens (the XDG base directory rule)."""
    xdg = environ.get("XDG_CACHE_HOME", "")
    # The spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / _DIR_NAME
    return Path.home() / ".cache" / _DIR_NAME


class CacheKey(NamedTuple):
    """Who a cached token belongs to. The secret is kept only as a hash, and not in repr."""

    base_url: str
    grant: str
    identity: str
    secret_hash: str

    @classmethod
    def build(cls, base_url: str, grant: str, identity: str, secret: str) -> CacheKey:
        # A trailing slash names the same control plane.
        return cls(base_url.rstrip("/"), grant, identity, _sha256(secret))

    def __repr__(self) -> str:
        return f"CacheKey({self.base_url!r}, {self.grant!r}, {self.identity!r})"

    @property
    def file_stem(self) -> str:
        # Length-prefixed parts, so ("ab", "c") and ("a", "bc") cannot collide.
        parts = (self.base_url, self.grant, self.identity, self.secret_hash)
        return _sha256("".join(f"{len(p)}:{p}" for p in parts))[:40]


class CachedToken(NamedTuple):
    """A token and its absolute wall-clock expiry (None when the server did not say)."""

    access_token: str
    expires_at: float | None
    issued_at: float

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
    """The cache directory. Every method tolerates a missing or corrupt entry."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"TokenCache({str(self.directory)!r})"

    def _path(self, key: CacheKey) -> Path:
        return self.directory / f"{key.file_stem}.json"

    def load(self, key: CacheKey) -> CachedToken | None:
        """The entry for key, or None when there is none or it cannot be trusted."""
        try:
            raw = self._path(key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return _decode(raw, key)

    def store(self, key: CacheKey, token: CachedToken) -> None:
        """Atomically replace key's entry with token (0600). Raises OSError on failure."""
        self.ensure_directory()
        entry = {
            "format": _FORMAT,
            "baseUrl": key.base_url,
            "grant": key.grant,
            "identity": key.identity,
            "secretSha256": key.secret_hash,
            "accessToken": token.access_token,
            "expiresAt": token.expires_at,
            "issuedAt": token.issued_at,
        }
        import tempfile  # only when writing: it costs a warm read a few milliseconds

        # mkstemp creates the file 0600, so the token is never readable by others, even briefly.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path(key))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def ensure_directory(self) -> None:
        """Create the directory 0700, and tighten it if it exists and others can read it."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.directory.stat().st_mode & 0o077:
            self.directory.chmod(0o700)

    def lock(self, key: CacheKey) -> EntryLock:
        """The exclusive lock for key's entry, for a `with` (blocks while another holds it)."""
        return EntryLock(self, self.directory / f"{key.file_stem}.lock")


class EntryLock:
    """An flock on an entry's lock file. Entering never raises: when the lock cannot be taken
    (no directory, a read-only disk), `error` says why and the caller goes on without it."""

    def __init__(self, cache: TokenCache, path: Path) -> None:
        self._cache = cache
        self._path = path
        self._fd: int | None = None
        self.error: OSError | None = None

    def __enter__(self) -> EntryLock:
        try:
            self._cache.ensure_directory()
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
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
        "secretSha256": key.secret_hash,
    }
    if any(entry.get(name) != value for name, value in expected.items()):
        return None
    token, expires_at, issued_at = (entry.get(k) for k in ("accessToken", "expiresAt", "issuedAt"))
    if not isinstance(token, str) or not token:
        return None
    if not _is_number(issued_at):
        return None
    if expires_at is None:
        return CachedToken(token, None, float(issued_at))
    if not _is_number(expires_at):
        return None
    return CachedToken(token, float(expires_at), float(issued_at))


def _is_number(value: object) -> TypeGuard[float]:
    # bool is an int subclass; true/false in the file is corruption, not a timestamp.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
