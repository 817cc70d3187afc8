"""`runai-token get --output ...` rendering, in process (the subprocess tests cover the wiring)."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime

import pytest
from runai_tokens.cli._output import (
    ENV_EXPIRES_VAR,
    ENV_VAR,
    OutputError,
    exec_credential_api_version,
    render,
    rfc3339,
)

NOW = 1_800_000_000.0
EXPIRES = NOW + 3600.5


def test_plain() -> None:
    assert render("plain", "tok", EXPIRES, NOW, {}) == "tok\n"


def test_json() -> None:
    data = json.loads(render("json", "tok", EXPIRES, NOW, {}))
    assert data == {"accessToken": "tok", "expiresAt": rfc3339(EXPIRES), "expiresIn": 3600}


def test_json_without_expiry() -> None:
    data = json.loads(render("json", "tok", None, NOW, {}))
    assert data == {"accessToken": "tok", "expiresAt": None, "expiresIn": None}


def test_env_is_shell_quoted() -> None:
    token = "to'k en"
    lines = render("env", token, EXPIRES, NOW, {}).splitlines()
    assert lines[0] == f"export {ENV_VAR}={shlex.quote(token)}"
    assert shlex.split(lines[0]) == ["export", f"{ENV_VAR}={token}"]
    assert lines[1] == f"export {ENV_EXPIRES_VAR}={rfc3339(EXPIRES)}"


def test_rfc3339_is_utc_whole_seconds_rounded_down() -> None:
    text = rfc3339(EXPIRES)
    assert text.endswith("Z")
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert parsed.timestamp() == int(EXPIRES)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        (None, "client.authentication.k8s.io/v1"),
        ("", "client.authentication.k8s.io/v1"),
        (
            '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
            '"spec":{"interactive":false}}',
            "client.authentication.k8s.io/v1",
        ),
        (
            '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential"}',
            "client.authentication.k8s.io/v1beta1",
        ),
    ],
)
def test_exec_credential_api_version(info: str | None, expected: str) -> None:
    environ = {} if info is None else {"KUBERNETES_EXEC_INFO": info}
    assert exec_credential_api_version(environ) == expected
    credential = json.loads(render("exec-credential", "tok", EXPIRES, NOW, environ))
    assert credential["apiVersion"] == expected


@pytest.mark.parametrize(
    "info",
    [
        "{oops",
        "[]",
        '{"kind":"ExecCredential"}',
        '{"apiVersion":"client.authentication.k8s.io/v1alpha1"}',
        '{"apiVersion":"example.com/v1"}',
    ],
)
def test_exec_credential_refuses_unknown_versions(info: str) -> None:
    with pytest.raises(OutputError):
        exec_credential_api_version({"KUBERNETES_EXEC_INFO": info})


def test_exec_credential_shape() -> None:
    credential = json.loads(render("exec-credential", "tok", EXPIRES, NOW, {}))
    assert credential == {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": "tok", "expirationTimestamp": rfc3339(EXPIRES)},
    }


def test_exec_credential_without_expiry_omits_the_optional_field() -> None:
    credential = json.loads(render("exec-credential", "tok", None, NOW, {}))
    assert credential["status"] == {"token": "tok"}


def test_unknown_format() -> None:
    with pytest.raises(OutputError):
        render("yaml", "tok", None, NOW, {})
