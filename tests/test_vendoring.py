"""`make vendor DEST=acme/_vendor`: a copy that works as acme._vendor.runai_tokens, in real venvs.

Two throwaway venvs, made once for the module: one with only the runtime dependencies (the test
kit's extra on a separate path), and one where a different runai-tokens is installed. No network:
the dependencies are copied from the distributions this interpreter already has, as pip would
have installed them. Each check runs tests/helpers/vendoring_probe.py in a venv with -I (no cwd, no
PYTHONPATH, no user site-packages), so nothing from this source tree can leak in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs
import pytest
from packaging.requirements import Requirement
from runai_tokens import __version__
from runai_tokens._generated import CONTRACT_VERSION
from runai_tokens.testing import FakeRunaiServer

from tests.helpers.process import run

REPO = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).parent / "helpers" / "vendoring_probe.py"
PACKAGE = "acme._vendor"
RUNTIME = ("httpx", "attrs", "python-dateutil")
KIT = ("pyyaml", "jsonschema")
OTHER_VERSION = "0.0.1"
CLIENT_ID = "fake-vendored-client"
CLIENT_SECRET = "fake-secret-vendored"
REJECTED = {"error": f"{PACKAGE}.runai_tokens.errors.ApiException", "status": 401}


@attrs.frozen
class Setup:
    root: Path  # holds acme/, the importing project
    plain: Path  # a venv with the runtime dependencies only
    kit: Path  # the testing extra's packages, put on the path by the probe when asked
    other: Path  # a venv with all of them and a different runai-tokens installed


def distributions(names: tuple[str, ...]) -> Iterator[metadata.Distribution]:
    """names and everything they need (markers evaluated here, extras followed), each once."""
    seen: set[str] = set()
    todo = [Requirement(name) for name in names]
    while todo:
        requirement = todo.pop()
        dist = metadata.distribution(requirement.name)
        key = f"{canonical(dist.metadata['Name'])}{sorted(requirement.extras)}"
        if key in seen:
            continue
        seen.add(key)
        yield dist
        for line in dist.requires or []:
            needed = Requirement(line)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in extras):
                todo.append(needed)


def install_from_here(names: tuple[str, ...], target: Path) -> None:
    """Copy each distribution's files (as its RECORD lists them) into target, a site directory."""
    for dist in distributions(names):
        for file in dist.files or []:
            if file.parts[0] == "..":  # console scripts: not needed
                continue
            source = Path(str(dist.locate_file(file)))
            if source.is_file():
                (target / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / file)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def make_venv(path: Path) -> Path:
    run(sys.executable, "-m", "venv", "--without-pip", path, cwd=path.parent)
    (site,) = (path / "lib").glob("python3*/site-packages")
    return site


def install_other_runai_tokens(site: Path) -> None:
    """This repository's code as another version of runai-tokens, installed as pip would."""
    no_cache = shutil.ignore_patterns("__pycache__")
    for source in (REPO / "generated" / "runai_tokens_client", REPO / "overrides" / "runai_tokens"):
        shutil.copytree(source, site / source.name, ignore=no_cache)
    shutil.copyfile(REPO / "openapi.yaml", site / "runai_tokens" / "testing" / "openapi.yaml")
    init = site / "runai_tokens" / "__init__.py"
    text, count = re.subn(
        r'__version__ = "[^"]*"', f'__version__ = "{OTHER_VERSION}"', init.read_text()
    )
    assert count == 1, "runai_tokens/__init__.py has no __version__ line"
    init.write_text(text)
    info = site / f"runai_tokens-{OTHER_VERSION}.dist-info"
    info.mkdir()
    meta = f"Metadata-Version: 2.1\nName: runai-tokens\nVersion: {OTHER_VERSION}\n"
    (info / "METADATA").write_text(meta)
    (info / "RECORD").write_text("")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    work = tmp_path_factory.mktemp("vendoring")
    assert not work.is_relative_to(REPO), "the venvs must live outside the source tree"
    root = work / "project"
    (root / "acme").mkdir(parents=True)
    (root / "acme" / "__init__.py").write_text("")
    (root / "acme" / "_vendor").mkdir()
    (root / "acme" / "_vendor" / "__init__.py").write_text("")
    run("make", "--no-print-directory", "vendor", f"DEST={root / 'acme' / '_vendor'}",
        f"PYTHON={sys.executable}", cwd=REPO)  # fmt: skip

    install_from_here(RUNTIME, make_venv(work / "plain"))
    kit = work / "kit"
    install_from_here(KIT, kit)
    other = make_venv(work / "other")
    install_from_here(RUNTIME + KIT, other)
    install_other_runai_tokens(other)
    return Setup(root, work / "plain", kit, work / "other")


def probe(venv: Path, *args: str | Path) -> dict[str, Any]:
    result = run(venv / "bin" / "python", "-I", PROBE, *args, cwd=venv)
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def assert_only_vendored_code(report: dict[str, Any], setup: Setup) -> None:
    assert report["vendored_files"], "nothing was imported from the vendored copy"
    for file in report["vendored_files"]:
        assert Path(file).is_relative_to(setup.root / "acme" / "_vendor"), file


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as running:
        running.add_client(CLIENT_ID, CLIENT_SECRET)
        yield running


def test_the_vendored_copy_runs_on_the_runtime_dependencies_alone(
    setup: Setup, server: FakeRunaiServer
) -> None:
    report = probe(setup.plain, "core", setup.root, PACKAGE, server.url)
    assert report["top_level"] == []  # no runai_tokens, no runai_tokens_client
    assert report["grant"]["token_length"] > 0
    assert report["rejected"] == REJECTED
    assert report["token_request_module"].startswith(f"{PACKAGE}.runai_tokens_client.")
    assert report["extras_loaded"] == []
    assert report["version"] == __version__
    assert report["contract_version"] == CONTRACT_VERSION
    assert_only_vendored_code(report, setup)
    assert server.token_requests == 2


def test_the_vendored_test_kit_reads_the_contract_it_carries(setup: Setup) -> None:
    report = probe(setup.plain, "kit", setup.root, PACKAGE, setup.kit)
    assert report["top_level"] == []
    assert report["protected"] == 200
    assert report["invalid_status"] == 400  # the contract was loaded and enforced
    assert report["rejected"] == REJECTED
    assert report["tokens_issued"] == 1
    contract = Path(report["contract"])
    assert contract.is_relative_to(setup.root / "acme" / "_vendor" / "runai_tokens" / "testing")
    assert contract.read_bytes() == (REPO / "openapi.yaml").read_bytes()
    assert_only_vendored_code(report, setup)


def test_a_vendored_copy_and_an_installed_runai_tokens_each_use_themselves(setup: Setup) -> None:
    report = probe(setup.other, "both", setup.root, PACKAGE)
    # Until the application imports runai_tokens itself, only the vendored copy is loaded.
    assert report["top_level_before_installed"] == []
    assert report["protected"] == 200
    assert report["rejected"] == REJECTED
    # Then both live side by side: two ApiException classes, each raised by its own code.
    assert report["distinct_api_exception"] is True
    assert report["vendored_rejected"] == REJECTED
    assert report["installed_rejected"] == {
        "error": "runai_tokens.errors.ApiException",
        "status": 401,
    }
    assert report["installed_grant"]["token_length"] > 0
    assert report["installed_version"] == OTHER_VERSION
    assert Path(report["installed_file"]).is_relative_to(setup.other)
    assert "runai_tokens" in report["top_level"]
    assert_only_vendored_code(report, setup)
    # Each copy's classes by name and module: "got ClientCredentials" alone would puzzle.
    assert report["mixed_credentials"].endswith(
        "; got runai_tokens.credentials.ClientCredentials (this copy's is "
        f"{PACKAGE}.runai_tokens.credentials.ClientCredentials)"
    )


def test_the_vendored_kit_says_where_it_lives_when_its_packages_are_missing(setup: Setup) -> None:
    """pip install 'runai-tokens[testing]' would install a second copy, not the kit's packages."""
    report = probe(setup.plain, "advice", setup.root, PACKAGE)
    assert report["advice"] == (
        "FakeRunaiServer needs PyYAML and jsonschema: install PyYAML and jsonschema with your "
        "project's test "
        f"dependencies ({PACKAGE}.runai_tokens is a vendored copy: it has no extra of its own, and "
        "pip would install a second copy)"
    )
    assert report["top_level"] == []


def test_the_vendored_cli_runs_as_a_module(setup: Setup) -> None:
    python = setup.plain / "bin" / "python"
    # -m finds acme in the working directory, as it would in the importing project.
    result = run(python, "-s", "-m", f"{PACKAGE}.runai_tokens", "--version", cwd=setup.root)
    assert (
        result.stdout.strip() == f"runai-token {__version__} (Run:ai token API {CONTRACT_VERSION})"
    )


VENDORED_PLUGIN_TEST = """
pytest_plugins = ["acme._vendor.runai_tokens.testing.plugin"]


def test_fixtures_come_from_the_vendored_copy(runai_server, runai_credentials):
    assert type(runai_server).__module__ == "acme._vendor.runai_tokens.testing.server"
    assert type(runai_credentials).__module__ == "acme._vendor.runai_tokens.credentials"
    from acme._vendor.runai_tokens import TokenAuth

    assert TokenAuth(runai_server.url, runai_credentials).get_token()
"""


def test_the_vendored_pytest_plugin_loads_through_pytest_plugins(
    setup: Setup, tmp_path: Path
) -> None:
    (tmp_path / "test_vendored_plugin.py").write_text(VENDORED_PLUGIN_TEST)
    # This interpreter has runai-tokens installed too, whose plugin would define the same
    # fixtures: no plugin loads by entry point (none would in a project that vendors instead).
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, "test_vendored_plugin.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(setup.root), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
