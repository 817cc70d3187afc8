"""runai-token as a process, where the process itself matters: what a warm `get` imports,
status lines on a terminal, and `serve` in the foreground until SIGTERM."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

from runai_tokens._generated import GRANT_V2_PATH
from runai_tokens.testing import FakeRunaiServer

from .helpers.cli import cache_dir, cli_env, run_cli, server

__all__ = ["cache_dir", "server"]  # fixtures, imported for pytest


def test_a_warm_get_answers_from_the_cache_alone(server: FakeRunaiServer, cache_dir: Path) -> None:
    env = cli_env(server.url, cache_dir)
    cold = run_cli("get", env=env)
    assert cold.returncode == 0, cold.stderr
    warm = run_cli("get", env=env)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout == cold.stdout
    assert server.count() == 1


def test_retry_status_goes_to_a_terminal(server: FakeRunaiServer, cache_dir: Path) -> None:
    server.fail_next(1, 503, path=GRANT_V2_PATH, retry_after=0)
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runai_tokens", "get", "--no-cache"],
            env=cli_env(server.url, cache_dir),
            stdout=subprocess.PIPE,
            stderr=secondary,
            text=True,
        )
        os.close(secondary)
        stdout, _ = proc.communicate(timeout=30)
        terminal = _read_all(primary)
    finally:
        os.close(primary)
    assert proc.returncode == 0
    assert server.decode_token(stdout.strip())
    assert terminal.splitlines() == ["runai-token: waiting 0.0s before retry (attempt 2/3)..."]


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed (Linux)
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_serve_until_sigterm(cache_dir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "runai_tokens", "serve", "--lifetime", "120"],
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
        exports = dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in banner
            if line.strip().startswith("export ")
        )
        assert set(exports) == {"RUNAI_BASE_URL", "RUNAI_CLIENT_ID", "RUNAI_CLIENT_SECRET"}
        assert exports["RUNAI_BASE_URL"].startswith("http://127.0.0.1:")
        assert exports["RUNAI_CLIENT_SECRET"].startswith("fake-")
        env = cli_env(exports["RUNAI_BASE_URL"], cache_dir, **exports)
        result = run_cli("get", "--output", "json", env=env)
        assert result.returncode == 0, result.stderr
        assert 100 <= json.loads(result.stdout)["expiresIn"] <= 120
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    assert "stopped" in stderr
