"""The refresh lock: one refresh of a stored login at a time, across threads, TokenAuths and
processes.

An identity provider that rotates refresh tokens and detects their reuse (Keycloak with "Revoke
Refresh Token", oidc-provider's public clients, Okta, Auth0) revokes the whole login when one
refresh token is presented twice, which is what two overlapping refreshes do. So a refresh holds
an exclusive lock on its login's entry from reading the store to saving the rotated token
(auth/_login_source), and whoever waited finds the new token there instead of refreshing again.

Two locks, taken in this order and released together:
- in this process, a threading.Lock per (cache directory, control plane), shared by every thread
  and TokenAuth (an flock belongs to an open file description, so descriptors opened by two
  threads would only queue behind each other by polling);
- across processes, an flock on login-<hash>.flock in the cache directory, opened under the
  cache's rules (_private_files: a directory of ours that nobody else can write to, no symlink
  followed, a regular 0600 file of ours). It guards the entry wherever the refresh token is kept,
  the file store or the OS keyring. The file stays after use: deleting it would let a waiter lock
  an unlinked inode while a newcomer locks a fresh one.

A wait is bounded: past its timeout the caller gets RefreshLockTimeout (an ApiException without a
status, as a waiter giving up on another thread's grant gets), never a hang. A blocking flock
cannot be given a timeout, so the file lock is polled (LOCK_NB), backing off from 1 ms to 50 ms.

A lock file that cannot be opened (a read-only disk, something planted in its place) is logged
and the refresh goes on under the in-process lock alone, as the token cache goes on without its
lock: refusing would end a login over a file that only coordinates. Without fcntl (not POSIX)
only the in-process lock holds; the store itself needs POSIX (its files are opened relative to a
directory descriptor), so there is no shared entry to race on there.

After a fork the child starts with no locks held: fresh in-process locks, and its copies of the
lock files' descriptors closed (an flock lives as long as any descriptor of its open file
description, so the child's copy would hold the parent's lock after the parent let go).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref

from .._private_files import checked_directory, open_private
from ..errors import ApiException

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the in-process lock only (module docstring)
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger("runai_tokens.auth")

_FIRST_POLL = 0.001
_LONGEST_POLL = 0.05


class RefreshLockTimeout(ApiException):
    """Another caller (a thread, a TokenAuth, another process) held the login's refresh lock
    for longer than this caller would wait. No request was made; the login is untouched."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(
            None,
            f"gave up after {timeout:g}s waiting for another refresh of the login for "
            f"{base_url} (another process or thread holds its lock)",
        )

    def _summary(self) -> str:
        return str(self.reason)  # no response to speak of: our own words only


class RefreshLock:
    """One acquisition of a login's refresh lock: acquire() or aacquire(), then release().

    directory: the cache directory holding the lock file; None: the in-process lock only (a
    store of the caller's own, which has no directory). key names the entry in this process.
    """

    def __init__(self, directory: str | None, base_url: str, key: object = None) -> None:
        self._directory = directory
        self._base_url = base_url
        self._thread_lock = _thread_lock((directory, base_url) if key is None else key)
        self._fd: int | None = None
        self._holds_thread_lock = False
        self._pid = os.getpid()

    def acquire(self, timeout: float) -> None:
        """Wait for the lock, at most timeout seconds. Raises RefreshLockTimeout."""
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=max(0.0, timeout)):
            raise RefreshLockTimeout(self._base_url, timeout)
        self._holds_thread_lock = True
        try:
            delay = _FIRST_POLL
            while not self._try_file_lock():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RefreshLockTimeout(self._base_url, timeout)
                time.sleep(min(delay, left))
                delay = min(delay * 2, _LONGEST_POLL)
        except BaseException:
            self.release()
            raise

    async def aacquire(self, timeout: float) -> None:
        """acquire() for a task: polls both locks, so the event loop never blocks."""
        import asyncio  # only the async side needs it; a sync program never loads asyncio

        deadline = time.monotonic() + timeout
        delay = _FIRST_POLL
        while not self._thread_lock.acquire(blocking=False):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RefreshLockTimeout(self._base_url, timeout)
            await asyncio.sleep(min(delay, left))
            delay = min(delay * 2, _LONGEST_POLL)
        self._holds_thread_lock = True
        try:
            delay = _FIRST_POLL
            while not self._try_file_lock():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RefreshLockTimeout(self._base_url, timeout)
                await asyncio.sleep(min(delay, left))
                delay = min(delay * 2, _LONGEST_POLL)
        except BaseException:  # a cancelled task lets go of what it took
            self.release()
            raise

    def release(self) -> None:
        """Let go of both locks (the file lock first, so a waiting process can go on)."""
        fd, self._fd = self._fd, None
        _HELD.discard(self)
        if fd is not None and os.getpid() == self._pid:  # a forked child closed its copy
            os.close(fd)  # releases the flock
        holds, self._holds_thread_lock = self._holds_thread_lock, False
        if holds and os.getpid() == self._pid:  # a forked child has fresh locks of its own
            self._thread_lock.release()

    def _try_file_lock(self) -> bool:
        """Whether this caller now holds the file lock (True as well when there is none to
        take: no directory, no fcntl, or a lock file that cannot be opened)."""
        if self._directory is None or fcntl is None:
            return True
        if self._fd is None:
            try:
                with checked_directory(self._directory, create=False) as directory:
                    self._fd = open_private(
                        directory,
                        _lock_file_name(self._base_url),
                        os.O_RDWR | os.O_CREAT,
                        "the login's refresh lock",
                    )
            except FileNotFoundError:
                return True  # no cache directory: no stored login to race on
            except OSError as exc:
                logger.warning(
                    "refreshing the login for %s without its cross-process lock (%s); a "
                    "refresh in another process at the same time may end the login",
                    self._base_url,
                    exc.strerror or type(exc).__name__,
                )
                return True
            _HELD.add(self)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def _lock_file_name(base_url: str) -> str:
    from ._index import lock_file_name

    return lock_file_name(base_url)


_THREAD_LOCKS: dict[object, threading.Lock] = {}
_REGISTRY_LOCK = threading.Lock()
# Acquisitions with a lock file open, for the fork handler (weak: a dropped one holds nothing).
_HELD: weakref.WeakSet[RefreshLock] = weakref.WeakSet()


def _thread_lock(key: object) -> threading.Lock:
    """The one in-process lock of an entry (never removed: one small Lock per login used)."""
    with _REGISTRY_LOCK:
        lock = _THREAD_LOCKS.get(key)
        if lock is None:
            lock = _THREAD_LOCKS[key] = threading.Lock()
        return lock


def _after_fork_in_child() -> None:
    global _REGISTRY_LOCK
    _REGISTRY_LOCK = threading.Lock()
    _THREAD_LOCKS.clear()
    for held in list(_HELD):
        fd, held._fd = held._fd, None
        if fd is not None:
            os.close(fd)  # the child's copy: the parent's lock is the parent's
    _HELD.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)

__all__ = ["RefreshLock", "RefreshLockTimeout"]
