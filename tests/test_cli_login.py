"""`runai-token login` as a process: a $BROWSER that follows the redirect as a browser would,
paste mode through stdin, Ctrl-C, and what is stored (and where nobody else can read it)."""

from __future__ import annotations

import json
import os
import pty
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from runai_tokens import RefreshTokenCredentials, TokenAuth
from runai_tokens.login import open_store
from runai_tokens.testing import FakeRunaiServer

from tests.helpers.browsers import location

SUBJECT = "carol@example.com"
# A service account's id in the environment: the login must not take it for its client id.
SERVICE_ACCOUNT = "ci-pipeline-not-the-login-client"

FOLLOWING_BROWSER = """\
#!{python}
# A browser: fetch the authorize URL; urllib follows the 302 to the loopback listener.
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=60) as answer:
    page = answer.read().decode()
with open(sys.argv[0] + ".page", "w") as out:
    out.write(str(answer.status) + "\\n" + page)
"""

STUCK_BROWSER = """\
#!{python}
# A browser nobody logs in with: says it opened, then waits to be ended.
import os
import sys
import time

with open(sys.argv[0] + ".opened", "w") as out:
    out.write(str(os.getpid()))
time.sleep(120)
"""


@pytest.fixture
def idp() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as server:
        server.login_as(SUBJECT)
        yield server


def browser(tmp_path: Path, source: str) -> Path:
    script = tmp_path / "browser"
    script.write_text(source.format(python=sys.executable))
    script.chmod(0o700)
    return script


def env_for(tmp_path: Path, server: FakeRunaiServer, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RUNAI_", "KUBERNETES_")) and k not in ("XDG_CACHE_HOME", "BROWSER")
    }
    env.update(
        RUNAI_BASE_URL=server.url,
        RUNAI_CLIENT_ID=SERVICE_ACCOUNT,
        HOME=str(tmp_path / "home"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        RUNAI_CLI_CONFIG_PATH=str(tmp_path / "no-runai-cli"),
        **extra,
    )
    return env


def login(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runai_tokens", "login", "--store", "file", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stored_refresh_token(tmp_path: Path, server: FakeRunaiServer) -> str | None:
    found = open_store("file", cache_dir=tmp_path / "cache" / "runai-tokens").load(server.url)
    if found is None:
        return None
    assert found.client_id == "runai" and found.subject == SUBJECT
    return found.refresh_token


def exchanged(server: FakeRunaiServer) -> list[dict[str, object]]:
    """The bodies of the token requests that carried a code (the endpoint's probe has none)."""
    return [
        r.body for r in server.requests if r.path.endswith("/token") and "code" in (r.body or {})
    ]


def assert_private(directory: Path, secret: str) -> None:
    """Every file under directory is the user's alone; the one holding secret among them."""
    holders = []
    for path in directory.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode & 0o077 == 0, f"{path.name} is {oct(mode)}"
        if path.is_file() and secret.encode() in path.read_bytes():
            holders.append(path)
    assert holders, "the refresh token is stored in a file"


def assert_no_token(result: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for text in (result.stdout, result.stderr):
        assert "eyJ" not in text  # no JWT at all
        for secret in secrets:
            assert secret not in text


def test_login_through_a_browser_end_to_end(tmp_path: Path, idp: FakeRunaiServer) -> None:
    script = browser(tmp_path, FOLLOWING_BROWSER)
    result = login(env_for(tmp_path, idp, BROWSER=str(script)))
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout == f"Logged in to {idp.url} as {SUBJECT} (session kept in the file store).\n"
    )
    refresh = stored_refresh_token(tmp_path, idp)
    assert refresh is not None
    assert_private(tmp_path / "cache", refresh)
    assert_no_token(result, refresh)
    status, page = Path(f"{script}.page").read_text().split("\n", 1)
    assert status == "200" and "You are logged in" in page
    assert "code=" not in page and refresh not in page
    [form] = exchanged(idp)
    assert form["client_id"] == "runai"  # not the service account's RUNAI_CLIENT_ID
    # The stored session works: the refresh token is one the control plane honours.
    auth = TokenAuth(idp.url, RefreshTokenCredentials(refresh, client_id="runai"))
    assert idp.decode_token(auth.get_token())["sub"] == SUBJECT


def test_a_login_through_localhost_as_runai_s_own_cli_redirects(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    with socket.socket() as sock:  # a free port, as 43121 is on a machine without `runai login`
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = browser(tmp_path, FOLLOWING_BROWSER)
    env = env_for(tmp_path, idp, BROWSER=str(script))
    result = login(env, "--redirect-host", "localhost", "--listen-port", str(port))
    assert result.returncode == 0, result.stderr
    assert f"redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Fcallback" in result.stderr
    [form] = exchanged(idp)
    assert form["redirect_uri"] == f"http://localhost:{port}/callback"
    assert stored_refresh_token(tmp_path, idp) is not None


def test_a_redirect_host_that_is_not_loopback_is_a_usage_error(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    result = login(env_for(tmp_path, idp), "--redirect-host", "0.0.0.0")  # noqa: S104
    assert result.returncode == 2
    assert "invalid choice: '0.0.0.0'" in result.stderr
    assert idp.requests == []


def test_the_login_client_id_has_a_variable_of_its_own(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    script = browser(tmp_path, FOLLOWING_BROWSER)
    env = env_for(tmp_path, idp, BROWSER=str(script), RUNAI_LOGIN_CLIENT_ID="runai-cli")
    result = login(env, "--store", "none")
    assert result.returncode == 0, result.stderr
    assert "not stored" in result.stdout
    [form] = exchanged(idp)
    assert form["client_id"] == "runai-cli"
    assert not (tmp_path / "cache").exists()


def test_paste_mode_through_stdin(tmp_path: Path, idp: FakeRunaiServer) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "runai_tokens", "login", "--no-browser", "--store", "file"],
        env=env_for(tmp_path, idp),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stderr is not None
    try:
        said: list[str] = []
        while not any(word.startswith(idp.url) for line in said for word in line.split()):
            line = proc.stderr.readline()
            assert line, "the URL to visit was printed"
            said.append(line)
        url = next(word for line in said for word in line.split() if word.startswith(idp.url))
        proc.stdin.write(location(url) + "\n")
        proc.stdin.close()
        stdout = proc.stdout.read() if proc.stdout else ""
        stderr = "".join(said) + proc.stderr.read()
        assert proc.wait(timeout=120) == 0, stderr
    finally:
        proc.kill()
        proc.wait()
    assert stdout.startswith(f"Logged in to {idp.url} as {SUBJECT}")
    refresh = stored_refresh_token(tmp_path, idp)
    assert refresh is not None
    assert_no_token(subprocess.CompletedProcess([], 0, stdout, stderr), refresh)


def test_a_pasted_redirect_of_another_login_stores_nothing(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    pasted = "http://127.0.0.1:43121/callback?code=fake-code-LEAK&state=another-login\n"
    result = login(env_for(tmp_path, idp), "--no-browser", stdin=pasted)
    assert result.returncode == 3
    assert "state is not this login's" in result.stderr
    assert "fake-code-LEAK" not in result.stderr + result.stdout
    assert stored_refresh_token(tmp_path, idp) is None
    assert exchanged(idp) == []


LOGIN = (sys.executable, "-m", "runai_tokens", "login")


def test_a_paste_that_never_comes_times_out_and_stores_nothing(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    proc = subprocess.Popen(
        [*LOGIN, "--no-browser", "--store", "file", "--timeout", "0.5"],
        env=env_for(tmp_path, idp),
        stdin=subprocess.PIPE,  # open, and nothing is ever written to it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        returncode = proc.wait(timeout=120)
        assert proc.stdout is not None and proc.stderr is not None
        stdout, stderr = proc.stdout.read(), proc.stderr.read()
    finally:
        proc.kill()
        proc.communicate()
    assert returncode == 3, stderr
    assert "login failed: no address was pasted within 0.5 s (--timeout to wait longer)" in stderr
    assert "Traceback" not in stderr and "Fatal" not in stderr
    assert stdout == ""
    assert stored_refresh_token(tmp_path, idp) is None
    assert exchanged(idp) == []


def test_paste_mode_with_stdin_at_its_end_says_so(tmp_path: Path, idp: FakeRunaiServer) -> None:
    result = login(env_for(tmp_path, idp), "--no-browser", stdin="")
    assert result.returncode == 3
    assert "the input ended before the address the browser ended on was pasted" in result.stderr
    assert stored_refresh_token(tmp_path, idp) is None


def test_a_login_nobody_finishes_times_out(tmp_path: Path, idp: FakeRunaiServer) -> None:
    script = browser(tmp_path, "#!/bin/sh\nexit 0\n")
    result = login(env_for(tmp_path, idp, BROWSER=str(script)), "--timeout", "0.5")
    assert result.returncode == 3
    assert "no answer from the browser within 0.5 s" in result.stderr
    assert stored_refresh_token(tmp_path, idp) is None


# `python -m runai_tokens` with Ctrl-C working as at a terminal. A process inherits an ignored
# SIGINT, and Python then leaves it ignored: a test suite started in the background by a
# non-interactive shell (`make test &`, as CI may) would otherwise send a Ctrl-C nobody hears.
INTERRUPTIBLE = [
    sys.executable,
    "-c",
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('runai_tokens', run_name='__main__', alter_sys=True)",
]


def test_ctrl_c_closes_the_listener_and_stores_nothing(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    script = browser(tmp_path, STUCK_BROWSER)
    opened = Path(f"{script}.opened")
    proc = subprocess.Popen(
        [*INTERRUPTIBLE, "login", "--store", "file", "--listen-port", "0"],
        env=env_for(tmp_path, idp, BROWSER=str(script)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    browser_pid = None
    try:
        while browser_pid is None:  # bounded by the browser's own start-up, then its sleep
            assert proc.poll() is None, proc.communicate()
            if opened.exists() and opened.read_text():
                browser_pid = int(opened.read_text())
        listener = _listening_port(proc.stderr)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()
        if browser_pid is not None:  # it holds our pipes open: end it before reading them
            os.kill(browser_pid, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert stdout == ""
    assert stored_refresh_token(tmp_path, idp) is None
    with pytest.raises(ConnectionRefusedError):  # the listener is gone with the process
        socket.create_connection(("127.0.0.1", listener), timeout=10).close()


def _listening_port(stderr: IO[str] | None) -> int:
    """The listener's port, from the redirect_uri in the URL printed on stderr."""
    from urllib.parse import parse_qs, urlsplit

    assert stderr is not None
    while True:
        line = stderr.readline()
        assert line, "the URL was printed"
        for word in line.split():
            if word.startswith("http"):
                redirect = parse_qs(urlsplit(word).query)["redirect_uri"][0]
                port = urlsplit(redirect).port
                assert port is not None
                return port


# --- kubectl: get --output exec-credential with no credentials ------------------------------


def get_exec_credential(env: dict[str, str], *, stdin: int, stderr: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runai_tokens", "get", "--output", "exec-credential"],
        env=env,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def test_exec_credential_without_a_terminal_names_the_login_command(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    env = env_for(tmp_path, idp)
    del env["RUNAI_CLIENT_ID"]  # a person's machine: no service account
    proc = get_exec_credential(env, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = proc.communicate("", timeout=120)
    assert proc.returncode == 3
    assert "run `runai-token login`" in stderr
    assert stdout == ""
    assert idp.requests == []  # no login was tried


def test_exec_credential_at_a_terminal_logs_in_first(tmp_path: Path, idp: FakeRunaiServer) -> None:
    env = env_for(tmp_path, idp, BROWSER=str(browser(tmp_path, FOLLOWING_BROWSER)))
    del env["RUNAI_CLIENT_ID"]
    primary, secondary = pty.openpty()  # kubectl's interactiveMode IfAvailable: the terminal
    try:
        proc = get_exec_credential(env, stdin=secondary, stderr=secondary)
        os.close(secondary)
        stdout, _ = proc.communicate(timeout=120)
        terminal = _read_all(primary)
    finally:
        os.close(primary)
    assert proc.returncode == 0, terminal
    credential = json.loads(stdout)
    assert credential["kind"] == "ExecCredential"
    assert idp.decode_token(credential["status"]["token"])["sub"] == SUBJECT
    assert f"logged in as {SUBJECT}" in terminal
    assert "eyJ" not in terminal
    refresh = stored_refresh_token(tmp_path, idp)
    assert refresh is not None and refresh not in terminal + stdout


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


# --- what a login leaves for `get`, and what it checks first ---------------------------------


def test_the_first_get_after_a_login_needs_no_refresh(tmp_path: Path, idp: FakeRunaiServer) -> None:
    env = env_for(tmp_path, idp, BROWSER=str(browser(tmp_path, FOLLOWING_BROWSER)))
    assert login(env).returncode == 0
    refresh = stored_refresh_token(tmp_path, idp)
    before = idp.token_requests
    del env["RUNAI_CLIENT_ID"]  # get finds the login, not a service account
    got = subprocess.run(
        [sys.executable, "-m", "runai_tokens", "get", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert got.returncode == 0, got.stderr
    assert idp.decode_token(json.loads(got.stdout)["accessToken"])["sub"] == SUBJECT
    assert idp.token_requests == before  # the login's own token, from the cache
    assert stored_refresh_token(tmp_path, idp) == refresh  # not rotated again


@pytest.mark.parametrize(
    ("args", "extra", "scope"),
    [
        ((), {}, "openid"),
        (("--scope", "openid offline_access"), {}, "openid offline_access"),
        ((), {"RUNAI_LOGIN_SCOPE": "openid  offline_access"}, "openid offline_access"),
        (("--scope", "openid"), {"RUNAI_LOGIN_SCOPE": "openid offline_access"}, "openid"),
    ],
)
def test_the_scope_comes_from_the_flag_or_the_environment(
    tmp_path: Path, idp: FakeRunaiServer, args: tuple[str, ...], extra: dict[str, str], scope: str
) -> None:
    env = env_for(tmp_path, idp, BROWSER=str(browser(tmp_path, FOLLOWING_BROWSER)), **extra)
    result = login(env, *args)
    assert result.returncode == 0, result.stderr
    [query] = [r.query for r in idp.requests if r.path.endswith("/openid-connect/auth")]
    assert query["scope"] in (scope, [scope])
    assert ("prompt" in query) is ("offline_access" in scope)


def test_a_bad_scope_is_a_usage_error(tmp_path: Path, idp: FakeRunaiServer) -> None:
    result = login(env_for(tmp_path, idp), "--scope", 'openid "quoted"')
    assert result.returncode == 2
    assert "--scope must be scope names" in result.stderr
    assert idp.requests == []


def test_without_offline_access_a_provider_that_needs_it_says_so(tmp_path: Path) -> None:
    with FakeRunaiServer(offline_access_only=True) as server:
        env = env_for(tmp_path, server, BROWSER=str(browser(tmp_path, FOLLOWING_BROWSER)))
        refused = login(env)
        assert refused.returncode == 1 and "sent no refresh token" in refused.stderr
        worked = login(env, "--scope", "openid offline_access")
        assert worked.returncode == 0, worked.stderr


def test_a_store_that_cannot_work_fails_before_the_browser(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    not_a_directory = tmp_path / "not-a-directory"
    not_a_directory.write_text("")
    env = env_for(tmp_path, idp, BROWSER=str(browser(tmp_path, STUCK_BROWSER)))
    result = login(env, "--cache-dir", str(not_a_directory))
    assert result.returncode == 2, result.stderr
    assert "the login store cannot be used" in result.stderr and "--store none" in result.stderr
    assert idp.requests == []  # no discovery, no browser
    assert not Path(tmp_path / "browser.opened").exists()


def test_a_keyring_store_without_a_backend_fails_before_the_browser(
    tmp_path: Path, idp: FakeRunaiServer
) -> None:
    env = env_for(
        tmp_path,
        idp,
        BROWSER=str(browser(tmp_path, STUCK_BROWSER)),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    result = subprocess.run(
        [*LOGIN, "--store", "keyring"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "the keyring store cannot be used" in result.stderr
    assert "--store file" in result.stderr
    assert idp.requests == []
