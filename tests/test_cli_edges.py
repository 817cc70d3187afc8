"""runai-token's edges, as a process: each ends in its exit code and one line, never a traceback.

- `serve --port` out of range (socket.bind raised OverflowError); `serve --version` of every
  version the contract covers, and a usage error naming them for any other;
- a credential in the environment (or argv) whose bytes are not UTF-8: exit 2, as the same bytes
  in a secret file get (it was exit 1, "unexpected error: UnicodeEncodeError");
- `get --token-endpoint v2` against a control plane older than 2.24: exit 2 with what to use;
- half a service account (RUNAI_CLIENT_ID without RUNAI_CLIENT_SECRET, or the reverse): exit 2
  naming both, never a silent fall-through to a person's runai CLI session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from runai_tokens._generated import CONTRACT_VERSION, GRANT_PATH, GRANT_V2_PATH
from runai_tokens.cli._exit import ExitCode
from runai_tokens.testing import FakeRunaiServer

from .helpers.cli import CLIENT_ID, CLIENT_SECRET, SECRETS
from .helpers.runai_cli import jwt, write_session
from .helpers.versions import VERSION_NAMES


def run(*argv: str | bytes, env: dict[bytes, bytes]) -> subprocess.CompletedProcess[bytes]:
    """runai-token as a process, with an environment of bytes (os.environ cannot hold the
    non-UTF-8 ones): one line on stderr, no secret, no traceback."""
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"runai_tokens", *(_bytes(a) for a in argv)],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    for secret in SECRETS:
        assert secret.encode() not in result.stdout + result.stderr
    if result.returncode != 0:
        assert result.stdout == b""
        assert result.stderr.startswith(b"runai-token: ")
        assert result.stderr.count(b"\n") == 1, result.stderr
    return result


def _bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


def environment(**variables: str | bytes) -> dict[bytes, bytes]:
    """This process's environment without any RUNAI_* or kubectl variable, plus variables."""
    env = {
        key.encode(): value.encode()
        for key, value in os.environ.items()
        if not key.startswith(("RUNAI_", "KUBERNETES_"))
    }
    # Where get looks for a person's sessions: conftest's empty directories, never the real ones.
    env[b"RUNAI_CLI_CONFIG_PATH"] = os.environ["RUNAI_CLI_CONFIG_PATH"].encode()
    env.update({key.encode(): _bytes(value) for key, value in variables.items()})
    return env


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as fake:
        fake.add_client(CLIENT_ID, CLIENT_SECRET)
        yield fake


# --- serve -----------------------------------------------------------------------------------


@pytest.mark.parametrize("port", ["70000", "65536", "-1", "99999999999999999999"])
def test_serve_refuses_a_port_out_of_range(port: str) -> None:
    result = run("serve", "--port", port, env=environment())
    assert result.returncode == ExitCode.USAGE
    assert result.stderr == (
        b"runai-token: argument --port: must be a number from 0 (any free port) to 65535 "
        b"(see runai-token serve --help)\n"
    )


def test_serve_offers_the_versions_of_the_contract() -> None:
    """Read from openapi.yaml's info.version, so that a version added there is served."""
    from runai_tokens.testing._versions import contract_versions

    assert contract_versions(CONTRACT_VERSION) == VERSION_NAMES


@pytest.mark.parametrize("version", ["2.17", "2.25", "2.2", "latest", "2.24.1"])
def test_serve_names_the_versions_it_offers(version: str) -> None:
    result = run("serve", "--version", version, env=environment())
    assert result.returncode == ExitCode.USAGE
    assert (
        result.stderr
        == (
            f"runai-token: argument --version: choose from {', '.join(VERSION_NAMES)} "
            "(see runai-token serve --help)\n"
        ).encode()
    )


@pytest.mark.parametrize("version", VERSION_NAMES)
def test_serve_answers_as_every_version_of_the_contract(version: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "runai_tokens", "serve", "--version", version],
        env={k.decode(): v.decode() for k, v in environment().items()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = []
        for line in proc.stdout:
            banner.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        assert banner[0].startswith(f"fake Run:ai control plane {version} on http://127.0.0.1:")
        exports = dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in banner
            if line.strip().startswith("export ")
        )
        # --token-endpoint v1 works on every version; v2 only from 2.24 (checked below).
        result = run("get", "--no-cache", "--grant", "app", "--token-endpoint", "v1",
                     env=environment(RUNAI_BASE_URL=exports["RUNAI_BASE_URL"],
                                     RUNAI_CLIENT_ID="demo-app",
                                     RUNAI_CLIENT_SECRET="fake-secret-demo-app"))  # fmt: skip
        assert result.returncode == 0, result.stderr
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr


# --- non-UTF-8 values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "argv", "name"),
    [
        ({"RUNAI_CLIENT_SECRET": b"fake-secret-\xff\xfe"}, (), "RUNAI_CLIENT_SECRET"),
        ({"RUNAI_CLIENT_ID": b"client-\xff"}, (), "RUNAI_CLIENT_ID"),
        ({"RUNAI_CLIENT_SECRET": b"fake-secret-\xff"}, ("--no-cache",), "RUNAI_CLIENT_SECRET"),
        ({"RUNAI_CLIENT_SECRET": b"fake-secret-\xff"}, ("--grant", "app"), "RUNAI_CLIENT_SECRET"),
        ({}, ("--client-id", b"client-\xff"), "--client-id"),
        ({"RUNAI_USERNAME": b"user-\xff", "RUNAI_PASSWORD": "p"}, ("--grant", "password"),
         "RUNAI_USERNAME"),
        ({"RUNAI_USERNAME": "u", "RUNAI_PASSWORD": b"fake-\xff"}, ("--grant", "password"),
         "RUNAI_PASSWORD"),
        ({"RUNAI_EXTERNAL_TOKEN": b"fake-\xff"}, ("--grant", "external"), "RUNAI_EXTERNAL_TOKEN"),
    ],
)  # fmt: skip
def test_a_non_utf8_credential_is_a_usage_error_naming_it(
    server: FakeRunaiServer,
    tmp_path: Path,
    variables: dict[str, str | bytes],
    argv: tuple[str | bytes, ...],
    name: str,
) -> None:
    defaults = {"RUNAI_CLIENT_ID": CLIENT_ID, "RUNAI_CLIENT_SECRET": CLIENT_SECRET}
    env = environment(
        RUNAI_BASE_URL=server.url, XDG_CACHE_HOME=str(tmp_path), **(defaults | variables)
    )
    result = run("get", *argv, env=env)
    assert result.returncode == ExitCode.USAGE
    assert result.stderr == f"runai-token: {name} is not UTF-8 text\n".encode()
    assert server.count() == 0


def test_the_same_bytes_in_a_secret_file_get_the_same_exit_code(
    server: FakeRunaiServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"fake-secret-\xff\xfe")
    env = environment(RUNAI_BASE_URL=server.url, RUNAI_CLIENT_ID=CLIENT_ID)
    result = run("get", "--client-secret-file", str(secret), env=env)
    assert result.returncode == ExitCode.USAGE
    assert b"not UTF-8 text" in result.stderr


# --- --token-endpoint v2 on an older control plane ---------------------------------------------

OLDER = [version for version in VERSION_NAMES if version < "2.24"]


@pytest.mark.parametrize("version", OLDER)
def test_token_endpoint_v2_without_v2_is_a_usage_error_with_a_hint(version: str) -> None:
    with FakeRunaiServer(version=version) as server:
        server.add_client(CLIENT_ID, CLIENT_SECRET)
        env = environment(
            RUNAI_BASE_URL=server.url, RUNAI_CLIENT_ID=CLIENT_ID, RUNAI_CLIENT_SECRET=CLIENT_SECRET
        )
        pinned = run("get", "--no-cache", "--token-endpoint", "v2", env=env)
        assert pinned.returncode == ExitCode.USAGE
        assert pinned.stderr.startswith(
            f"runai-token: this control plane has no {GRANT_V2_PATH} (Run:ai added it in 2.24; "
            "or the base URL is not the control plane's): use --token-endpoint auto or v1: "
            "(404)".encode()
        )
        assert server.count(GRANT_V2_PATH) == 1
        assert server.count(GRANT_PATH) == 0
        if version >= "2.20":  # what the hint says to use works (2.20 brought this grant)
            assert run("get", "--no-cache", "--token-endpoint", "auto", env=env).returncode == 0


# --- half a service account ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "missing", "given"),
    [
        ({"RUNAI_CLIENT_ID": CLIENT_ID}, "RUNAI_CLIENT_SECRET", "RUNAI_CLIENT_ID"),
        ({"RUNAI_CLIENT_ID": CLIENT_ID, "RUNAI_CLIENT_SECRET": ""}, "RUNAI_CLIENT_SECRET",
         "RUNAI_CLIENT_ID"),
        ({"RUNAI_CLIENT_ID": CLIENT_ID, "RUNAI_CLIENT_SECRET": " \n"}, "RUNAI_CLIENT_SECRET",
         "RUNAI_CLIENT_ID"),
        ({"RUNAI_CLIENT_SECRET": CLIENT_SECRET}, "RUNAI_CLIENT_ID", "RUNAI_CLIENT_SECRET"),
        ({"RUNAI_CLIENT_ID": "", "RUNAI_CLIENT_SECRET": CLIENT_SECRET}, "RUNAI_CLIENT_ID",
         "RUNAI_CLIENT_SECRET"),
    ],
)  # fmt: skip
def test_half_a_service_account_never_falls_through_to_a_session(
    tmp_path: Path, variables: dict[str, str], missing: str, given: str
) -> None:
    """A person's runai CLI session is right there, and would work: it is not used."""
    with FakeRunaiServer() as server:
        session = tmp_path / "runai"
        write_session(session, jwt(3600), url=server.url)
        env = environment(
            RUNAI_CLI_CONFIG_PATH=str(session), XDG_CACHE_HOME=str(tmp_path / "cache"), **variables
        )
        result = run("get", env=env)
        assert result.returncode == ExitCode.USAGE
        expected = (
            f"runai-token: environment variable {missing} is not set (or is empty), but "
            f"{given} is: set both for a service account, or neither to look for other "
            "credentials\n"
        )
        assert result.stderr == expected.encode()
        # The control: without the half pair, the session is found and used.
        clean = environment(RUNAI_CLI_CONFIG_PATH=str(session), XDG_CACHE_HOME=str(tmp_path))
        assert run("get", env=clean).returncode == 0
        assert server.count() == 0  # a runai CLI session is read from its files, not granted
