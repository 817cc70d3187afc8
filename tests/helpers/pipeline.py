"""The generator pipeline as its tests run it: make, in the repository or in a copy of its
pipeline files.

make runs with VENV set to the running interpreter's environment and `-o $(VENV)/.installed`,
so a test never reinstalls anything: the pinned generator and ruff are already in the
environment that runs the tests.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GENERATED = Path("generated") / "runai_tokens_client"
VENV = Path(sys.prefix)
# What the Makefile's generate and check-generated read; check-generated needs nothing else.
PIPELINE_FILES = ("Makefile", "openapi.yaml", "generator-config.yaml")
BYTECODE = shutil.ignore_patterns("__pycache__", "*.pyc")


def make(directory: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(directory), target, f"VENV={VENV}", "-o", f"{VENV}/.installed"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def start_make(directory: Path, target: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["make", "-C", str(directory), target, f"VENV={VENV}", "-o", f"{VENV}/.installed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
