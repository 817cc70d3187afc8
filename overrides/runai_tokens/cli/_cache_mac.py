"""The key that names the CLI's cache entries: a keyed BLAKE2b of whose token an entry holds.

One entry per (base URL, grant, identity, secret). The file name is a keyed BLAKE2b (256-bit,
BLAKE2's own MAC mode, as strong a keyed hash as HMAC-SHA256) of the four under a random 32-byte
key kept in the directory (mac-key, 0600). No secret or identity is readable in a listing, a
rotated secret misses the old entry, and a password cannot be recovered from the cache with a
dictionary unless the key is read too, which is as private as the tokens themselves. Entries
made under another key are unreachable, so they are deleted when a key is made.

Apart from _cache because it is the one place a secret goes in, and the one rule (a new key
clears the entries) that touches every file of the directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os

from .._private_files import TMP_PREFIX, UnusableCache, read_private, write_new

KEY_FILE = "mac-key"
_KEY_SIZE = 32


def entry_digest(secret_key: bytes, parts: tuple[str, ...]) -> str:
    """The keyed hash of parts, hex: an entry's name."""
    # Length-prefixed parts, so ("ab", "c") and ("a", "bc") cannot collide.
    message = "".join(f"{len(p)}:{p}" for p in parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(message, key=secret_key, digest_size=32).hexdigest()


def secret_key(directory: int) -> bytes:
    """The cache's MAC key, made (atomically, with every entry removed) if missing."""
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
    """Delete the entries: without the key they were made under, nothing can use them.

    Lock files stay. They hold nothing, and another process that lost the race to make the key
    also comes here: deleting a lock file someone holds would let the next caller lock a new
    file of the same name, and two processes would mint at once.
    """
    for name in os.listdir(directory):
        if name.endswith(".json") and not name.startswith(TMP_PREFIX):
            with contextlib.suppress(OSError):  # gone already: someone else removed it
                os.unlink(name, dir_fd=directory)
