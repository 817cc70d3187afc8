"""What the Node.js servers the tests run have in common: Prism (prism.py) and oidc-provider
(oidc/provider.py). Each is a subprocess on a free loopback port with its output in a log file,
waited for until it answers HTTP and stopped afterwards; without Node.js or its package the tests
skip locally but fail under CI, which must never skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.versions import REPO

# Node.js starts either server in about a second here; CI machines can be slower and busier.
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing(installed: Path) -> list[str]:
    """What is missing to run a server: Node.js, installed (its package's file), or nothing."""
    found = []
    if shutil.which("node") is None:
        found.append("Node.js (node on PATH)")
    if not installed.exists():
        found.append(f"{installed.relative_to(REPO)} (run `make setup`)")
    return found


def require(absent: list[str], tests: str) -> None:
    """Skip when something is absent; under CI (CI set) fail instead."""
    if not absent:
        return
    reason = f"{tests} need " + " and ".join(absent)
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run them, not skip them", pytrace=False)
    pytest.skip(reason)


def not_answering(
    process: subprocess.Popen[bytes], url: str, *, timeout: float = STARTUP_TIMEOUT
) -> str | None:
    """None once url answers HTTP (any status); else what went wrong, the process stopped."""
    deadline = time.monotonic() + timeout
    # One client for all polls: httpx loads the CA bundle for every client it builds.
    with httpx.Client(timeout=1.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return f"exited with status {process.returncode}"
            try:
                http.get(url)
            except httpx.TransportError:
                time.sleep(0.05)
            else:
                return None
    stop(process)
    return f"did not answer within {timeout:.0f} s"


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)
