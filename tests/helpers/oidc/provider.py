"""Starting and stopping tests/helpers/oidc/provider.mjs, as tests/helpers/prism.py runs Prism
(both through tests/helpers/node.py): a free port, a subprocess with its output in a log file,
a wait until it answers, and a stop afterwards.

The provider's issuer is a URL of the control plane in front of it (control_plane.py), which
must therefore be listening before the provider starts. Without Node.js or oidc-provider the
tests skip locally but fail under CI, which must never skip.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import attrs
import httpx

from tests.helpers import node
from tests.helpers.node import STARTUP_TIMEOUT
from tests.helpers.versions import REPO

SCRIPT = Path(__file__).with_name("provider.mjs")
PACKAGE = REPO / "node_modules" / "oidc-provider" / "package.json"


def require() -> None:
    """Skip without Node.js or oidc-provider; under CI (CI set) fail instead."""
    node.require(node.missing(PACKAGE), "the OpenID interop tests")


@attrs.frozen
class ProviderProcess:
    """A running provider.mjs: its issuer, and its own port for the test routes."""

    issuer: str
    url: str  # http://127.0.0.1:<its port>: the realm (under the issuer's path) and /_test/
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-4000:]

    def events(self) -> list[dict[str, Any]]:
        """What the provider did so far (grants, grant errors, revoked grants, revocations)."""
        answer = httpx.get(f"{self.url}/_test/events", timeout=10.0, trust_env=False)
        answer.raise_for_status()
        found: list[dict[str, Any]] = json.loads(answer.content)
        return found

    def advance_clock(self, seconds: float) -> None:
        """Move the provider's clock ahead: its tokens expire as if that time had passed."""
        answer = httpx.post(
            f"{self.url}/_test/clock", params={"advance": seconds}, timeout=10.0, trust_env=False
        )
        answer.raise_for_status()


class ProviderStartError(Exception):
    def __init__(self, provider: ProviderProcess, what: str) -> None:
        super().__init__(
            f"oidc-provider for {provider.issuer} {what}. Its output:\n{provider.output()}"
        )


def launch(issuer: str, log: Path) -> ProviderProcess:
    """Start the provider for issuer on a free port, without waiting for it."""
    port = node.free_port()
    env = {**os.environ, "OIDC_ISSUER": issuer, "OIDC_PORT": str(port)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["node", str(SCRIPT)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
        )
    return ProviderProcess(issuer, f"http://127.0.0.1:{port}", process, log)


def wait_until_ready(provider: ProviderProcess, *, timeout: float = STARTUP_TIMEOUT) -> None:
    """Return once the provider serves its test routes; fail with its output if it never does."""
    failure = node.not_answering(provider.process, f"{provider.url}/_test/events", timeout=timeout)
    if failure is not None:
        raise ProviderStartError(provider, failure)


def stop(provider: ProviderProcess) -> None:
    node.stop(provider.process)
