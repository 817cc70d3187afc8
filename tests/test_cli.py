"""runai-token as a subprocess (`python -m runai_tokens`) against FakeRunaiServer.

Each output format and each exit code goes through a real process, so the wiring (entry point,
argv, environment, stdin, exit status) is what is tested. Finer cases run in process in
test_cli_main.py.
"""

from __future__ import annotations

import json
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from runai_tokens._generated import GRANT_V2_PATH
from runai_tokens.testing import FakeRunaiServer

from tests.helpers.cli import (
    APP_ID,
    APP_SECRET,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USERNAME,
    cache_dir,
    cli_env,
    run_cli,
    server,
)

__all__ = ["cache_dir", "server"]  # fixtures, imported for pytest

# client.authentication.k8s.io/v1 ExecCredential as the Kubernetes API types define it
# (k8s.io/client-go/pkg/apis/clientauthentication/v1): what an exec plugin may print.
EXEC_CREDENTIAL_V1 = {
    "type": "object",
    "required": ["apiVersion", "kind", "status"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "client.authentication.k8s.io/v1"},
        "kind": {"const": "ExecCredential"},
        "spec": {"type": "object"},
        "status": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "expirationTimestamp": {"type": "string"},
                "token": {"type": "string", "minLength": 1},
                "clientCertificateData": {"type": "string"},
                "clientKeyData": {"type": "string"},
            },
        },
    },
}


def claims(server: FakeRunaiServer, token: str) -> dict[str, Any]:
    return server.decode_token(token)


# --- output formats (exit 0) ---------------------------------------------------------------


def test_plain(server: FakeRunaiServer, cache_dir: Path) -> None:
    result = run_cli("get", env=cli_env(server.url, cache_dir))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    token = result.stdout.removesuffix("\n")
    assert "\n" not in token
    assert claims(server, token)["sub"] == CLIENT_ID


def test_json(server: FakeRunaiServer, cache_dir: Path) -> None:
    result = run_cli("get", "--output", "json", env=cli_env(server.url, cache_dir))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"accessToken", "expiresAt", "expiresIn"}
    token_exp = claims(server, data["accessToken"])["exp"]
    expires_at = datetime.fromisoformat(data["expiresAt"])
    assert expires_at.tzinfo == UTC
    # Anchored at the request's start, so never later than the token's own exp.
    assert token_exp - 5 <= expires_at.timestamp() <= token_exp
    assert 3590 <= data["expiresIn"] <= 3600


def test_env(server: FakeRunaiServer, cache_dir: Path) -> None:
    result = run_cli("get", "-o", "env", env=cli_env(server.url, cache_dir))
    assert result.returncode == 0, result.stderr
    # What `eval "$(runai-token get --output env)"` would do, checked by a real shell.
    shell = subprocess.run(
        ["sh", "-c", 'eval "$1"; printf %s "$RUNAI_ACCESS_TOKEN"', "sh", result.stdout],
        capture_output=True,
        text=True,
        check=True,
    )
    assert claims(server, shell.stdout)["sub"] == CLIENT_ID
    assert "RUNAI_ACCESS_TOKEN_EXPIRES_AT=" in result.stdout


def test_exec_credential_matches_the_kubernetes_schema(
    server: FakeRunaiServer, cache_dir: Path
) -> None:
    # What kubectl sets for an exec plugin configured with apiVersion v1.
    info = '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{}}'
    env = cli_env(server.url, cache_dir, KUBERNETES_EXEC_INFO=info)
    result = run_cli("get", "--output", "exec-credential", env=env)
    assert result.returncode == 0, result.stderr
    credential = json.loads(result.stdout)
    jsonschema.validate(credential, EXEC_CREDENTIAL_V1)
    assert credential["apiVersion"] == "client.authentication.k8s.io/v1"
    assert credential["kind"] == "ExecCredential"
    assert set(credential) == {"apiVersion", "kind", "status"}
    status = credential["status"]
    assert set(status) == {"token", "expirationTimestamp"}
    assert claims(server, status["token"])["sub"] == CLIENT_ID
    # RFC 3339 as metav1.Time writes it: UTC with a Z, whole seconds.
    stamp = status["expirationTimestamp"]
    assert stamp.endswith("Z")
    expires = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert expires > datetime.now(UTC)
    assert expires.timestamp() <= claims(server, status["token"])["exp"]


def test_exec_credential_honours_v1beta1(server: FakeRunaiServer, cache_dir: Path) -> None:
    info = '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential"}'
    env = cli_env(server.url, cache_dir, KUBERNETES_EXEC_INFO=info)
    result = run_cli("get", "--output", "exec-credential", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["apiVersion"] == "client.authentication.k8s.io/v1beta1"


def test_app_and_password_grants(server: FakeRunaiServer, cache_dir: Path) -> None:
    env = cli_env(server.url, cache_dir, RUNAI_CLIENT_ID=APP_ID, RUNAI_CLIENT_SECRET=APP_SECRET)
    app = run_cli("get", "--grant", "app", env=env)
    assert app.returncode == 0, app.stderr
    assert claims(server, app.stdout.strip())["sub"] == APP_ID

    env = cli_env(server.url, cache_dir)
    password = run_cli(
        "get", "--grant", "password", "--username", USERNAME, "--password-file", "-",
        env=env, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert password.returncode == 0, password.stderr
    assert claims(server, password.stdout.strip())["sub"] == USERNAME


# --- exit codes 2, 3, 4 --------------------------------------------------------------------


def test_usage_error_exit_2(server: FakeRunaiServer, cache_dir: Path) -> None:
    env = cli_env(server.url, cache_dir)
    del env["RUNAI_BASE_URL"]
    result = run_cli("get", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "RUNAI_BASE_URL" in result.stderr
    assert server.count() == 0


def test_secret_as_argument_is_refused_exit_2(server: FakeRunaiServer, cache_dir: Path) -> None:
    result = run_cli("get", "--client-secret", CLIENT_SECRET, env=cli_env(server.url, cache_dir))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert server.count() == 0


def test_rejected_credentials_exit_3(server: FakeRunaiServer, cache_dir: Path) -> None:
    env = cli_env(server.url, cache_dir, RUNAI_CLIENT_SECRET="fake-secret-wrong")
    result = run_cli("get", env=env)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr.startswith("runai-token: credentials rejected (invalid client): (401)")
    assert result.stderr.count("\n") == 1
    assert "fake-secret-wrong" not in result.stderr
    assert not list(cache_dir.glob("runai-tokens/*.json"))


def test_unavailable_after_retries_exit_4(server: FakeRunaiServer, cache_dir: Path) -> None:
    server.fail_next(2, 503, path=GRANT_V2_PATH, retry_after=0)
    result = run_cli("get", "--max-attempts", "2", env=cli_env(server.url, cache_dir))
    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr.startswith("runai-token: service unavailable after 2 attempts: (503)")
    assert result.stderr.count("\n") == 1
    assert server.count(GRANT_V2_PATH) == 2


def test_unreachable_exit_4(cache_dir: Path, unused_port: int) -> None:
    result = run_cli(
        "get", "--max-attempts", "1", env=cli_env(f"http://127.0.0.1:{unused_port}", cache_dir)
    )
    assert result.returncode == 4
    assert result.stderr.startswith("runai-token: service unreachable after 1 attempt")
    assert result.stderr.count("\n") == 1


# --- the cache -----------------------------------------------------------------------------


def test_warm_cache_sends_nothing_and_files_are_private(
    server: FakeRunaiServer, cache_dir: Path
) -> None:
    env = cli_env(server.url, cache_dir)
    first = run_cli("get", env=env)
    assert first.returncode == 0, first.stderr
    requests = server.count()
    second = run_cli("get", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert server.count() == requests == 1
    directory = cache_dir / "runai-tokens"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (entry,) = directory.glob("*.json")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_concurrent_invocations_mint_one_token(server: FakeRunaiServer, cache_dir: Path) -> None:
    env = cli_env(server.url, cache_dir)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: run_cli("get", env=env), range(8)))
    assert [r.returncode for r in results] == [0] * 8, [r.stderr for r in results]
    assert len({r.stdout for r in results}) == 1
    assert server.tokens_issued == 1
    assert server.count(GRANT_V2_PATH) == 1


def test_corrupt_cache_is_replaced(server: FakeRunaiServer, cache_dir: Path) -> None:
    env = cli_env(server.url, cache_dir)
    assert run_cli("get", env=env).returncode == 0
    (entry,) = (cache_dir / "runai-tokens").glob("*.json")
    entry.write_text('{"format": 1, "accessToken": ')
    result = run_cli("get", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert server.tokens_issued == 2
    assert json.loads(entry.read_text())["accessToken"] == result.stdout.strip()


def test_no_cache_mints_every_time_and_writes_nothing(
    server: FakeRunaiServer, cache_dir: Path
) -> None:
    env = cli_env(server.url, cache_dir)
    for _ in range(2):
        assert run_cli("get", "--no-cache", env=env).returncode == 0
    assert server.tokens_issued == 2
    assert not cache_dir.exists()
