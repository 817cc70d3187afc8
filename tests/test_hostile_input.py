"""Hostile JSON and hostile files, through the real call paths: only the documented errors.

- `[` x 100,000 at every reader of JSON from outside (a token's JWT payload, the runai CLI's
  authentication.json and config.json, the OpenID discovery document, KUBERNETES_EXEC_INFO):
  each says so in its caller's own error, never a RecursionError or a traceback.
- The runai CLI's files under the cache's rules: a FIFO, another user's file or directory, one
  that others can write, one too large: each a LoginRequiredError (exit 3 from the CLI) naming
  the problem in the cache's words, never a hang and never a base URL taken from it. Shown as
  root (what CI runs as: another user is made with os.chown) and as a plain user (a child
  process that drops to nobody's uid when the suite runs as root).

tests/test_fuzz_parsers.py feeds the same readers arbitrary input.
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from runai_tokens import (
    ClientCredentials,
    LoginRequiredError,
    RunaiCliSession,
    TokenAuth,
    connect,
    default_credentials,
)
from runai_tokens.cli import main
from runai_tokens.testing import Recorded, Reply, scripted
from runai_tokens.testing._scripted import is_grant

from .helpers import runai_cli
from .helpers.login_kit import clear_credentials
from .helpers.runai_cli import jwt

DEEP = b"[" * 100_000
NESTED = "is nested more than 32 levels deep"
OTHER_UID = 12345  # a user that owns nothing here
PLAIN_UID = 65534  # nobody: the plain user a root suite drops to
IS_ROOT = os.geteuid() == 0


def deep_jwt() -> str:
    segment = base64.urlsafe_b64encode(DEEP).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{segment}.ZmFrZS1zaWduYXR1cmU"


def write_session(directory: Path, url: str = "https://tenant.example") -> Path:
    """What `runai login` leaves, in a directory of the current user's that nobody else can
    write."""
    runai_cli.write_session(directory, jwt(3600, "fake-person"), url=url)
    for path in (directory, directory / "authentication.json", directory / "config.json"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    return directory


def cli_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RUNAI_", "KUBERNETES_")) and k != "XDG_CACHE_HOME"
    }
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runai_tokens", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # only a guard: a FIFO read as a file would block this for ever
        check=False,
    )


# --- `[` x 100,000 at every entry point ------------------------------------------------------


@pytest.mark.parametrize("expires_in", [600, None])
def test_a_token_whose_jwt_payload_nests_without_end_is_an_opaque_token(
    expires_in: int | None,
) -> None:
    # Its payload is not JSON by the reader's rules, so the token is not a JWT: it is used as the
    # server sent it, with expiresIn for a lifetime when there is one, else until a 401.
    token = deep_jwt()

    def answer(request: Recorded) -> Reply:
        return Reply.token(request, token, expires_in) if is_grant(request) else Reply(404)

    with scripted(answer) as server:
        auth = TokenAuth(server.url, ClientCredentials("fake-ci", "fake-secret-ci"))
        try:
            assert auth.get_token() == token
            expires_at = auth.get_access_token().expires_at
        finally:
            auth.close()
    assert (expires_at is None) == (expires_in is None)


def test_a_deep_authentication_json_is_login_required(tmp_path: Path) -> None:
    session = write_session(tmp_path / "runai")
    (session / "authentication.json").write_bytes(DEEP)
    env = {"RUNAI_CLI_CONFIG_PATH": str(session), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    credentials = default_credentials(env)
    assert isinstance(credentials, RunaiCliSession)
    auth = TokenAuth("https://tenant.example", credentials)  # read from files: no request
    try:
        with pytest.raises(LoginRequiredError, match=f"authentication.json {NESTED}.*runai login"):
            auth.get_token()
    finally:
        auth.close()


def test_a_deep_config_json_is_login_required_from_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = write_session(tmp_path / "runai")
    (session / "config.json").write_bytes(DEEP)
    monkeypatch.setenv("RUNAI_CLI_CONFIG_PATH", str(session))
    clear_credentials(monkeypatch)
    with pytest.raises(LoginRequiredError, match=f"config.json {NESTED}.*runai login"):
        connect()


@pytest.mark.parametrize("content", [DEEP, b"{not json", b'{"control_plane": NaN}'])
def test_get_with_an_unusable_config_json_and_no_base_url_says_what_to_do(
    tmp_path: Path, content: bytes
) -> None:
    session = write_session(tmp_path / "runai")
    (session / "config.json").write_bytes(content)
    env = cli_env(RUNAI_CLI_CONFIG_PATH=str(session), XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = run_cli("get", env=env)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "config.json" in result.stderr and "run `runai login`" in result.stderr


def test_login_with_a_deep_discovery_document_is_an_unexpected_answer(tmp_path: Path) -> None:
    def answer(request: Recorded) -> Reply:
        if request.path.endswith("/.well-known/openid-configuration"):
            return Reply(200, DEEP, {"Content-Type": "application/json"})
        return Reply(404)

    with scripted(answer) as server:
        env = cli_env(
            RUNAI_BASE_URL=server.url,
            HOME=str(tmp_path / "home"),
            XDG_CACHE_HOME=str(tmp_path / "cache"),
            RUNAI_CLI_CONFIG_PATH=str(tmp_path / "no-runai-cli"),
        )
        result = run_cli("login", "--store", "none", "--no-browser", env=env)
    # Exit 1, as for any answer that is not what the protocol says (runai-token --help).
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"the discovery document of {server.url}/auth/realms/runai {NESTED}" in result.stderr


def test_get_with_a_deep_kubernetes_exec_info_is_a_usage_error() -> None:
    env = {
        "RUNAI_BASE_URL": "https://tenant.example",
        "RUNAI_CLIENT_ID": "fake-ci",
        "RUNAI_CLIENT_SECRET": "fake-secret-ci",
        "KUBERNETES_EXEC_INFO": DEEP.decode(),
    }
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["get", "--output", "exec-credential", "--no-cache"], environ=env, stdout=out, stderr=err
    )
    assert code == 2
    assert err.getvalue() == f"runai-token: KUBERNETES_EXEC_INFO {NESTED}\n"
    assert out.getvalue() == ""


def test_the_depth_check_does_not_depend_on_the_recursion_limit() -> None:
    # A program that raised the limit would let json's C scanner recurse until the C stack
    # overflows: the count before json runs refuses first, whatever the limit.
    from runai_tokens._untrusted import json_value

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    try:
        with pytest.raises(ValueError, match=NESTED):
            json_value(DEEP, limit=len(DEEP))
    finally:
        sys.setrecursionlimit(limit)


# --- the runai CLI's files under the cache's rules, as root ----------------------------------


@contextmanager
def released(fifo: Path) -> Iterator[None]:
    """A writer for the FIFO, so that a reader that opens it blocking (as a plain open() does)
    gets an empty read instead of hanging the suite: the test then fails on what it read."""
    writer = threading.Thread(target=lambda: open(fifo, "wb").close(), daemon=True)
    writer.start()
    try:
        yield
    finally:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # lets a writer still waiting go on
        writer.join()
        os.close(fd)


def make_fifo(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path, 0o600)


def chown(path: Path, uid: int, mode: int | None = None) -> None:
    os.chown(path, uid, -1, follow_symlinks=False)
    if mode is not None:
        path.chmod(mode)


def fifo_of(path: Path, uid: int) -> None:
    make_fifo(path)
    chown(path, uid)


def plant_elsewhere(session: Path, uid: int) -> None:
    """config.json a symlink to a copy in another directory, owned by uid."""
    target = session.parent / "elsewhere.json"
    shutil.copy(session / "config.json", target)
    target.chmod(0o644)
    chown(target, uid)
    (session / "config.json").unlink()
    (session / "config.json").symlink_to(target)


def config_is_a_directory(session: Path) -> None:
    (session / "config.json").unlink()
    (session / "config.json").mkdir()


def config_too_large(session: Path) -> None:
    (session / "config.json").write_bytes(b" " * (1024 * 1024 + 1))


def chmod(mode: int, name: str = "config.json") -> Callable[[Path], None]:
    return lambda session: (session / name).chmod(mode)


# How the session is spoiled; what is then said; whether making it needs root.
REFUSED: dict[str, tuple[Callable[[Path], object], str, bool]] = {
    "config.json a FIFO": (
        lambda s: make_fifo(s / "config.json"),
        "config.json is not a regular file",
        False,
    ),
    "config.json a directory": (config_is_a_directory, "config.json is not a regular file", False),
    "config.json another user's": (
        lambda s: chown(s / "config.json", OTHER_UID),
        "config.json is owned by another user",
        True,
    ),
    "config.json writable by others": (
        chmod(0o602),
        "config.json is writable by other users",
        False,
    ),
    "config.json writable by its group": (
        chmod(0o620),
        "config.json is writable by other users",
        False,
    ),
    "config.json too large": (config_too_large, "config.json is too large", False),
    "config.json a symlink to another user's file": (
        lambda s: plant_elsewhere(s, OTHER_UID),
        "config.json is owned by another user",
        True,
    ),
    "the directory another user's": (
        lambda s: chown(s, OTHER_UID),
        "its directory is owned by another user",
        True,
    ),
    "the directory writable by others": (
        chmod(0o703, "."),
        "its directory is writable by other users",
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_an_untrustworthy_config_json_is_refused_with_the_cache_s_words(
    tmp_path: Path, case: str
) -> None:
    change, message, needs_root = REFUSED[case]
    if needs_root and not IS_ROOT:  # never in CI, which runs as root
        pytest.skip("making another user's file needs root")
    session = write_session(tmp_path / "runai", url="https://attacker.example")
    change(session)
    fifo = session / "config.json"
    guard = released(fifo) if fifo.is_fifo() else _nothing()
    with guard, pytest.raises(LoginRequiredError) as raised:
        RunaiCliSession(session).base_url()
    assert str(raised.value) == (
        f"runai CLI session in {session}: {message}, so it is not read (the session must be "
        "yours and writable by you alone); run `runai login`"
    )


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def test_a_fifo_for_authentication_json_is_refused_without_blocking(tmp_path: Path) -> None:
    session = write_session(tmp_path / "runai")
    make_fifo(session / "authentication.json")
    with released(session / "authentication.json"), pytest.raises(LoginRequiredError) as raised:
        RunaiCliSession(session).access_token()
    assert "authentication.json is not a regular file" in str(raised.value)


def test_a_symlink_to_a_file_of_ours_is_followed(tmp_path: Path) -> None:
    session = write_session(tmp_path / "runai", url="https://tenant.example")
    plant_elsewhere(session, os.geteuid())
    assert RunaiCliSession(session).base_url() == "https://tenant.example"


def test_a_world_writable_config_json_sends_no_token_to_the_url_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Anyone could have written the URL: it is not used, and the session's token goes nowhere.
    with scripted(lambda request: Reply.json(200, {})) as attacker:
        session = write_session(tmp_path / "runai", url=attacker.url)
        (session / "config.json").chmod(0o666)
        monkeypatch.setenv("RUNAI_CLI_CONFIG_PATH", str(session))
        for name in ("RUNAI_BASE_URL", "RUNAI_CLIENT_ID", "RUNAI_CLIENT_SECRET"):
            monkeypatch.delenv(name, raising=False)
        refused = None
        try:
            with connect() as client:  # on a build that took the URL: a request to it
                client.get_httpx_client().get("/api/v1/whoami")
        except LoginRequiredError as exc:
            refused = str(exc)
    assert attacker.requests == []
    assert refused is not None and "config.json is writable by other users" in refused


def test_get_with_a_fifo_for_config_json_ends_with_exit_3(tmp_path: Path) -> None:
    session = write_session(tmp_path / "runai")
    make_fifo(session / "config.json")
    env = cli_env(RUNAI_CLI_CONFIG_PATH=str(session), XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = run_cli("get", env=env)
    assert result.returncode == 3, result.stderr
    assert "config.json is not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


# --- the same rules for a plain user ----------------------------------------------------------

# Each case: how the session is made (given the plain user's uid), what reading it gives, and
# whether making it needs root (another user's file, or root's).
PLAIN_CASES: dict[str, tuple[Callable[[Path, int], object], str, bool]] = {
    "a session of the user's own": (
        lambda s, uid: None,
        "url https://tenant.example; token ok",
        False,
    ),
    "config.json root's, readable": (
        lambda s, uid: chown(s / "config.json", 0, 0o644),
        "url https://tenant.example; token ok",  # root may own it, as OpenSSH allows
        True,
    ),
    "config.json another user's": (  # readable, as one planted for us would be
        lambda s, uid: chown(s / "config.json", OTHER_UID, 0o644),
        "LoginRequiredError: config.json is owned by another user",
        True,
    ),
    "the directory another user's": (
        lambda s, uid: chown(s, OTHER_UID, 0o755),
        "LoginRequiredError: its directory is owned by another user",
        True,
    ),
    "authentication.json root's and private": (
        lambda s, uid: chown(s / "authentication.json", 0),
        "url https://tenant.example; LoginRequiredError: authentication.json cannot be read "
        "(Permission denied)",
        True,
    ),
    "config.json a FIFO": (
        lambda s, uid: fifo_of(s / "config.json", uid),
        "LoginRequiredError: config.json is not a regular file",
        False,
    ),
    "config.json writable by others": (
        lambda s, uid: (s / "config.json").chmod(0o646),
        "LoginRequiredError: config.json is writable by other users",
        False,
    ),
}


def probe(session: Path) -> str:
    """What reading the session gives: its URL and whether its token reads, or the error."""
    said: list[str] = []
    reads: tuple[Callable[[], str], ...] = (
        lambda: f"url {RunaiCliSession(session).base_url()}",
        lambda: "token ok" if RunaiCliSession(session).access_token()[0] else "no token",
    )
    for read in reads:
        try:
            said.append(read())
        except LoginRequiredError as exc:
            why = str(exc).removeprefix(f"runai CLI session in {session}: ")
            said.append(f"LoginRequiredError: {why.split(', so it is not read')[0]}")
            said[-1] = said[-1].split("; run `runai login`")[0]
            break
        except Exception as exc:  # what the test is there to catch
            said.append(f"unexpected {type(exc).__name__}")
            break
    return "; ".join(said)


def as_plain_user(probes: dict[str, Path]) -> dict[str, str]:
    """probe() of each session, as PLAIN_UID: in a forked child that drops root's privileges.
    Everything the child runs is imported first; it writes its answers to a pipe."""
    probe(probes["a session of the user's own"])  # every import a read makes, before the fork
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child, measured by what it writes
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(PLAIN_UID)
            os.setuid(PLAIN_UID)
            answers = {name: probe(session) for name, session in probes.items()}
            os.write(write_end, json.dumps(answers).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        # Only a guard against a child that hangs (a FIFO read blocking): it is killed then.
        ready, _, _ = select.select([read_end], [], [], 60)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        data = b""
        while ready and (chunk := os.read(read_end, 65536)):
            data += chunk
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    assert data, "the plain user's probe answered nothing (blocked on a FIFO?)"
    said: dict[str, str] = json.loads(data)
    return said


def test_the_rules_hold_for_a_plain_user() -> None:
    # Under /tmp, which the plain user may pass through, not under pytest's root-only directory.
    base = Path(tempfile.mkdtemp(prefix="runai-plain-"))
    base.chmod(0o711)
    uid = PLAIN_UID if IS_ROOT else os.geteuid()
    try:
        probes, expected = {}, {}
        for name, (change, outcome, needs_root) in PLAIN_CASES.items():
            if needs_root and not IS_ROOT:
                continue  # only root can make another user's file: CI runs as root
            session = write_session(base / name.replace(" ", "-").replace("'", ""))
            for path in (session, *session.iterdir()):
                chown(path, uid)
            change(session, uid)
            probes[name], expected[name] = session, outcome
        answers = as_plain_user(probes) if IS_ROOT else {n: probe(s) for n, s in probes.items()}
        assert answers == expected
    finally:
        shutil.rmtree(base)
