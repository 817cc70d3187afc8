"""`runai-token get` with a `runai-token login` session and no credential options, and
`runai-token logout`: real files in a temporary HOME, a FakeRunaiServer on loopback."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from runai_tokens import cli
from runai_tokens.cli._exit import ExitCode
from runai_tokens.login import LoginStore, StoredLogin, open_store
from runai_tokens.testing import FakeRunaiServer

from .helpers.browsers import serving
from .helpers.login_kit import (
    SUBJECT,
    MemoryKeyring,
    files_holding,
    log_in,
    memory_keyring,
    readable_by_others,
)
from .helpers.runai_cli import jwt, write_session

__all__ = ["memory_keyring"]  # a fixture, imported for pytest


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as fake:
        yield fake


def env_of(home: Path, **extra: str) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "RUNAI_CLI_CONFIG_PATH": str(home / ".runai"),
        **extra,
    }


def store_of(home: Path, kind: str = "file") -> LoginStore:
    return open_store(kind, cache_dir=home / ".cache" / "runai-tokens")  # type: ignore[arg-type]


def run(home: Path, *argv: str, **extra: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), environ=env_of(home, **extra), stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


def test_get_uses_the_login_and_caches_by_who_not_by_the_refresh_token(
    home: Path, server: FakeRunaiServer
) -> None:
    first = log_in(server, store_of(home))
    cold = run(home, "get", "--output", "json")
    assert cold.code == 0, cold.err
    token = json.loads(cold.out)["accessToken"]
    assert server.decode_token(token)["sub"] == SUBJECT
    assert server.token_requests == 1
    warm = run(home, "get", "--output", "json")
    assert (warm.code, warm.out) == (0, cold.out)
    assert server.token_requests == 1  # from the cache, keyed by base URL, client and subject
    rotated = store_of(home).load()
    assert rotated is not None and rotated.refresh_token != first.refresh_token
    assert files_holding(home, first.refresh_token) == []
    assert [p.name for p in files_holding(home, rotated.refresh_token)] == [
        next((home / ".cache" / "runai-tokens").glob("login-*.secret")).name
    ]
    assert readable_by_others(home) == []


def test_a_warm_get_with_a_login_imports_no_http_stack_attrs_or_keyring(
    home: Path, server: FakeRunaiServer
) -> None:
    log_in(server, store_of(home))
    assert run(home, "get").code == 0
    probe = """
import sys
from runai_tokens import cli
code = cli.main(["get"])
heavy = ("httpx", "attrs", "keyring", "runai_tokens.auth", "runai_tokens.login._store")
print("imported:", ",".join(m for m in heavy if m in sys.modules) or "-", file=sys.stderr)
sys.exit(code)
"""
    warm = subprocess.run(
        [sys.executable, "-c", probe],
        env={**env_of(home), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (warm.returncode, warm.stderr) == (0, "imported: -\n")
    assert server.token_requests == 1


def test_get_for_a_control_plane_without_a_login_goes_on_down_the_chain(
    home: Path, server: FakeRunaiServer
) -> None:
    log_in(server, store_of(home))
    result = run(home, "get", "--base-url", "https://elsewhere.example")
    assert result.code == ExitCode.REJECTED
    assert "a `runai-token login` session for https://elsewhere.example" in result.err
    assert "run `runai-token login`" in result.err
    assert server.token_requests == 0


def test_credential_options_or_a_service_account_come_before_the_login(
    home: Path, server: FakeRunaiServer
) -> None:
    log_in(server, store_of(home))
    server.add_client("ci", "fake-secret-ci")
    account = {"RUNAI_CLIENT_ID": "ci", "RUNAI_CLIENT_SECRET": "fake-secret-ci"}
    result = run(home, "get", "--base-url", server.url, "--no-cache", **account)
    assert server.decode_token(result.out.strip())["sub"] == "ci"
    explicit = run(home, "get", "--grant", "client_credentials", "--base-url", server.url)
    assert explicit.code == ExitCode.USAGE  # asked for a service account: none is set
    assert "RUNAI_CLIENT_ID" in explicit.err


def test_get_with_a_refused_login_exits_3_naming_runai_token_login(
    home: Path, server: FakeRunaiServer
) -> None:
    first = log_in(server, store_of(home))
    server.revoke_all()
    result = run(home, "get")
    assert result.code == ExitCode.REJECTED
    assert result.err.startswith(f"runai-token: runai-token login for {server.url}: the control")
    assert result.err.endswith("run `runai-token login`\n")
    assert first.refresh_token not in result.err


def test_get_reads_a_runai_cli_session_when_there_is_no_login(
    home: Path, server: FakeRunaiServer
) -> None:
    token = server.issue_access_token("carol")
    write_session(home / ".runai", token, url=server.url)
    result = run(home, "get")
    assert (result.code, result.out) == (0, token + "\n")
    assert server.token_requests == 0
    assert not (home / ".cache" / "runai-tokens").exists()  # read from its files, not cached
    write_session(home / ".runai", jwt(3600))  # no control plane in config.json
    (home / ".runai" / "config.json").unlink()
    assert run(home, "get").code == ExitCode.USAGE


def test_logout_forgets_the_login_and_its_cached_tokens(
    home: Path, server: FakeRunaiServer
) -> None:
    log_in(server, store_of(home))
    assert run(home, "get").code == 0
    cache = home / ".cache" / "runai-tokens"
    assert len(list(cache.glob("*.json"))) == 1
    result = run(home, "logout")
    assert result.code == 0
    assert result.out == (
        f"Forgot the login to {server.url} as {SUBJECT} (its refresh token was in the file "
        "store), and its cached access token.\n"
        "Revoked its refresh token at the identity provider.\n"
    )
    assert list(cache.glob("*.json")) == []
    assert list(cache.glob("login-*.secret")) == []
    after = run(home, "get")
    assert after.code == ExitCode.REJECTED
    assert "run `runai-token login`" in after.err
    again = run(home, "logout")
    assert (again.code, again.out) == (0, "No stored login: nothing to forget.\n")
    named = run(home, "logout", "--base-url", server.url)
    assert named.out == f"No stored login for {server.url}: nothing to forget.\n"
    assert server.token_requests == 1


def test_logout_picks_the_login_get_would_use(home: Path) -> None:
    with FakeRunaiServer() as a, FakeRunaiServer() as b:
        log_in(a, store_of(home), subject="alice")
        log_in(b, store_of(home), subject="bob")
        assert "as alice" in run(home, "logout", RUNAI_BASE_URL=a.url).out
        assert store_of(home).load(a.url) is None
        assert "as bob" in run(home, "logout").out
        assert store_of(home).load() is None


def test_logout_from_the_keyring(
    home: Path, server: FakeRunaiServer, memory_keyring: MemoryKeyring
) -> None:
    log_in(server, store_of(home, "keyring"))
    assert memory_keyring.secrets
    result = run(home, "logout", "--store", "keyring")
    assert "in the keyring store" in result.out
    assert memory_keyring.secrets == {}


def test_logout_with_store_none_or_a_bad_url(home: Path, server: FakeRunaiServer) -> None:
    log_in(server, store_of(home))
    none = run(home, "logout", "--store", "none")
    assert (none.code, none.out) == (0, "Nothing to forget: --store none keeps no login.\n")
    assert store_of(home).load() is not None
    bad = run(home, "logout", "--base-url", "tenant.example")
    assert bad.code == ExitCode.USAGE
    assert "--base-url must be an http:// or https://" in bad.err


def test_logout_in_an_unsafe_cache_directory_fails_clearly(home: Path) -> None:
    cache = home / ".cache" / "runai-tokens"
    cache.mkdir(parents=True)
    cache.chmod(0o777)
    result = run(home, "logout")
    assert result.code == ExitCode.ERROR
    assert result.err == "runai-token: cannot forget the login: it is writable by other users\n"


REVOKE_PATH = "/auth/realms/runai/protocol/openid-connect/revoke"


def refreshes(server: FakeRunaiServer, login: StoredLogin) -> int:
    """The status of a refresh with the login's token, straight at the control plane."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": login.refresh_token,
        "client_id": login.client_id,
    }
    return httpx.post(f"{server.url}/api/v2/token", data=form).status_code


def test_logout_revokes_the_refresh_token_where_the_provider_offers_it(
    home: Path, server: FakeRunaiServer
) -> None:
    login = log_in(server, store_of(home))
    result = run(home, "logout")
    assert result.code == 0
    assert "Revoked its refresh token at the identity provider." in result.out
    [revocation] = [r for r in server.requests if r.path == REVOKE_PATH]
    assert revocation.status == 200
    assert revocation.body["token_type_hint"] == "refresh_token"
    assert revocation.body["client_id"] == login.client_id
    assert login.refresh_token not in repr(server.requests)
    assert refreshes(server, login) == 400  # revoked: the provider no longer honours it


def test_logout_without_revocation_says_the_token_may_still_be_valid(
    home: Path, server: FakeRunaiServer
) -> None:
    login = log_in(server, store_of(home))
    result = run(home, "logout", "--no-revoke")
    assert result.code == 0
    assert "not revoked (--no-revoke): it may still be valid" in result.out
    assert store_of(home).load() is None
    assert refreshes(server, login) == 200
    assert [r for r in server.requests if r.path == REVOKE_PATH] == []


def test_logout_where_no_revocation_is_offered_forgets_and_says_so(home: Path) -> None:
    def document(url: str) -> bytes:
        issuer = url + "/auth/realms/runai"
        return json.dumps({"issuer": issuer, "authorization_endpoint": issuer + "/auth"}).encode()

    with serving(document) as url:
        store = store_of(home)
        store.save(StoredLogin(url, "runai", "fake-refresh-not-revocable", SUBJECT))
        result = run(home, "logout")
    assert result.code == 0
    assert "forgotten here but not revoked (the identity provider offers no revocation" in (
        result.out
    )
    assert "may still be valid at the identity provider until it expires" in result.out
    assert store.load() is None


def test_logout_with_an_unreachable_provider_still_forgets(home: Path, unused_port: int) -> None:
    store = store_of(home)
    store.save(StoredLogin(f"http://127.0.0.1:{unused_port}", "runai", "fake-refresh-x", SUBJECT))
    result = run(home, "logout")
    assert result.code == 0
    assert "not revoked (the identity provider at" in result.out
    assert "could not be reached" in result.out and "fake-refresh-x" not in result.out
    assert store.load() is None
