"""One refresh at a time per login, everywhere: threads, TokenAuths, asyncio tasks and
`runai-token get` processes that all find one login's access token expired cost exactly one
refresh, against a fake identity provider that rotates refresh tokens and revokes the whole login
when one is reused (as Keycloak, oidc-provider, Okta and Auth0 do).

No test here sleeps or times anything. The fake holds token requests at a gate (hold_grants), and
every caller announces when it starts waiting for the login's refresh lock (in this process by a
wrapper around RefreshLock; in a CLI process by the same wrapper, written to its stderr), so the
gate opens only once every caller is queued: the worst overlap, made on purpose.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import keyring
import pytest
from runai_tokens import ApiException, LoginSession, RetryPolicy, TokenAuth
from runai_tokens.auth._grant import Grants
from runai_tokens.cli._exit import ExitCode
from runai_tokens.cli._mint import _cli_error
from runai_tokens.login import (
    RefreshLockTimeout,
    StoredAccess,
    StoredLogin,
    _refresh_lock,
    open_store,
)
from runai_tokens.login._index import lock_file_name
from runai_tokens.testing import FakeRunaiServer

from .helpers import file_keyring
from .helpers.clock import FakeClock
from .helpers.login_kit import CLIENT_ID, SUBJECT, files_holding, home, log_in

__all__ = ["home"]  # a fixture, imported for pytest

HANG_GUARD = 60.0  # a bound on waits for an event that is due; never reached when all is well
REPO = Path(__file__).resolve().parent.parent

# `runai-token get` in a process of its own, announcing on stderr when it starts to wait for the
# refresh lock: the real CLI otherwise.
ANNOUNCING_CLI = """
import sys
from runai_tokens.login import _refresh_lock
acquire = _refresh_lock.RefreshLock.acquire
def announced(self, timeout):
    sys.stderr.write("refresh-lock: waiting\\n")
    sys.stderr.flush()
    acquire(self, timeout)
_refresh_lock.RefreshLock.acquire = announced
from runai_tokens.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    # Rotation and reuse detection are the fake's defaults; said here as what this file needs.
    with FakeRunaiServer(rotate_refresh_tokens=True, detect_refresh_token_reuse=True) as fake:
        yield fake


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "RUNAI_CLI_CONFIG_PATH": str(home / ".runai"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **extra,
    }


class Calls:
    """Counts the calls of some methods of a class in this process (then calls them)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cls: type, sync: str, asyn: str) -> None:
        self._cond = threading.Condition()
        self.count = 0
        plain, coroutine = getattr(cls, sync), getattr(cls, asyn)

        def counted(this: Any, *args: Any) -> Any:
            self._seen()
            return plain(this, *args)

        async def acounted(this: Any, *args: Any) -> Any:
            self._seen()
            return await coroutine(this, *args)

        monkeypatch.setattr(cls, sync, counted)
        monkeypatch.setattr(cls, asyn, acounted)

    def _seen(self) -> None:
        with self._cond:
            self.count += 1
            self._cond.notify_all()

    def wait_for(self, n: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.count >= n, HANG_GUARD), self.count


class CliProcess:
    """`runai-token get --no-cache` running; `waiting` is set once it waits for the lock."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.waiting = threading.Event()
        self._errors: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-c", ANNOUNCING_CLI, "get", "--no-cache"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stderr,))
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            if line.strip() == "refresh-lock: waiting":
                self.waiting.set()
            else:
                self._errors.append(line)

    def token(self) -> str:
        out, _ = self.process.communicate(timeout=HANG_GUARD)
        self._reader.join(HANG_GUARD)
        assert self.process.returncode == 0, "".join(self._errors)
        return out.strip()


def expire(store: Any, server: FakeRunaiServer) -> StoredLogin:
    """Make the stored login's access token one that expired an hour ago, as another process
    left it; the login as stored now."""
    login = store.load(server.url)
    assert login is not None
    old = StoredAccess(server.issue_access_token(SUBJECT), time.time() - 7200, 3600.0)
    store.replace_refresh_token(login.replace(access=old))
    expired: StoredLogin = store.load(server.url)
    return expired


@pytest.fixture(params=["file", "keyring"])
def kind(request: pytest.FixtureRequest, home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where the login is kept. The keyring is one that every process of the test shares (a
    file, as an OS keyring is one store for a person's processes)."""
    if request.param == "keyring":
        monkeypatch.setenv(file_keyring.VARIABLE, str(home / "keyring.json"))
        previous = keyring.get_keyring()
        keyring.set_keyring(file_keyring.FileKeyring())
        request.addfinalizer(lambda: keyring.set_keyring(previous))
    return str(request.param)


def kind_env(home: Path, kind: str) -> dict[str, str]:
    if kind == "file":
        return cli_env(home)
    return cli_env(
        home,
        PYTHON_KEYRING_BACKEND="tests.helpers.file_keyring.FileKeyring",
        **{file_keyring.VARIABLE: str(home / "keyring.json")},
    )


def test_every_caller_anywhere_shares_one_refresh_of_an_expired_login(
    home: Path, server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    store = open_store(kind)  # type: ignore[arg-type]
    log_in(server, store)
    first = expire(store, server)
    waits = Calls(monkeypatch, _refresh_lock.RefreshLock, "acquire", "aacquire")
    gate = server.hold_grants(timeout=HANG_GUARD)

    tokens: list[str] = []
    failures: list[BaseException] = []

    def call(get: Any) -> None:
        try:
            tokens.append(get())
        except BaseException as exc:  # reported below, with the rest
            failures.append(exc)

    # 8 threads on two TokenAuths, an asyncio task on a third, two CLI processes.
    auths = [TokenAuth(server.url, LoginSession()) for _ in range(3)]
    threads = [threading.Thread(target=call, args=(auths[i % 2].get_token,)) for i in range(8)]
    threads.append(
        threading.Thread(target=call, args=(lambda: asyncio.run(auths[2].aget_token()),))
    )
    for thread in threads:
        thread.start()
    clis = [CliProcess(home, kind_env(home, kind)) for _ in range(2)]

    # Every one of them is queued before the first refresh is answered: each TokenAuth's fetch
    # (the 4 threads of one TokenAuth share its single flight) and each CLI wait for the lock,
    # and one refresh is at the gate.
    waits.wait_for(3)
    for cli in clis:
        assert cli.waiting.wait(HANG_GUARD)
    assert gate.arrived.wait(HANG_GUARD)
    gate.open()
    for thread in threads:
        thread.join(HANG_GUARD)
    tokens += [cli.token() for cli in clis]

    assert failures == []
    assert len(tokens) == 11
    assert len(set(tokens)) == 1  # the one token the one refresh brought
    assert server.decode_token(tokens[0])["sub"] == SUBJECT
    assert server.refreshes == 1
    assert server.token_requests == 1
    assert server.refresh_token_reuses == 0
    # The rotated token was saved, and the session is alive: its next refresh works.
    rotated = store.load(server.url)
    assert rotated is not None and rotated.refresh_token != first.refresh_token
    clock = FakeClock()
    later = TokenAuth(server.url, LoginSession(), clock=clock)
    assert later.get_token() == tokens[0]  # the shared token, no refresh
    clock.advance(server.lifetime)
    assert server.decode_token(later.get_token())["sub"] == SUBJECT
    assert server.refreshes == 2
    assert files_holding(home, first.refresh_token) == []
    if kind == "keyring":  # the token lives in the keyring only; the lock file beside the index
        assert files_holding(home / ".cache", rotated.refresh_token) == []
        assert (home / ".cache" / "runai-tokens" / lock_file_name(server.url)).exists()


def test_without_the_lock_the_same_callers_lose_the_login(
    home: Path, server: FakeRunaiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the lock prevents, shown with it taken away (in this process): two TokenAuths that
    refresh at once send one refresh token twice, and the provider ends the login."""
    store = open_store("file")
    log_in(server, store)
    expire(store, server)
    monkeypatch.setattr(_refresh_lock.RefreshLock, "acquire", lambda lock, timeout: None)
    monkeypatch.setattr(_refresh_lock.RefreshLock, "release", lambda lock: None)
    grants = Calls(monkeypatch, Grants, "grant", "agrant")
    gate = server.hold_grants(timeout=HANG_GUARD)
    outcomes: list[object] = []

    def call(auth: TokenAuth) -> None:
        try:
            outcomes.append(auth.get_token())
        except Exception as exc:
            outcomes.append(exc)

    threads = [
        threading.Thread(target=call, args=(TokenAuth(server.url, LoginSession()),))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    grants.wait_for(2)  # both read the store and sent its refresh token
    gate.open()
    for thread in threads:
        thread.join(HANG_GUARD)
    assert server.refresh_token_reuses == 1
    assert sum(isinstance(outcome, Exception) for outcome in outcomes) == 1
    with pytest.raises(ApiException):  # the winner's rotated token died with the login
        server_refresh(server, store)


def server_refresh(server: FakeRunaiServer, store: Any) -> None:
    from runai_tokens import RefreshTokenCredentials

    login = store.load(server.url)
    TokenAuth(server.url, RefreshTokenCredentials(login.refresh_token)).get_token()


def test_a_stored_access_token_that_is_still_fresh_is_used_without_a_refresh(
    home: Path, server: FakeRunaiServer
) -> None:
    store = open_store("file")
    log_in(server, store)
    token = TokenAuth(server.url, LoginSession()).get_token()
    assert server.refreshes == 1
    # Another TokenAuth (another program, a notebook restarted) finds it in the store.
    assert TokenAuth(server.url, LoginSession()).get_token() == token
    assert server.refreshes == 1


@contextmanager
def held_by_another_process(home: Path, server: FakeRunaiServer) -> Iterator[None]:
    """The login's lock file, locked as a process in the middle of a refresh holds it."""
    directory = home / ".cache" / "runai-tokens"
    holder = os.open(directory / lock_file_name(server.url), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(holder)


def test_a_wait_for_the_lock_is_bounded_and_says_so(home: Path, server: FakeRunaiServer) -> None:
    log_in(server, open_store("file"))
    quick = RetryPolicy(deadline=0.2, max_attempts=1)  # with timeout: a 0.3 s wait at most
    auth = TokenAuth(server.url, LoginSession(), retry=quick, timeout=0.1)
    with held_by_another_process(home, server):
        with pytest.raises(RefreshLockTimeout) as caught:
            auth.get_token()
        assert isinstance(caught.value, ApiException) and caught.value.status is None
        assert "waiting for another refresh of the login for" in str(caught.value)
        with pytest.raises(RefreshLockTimeout):
            asyncio.run(auth.aget_token())
        assert server.token_requests == 0  # nothing was sent
    # Once the other process lets go, the login works (its refresh token was never sent).
    assert server.decode_token(auth.get_token())["sub"] == SUBJECT
    busy = _cli_error(RefreshLockTimeout(server.url, 90.0), 1)
    assert busy.code == ExitCode.UNAVAILABLE
    assert str(busy).startswith("the login is busy: gave up after 90s waiting")


def test_a_cli_process_waits_for_another_process_s_refresh_and_uses_its_result(
    home: Path, server: FakeRunaiServer
) -> None:
    store = open_store("file")
    log_in(server, store)
    first = expire(store, server)
    with held_by_another_process(home, server):
        cli = CliProcess(home, cli_env(home))
        assert cli.waiting.wait(HANG_GUARD)
        # The other process refreshes and saves what it got, then lets go.
        granted = api_refresh(server, first.refresh_token)
        access = StoredAccess(granted["access_token"], time.time(), 3600.0)
        store.replace_refresh_token(  # type: ignore[attr-defined]
            first.replace(refresh_token=granted["refresh_token"], access=access)
        )
    assert cli.token() == granted["access_token"]
    assert (server.refreshes, server.refresh_token_reuses) == (1, 0)


def api_refresh(server: FakeRunaiServer, refresh_token: str) -> dict[str, Any]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID}
    response = httpx.post(server.url + "/api/v2/token", data=form)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_forked_child_does_not_keep_its_parent_s_lock(
    home: Path, server: FakeRunaiServer
) -> None:
    log_in(server, open_store("file"))
    lock = LoginSession().refresh_lock(server.url)
    lock.acquire(HANG_GUARD)
    go, went = os.pipe()
    started, up = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: alive, with a copy of every descriptor, until told to go
        try:
            os.close(went)
            os.write(up, b"!")  # past the fork handlers
            os.read(go, 1)
        finally:
            os._exit(0)
    os.close(go)
    os.close(up)
    try:
        assert os.read(started, 1) == b"!"
        os.close(started)
        lock.release()
        # Another process's try, without waiting: the lock is free although the child lives.
        directory = home / ".cache" / "runai-tokens"
        other = os.open(directory / lock_file_name(server.url), os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(other)
    finally:
        os.close(went)
        os.waitpid(pid, 0)


def test_a_lock_file_planted_as_a_symlink_is_not_followed(
    home: Path, server: FakeRunaiServer, caplog: pytest.LogCaptureFixture
) -> None:
    log_in(server, open_store("file"))
    target = home / "elsewhere"
    (home / ".cache" / "runai-tokens" / lock_file_name(server.url)).symlink_to(target)
    assert server.decode_token(TokenAuth(server.url, LoginSession()).get_token())["sub"] == SUBJECT
    assert not target.exists()  # neither created nor locked through the link
    assert "without its cross-process lock (the login's refresh lock is a symbolic link)" in (
        caplog.text
    )
