"""The CLI's on-disk token cache: keys, file modes, atomic replace, corruption, locking."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import threading
from pathlib import Path

import pytest
from runai_tokens._cache import (
    CachedToken,
    CacheKey,
    TokenCache,
    default_cache_dir,
    reuse_margin,
)

from tests.parked import HANG_GUARD

SECRET = "fake-secret-cache-test"


def key(secret: str = SECRET, base_url: str = "https://tenant.example") -> CacheKey:
    return CacheKey.build(base_url, "client_credentials", "client-a", secret)


def test_round_trip(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "c")
    token = CachedToken("tok-1", expires_at=2_000_000_000.0, issued_at=1_999_996_400.0)
    assert cache.load(key()) is None
    cache.store(key(), token)
    assert cache.load(key()) == token


def test_modes_are_private(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path / "c")
    cache.store(key(), CachedToken("tok", 2e9, 1e9))
    assert stat.S_IMODE((tmp_path / "c").stat().st_mode) == 0o700
    files = [p for p in (tmp_path / "c").iterdir() if p.suffix == ".json"]
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_a_too_open_directory_is_tightened(tmp_path: Path) -> None:
    directory = tmp_path / "c"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    TokenCache(directory).store(key(), CachedToken("tok", 2e9, 1e9))
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_file_name_reveals_neither_secret_nor_identity(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(), CachedToken("tok", 2e9, 1e9))
    names = " ".join(p.name for p in tmp_path.iterdir())
    assert SECRET not in names
    assert "client-a" not in names
    assert "tenant" not in names
    # The secret itself is not in the file either, only its hash.
    content = next(tmp_path.glob("*.json")).read_text()
    assert SECRET not in content


def test_keys_separate_url_identity_and_secret(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(), CachedToken("tok", 2e9, 1e9))
    assert cache.load(key(secret="fake-secret-rotated")) is None
    assert cache.load(key(base_url="https://other.example")) is None
    assert cache.load(CacheKey.build("https://tenant.example", "app", "client-a", SECRET)) is None
    # A trailing slash is the same control plane.
    assert cache.load(key(base_url="https://tenant.example/")) is not None


def test_secret_hash_is_not_in_repr() -> None:
    assert key().secret_hash not in repr(key())
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
    ],
)
def test_corrupt_entry_is_a_miss_and_gets_replaced(tmp_path: Path, content: str) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(), CachedToken("tok", 2e9, 1e9))
    path = next(tmp_path.glob("*.json"))
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    assert cache.load(key()) is None
    cache.store(key(), CachedToken("tok-2", 2e9, 1e9))
    assert cache.load(key()) == CachedToken("tok-2", 2e9, 1e9)


@pytest.mark.parametrize(
    ("field", "value"),
    [("accessToken", 5), ("accessToken", ""), ("expiresAt", "soon"), ("issuedAt", True)],
)
def test_wrongly_typed_fields_are_a_miss(tmp_path: Path, field: str, value: object) -> None:
    cache = TokenCache(tmp_path)
    cache.store(key(), CachedToken("tok", 2e9, 1e9))
    path = next(tmp_path.glob("*.json"))
    entry = json.loads(path.read_text())
    entry[field] = value
    path.write_text(json.dumps(entry))
    assert cache.load(key()) is None


def test_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    for i in range(3):
        cache.store(key(), CachedToken(f"tok-{i}", 2e9, 1e9))
    assert sorted(p.suffix for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [".json"]


def test_lock_is_exclusive(tmp_path: Path) -> None:
    cache = TokenCache(tmp_path)
    order: list[str] = []
    with cache.lock(key()) as held:
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
    with cache.lock(key()):
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
    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "runai-tokens"
    home = Path.home() / ".cache" / "runai-tokens"
    assert default_cache_dir({}) == home
    assert default_cache_dir({"XDG_CACHE_HOME": "relative/dir"}) == home


def test_unusable_directory_raises_oserror(tmp_path: Path) -> None:
    # A path under a regular file fails for everyone, root included (root ignores mode bits).
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = TokenCache(blocker / "c")
    with pytest.raises(OSError):
        cache.store(key(), CachedToken("tok", 2e9, 1e9))
    with cache.lock(key()) as lock:
        assert isinstance(lock.error, OSError)
