"""The CLI's on-disk token cache: keys, file modes, atomic replace, corruption, locking."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from runai_tokens._private_files import default_cache_dir
from runai_tokens.cli._cache import TokenCache
from runai_tokens.cli._cache_entry import CachedToken, CacheKey, reuse_margin
from runai_tokens.cli._cache_mac import KEY_FILE

from tests.helpers.parked import HANG_GUARD

SECRET = "fake-secret-cache-test"


def key(
    cache: TokenCache, secret: str = SECRET, base_url: str = "https://tenant.example"
) -> CacheKey:
    return cache.key(base_url, "client_credentials", "client-a", secret)


def test_round_trip(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "c")
    token = CachedToken("tok-1", expires_at=2_000_000_000.0, issued_at=1_999_996_400.0)
    assert cache.load(key(cache)) is None
    cache.store(key(cache), token)
    assert cache.load(key(cache)) == token


def test_modes_are_private(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "c")
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    files = [p for p in (tmp_path / "c").iterdir() if p.suffix == ".json"]
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_a_too_open_directory_is_tightened(tmp_path: Path) -> None:
    directory = tmp_path / "c"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    cache = TokenCache(directory)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_file_name_reveals_neither_secret_nor_identity(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    names = " ".join(p.name for p in tmp_path.iterdir())
    assert SECRET not in names
    assert "client-a" not in names
    assert "tenant" not in names
    # The secret itself is not in the file either, only its hash.
    content = next(tmp_path.glob("*.json")).read_text()
    assert SECRET not in content


def test_keys_separate_url_identity_and_secret(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    assert cache.load(key(cache, secret="fake-secret-rotated")) is None
    assert cache.load(key(cache, base_url="https://other.example")) is None
    assert cache.load(cache.key("https://tenant.example", "app", "client-a", SECRET)) is None
    # A trailing slash is the same control plane.
    assert cache.load(key(cache, base_url="https://tenant.example/")) is not None


def test_digest_is_not_in_repr(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    assert key(cache).digest not in repr(key(cache))
    assert "tok-secret" not in repr(CachedToken("tok-secret", 1.0, 0.0))


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        "[]",
        '{"format": 1}',
        '{"format": 99, "accessToken": "x"}',
        "\udcff",
        "[" * 200_000,  # nested past the recursion limit, yet under MAX_ENTRY
        '{"format": 2, "baseUrl"',
        "\ufeff{}",
    ],
    ids=lambda content: repr(content[:24]),
)
def test_corrupt_entry_is_a_miss_and_gets_replaced(tmp_path: Path, content: str) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    path = next(tmp_path.glob("*.json"))
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert cache.load(key(cache)) is None
    cache.store(key(cache), CachedToken("tok-2", 2e9, 1e9))
    assert cache.load(key(cache)) == CachedToken("tok-2", 2e9, 1e9)


@pytest.mark.parametrize(
    ("field", "value"),
    [("accessToken", 5), ("accessToken", ""), ("expiresAt", "soon"), ("issuedAt", True)],
)
def test_wrongly_typed_fields_are_a_miss(tmp_path: Path, field: str, value: object) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    path = next(tmp_path.glob("*.json"))
    entry = json.loads(path.read_text())
    entry[field] = value
    path.write_text(json.dumps(entry))
    assert cache.load(key(cache)) is None


def test_a_truncated_entry_is_a_miss(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    path = next(tmp_path.glob("*.json"))
    whole = path.read_bytes()
    for length in range(len(whole)):
        path.write_bytes(whole[:length])
        assert cache.load(key(cache)) is None, length
    path.write_bytes(whole)
    assert cache.load(key(cache)) == CachedToken("tok", 2e9, 1e9)


def test_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    for i in range(3):
        cache.store(key(cache), CachedToken(f"tok-{i}", 2e9, 1e9))
    names = [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")]
    assert sorted(p.rsplit(".", 1)[-1] for p in names) == sorted([KEY_FILE, "json"])


def test_lock_is_exclusive(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    order: list[str] = []
    with cache.lock(key(cache)) as held:
        assert held.error is None
        order.append("first in")
        # flock locks belong to the open file description, so another open of the lock file
        # is refused just as another process would be.
        (lock_file,) = tmp_path.glob("*.lock")
        other = os.open(lock_file, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
        waiter = threading.Thread(target=lambda: _locked_append(cache, order))
        waiter.start()  # blocks until this `with` ends
        order.append("first out")
    waiter.join(HANG_GUARD)
    assert order == ["first in", "first out", "second"]


def _locked_append(cache: TokenCache, order: list[str]) -> None:
    with cache.lock(key(cache)):
        order.append("second")


def test_valid_at_respects_margin() -> None:
    token = CachedToken("tok", expires_at=1000.0, issued_at=0.0)
    assert token.valid_at(800.0, 100.0)
    assert not token.valid_at(900.0, 100.0)
    assert not CachedToken("tok", None, 0.0).valid_at(0.0, 0.0)


def test_reuse_margin_scales_and_caps() -> None:
    assert reuse_margin(10.0) == 1.0
    assert reuse_margin(3600.0) == 300.0
    assert reuse_margin(86400.0) == 300.0


def test_default_cache_dir(tmp_path: Path) -> None:
    assert Path(default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)})) == tmp_path / "runai-tokens"
    home = Path.home() / ".cache" / "runai-tokens"
    assert Path(default_cache_dir({})) == home
    assert Path(default_cache_dir({"XDG_CACHE_HOME": "relative/dir"})) == home


def test_unusable_directory_raises_oserror(tmp_path: Path) -> None:
    # A path under a regular file fails for everyone, root included (root ignores mode bits).
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = TokenCache(blocker / "c")
    with pytest.raises(OSError):
        key(cache)
    elsewhere = key(TokenCache(tmp_path / "other"))
    assert cache.load(elsewhere) is None
    with pytest.raises(OSError):
        cache.store(elsewhere, CachedToken("tok", 2e9, 1e9))
    with cache.lock(elsewhere) as lock:
        assert isinstance(lock.error, OSError)


# --- files that are not what they should be ----------------------------------------------


def test_a_fifo_in_place_of_an_entry_is_a_miss_not_a_hang(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    os.mkfifo(tmp_path / f"{key(cache).file_stem}.json", 0o600)
    assert cache.load(key(cache)) is None  # opened O_NONBLOCK, then refused: not a regular file
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    assert cache.load(key(cache)) == CachedToken("tok", 2e9, 1e9)


def test_an_oversized_entry_is_a_miss(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    entry = tmp_path / f"{key(cache).file_stem}.json"
    entry.write_bytes(entry.read_bytes()[:-1] + b" " * (1 << 20) + b"}")
    assert cache.load(key(cache)) is None


@pytest.mark.parametrize("mode", [0o644, 0o660], ids=oct)
def test_an_entry_open_to_others_is_a_miss(tmp_path: Path, mode: int) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    (tmp_path / f"{key(cache).file_stem}.json").chmod(mode)
    assert cache.load(key(cache)) is None


@pytest.mark.parametrize("token", ["tok\r\nX-Injected: 1", "tok\x00", "t\u00f6k", ""])
def test_a_cached_token_that_cannot_be_a_header_is_a_miss(tmp_path: Path, token: str) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(cache), CachedToken(token, 2e9, 1e9))
    assert cache.load(key(cache)) is None


# --- the HMAC key ----------------------------------------------------------------------------


def test_the_key_file_is_made_once_and_kept(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    first = key(cache)
    secret_key = (tmp_path / KEY_FILE).read_bytes()
    assert len(secret_key) == 32
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    assert key(cache) == first
    assert (tmp_path / KEY_FILE).read_bytes() == secret_key
    message = b"22:https://tenant.example18:client_credentials8:client-a22:" + SECRET.encode()
    assert first.digest == hashlib.blake2b(message, key=secret_key, digest_size=32).hexdigest()


def _symlink_elsewhere(path: Path) -> None:
    outside = path.parent.parent / "outside-key"
    outside.write_bytes(b"k" * 32)
    outside.chmod(0o600)
    path.symlink_to(outside)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: p.write_bytes(b"short"), id="too short"),
        pytest.param(lambda p: p.write_bytes(b"k" * 33), id="too long"),
        pytest.param(lambda p: (p.write_bytes(b"k" * 32), p.chmod(0o644)), id="readable by others"),
        pytest.param(_symlink_elsewhere, id="a symlink"),
        pytest.param(lambda p: os.mkfifo(p, 0o600), id="a fifo"),
    ],
)
def test_a_key_file_that_cannot_be_trusted_is_replaced_with_its_entries(
    tmp_path: Path, spoil: Callable[[Path], object]
) -> None:
    directory = tmp_path / "cache"
    cache = TokenCache(directory)
    cache.store(key(cache), CachedToken("tok", 2e9, 1e9))
    with cache.lock(key(cache)):
        pass
    assert len(list(directory.iterdir())) == 3  # key, entry, lock
    (directory / KEY_FILE).unlink()
    spoil(directory / KEY_FILE)
    new_key = key(cache)
    assert cache.load(new_key) is None
    # The old entry went; its lock file (empty) stays, since one may be held (see _remove_entries).
    assert sorted(p.suffix or p.name for p in directory.iterdir()) == [".lock", KEY_FILE]
    assert not (directory / KEY_FILE).is_symlink()
    assert len((directory / KEY_FILE).read_bytes()) == 32
    assert stat.S_IMODE((directory / KEY_FILE).stat().st_mode) == 0o600
    if (tmp_path / "outside-key").exists():
        assert (tmp_path / "outside-key").read_bytes() == b"k" * 32  # never written through


def test_concurrent_first_uses_agree_on_one_key(tmp_path: Path) -> None:
    """Sixteen first uses at once: the key is linked into place whole, so every one reads the
    same key (a half-written one would give a different digest) and none is lost."""
    start = threading.Barrier(16)
    digests: list[str] = []

    def first_use() -> None:
        cache = TokenCache(tmp_path / "cache")
        start.wait(5)
        digests.append(key(cache).digest)

    threads = [threading.Thread(target=first_use) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(digests) == 16
    assert len(set(digests)) == 1
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [KEY_FILE]
