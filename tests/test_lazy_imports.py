"""Two design properties, read from sys.modules in a fresh interpreter (never timed):

- a warm `runai-token get` (its token cached) answers without httpx or the generated package,
  which only minting needs;
- loading the pytest plugin, as pytest does for everyone with runai-tokens installed, imports
  pytest and nothing else of weight: the fake server loads when a test asks for a fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import GET

# Fills the cache for argv[1] in a process of its own, so the measured one does nothing else.
FILL = """
import os, sys, time
from runai_tokens._private_files import default_cache_dir
from runai_tokens.cli._cache import TokenCache
from runai_tokens.cli._cache_entry import CachedToken
cache = TokenCache(default_cache_dir(os.environ))
key = cache.key(sys.argv[1], "client_credentials", "ci", "fake-secret")
cache.store(key, CachedToken("fake-cached-token", time.time() + 3600, time.time()))
"""
# Only minting needs these.
MINTING = ("httpx", "httpcore", "runai_tokens_client")


def test_a_warm_get_imports_neither_httpx_nor_the_generated_package(tmp_path: Path) -> None:
    # A loopback port nothing listens on: a get that tried to mint would fail (exit 4).
    url = "http://127.0.0.1:9"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "RUNAI_BASE_URL": url,
        "RUNAI_CLIENT_ID": "ci",
        "RUNAI_CLIENT_SECRET": "fake-secret",
    }
    subprocess.run([sys.executable, "-c", FILL, url], env=env, check=True, timeout=120)
    result = subprocess.run(
        [sys.executable, "-c", GET, "get", "--output", "exec-credential"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"]["token"] == "fake-cached-token"
    loaded = set(result.stderr.split())
    assert "runai_tokens.cli._cache" in loaded  # the listing is the warm get's
    assert not {m for m in loaded if m.split(".")[0] in MINTING}


PLUGIN = """
import json, sys
import pytest
before = set(sys.modules)
import runai_tokens.testing.plugin
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_loading_the_plugin_imports_nothing_but_itself() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PLUGIN], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    # The packages it lives in, and it: no server, no attrs, no httpx, no PyYAML.
    assert json.loads(out) == [
        "runai_tokens",
        "runai_tokens.testing",
        "runai_tokens.testing.plugin",
    ]
