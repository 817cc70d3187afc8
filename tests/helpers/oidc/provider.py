"""Starting and stopping tests/helpers/oidc/provider.mjs, the way tests/helpers/prism.py runs
Prism: a free port, a subprocess with its output in a log file, a wait until it answers, and a
stop afterwards.

The provider's issuer is a URL of the control plane in front of it (control_plane.py), which
must therefore be listening before the provider starts. Without Node.js or oidc-provider the
tests skip locally but fail under CI, which must never skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from tests.helpers.prism import free_port
from tests.helpers.versions import REPO

SCRIPT = Path(__file__).with_name("provider.mjs")
PACKAGE = REPO / "node_modules" / "oidc-provider" / "package.json"
# Node.js loads oidc-provider and makes its signing keys in about half a second here.
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0


def missing() -> list[str]:
    """What is missing to run the provider: Node.js, oidc-provider itself, or nothing."""
    found = []
    if shutil.which("node") is None:
        found.append("Node.js (node on PATH)")
    if not PACKAGE.exists():
        found.append(f"{PACKAGE.parent.relative_to(REPO)} (run `make setup`)")
    return found


def require() -> None:
    """Skip without Node.js or oidc-provider; under CI (CI set) fail instead."""
    absent = missing()
    if not absent:
        return
    reason = "the OpenID interop tests need " + " and ".join(absent)
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run them, not skip them", pytrace=False)
    pytest.skip(reason)


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
    port = free_port()
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
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            if provider.process.poll() is not None:
                raise ProviderStartError(
                    provider, f"exited with status {provider.process.returncode}"
                )
            try:
                http.get(f"{provider.url}/_test/events")
            except httpx.TransportError:
                time.sleep(0.05)
            else:
                return
    stop(provider)
    raise ProviderStartError(provider, f"did not answer within {timeout:.0f} s")


def stop(provider: ProviderProcess) -> None:
    if provider.process.poll() is not None:
        return
    provider.process.terminate()
    try:
        provider.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        provider.process.kill()
        provider.process.wait(timeout=STOP_TIMEOUT)
