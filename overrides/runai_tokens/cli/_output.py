"""How `runai-token get` prints a token: plain, json, env or a Kubernetes ExecCredential.

Standard library only: this runs on the warm (cached) path, which must not import httpx.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import TYPE_CHECKING

from .._base_errors import RunaiTokensError

if TYPE_CHECKING:
    from collections.abc import Mapping

FORMATS = ("plain", "json", "env", "exec-credential")

# The variable `--output env` exports. Named for what it holds (an access token, not the client
# secret or a refresh token) so `eval "$(runai-token get --output env)"` cannot clobber the
# RUNAI_CLIENT_* variables it was minted from.
ENV_VAR = "RUNAI_ACCESS_TOKEN"
ENV_EXPIRES_VAR = "RUNAI_ACCESS_TOKEN_EXPIRES_AT"

EXEC_CREDENTIAL_GROUP = "client.authentication.k8s.io"
EXEC_CREDENTIAL_VERSIONS = ("v1", "v1beta1")
# kubectl's KUBERNETES_EXEC_INFO is an ExecCredential without status: a cluster's address and
# its CA certificate at most, a few KB.
MAX_EXEC_INFO = 1024 * 1024


class OutputError(RunaiTokensError):
    """The requested output cannot be produced (a usage problem: exit code 2)."""


def rfc3339(epoch: float) -> str:
    """UTC, whole seconds, 'Z' suffix: what Kubernetes' metav1.Time parses."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(epoch)))


def exec_credential_api_version(environ: Mapping[str, str]) -> str:
    """The ExecCredential apiVersion to answer with.

    kubectl passes the version it expects in KUBERNETES_EXEC_INFO (a JSON ExecCredential without
    status). Answer with that version when it is one we speak, v1 when the variable is absent (run
    by hand), and refuse one we do not speak: kubectl would reject our answer anyway, with a less
    helpful message.
    """
    raw = environ.get("KUBERNETES_EXEC_INFO", "").strip()
    if not raw:
        return f"{EXEC_CREDENTIAL_GROUP}/v1"
    from .._untrusted import UntrustedJsonError, json_object

    try:  # bounded in size and depth, no NaN, no key twice: see _untrusted
        info = json_object(raw, limit=MAX_EXEC_INFO)
    except UntrustedJsonError as exc:
        raise OutputError(f"KUBERNETES_EXEC_INFO {exc}") from None
    api_version = info.get("apiVersion")
    if not isinstance(api_version, str):
        raise OutputError("KUBERNETES_EXEC_INFO has no apiVersion")
    group, _, version = api_version.partition("/")
    if group != EXEC_CREDENTIAL_GROUP or version not in EXEC_CREDENTIAL_VERSIONS:
        # apiVersion is kubectl's, not a secret, so it may be quoted.
        supported = ", ".join(f"{EXEC_CREDENTIAL_GROUP}/{v}" for v in EXEC_CREDENTIAL_VERSIONS)
        raise OutputError(
            f"KUBERNETES_EXEC_INFO asks for apiVersion {api_version!r}; supported: {supported}"
        )
    return api_version


def render(
    fmt: str, token: str, expires_at: float | None, now: float, environ: Mapping[str, str]
) -> str:
    """The text to print (with a trailing newline) for `--output fmt`."""
    if fmt == "plain":
        return token + "\n"
    if fmt == "json":
        expiry: str | None = None
        left: int | None = None
        if expires_at is not None:
            expiry, left = rfc3339(expires_at), max(0, int(expires_at - now))
        document = {"accessToken": token, "expiresAt": expiry, "expiresIn": left}
        return json.dumps(document, indent=2) + "\n"
    if fmt == "env":
        lines = [f"export {ENV_VAR}={shlex.quote(token)}"]
        if expires_at is not None:
            lines.append(f"export {ENV_EXPIRES_VAR}={rfc3339(expires_at)}")
        return "\n".join(lines) + "\n"
    if fmt == "exec-credential":
        status = {"token": token}
        # Optional in the schema: without it kubectl runs us again on every invocation, which
        # the token cache makes cheap.
        if expires_at is not None:
            status["expirationTimestamp"] = rfc3339(expires_at)
        credential = {
            "apiVersion": exec_credential_api_version(environ),
            "kind": "ExecCredential",
            "status": status,
        }
        return json.dumps(credential) + "\n"
    raise OutputError(f"unknown output format {fmt!r}; choose from {', '.join(FORMATS)}")
