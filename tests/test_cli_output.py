"""`runai-token get --output ...` rendering, in process (the subprocess tests cover the wiring)."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runai_tokens.cli._output import (
    ENV_EXPIRES_VAR,
    ENV_VAR,
    FORMATS,
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


def _render_with_json(
    fmt: str, token: str, expires_at: float | None, now: float, environ: dict[str, str]
) -> str:
    """render as it was written with json.dumps and shlex.quote: the bytes render must keep."""
    if fmt == "plain":
        return token + "\n"
    if fmt == "json":
        data: dict[str, Any] = {
            "accessToken": token,
            "expiresAt": None if expires_at is None else rfc3339(expires_at),
            "expiresIn": None if expires_at is None else max(0, int(expires_at - now)),
        }
        return json.dumps(data, indent=2) + "\n"
    if fmt == "env":
        lines = [f"export {ENV_VAR}={shlex.quote(token)}"]
        if expires_at is not None:
            lines.append(f"export {ENV_EXPIRES_VAR}={rfc3339(expires_at)}")
        return "\n".join(lines) + "\n"
    status = {"token": token}
    if expires_at is not None:
        status["expirationTimestamp"] = rfc3339(expires_at)
    credential = {
        "apiVersion": exec_credential_api_version(environ),
        "kind": "ExecCredential",
        "status": status,
    }
    return json.dumps(credential) + "\n"


TOKENS = st.one_of(
    st.text(),
    st.text("abcXYZ019-_.~+/=@%:,\"\\' $`\x7f\n\u00e9", max_size=16),
    st.just("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2ln-_"),
)
INFOS = st.sampled_from(
    [
        {},
        {"KUBERNETES_EXEC_INFO": '{"apiVersion":"client.authentication.k8s.io/v1beta1"}'},
        {"KUBERNETES_EXEC_INFO": ' {"apiVersion": "client.authentication.k8s.io/v1"}\n'},
    ]
)


@settings(max_examples=400)
@given(
    st.sampled_from(FORMATS),
    TOKENS,
    st.none() | st.floats(0, 4e9),
    st.floats(0, 4e9),
    INFOS,
)
def test_every_output_is_what_json_and_shlex_would_write(
    fmt: str, token: str, expires_at: float | None, now: float, environ: dict[str, str]
) -> None:
    expected = _render_with_json(fmt, token, expires_at, now, environ)
    assert render(fmt, token, expires_at, now, environ) == expected
