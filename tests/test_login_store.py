"""The login store: save, load and delete in the file store and the keyring (a real keyring
backend that keeps its secrets in memory), the cache directory's rules, and what never holds a
refresh token (the index, a repr, a message)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from runai_tokens._private_files import UnusableCache
from runai_tokens.login import STORE_CHOICES, LoginStoreError, StoredLogin, open_store
from runai_tokens.login._keyring import SERVICE

from .helpers.login_kit import BrokenKeyring, MemoryKeyring, files_holding, memory_keyring

__all__ = ["memory_keyring"]  # a fixture, imported for pytest

URL = "https://tenant.example"
OTHER = "https://other.example"
TOKEN = "fake-refresh-token-store-1"


def login(url: str = URL, token: str = TOKEN, subject: str | None = "alice") -> StoredLogin:
    return StoredLogin(url, "runai-cli-fake", token, subject)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "runai-tokens"


def index(cache: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((cache / "login-index").read_text())
    return loaded


# --- the value --------------------------------------------------------------------------------


def test_a_stored_login_keeps_its_token_out_of_repr_and_str() -> None:
    value = login()
    assert TOKEN not in repr(value)
    assert TOKEN not in str(value)
    assert repr(value) == (
        "StoredLogin(base_url='https://tenant.example', client_id='runai-cli-fake', "
        "subject='alice')"
    )


def test_one_control_plane_has_one_spelling() -> None:
    assert login(" https://tenant.example/// \n").base_url == URL
    assert login("https://tenant.example/prefix/").base_url == URL + "/prefix"


@pytest.mark.parametrize(
    ("args", "error", "fragment"),
    [
        (("tenant.example", "c", TOKEN), ValueError, "base_url must be an http:// or https://"),
        ((URL, "", TOKEN), ValueError, "client_id must be a non-empty str"),
        ((URL, "c", ""), ValueError, "refresh_token must be a non-empty str"),
        ((URL, "c", 42), TypeError, "refresh_token must be a non-empty str"),
        ((URL, "c", TOKEN, 7), TypeError, "subject must be a str or None"),
    ],
)
def test_a_bad_login_is_refused_without_echoing_it(
    args: tuple[object, ...], error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as caught:
        StoredLogin(*args)  # type: ignore[arg-type]
    assert fragment in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_open_store_refuses_an_unknown_kind(cache: Path) -> None:
    with pytest.raises(ValueError, match="kind must be one of auto, keyring, file, none"):
        open_store("vault", cache_dir=cache)  # type: ignore[arg-type]
    assert STORE_CHOICES == ("auto", "keyring", "file", "none")


# --- the file store ---------------------------------------------------------------------------


def test_file_store_save_load_delete(cache: Path) -> None:
    store = open_store("file", cache_dir=cache)
    assert store.kind == "file"
    assert store.load() is None
    assert store.load(URL) is None
    store.save(login())
    store.save(login(OTHER, "fake-refresh-token-other", None))
    assert store.load(URL + "/") == login()
    assert store.load() == login(OTHER, "fake-refresh-token-other", None)  # the most recent
    assert store.delete(OTHER) is True
    assert store.delete(OTHER) is False
    assert store.load() == login()
    assert store.delete() is True
    assert store.load() is None
    assert store.delete() is False


def test_the_file_is_0600_in_a_0700_directory_and_the_index_holds_no_token(cache: Path) -> None:
    previous = os.umask(0o022)  # the usual one: files would be 0644 if made the usual way
    try:
        open_store("file", cache_dir=cache).save(login())
    finally:
        os.umask(previous)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    for file in cache.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
    assert files_holding(cache, TOKEN) == [next(cache.glob("login-*.secret"))]
    entries = index(cache)["logins"]
    assert entries == [
        {
            "baseUrl": URL,
            "clientId": "runai-cli-fake",
            "subject": "alice",
            "store": "file",
            "savedAt": entries[0]["savedAt"],  # type: ignore[index]
        }
    ]


def test_a_save_replaces_the_file_atomically(cache: Path) -> None:
    store = open_store("file", cache_dir=cache)
    store.save(login())
    secret = next(cache.glob("login-*.secret"))
    before = secret.stat().st_ino
    store.save(login(token="fake-refresh-token-store-2"))
    # A new file renamed into place: a reader holding the old one never sees half of either.
    assert secret.stat().st_ino != before
    assert store.load(URL) == login(token="fake-refresh-token-store-2")
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]


def test_a_symlinked_cache_directory_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    store = open_store("file", cache_dir=link)
    with pytest.raises(UnusableCache, match="symbolic link"):
        store.save(login())
    with pytest.raises(UnusableCache, match="symbolic link"):
        store.load(URL)
    assert list(real.iterdir()) == []


def test_a_cache_directory_others_can_write_to_is_refused(cache: Path) -> None:
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    with pytest.raises(UnusableCache, match="writable by other users"):
        open_store("file", cache_dir=cache).save(login())
    assert list(cache.iterdir()) == []


def test_a_cache_directory_of_another_user_is_refused(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store("file", cache_dir=cache).save(login())
    monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 54321)
    with pytest.raises(UnusableCache, match="owned by another user"):
        open_store("file", cache_dir=cache).load(URL)


def test_a_login_file_replaced_by_a_symlink_is_not_read(cache: Path, tmp_path: Path) -> None:
    store = open_store("file", cache_dir=cache)
    store.save(login())
    secret = next(cache.glob("login-*.secret"))
    planted = tmp_path / "planted"
    planted.write_text(secret.read_text().replace(TOKEN, "fake-refresh-token-planted"))
    planted.chmod(0o600)
    secret.unlink()
    secret.symlink_to(planted)
    with pytest.raises(UnusableCache, match="a login is a symbolic link"):
        store.load(URL)
    store.save(login(token="fake-refresh-token-store-3"))  # replaces the link, not its target
    assert not secret.is_symlink()
    assert "fake-refresh-token-planted" in planted.read_text()


def test_a_corrupt_index_or_login_file_is_no_login(cache: Path) -> None:
    store = open_store("file", cache_dir=cache)
    store.save(login())
    (cache / "login-index").write_text("{not json")
    assert store.load() is None  # the index is metadata: nothing is known without it
    assert store.load(URL) == login()  # the file itself is still found by its URL
    next(cache.glob("login-*.secret")).write_text('{"format": 1, "baseUrl": "https://x"}')
    assert store.load(URL) is None


def test_a_login_survives_the_token_cache_making_a_new_key(cache: Path) -> None:
    from runai_tokens.cli._cache import TokenCache

    store = open_store("file", cache_dir=cache)
    store.save(login())
    (cache / "mac-key").unlink(missing_ok=True)
    TokenCache(cache).key(URL, "client_credentials", "ci", "fake-secret")  # deletes *.json
    assert store.load() == login()


def test_none_keeps_nothing(cache: Path) -> None:
    store = open_store("none", cache_dir=cache)
    assert store.kind == "none"
    store.save(login())
    assert store.load() is None
    assert store.load(URL) is None
    assert store.delete(URL) is False
    assert not cache.exists()


# --- the keyring ------------------------------------------------------------------------------


def test_keyring_save_load_delete(cache: Path, memory_keyring: MemoryKeyring) -> None:
    store = open_store("keyring", cache_dir=cache)
    assert store.kind == "keyring"
    store.save(login())
    assert store.load() == login()
    assert list(memory_keyring.secrets) == [(SERVICE, URL)]
    assert TOKEN in memory_keyring.secrets[(SERVICE, URL)]
    assert files_holding(cache, TOKEN) == []  # the index says where, never what
    assert index(cache)["logins"][0]["store"] == "keyring"  # type: ignore[index]
    assert store.delete() is True
    assert memory_keyring.secrets == {}
    assert store.load(URL) is None
    assert store.delete(URL) is False


def test_auto_is_the_keyring_when_it_has_a_real_backend(
    cache: Path, memory_keyring: MemoryKeyring
) -> None:
    store = open_store(cache_dir=cache)
    store.save(login())
    assert store.kind == "keyring"
    assert (SERVICE, URL) in memory_keyring.secrets


@pytest.mark.parametrize(
    "backend", ["keyring.backends.null.Keyring", "keyring.backends.fail.Keyring"]
)
def test_auto_is_the_file_without_a_real_backend(cache: Path, backend: str) -> None:
    previous = keyring.get_keyring()
    keyring.core.set_keyring(keyring.core.load_keyring(backend))
    try:
        store = open_store(cache_dir=cache)
        store.save(login())
        assert store.kind == "file"
        with pytest.raises(LoginStoreError, match="found no backend"):
            open_store("keyring", cache_dir=cache).save(login(OTHER))
    finally:
        keyring.set_keyring(previous)
    assert files_holding(cache, TOKEN) == [next(cache.glob("login-*.secret"))]


def test_a_login_is_found_wherever_it_was_saved(cache: Path, memory_keyring: MemoryKeyring) -> None:
    open_store("file", cache_dir=cache).save(login())
    keyring_store = open_store("keyring", cache_dir=cache)
    assert keyring_store.load() == login()  # the index says: in the file
    keyring_store.save(login(token="fake-refresh-token-moved"))
    # Moved, not copied: the file with the old token is gone.
    assert files_holding(cache, TOKEN) == []
    assert open_store("file", cache_dir=cache).load(URL) == login(token="fake-refresh-token-moved")
    assert open_store("file", cache_dir=cache).delete(URL) is True
    assert memory_keyring.secrets == {}


def test_a_failing_keyring_is_a_login_store_error_without_its_message(
    cache: Path, memory_keyring: MemoryKeyring
) -> None:
    store = open_store("keyring", cache_dir=cache)
    store.save(login())
    keyring.set_keyring(BrokenKeyring())
    with pytest.raises(LoginStoreError) as caught:
        store.load(URL)
    assert str(caught.value) == "the OS keyring failed (RuntimeError)"
    with pytest.raises(LoginStoreError) as saving:
        store.save(login(token="fake-refresh-token-unsaved"))
    assert "fake-refresh-token-unsaved" not in str(saving.value)
    assert saving.value.__cause__ is None and saving.value.__suppress_context__


def test_loading_a_file_login_does_not_import_keyring(cache: Path) -> None:
    open_store("file", cache_dir=cache).save(login())
    program = f"""
import sys
from pathlib import Path
from runai_tokens.login import open_store
store = open_store(cache_dir=Path({str(cache)!r}))
print(store.load() is not None, store.load({URL!r}) is not None, "keyring" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.split() == ["True", "True", "False"]


@pytest.mark.parametrize(
    "access",
    [
        {"token": "fake-access", "obtainedAt": 1.0e9, "lifetime": 600},  # kept
        {"token": "fake access\nX-Evil: 1", "obtainedAt": 1.0e9, "lifetime": 600},
        {"token": "fake-access", "obtainedAt": "yesterday", "lifetime": 600},
        {"token": "fake-access", "obtainedAt": 1.0e9, "lifetime": -5},
        {"token": "fake-access", "obtainedAt": 1.0e9, "lifetime": 10**400},
        {"token": "fake-access", "obtainedAt": True},
        ["not", "an", "object"],
    ],
)
def test_a_stored_access_token_that_is_not_usable_is_dropped_and_the_login_kept(
    cache: Path, access: object
) -> None:
    store = open_store("file", cache_dir=cache)
    store.save(login())
    (secret,) = cache.glob("login-*.secret")
    data = json.loads(secret.read_text())
    secret.write_text(json.dumps({**data, "access": access}))
    found = store.load(URL)
    assert found is not None and found.refresh_token == TOKEN
    kept = access == {"token": "fake-access", "obtainedAt": 1.0e9, "lifetime": 600}
    assert (found.access is not None) == kept
    assert "fake-access" not in repr(found) + repr(found.access)
