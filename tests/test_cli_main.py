"""runai-token's main() in process: usage errors, error mapping, cache decisions, retry status.

The fake server runs in this process too; nothing here sleeps (retries are capped with
--max-attempts, or the server's Retry-After is zero).
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import pytest
from runai_tokens import cli
from runai_tokens._generated import GRANT_PATH, GRANT_V2_PATH
from runai_tokens.cli._cache import TokenCache
from runai_tokens.cli._cache_entry import CachedToken
from runai_tokens.cli._exit import ExitCode
from runai_tokens.cli._mint import StatusSleep
from runai_tokens.testing import FakeRunaiServer

from .helpers.cli import CLIENT_ID, CLIENT_SECRET
from .helpers.cli_main import env_for, run, server

__all__ = ["server"]  # a fixture, imported for pytest


# --- usage: exit 2 before any request ------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "drop", "fragment"),
    [
        (("--grant", "client_credentials"), "RUNAI_CLIENT_ID", "RUNAI_CLIENT_ID"),
        (("--client-id", "ci"), "RUNAI_CLIENT_SECRET", "RUNAI_CLIENT_SECRET"),
        (("--grant", "password"), None, "RUNAI_USERNAME"),
        (("--grant", "password", "--username", "u"), None, "RUNAI_PASSWORD"),
        (("--base-url", "tenant.run.ai"), None, "--base-url must be an http:// or https://"),
        (("--base-url", "http://"), None, "with a host"),
        (("--base-url", "http://[::1"), None, "--base-url is not a valid URL"),
        (("--base-url", "http://127.0.0.1:port"), None, "has a port that is not a number"),
        (("--client-secret-file", "/nonexistent/secret"), None, "No such file"),
        (("--client-secret-file", "-", "--password-file", "-"), None, "stdin"),
        (("--timeout", "0"), None, "--timeout"),
        (("--max-attempts", "zero"), None, "--max-attempts"),
    ],
)
def test_usage_errors(
    server: FakeRunaiServer, argv: tuple[str, ...], drop: str | None, fragment: str
) -> None:
    env = env_for(server)
    if drop is not None:
        del env[drop]
    result = run("get", *argv, env=env)
    assert result.code == ExitCode.USAGE
    assert fragment in result.err
    assert server.count() == 0


def test_without_options_nothing_found_is_exit_3_naming_the_login(
    server: FakeRunaiServer,
) -> None:
    # No credential options: the credentials are looked for, and for a person the fix is to log
    # in.
    env = env_for(server)
    del env["RUNAI_CLIENT_ID"], env["RUNAI_CLIENT_SECRET"]
    result = run("get", env=env)
    assert result.code == ExitCode.REJECTED
    assert "RUNAI_CLIENT_ID + RUNAI_CLIENT_SECRET (not set)" in result.err
    assert "run `runai-token login`" in result.err
    assert server.count() == 0


@pytest.mark.parametrize(
    ("drop", "kept"),
    [("RUNAI_CLIENT_ID", "RUNAI_CLIENT_SECRET"), ("RUNAI_CLIENT_SECRET", "RUNAI_CLIENT_ID")],
)
def test_without_options_half_a_service_account_is_a_usage_error(
    server: FakeRunaiServer, drop: str, kept: str
) -> None:
    # Not a search that goes on to a person's session (tests/test_cli_edges.py): exit 2.
    env = env_for(server)
    del env[drop]
    result = run("get", env=env)
    assert result.code == ExitCode.USAGE
    assert f"{drop} is not set (or is empty), but {kept} is" in result.err
    assert server.count() == 0


def test_secret_file_is_read_and_stripped(server: FakeRunaiServer, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(CLIENT_SECRET + "\n")
    env = env_for(server, RUNAI_CLIENT_SECRET="fake-secret-overridden-by-the-file")
    result = run("get", "--client-secret-file", str(secret_file), "--no-cache", env=env)
    assert result.code == 0, result.err
    assert server.decode_token(result.out.strip())["sub"] == CLIENT_ID


def test_empty_secret_file(server: FakeRunaiServer, tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")
    result = run("get", "--client-secret-file", str(tmp_path / "empty"), env=env_for(server))
    assert result.code == ExitCode.USAGE
    assert "empty" in result.err


def test_bad_kubernetes_exec_info_costs_no_token(server: FakeRunaiServer) -> None:
    env = env_for(server, KUBERNETES_EXEC_INFO='{"apiVersion":"client.authentication.k8s.io/v9"}')
    result = run("get", "--output", "exec-credential", "--no-cache", env=env)
    assert result.code == ExitCode.USAGE
    assert "v9" in result.err
    assert server.count() == 0


def test_version() -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info, contextlib.redirect_stdout(out):
        cli.main(["--version"], environ={})
    assert exit_info.value.code == 0
    assert out.getvalue().strip() == "runai-token 0.1.0 (Run:ai token API 2.18-2.24)"


# --- error mapping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "expected", "fragment"),
    [
        ({"status": 400}, ExitCode.REJECTED, "credentials rejected: (400)"),
        ({"status": 403}, ExitCode.REJECTED, "credentials rejected: (403)"),
        ({"status": 429}, ExitCode.UNAVAILABLE, "unavailable after 1 attempt: (429)"),
        ({"status": 500}, ExitCode.UNAVAILABLE, "unavailable after 1 attempt: (500)"),
        ({"status": 503, "retry_after": 3600}, ExitCode.UNAVAILABLE, "retry deadline"),
        # (A 404 on /api/v2/token means an older control plane: the CLI falls back to v1.)
        ({"status": 409}, ExitCode.ERROR, "unexpected answer: (409)"),
    ],
)
def test_status_to_exit_code(
    server: FakeRunaiServer, fault: dict[str, int], expected: int, fragment: str
) -> None:
    server.fail_next(1, path=GRANT_V2_PATH, **fault)
    attempts = "1" if "retry_after" not in fault else "3"
    result = run("get", "--no-cache", "--max-attempts", attempts, env=env_for(server))
    assert result.code == expected
    assert fragment in result.err


def test_html_502_is_unavailable(server: FakeRunaiServer) -> None:
    server.html_next(1, path=GRANT_V2_PATH)
    result = run("get", "--no-cache", "--max-attempts", "1", env=env_for(server))
    assert result.code == ExitCode.UNAVAILABLE
    assert "(502)" in result.err


def test_truncated_success_is_an_unexpected_answer(server: FakeRunaiServer) -> None:
    server.truncated_next(1, path=GRANT_V2_PATH)
    result = run("get", "--no-cache", "--max-attempts", "1", env=env_for(server))
    assert result.code == ExitCode.ERROR
    assert "(200)" in result.err


def test_retry_then_success(server: FakeRunaiServer) -> None:
    server.fail_next(2, 503, path=GRANT_V2_PATH, retry_after=0)
    result = run("get", "--no-cache", env=env_for(server))
    assert result.code == 0, result.err
    assert server.count(GRANT_V2_PATH) == 3
    assert result.err == ""  # stderr is not a terminal: no status lines


# --- the cache -----------------------------------------------------------------------------


def test_expired_or_nearly_expired_entry_is_refreshed(
    server: FakeRunaiServer, tmp_path: Path
) -> None:
    env = env_for(server)
    cache = TokenCache(tmp_path)
    key = cache.key(server.url, "client_credentials", CLIENT_ID, CLIENT_SECRET)
    now = time.time()
    # 3600 s lifetime, 200 s left: inside the 300 s reuse margin.
    cache.store(key, CachedToken("stale-token", now + 200, now - 3400))
    result = run("get", env=env, cache=tmp_path)
    assert result.code == 0
    assert result.out.strip() != "stale-token"
    assert server.tokens_issued == 1
    # A fresh entry is handed out as is, without asking the server.
    cache.store(key, CachedToken("fresh-token", now + 3000, now - 600))
    assert run("get", env=env, cache=tmp_path).out == "fresh-token\n"
    assert server.tokens_issued == 1


def test_rotated_secret_misses_the_cache(server: FakeRunaiServer, tmp_path: Path) -> None:
    assert run("get", env=env_for(server), cache=tmp_path).code == 0
    server.add_client(CLIENT_ID, "fake-secret-rotated")
    env = env_for(server, RUNAI_CLIENT_SECRET="fake-secret-rotated")
    result = run("get", env=env, cache=tmp_path)
    assert result.code == 0
    assert "fake-secret-rotated" not in result.err
    assert server.tokens_issued == 2


def test_unusable_cache_dir_warns_and_still_prints(server: FakeRunaiServer, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    result = run("get", env=env_for(server), cache=blocker / "cache")
    assert result.code == 0
    assert server.decode_token(result.out.strip())["sub"] == CLIENT_ID
    assert result.err.startswith("runai-token: warning: token cache")
    assert result.err.count("\n") == 1


def test_cache_stores_wall_clock_expiry(server: FakeRunaiServer, tmp_path: Path) -> None:
    server.set_lifetime(600)
    before = time.time()
    assert run("get", env=env_for(server), cache=tmp_path).code == 0
    (entry,) = tmp_path.glob("*.json")
    data = json.loads(entry.read_text())
    assert before - 1 <= data["issuedAt"] <= time.time()
    # issuedAt is when the CLI began to ask, expiresAt the token's lifetime from its request's
    # start, a moment later: their distance is the lifetime plus at most the run's own length
    # (and the wall and monotonic clocks read a few microseconds apart).
    elapsed = time.time() - before
    assert 600 - 1e-3 <= data["expiresAt"] - data["issuedAt"] <= 600 + elapsed
    assert CLIENT_SECRET not in entry.read_text()


# --- status lines on a terminal ------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_status_sleep_speaks_only_on_a_terminal() -> None:
    slept: list[float] = []
    terminal = _Terminal()
    waits = StatusSleep(terminal, 3, slept.append)
    waits(2.0)
    waits(0.25)
    assert slept == [2.0, 0.25]
    assert terminal.getvalue().splitlines() == [
        "runai-token: waiting 2.0s before retry (attempt 2/3)...",
        "runai-token: waiting 0.2s before retry (attempt 3/3)...",
    ]
    assert waits.attempts == 3

    pipe = io.StringIO()
    quiet = StatusSleep(pipe, 3, slept.append)
    quiet(1.0)
    assert pipe.getvalue() == ""
    assert quiet.attempts == 2


# --- unexpected errors ---------------------------------------------------------------------


def test_unexpected_error_is_exit_1_with_type_only(
    server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runai_tokens.auth._source import TokenSource

    def explode(self: TokenSource) -> str:
        raise RuntimeError(f"boom {CLIENT_SECRET}")

    monkeypatch.setattr(TokenSource, "fetch", explode)
    result = run("get", "--no-cache", env=env_for(server))
    assert result.code == ExitCode.ERROR
    assert result.err == "runai-token: unexpected error: RuntimeError\n"


def test_debug_shows_the_traceback(
    server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runai_tokens.auth._source import TokenSource

    def explode(self: TokenSource) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(TokenSource, "fetch", explode)
    out, err = io.StringIO(), io.StringIO()
    env = env_for(server, RUNAI_TOKEN_DEBUG="1")
    code = cli.main(["get", "--no-cache"], environ=env, stdout=out, stderr=err)
    assert code == ExitCode.ERROR
    assert "Traceback" in err.getvalue()
    assert "RuntimeError: boom" in err.getvalue()
    assert err.getvalue().endswith("runai-token: unexpected error: RuntimeError\n")


def test_settings_repr_hides_the_secret(server: FakeRunaiServer) -> None:
    import argparse

    from runai_tokens.cli._settings import resolve_get

    args = cli.build_parser().parse_args(["get"])
    assert isinstance(args, argparse.Namespace)
    settings = resolve_get(args, env_for(server))
    assert settings.secret == CLIENT_SECRET
    assert CLIENT_SECRET not in repr(settings)
    assert CLIENT_ID in repr(settings)


@pytest.mark.parametrize(
    ("endpoint", "path", "answer"),
    [
        (
            "auto",
            GRANT_V2_PATH,
            {"access_token": "fake-opaque-token", "token_type": "Bearer", "expires_in": 3600},
        ),
        ("v1", GRANT_PATH, {"accessToken": "fake-opaque-token", "expiresIn": 3600}),
    ],
)
def test_an_opaque_token_with_expires_in_is_cached(
    tmp_path: Path, endpoint: str, path: str, answer: dict[str, object]
) -> None:
    """The cache lifetime comes from expires_in (expiresIn on v1), not only a JWT's claims."""
    from runai_tokens.testing import Reply, scripted

    with scripted(lambda _: Reply.json(200, answer)) as server:
        env = {
            "RUNAI_BASE_URL": server.url,
            "RUNAI_CLIENT_ID": CLIENT_ID,
            "RUNAI_CLIENT_SECRET": CLIENT_SECRET,
        }
        first = run("get", "--token-endpoint", endpoint, env=env, cache=tmp_path)
        second = run(
            "get", "--token-endpoint", endpoint, "--output", "json", env=env, cache=tmp_path
        )
    assert first.code == second.code == ExitCode.OK
    assert first.out == "fake-opaque-token\n"
    assert server.count(path) == 1  # the second came from the cache
    assert len(server.requests) == 1
    assert 3500 < json.loads(second.out)["expiresIn"] <= 3600


def test_typed_options_and_attached_short_values_are_read(
    server: FakeRunaiServer, tmp_path: Path
) -> None:
    result = run("get", "--timeout", "10", "-ojson", env=env_for(server), cache=tmp_path)
    assert result.code == 0 and json.loads(result.out)["accessToken"]
