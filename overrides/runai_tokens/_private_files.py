"""Private files in a directory only the current user can write to, never through a symlink;
and another program's files (the runai CLI's), read under the same rules as far as they apply.

The file layer of the CLI's token cache (cli/_cache) and of the login store (login/), which share
one directory: default_cache_dir(). The directory is opened once per
operation with O_NOFOLLOW and checked on its descriptor (ours, writable by nobody else), and every
file is opened relative to that descriptor, again with O_NOFOLLOW, and checked to be a regular
0600 file of ours. A path swapped for a symlink between a check and a use therefore changes
nothing: the descriptors are what is checked and used.

read_shared reads a file another program keeps for the user (the runai CLI's session): the
directory is opened and checked on its descriptor, the file opened relative to it without
blocking (a FIFO planted there cannot hang the reader) and checked on its descriptor to be a
regular file, owned by the user, writable by nobody else, and capped in size, with the cache's
words. Two rules are looser, because the file is only read: a symlink is followed (a dotfile
manager's, a mounted secret's), since what it leads to is what gets checked; and root may own
the file or the directory (as OpenSSH lets root own ~/.ssh/config), since root can change any of
the user's files anyway. Permission bits that let others read are the other program's business.

Standard library only, for the CLI's warm path: os, not pathlib, and no contextlib, whose imports
cost a warm `get` more than the few lines they would save here.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import TYPE_CHECKING

from ._base_errors import RunaiTokensError

if TYPE_CHECKING:
    from collections.abc import Mapping

TMP_PREFIX = ".tmp-"
_DIR_NAME = "runai-tokens"
# Never follow a symlink; never block on a FIFO planted where a file should be.
_SAFE_OPEN = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK if os.name == "posix" else 0


class UnusableCache(RunaiTokensError, OSError):
    """The cache cannot be used safely. strerror says why; it never holds a secret."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.EPERM, why)


class UntrustedFile(RunaiTokensError, OSError):
    """Another program's file that is not read: strerror says why; it never holds a secret."""

    def __init__(self, why: str) -> None:
        super().__init__(errno.EPERM, why)


def default_cache_dir(environ: Mapping[str, str]) -> str:
    """$XDG_CACHE_HOME/runai-tokens, else ~/.cache/runai-tokens (the XDG base directory rule).

    Raises UnusableCache when there is no home directory to put it in.
    """
    xdg = environ.get("XDG_CACHE_HOME", "")
    # The spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, _DIR_NAME)
    home = environ.get("HOME")
    if home is None:
        # The passwd entry; "~" unchanged when there is none (a container run with an arbitrary
        # uid), which is not absolute either.
        home = os.path.expanduser("~")
    # HOME="" would make it the root directory, and a relative one depend on where we run.
    if not os.path.isabs(home):
        raise UnusableCache("no home directory; set XDG_CACHE_HOME or pass --cache-dir")
    return os.path.join(home, ".cache", _DIR_NAME)


def checked_directory(path: str | os.PathLike[str], *, create: bool) -> OpenDirectory:
    """A descriptor of the directory at path (made 0700 if missing and create), once it is known
    to be safe: a directory, not a symlink, ours, writable by nobody else. Raises OSError,
    UnusableCache when it is not safe. For a `with`, which gives the descriptor and closes it."""
    if os.open not in os.supports_dir_fd:  # pragma: no cover - Windows
        raise UnusableCache("needs a POSIX system")
    try:
        if create:
            os.makedirs(path, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | _SAFE_OPEN)
    except OSError:
        if os.path.islink(path):
            raise UnusableCache("it is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            raise UnusableCache("it is owned by another user")
        if st.st_mode & 0o022:
            raise UnusableCache("it is writable by other users")
        if st.st_mode & 0o077:  # only readable by others: ours to tighten
            os.fchmod(fd, 0o700)
    except BaseException:
        os.close(fd)
        raise
    return OpenDirectory(fd)


class OpenDirectory:
    """A checked directory's descriptor, closed when the `with` ends."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> int:
        return self.fd

    def __exit__(self, *exc_info: object) -> None:
        os.close(self.fd)


def open_private(directory: int, name: str, flags: int, what: str) -> int:
    """name in the directory, opened without following a symlink: a regular 0600 file of ours."""
    try:
        fd = os.open(name, flags | _SAFE_OPEN, 0o600, dir_fd=directory)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):  # what O_NOFOLLOW gives for a symlink
            raise UnusableCache(f"{what} is a symbolic link") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnusableCache(f"{what} is not a regular file")
        if st.st_uid != os.geteuid():
            raise UnusableCache(f"{what} is owned by another user")
        if st.st_mode & 0o077:
            raise UnusableCache(f"{what} is open to other users")
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_private(directory: int, name: str, limit: int, what: str) -> bytes | None:
    """The content of a private file (see open_private), or None if there is none."""
    try:
        fd = open_private(directory, name, os.O_RDONLY, what)
    except FileNotFoundError:
        return None
    try:
        return _read_capped(fd, limit, UnusableCache, what)
    finally:
        os.close(fd)


def write_new(directory: int, name: str, data: bytes, *, replace: bool) -> None:
    """Write name whole: to a fresh temporary file first, then renamed (replace) or linked
    (not replace: FileExistsError when someone else made it first) into place."""
    tmp = f"{TMP_PREFIX}{os.urandom(6).hex()}-{name}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SAFE_OPEN
    fd = os.open(tmp, flags, 0o600, dir_fd=directory)
    try:
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:  # a rename replaces a symlink in its place, never what it points to
            os.replace(tmp, name, src_dir_fd=directory, dst_dir_fd=directory)
        else:
            os.link(tmp, name, src_dir_fd=directory, dst_dir_fd=directory)
    finally:
        try:  # noqa: SIM105 - contextlib.suppress, without importing contextlib
            os.unlink(tmp, dir_fd=directory)
        except FileNotFoundError:  # renamed: already gone
            pass


def read_shared(directory: str, name: str, limit: int, what: str) -> bytes:
    """The content of name in directory, another program's file (see the module docstring).

    Raises FileNotFoundError when there is none, UntrustedFile when it or the directory cannot
    be trusted or it is larger than limit, OSError when it cannot be read.
    """
    if os.open not in os.supports_dir_fd:  # pragma: no cover - Windows: no owners to check
        with open(os.path.join(directory, name), "rb") as file:
            data = file.read(limit + 1)
        if len(data) > limit:
            raise UntrustedFile(f"{what} is too large")
        return data
    flags = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK
    directory_fd = os.open(directory, flags | os.O_DIRECTORY)
    try:
        _check_shared(os.fstat(directory_fd), "its directory")
        fd = os.open(name, flags, dir_fd=directory_fd)
    finally:
        os.close(directory_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UntrustedFile(f"{what} is not a regular file")
        _check_shared(st, what)
        return _read_capped(fd, limit, UntrustedFile, what)
    finally:
        os.close(fd)


def _read_capped(fd: int, limit: int, error: type[Exception], what: str) -> bytes:
    """All of fd's content, reading one byte past limit at most; error when there is more."""
    data = b""
    while chunk := os.read(fd, limit + 1 - len(data)):
        data += chunk
        if len(data) > limit:
            raise error(f"{what} is too large")
    return data


def _check_shared(st: os.stat_result, what: str) -> None:
    if st.st_uid not in (os.geteuid(), 0):
        raise UntrustedFile(f"{what} is owned by another user")
    if st.st_mode & 0o022:
        raise UntrustedFile(f"{what} is writable by other users")
