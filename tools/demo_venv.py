"""Make the virtualenv `make demo` runs in: the package and its testing extra, nothing else.

    python tools/demo_venv.py .venv-demo

Not the development venv (.venv: the generator, mypy, ruff, hypothesis, build, ...), which takes
a fresh clone several times as long to set up. What it installs:
- the runtime dependencies and the `testing` extra, read from pyproject.toml (one list to keep);
- the package itself as its source directories on the path (a .pth file, which is what an
  editable install amounts to), so nothing is built: no build backend to fetch. The demo runs the
  CLI as `python -m runai_tokens`, so it needs no console script either.

The venv is made without a pip of its own when this interpreter's pip can install into it
(`pip --python`, pip >= 22.3): bootstrapping pip into a new venv costs seconds. Standard library
only, like the rest of tools/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE_DIRS = (REPO / "generated", REPO / "overrides")
EXTRA = "testing"


def requirements(pyproject: Path) -> list[str]:
    """The project's dependencies and its testing extra, as pyproject.toml lists them."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    extra = project["optional-dependencies"][EXTRA]
    name = project["name"]
    # An extra may pull in another of the project's extras (`runai-tokens[x]`): not this one.
    assert not any(r.startswith(name) for r in extra), f"{EXTRA} refers to {name} itself"
    return [*project["dependencies"], *extra]


def pip_for(python: Path) -> list[str]:
    """A pip command that installs into python's environment, preferring this one's pip."""
    borrowed = [sys.executable, "-m", "pip", "--python", str(python)]
    probe = subprocess.run([*borrowed, "--version"], capture_output=True, check=False)  # noqa: S603
    if probe.returncode == 0:
        return borrowed
    subprocess.run([python, "-m", "ensurepip", "--default-pip"], check=True)  # noqa: S603
    return [str(python), "-m", "pip"]


def site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    found = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    return Path(found.stdout.strip())


def main(argv: list[str]) -> int:
    (target,) = argv
    path = Path(target)
    shutil.rmtree(path, ignore_errors=True)  # a half-made venv from an interrupted run
    venv.EnvBuilder(with_pip=False).create(path)
    python = path / "bin" / "python"
    # --no-compile: the demo imports a fraction of what is installed, and compiles that itself.
    install = [
        *pip_for(python),
        "install",
        "--quiet",
        "--no-compile",
        "--disable-pip-version-check",
    ]
    subprocess.run([*install, *requirements(REPO / "pyproject.toml")], check=True)  # noqa: S603
    pth = "".join(f"{directory}\n" for directory in SOURCE_DIRS)
    (site_packages(python) / "_runai_tokens_source.pth").write_text(pth, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
