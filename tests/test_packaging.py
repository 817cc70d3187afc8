"""The wheel installs into a fresh virtual environment, outside the source tree, and imports.

One build and one venv for the whole module (slow-ish: a few seconds). The venv has no pip of its
own: this environment's pip installs into it (`pip --python`), which saves bootstrapping one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import attrs
import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("runai_tokens_client", "runai_tokens")
RUNTIME_DEPENDENCIES = {"httpx", "attrs", "python-dateutil"}

# Runs in the fresh venv with -I: neither the cwd, PYTHONPATH nor user site-packages can lend
# it the source tree's copy.
PROBE = """
import importlib, importlib.resources, json, sys
found = {}
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    found[name] = {
        "file": module.__file__,
        "typed": importlib.resources.files(name).joinpath("py.typed").is_file(),
    }
print(json.dumps({"prefix": sys.prefix, "packages": found}))
"""


@attrs.frozen
class Installed:
    wheel: Path
    venv: Path
    probe: dict[str, object]


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("packaging")
    assert not work.is_relative_to(REPO), "the venv must live outside the source tree"
    dist, venv, elsewhere = work / "dist", work / "venv", work / "elsewhere"
    elsewhere.mkdir()

    run(sys.executable, "-m", "build", "--wheel", "--outdir", dist, REPO, cwd=REPO)
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", wheels[0], cwd=work)

    probe = run(python, "-I", "-c", PROBE, *PACKAGES, cwd=elsewhere)
    return Installed(wheels[0], venv, json.loads(probe.stdout))


def test_both_packages_import_from_the_venv_with_py_typed(installed: Installed) -> None:
    assert Path(str(installed.probe["prefix"])).resolve() == installed.venv.resolve()
    packages = installed.probe["packages"]
    assert isinstance(packages, dict)
    assert sorted(packages) == sorted(PACKAGES)
    for name, found in packages.items():
        location = Path(found["file"]).resolve()
        assert location.is_relative_to(installed.venv.resolve()), (name, location)
        assert not location.is_relative_to(REPO), (name, location)
        assert found["typed"], f"{name} has no py.typed"


def test_wheel_requires_exactly_the_three_runtime_dependencies(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        (metadata_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(wheel.read(metadata_name).decode())
    requirements = metadata.get_all("Requires-Dist") or []
    unconditional = [r for r in requirements if ";" not in r]
    names = [normalize(re.split(r"[\s<>=!~\[(]", r, maxsplit=1)[0]) for r in unconditional]
    assert sorted(names) == sorted(RUNTIME_DEPENDENCIES), unconditional
    for requirement in unconditional:
        assert re.search(r"[<>=~]", requirement), f"{requirement} has no version range"
    assert metadata["Name"] == "runai-tokens"
    assert metadata["Requires-Python"] == ">=3.11"
    # The async extra: sniffio spares httpcore a failing import on every async request.
    async_extra = [r.replace('"', "'") for r in requirements if "async" in r.partition(";")[2]]
    assert async_extra == ["sniffio>=1.3; extra == 'async'"]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
