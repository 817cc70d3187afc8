"""A regular install to time: the project built as a wheel and pip-installed, with bytecode, in a
virtual environment of its own, as a user gets it.

.venv has the package as an editable install: its import hook and the source tree's paths are
part of every import there, and no user pays for them. The goals of bench/run.py (start-up and
per-call ratios) are timed here instead. Built once per run (build, then pip, from the index pip
is configured with), and removed at exit.

attrs is installed beside the wheel so that the start-up floor, `import httpx, attrs`, can be
imported; sniffio so that async GETs are timed as with the `async` extra.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ("attrs", "sniffio")


@functools.cache
def wheel_python() -> str:
    """The python of a venv where the project is a regular (wheel) install."""
    home = Path(tempfile.mkdtemp(prefix="runai-tokens-bench-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    dist, venv = home / "dist", home / "venv"
    _run(sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT))
    _run(sys.executable, "-m", "venv", str(venv))
    python = str(venv / "bin" / "python")
    _run(python, "-m", "pip", "install", "--quiet", str(next(dist.glob("*.whl"))), *EXTRA)
    return python


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=600)  # noqa: S603 - built here


def console_script(name: str = "runai-token") -> str:
    return str(Path(wheel_python()).with_name(name))
