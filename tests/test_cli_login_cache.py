"""A person's `runai-token get`: with only a `runai-token login` session (no credentials in
the environment), the token cache works as it does for a service account.

The get reads the login index (login/_index) on every kubectl call, to find the login and key the
cache on it, without asking the keyring (whatever store the index names). The miss path (no
cached token: a refresh grant with the login's refresh token) runs against a FakeRunaiServer.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from runai_tokens.cli._cache import TokenCache
from runai_tokens.cli._cache_entry import CachedToken
from runai_tokens.cli._found import login_identity
from runai_tokens.login import open_store
from runai_tokens.login._index import LoginEntry, lookup, secret_file_name, write_index
from runai_tokens.login._store import StoredAccess
from runai_tokens.testing import FakeRunaiServer

from .helpers.cli import GET
from .helpers.login_kit import CLIENT_ID, SUBJECT, log_in

# `python -m runai_tokens`, listing sys.modules at exit as GET does.
AS_MODULE = """
import atexit, runpy, sys
atexit.register(lambda: sys.stderr.write(" ".join(sorted(sys.modules))))
sys.argv[0] = "runai_tokens"
runpy.run_module("runai_tokens", run_name="__main__", alter_sys=True)
"""
EXEC_INFO = (
    '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",'
    '"spec":{"interactive":false}}'
)


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as fake:
        yield fake


def env_of(home: Path) -> dict[str, str]:
    # No RUNAI_* credentials: the chain goes on to the login index. No keyring backend either,
    # so asking the keyring would show as a failure, not as a probe that happened to work.
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "RUNAI_CLI_CONFIG_PATH": str(home / ".runai"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "KUBERNETES_EXEC_INFO": EXEC_INFO,
    }


def cache_dir(home: Path) -> Path:
    return home / ".cache" / "runai-tokens"


def get(home: Path, form: str = "script", base_url: str | None = None) -> tuple[str, set[str]]:
    """A `runai-token get --output exec-credential` in a fresh process: its token, and the
    modules it had loaded at exit. base_url: RUNAI_BASE_URL, else the most recent login's."""
    program = GET if form == "script" else AS_MODULE
    env = env_of(home) | ({} if base_url is None else {"RUNAI_BASE_URL": base_url})
    result = subprocess.run(
        [sys.executable, "-c", program, "get", "--output", "exec-credential"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    token = json.loads(result.stdout)["status"]["token"]
    assert isinstance(token, str)
    return token, set(result.stderr.split())


@pytest.mark.parametrize(
    ("form", "from_env"), [("script", False), ("module", False), ("script", True)]
)
def test_a_warm_get_with_a_login_session_answers_from_the_cache(
    tmp_path: Path, server: FakeRunaiServer, form: str, from_env: bool
) -> None:
    log_in(server, open_store("file", cache_dir=cache_dir(tmp_path)))
    # RUNAI_BASE_URL with a trailing slash picks the login by its normalized URL.
    base_url = server.url + "/" if from_env else None
    minted, cold = get(tmp_path, form, base_url)  # a miss: the login's refresh token, at the server
    assert server.tokens_issued == 1
    assert "httpx" in cold  # the first get did mint
    cached, loaded = get(tmp_path, form, base_url)
    assert cached == minted
    assert server.tokens_issued == 1  # the warm get asked no one
    assert "runai_tokens.login._index" in loaded  # it found the login in the index
    assert "httpx" not in loaded


def test_a_login_in_the_keyring_is_not_looked_at_by_a_warm_get(tmp_path: Path) -> None:
    # The index names the store; the cache key is the index entry's, so a warm get never asks
    # the keyring (whose import alone costs more than the whole warm get). The entry and the
    # cached token are written by hand: the keyring of this test run is never used.
    url = "https://tenant.example"
    directory = cache_dir(tmp_path)
    directory.mkdir(parents=True, mode=0o700)
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        write_index(descriptor, [LoginEntry(url, CLIENT_ID, SUBJECT, "keyring", time.time())])
    finally:
        os.close(descriptor)
    cache = TokenCache(directory)
    key = cache.key(url, "login", login_identity(CLIENT_ID, SUBJECT), "")
    cache.store(key, CachedToken("fake-cached-token", time.time() + 3600, time.time()))
    token, loaded = get(tmp_path)
    assert token == "fake-cached-token"
    assert "runai_tokens.login._store" not in loaded  # nor, through it, the keyring


def test_an_expired_token_is_refreshed_with_the_login_s_refresh_token(
    tmp_path: Path, server: FakeRunaiServer
) -> None:
    store = open_store("file", cache_dir=cache_dir(tmp_path))
    login = log_in(server, store)
    first, _ = get(tmp_path)
    cache = TokenCache(cache_dir(tmp_path))
    key = cache.key(server.url, "login", login_identity(login.client_id, login.subject), "")
    cache.store(key, CachedToken(first, time.time() - 1, time.time() - 3600))  # now expired
    kept = store.load(server.url)  # and the login's own copy of it, with it
    assert kept is not None and kept.access is not None and kept.access.token == first
    expired = StoredAccess(first, time.time() - 3600, 3600.0)
    store.replace_refresh_token(kept.replace(access=expired))  # type: ignore[attr-defined]
    before = server.token_requests
    second, loaded = get(tmp_path)
    assert second != first
    assert server.token_requests == before + 1
    assert "httpx" in loaded
    hit = cache.load(key)  # the new token replaced the expired one
    assert hit is not None and hit.access_token == second


def test_the_index_reads_back_what_it_wrote(tmp_path: Path) -> None:
    entries = [
        LoginEntry("https://a.example", "runai-cli", "alice", "file", 1.5),
        LoginEntry("https://b.example:8443", "c\u00e9", None, "keyring", 1_700_000_000.25),
    ]
    tmp_path.chmod(0o700)
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        write_index(descriptor, entries)
    finally:
        os.close(descriptor)
    assert lookup(tmp_path, None) == entries[1]  # the most recent
    assert lookup(tmp_path, "https://a.example") == entries[0]
    assert json.loads((tmp_path / "login-index").read_text())["logins"][1]["clientId"] == "c\u00e9"


@given(st.text(min_size=1), st.none() | st.text())
def test_a_login_s_cache_identity_is_json_s(client_id: str, subject: str | None) -> None:
    # It is in every cached login token's key: another spelling would orphan those entries.
    assert login_identity(client_id, subject) == json.dumps([client_id, subject])


@given(st.text(min_size=1))
def test_a_login_file_s_name_is_a_sha256_of_its_url(base_url: str) -> None:
    # Existing logins are found by this name: it must never change.
    digest = hashlib.sha256(base_url.encode("utf-8", "surrogatepass")).hexdigest()
    assert secret_file_name(base_url) == f"login-{digest[:32]}.secret"


def test_a_login_file_s_name_is_pinned() -> None:
    expected = "login-82784e14bd1a9ef3f6b6dd4b54041eb5.secret"  # as logins have been saved
    assert secret_file_name("https://tenant.example") == expected
