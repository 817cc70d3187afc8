"""The runai-token CLI's on-disk token cache: a directory of small JSON files, one per base URL
and identity, and the lock that makes concurrent misses cost one grant.

A warm `runai-token get` must answer in about the time Python takes to start, so the cache uses
the standard library only (no httpx, no generated client). What an entry holds and how it reads
back is in _cache_entry; how entries are named (a keyed hash, so no secret shows in a listing) is
in _cache_mac; the file layer is _private_files. This module holds the rules of the directory:

- Whose directory. The cache directory must be a directory, not a symlink to one, owned by the
  current user and writable by nobody else (one that others can only read is tightened to 0700).
  Anything else raises UnusableCache and the CLI runs without a cache: in a directory others can
  write to they could plant an entry (their token, handed on to kubectl) or the key.
- No symlinks. Every file is opened relative to the checked directory's descriptor, with
  O_NOFOLLOW, and must be a regular 0600 file of ours. New files are created O_EXCL under a
  random name and renamed into place, so a symlink planted as an entry, a lock or the key is
  never followed: not read, not written through, not created at the place it points to.
- Writes go to a temporary file and then os.replace, so a reader sees the old entry or the new
  one, never half of one; reads therefore need no lock.
- Minting takes an exclusive flock on a per-entry lock file, and re-reads the entry once it holds
  it: concurrent invocations that all missed queue on the lock, the first mints, the rest find its
  token. That is what makes eight parallel `runai-token get` cost one grant.
"""

from __future__ import annotations

import os

from .._private_files import checked_directory, open_private, read_private, write_new
from ._cache_entry import MAX_ENTRY, CachedToken, CacheKey, decode, encode
from ._cache_mac import entry_digest, secret_key

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, so concurrent misses each mint
    fcntl = None  # type: ignore[assignment]


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
            key = secret_key(directory)
        digest = entry_digest(key, (base_url, grant, identity, secret))
        return CacheKey(base_url, grant, identity, digest)

    def load(self, key: CacheKey) -> CachedToken | None:
        """The entry for key, or None when there is none or it cannot be trusted."""
        try:
            with checked_directory(self.directory, create=False) as directory:
                raw = read_private(directory, f"{key.file_stem}.json", MAX_ENTRY, "an entry")
            return None if raw is None else decode(raw.decode("utf-8"), key)
        except (OSError, UnicodeDecodeError):
            return None

    def store(self, key: CacheKey, token: CachedToken) -> None:
        """Atomically replace key's entry with token (0600). Raises OSError on failure."""
        with checked_directory(self.directory, create=True) as directory:
            write_new(directory, f"{key.file_stem}.json", encode(key, token), replace=True)

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
