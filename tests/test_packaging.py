"""The wheel installs into a fresh virtual environment, outside the source tree, and imports;
the sdist alone builds the same wheel; both carry the LICENSE.

One build of each and one venv for the whole module (slow-ish: several seconds). The venv has no
pip of its own: this environment's pip installs into it (`pip --python`), which saves
bootstrapping one.
"""

from __future__ import annotations

import json
import re
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import attrs
import pytest
import runai_tokens

from tests.helpers.process import run

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
    sdist: Path
    wheel_from_sdist: Path
    venv: Path
    probe: dict[str, object]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("packaging")
    assert not work.is_relative_to(REPO), "the venv must live outside the source tree"
    dist, venv, elsewhere = work / "dist", work / "venv", work / "elsewhere"
    elsewhere.mkdir()

    # Both straight from the source tree, then the wheel again from nothing but the sdist.
    run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", dist, REPO, cwd=REPO)
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, (wheels, sdists)
    unpacked = work / "unpacked"
    with tarfile.open(sdists[0]) as sdist:
        sdist.extractall(unpacked, filter="data")
    (source,) = unpacked.iterdir()
    again = work / "again"
    run(sys.executable, "-m", "build", "--wheel", "--outdir", again, source, cwd=work)
    (wheel_from_sdist,) = again.glob("*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", wheels[0], cwd=work)

    probe = run(python, "-I", "-c", PROBE, *PACKAGES, cwd=elsewhere)
    return Installed(wheels[0], sdists[0], wheel_from_sdist, venv, json.loads(probe.stdout))


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
    metadata = wheel_metadata(installed.wheel)
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


def wheel_metadata(path: Path) -> Message:
    with zipfile.ZipFile(path) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(wheel.read(name).decode())


def wheel_contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as wheel:
        return {name: wheel.read(name) for name in wheel.namelist()}


def test_the_sdist_alone_builds_the_same_wheel(installed: Installed) -> None:
    assert installed.wheel.name == installed.wheel_from_sdist.name
    direct, from_sdist = wheel_contents(installed.wheel), wheel_contents(installed.wheel_from_sdist)
    assert sorted(direct) == sorted(from_sdist)
    differing = [name for name in direct if direct[name] != from_sdist[name]]
    assert differing == []


def test_the_license_ships_in_both_and_matches_the_metadata(installed: Installed) -> None:
    license_text = (REPO / "LICENSE").read_bytes()
    assert b"Apache License" in license_text and b"Version 2.0, January 2004" in license_text
    with tarfile.open(installed.sdist) as sdist:
        (member,) = [
            m for m in sdist.getmembers() if m.name.count("/") == 1 and m.name.endswith("/LICENSE")
        ]
        extracted = sdist.extractfile(member)
        assert extracted is not None
        assert extracted.read() == license_text
    contents = wheel_contents(installed.wheel)
    (name,) = [n for n in contents if n.endswith(".dist-info/licenses/LICENSE")]
    assert contents[name] == license_text
    metadata = wheel_metadata(installed.wheel)
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_the_distribution_version_is_the_package_version(installed: Installed) -> None:
    assert wheel_metadata(installed.wheel)["Version"] == runai_tokens.__version__
    assert installed.wheel.name == f"runai_tokens-{runai_tokens.__version__}-py3-none-any.whl"


def test_the_wheel_carries_the_contract_for_the_test_kit(installed: Installed) -> None:
    contents = wheel_contents(installed.wheel)
    assert contents["runai_tokens/testing/openapi.yaml"] == (REPO / "openapi.yaml").read_bytes()
