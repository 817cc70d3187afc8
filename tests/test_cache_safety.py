"""The CLI's token cache as an attacker would test it: other users' directories, symlinks planted
where the cache writes, a dictionary attack on the cache key, and no home directory at all.

Real files in tmp directories, through runai-token's main(). Another user's directory is made
with os.chown (the suite runs as root in CI); without root, the test pretends to be another user
instead, which makes the same directory someone else's.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from runai_tokens.testing import FakeRunaiServer

from .helpers.cli import CLIENT_ID, PASSWORD, USERNAME
from .helpers.cli_main import Run, env_for, run, server

__all__ = ["server"]  # a fixture, imported for pytest

OTHER_UID = 54321

GiveAway = Callable[[Path], None]


@pytest.fixture
def give_away(monkeypatch: pytest.MonkeyPatch) -> GiveAway:
    """Make path (a directory, not followed if a symlink) belong to another user."""

    def give(path: Path) -> None:
        if os.geteuid() == 0:
            os.chown(path, OTHER_UID, OTHER_UID, follow_symlinks=False)
        else:
            monkeypatch.setattr(os, "geteuid", lambda: OTHER_UID)

    return give


@pytest.fixture
def user_server(server: FakeRunaiServer) -> Iterator[FakeRunaiServer]:
    server.add_user(USERNAME, PASSWORD)
    yield server


def get(server: FakeRunaiServer, cache: Path, *argv: str) -> Run:
    return run("get", *argv, env=env_for(server), cache=cache)


def assert_uncached_with_one_warning(result: Run, server: FakeRunaiServer, why: str) -> None:
    assert result.code == 0, result.err
    assert server.decode_token(result.out.strip())["sub"] == CLIENT_ID
    assert result.err.startswith("runai-token: warning: token cache ")
    assert why in result.err
    assert result.err.count("\n") == 1


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under directory and its content (symlinks as their target)."""
    found: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(directory))] = os.readlink(path).encode()
        elif path.is_file():
            found[str(path.relative_to(directory))] = path.read_bytes()
    return found


# --- row 11: whose directory, and symlinks --------------------------------------------------


def test_a_symlink_to_another_users_world_writable_directory_is_refused(
    server: FakeRunaiServer, tmp_path: Path, give_away: GiveAway
) -> None:
    """The attack: the cache path planted as a symlink to a 1777 directory someone else owns.
    It used to be chmod'ed to 0700 and filled with tokens."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    theirs.chmod(0o1777)
    give_away(theirs)
    planted = tmp_path / "cache"
    planted.symlink_to(theirs)
    for _ in range(2):  # refused every time, not only the first
        result = get(server, planted)
        assert_uncached_with_one_warning(result, server, "symbolic link")
    assert stat.S_IMODE(theirs.lstat().st_mode) == 0o1777
    assert list(theirs.iterdir()) == []
    assert server.tokens_issued == 2


def test_a_directory_owned_by_another_user_is_refused(
    server: FakeRunaiServer, tmp_path: Path, give_away: GiveAway
) -> None:
    theirs = tmp_path / "cache"
    theirs.mkdir(mode=0o700)
    give_away(theirs)
    result = get(server, theirs)
    assert_uncached_with_one_warning(result, server, "owned by another user")
    assert list(theirs.iterdir()) == []


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o770, 0o720, 0o702], ids=oct)
def test_a_directory_others_can_write_to_is_refused(
    server: FakeRunaiServer, tmp_path: Path, mode: int
) -> None:
    """Ours, but others could plant files in it (an entry holding their token, a key they know):
    refused, and left as it is."""
    directory = tmp_path / "cache"
    directory.mkdir()
    directory.chmod(mode)
    result = get(server, directory)
    assert_uncached_with_one_warning(result, server, "writable by other users")
    assert list(directory.iterdir()) == []
    assert stat.S_IMODE(directory.stat().st_mode) == mode


def test_a_directory_others_can_only_read_is_tightened(
    server: FakeRunaiServer, tmp_path: Path
) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    directory.chmod(0o755)
    result = get(server, directory)
    assert result.code == 0
    assert result.err == ""
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert list(directory.glob("*.json"))


def _planted_symlinks(
    server: FakeRunaiServer, cache: Path, tmp_path: Path, suffix: str
) -> tuple[Path, Path]:
    """Populate the cache, then replace its one *suffix file by a symlink to a path outside."""
    assert get(server, cache).code == 0
    (entry,) = cache.glob(f"*{suffix}")
    target = tmp_path / f"attacker-chose-this{suffix}"
    entry.unlink()
    entry.symlink_to(target)
    return entry, target


def test_a_lock_file_replaced_by_a_symlink_is_not_followed(
    server: FakeRunaiServer, tmp_path: Path
) -> None:
    """flock's lock file used to be opened with O_CREAT through the symlink: a file appeared at
    a path the attacker chose."""
    cache = tmp_path / "cache"
    lock, target = _planted_symlinks(server, cache, tmp_path, ".lock")
    for entry in cache.glob("*.json"):
        entry.unlink()  # a miss, so the lock is taken
    result = get(server, cache)
    assert_uncached_with_one_warning(result, server, "symbolic link")
    assert not target.exists()
    assert lock.is_symlink()


def test_an_entry_replaced_by_a_symlink_is_neither_read_nor_written_through(
    server: FakeRunaiServer, tmp_path: Path
) -> None:
    """A symlinked entry pointing at a planted file with someone else's token is a miss, and
    the next entry replaces the link itself, leaving the target alone."""
    cache = tmp_path / "cache"
    assert get(server, cache).code == 0
    (entry,) = cache.glob("*.json")
    planted = json.loads(entry.read_text())
    planted["accessToken"] = "fake-planted-token"
    target = tmp_path / "planted.json"
    target.write_text(json.dumps(planted))
    before = target.read_bytes()
    entry.unlink()
    entry.symlink_to(target)
    result = get(server, cache)
    assert result.code == 0, result.err
    assert result.out != "fake-planted-token\n"
    assert server.tokens_issued == 2
    assert not entry.is_symlink()
    assert json.loads(entry.read_text())["accessToken"] == result.out.strip()
    assert target.read_bytes() == before


# --- row 12: the cache key is a keyed hash ---------------------------------------------------


def test_a_password_cannot_be_recovered_from_the_cache(
    user_server: FakeRunaiServer, tmp_path: Path
) -> None:
    """The cache used to key on sha256(password): a one-word dictionary recovered it. Neither
    the password nor any plain hash of it may appear in a file name or a file."""
    cache = tmp_path / "cache"
    env = env_for(user_server, RUNAI_PASSWORD=PASSWORD)
    for _ in range(2):  # the second is served from the cache: the key really is what is used
        result = run("get", "--grant", "password", "--username", USERNAME, env=env, cache=cache)
        assert result.code == 0, result.err
    assert user_server.tokens_issued == 1
    files = tree(cache)
    assert files
    forbidden = [PASSWORD.encode()]
    for name in ("sha256", "sha1", "md5", "sha512", "blake2b"):
        digest = hashlib.new(name, PASSWORD.encode())
        forbidden += [digest.hexdigest().encode(), digest.digest()]
    for name, content in files.items():
        for needle in forbidden:
            assert needle not in name.encode()
            assert needle not in content


def test_the_hmac_key_is_private_and_random_per_cache(
    server: FakeRunaiServer, tmp_path: Path
) -> None:
    names: list[set[str]] = []
    keys: list[bytes] = []
    for directory in (tmp_path / "one", tmp_path / "two"):
        assert get(server, directory).code == 0
        key = directory / "mac-key"
        assert stat.S_IMODE(key.lstat().st_mode) == 0o600
        assert stat.S_ISREG(key.lstat().st_mode)
        keys.append(key.read_bytes())
        assert len(keys[-1]) == 32
        names.append({p.name for p in directory.glob("*.json")})
    assert keys[0] != keys[1]
    assert names[0].isdisjoint(names[1])  # same identity and secret, different key: other names


def test_entries_without_their_key_are_removed_when_the_key_is_made(
    server: FakeRunaiServer, tmp_path: Path
) -> None:
    """Entries in a directory without a key (one keyed on a plain sha256 of the secret, say)
    cannot be used under a new key, and would keep what they hold on disk, so they go."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    old = cache / ("0" * 40 + ".json")
    old.write_text(json.dumps({"format": 1, "secretSha256": "0" * 64, "accessToken": "x"}))
    old_lock = cache / ("0" * 40 + ".lock")
    old_lock.write_text("")
    assert get(server, cache).code == 0
    assert not old.exists()
    # An empty lock file holds nothing and stays: deleting one a racing process holds would let
    # two processes mint at once (test_cli's concurrent invocations).
    assert old_lock.exists() and old_lock.read_bytes() == b""


# --- row 13: no home directory ---------------------------------------------------------------


def test_no_home_and_no_passwd_entry_runs_without_cache(
    server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Path.home() raises when HOME is unset and the uid has no passwd entry (a container run
    with an arbitrary uid): one warning line, the token printed, never a traceback."""

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    with pytest.raises(RuntimeError):
        Path.home()  # the situation is real: this is what the cache used to hit
    env = env_for(server)
    del env["XDG_CACHE_HOME"]
    result = run("get", env=env)
    assert result.code == 0, result.err
    assert server.decode_token(result.out.strip())["sub"] == CLIENT_ID
    assert result.err.startswith("runai-token: warning: ")
    assert "home directory" in result.err
    assert "XDG_CACHE_HOME" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.parametrize("home", ["", "relative/home"])
def test_an_empty_or_relative_home_is_no_home(server: FakeRunaiServer, home: str) -> None:
    """HOME="" would make Path.home() the root directory, and a relative HOME a directory under
    wherever the command runs."""
    env = env_for(server, HOME=home)
    del env["XDG_CACHE_HOME"]
    result = run("get", env=env)
    assert result.code == 0, result.err
    assert "home directory" in result.err
    assert result.err.count("\n") == 1
