"""Adding an operation to openapi.yaml and running `make generate` keeps every guarantee.

The three guarantees that depend on the contract, not on code typed by hand:
- a secret sent and a token received stay out of the generated models' repr (`format: password`);
- TokenAuth sends no bearer token to a token operation (the tag Tokens);
- a 503 from a token operation is retried like a grant (the tag Tokens).

The test copies the pipeline and the hand-written layer, adds a new Tokens operation to the copy's
openapi.yaml, regenerates, and probes the result in a fresh interpreter against a FakeRunaiServer.
Each mark is then removed in turn, and the probe must see the guarantee that mark carries break:
so the marks, and nothing else, are what keep the guarantees.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.pipeline import BYTECODE, GENERATED, PIPELINE_FILES, REPO, make

NEW_PATH = "/api/v1/widgets/token"
SECRET_IN = "fake-widget-secret-LEAK"
TOKEN_OUT = "fake-widget-token-LEAK"


def new_operation(
    *, tagged: bool, secret_marked: bool, token_marked: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    def string(marked: bool) -> dict[str, str]:
        return {"type": "string", "format": "password"} if marked else {"type": "string"}

    operation: dict[str, Any] = {
        "operationId": "mint_widget_token",
        "summary": "Trade a widget's id and secret for a token",
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/WidgetTokenRequest"}}
            }
        },
        "responses": {
            "200": {
                "description": "A token.",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/WidgetTokenResponse"}
                    }
                },
            },
            "503": {"$ref": "#/components/responses/503ServiceUnavailable"},
        },
    }
    if tagged:
        operation["tags"] = ["Tokens"]
    schemas = {
        "WidgetTokenRequest": {
            "type": "object",
            "required": ["widgetID", "widgetSecret"],
            "properties": {"widgetID": {"type": "string"}, "widgetSecret": string(secret_marked)},
        },
        "WidgetTokenResponse": {
            "type": "object",
            "properties": {"widgetToken": string(token_marked)},
        },
    }
    return operation, schemas


PROBE = """
import importlib, json, pkgutil, sys
import runai_tokens_client.api as api
from runai_tokens import RetryPolicy, StaticToken, connect
from runai_tokens.testing import FakeRunaiServer
from runai_tokens_client.errors import UnexpectedStatus

module = None
for info in pkgutil.iter_modules(api.__path__):
    try:
        module = importlib.import_module(f"runai_tokens_client.api.{info.name}.mint_widget_token")
    except ModuleNotFoundError:
        continue
models = importlib.import_module("runai_tokens_client.models")
request = models.WidgetTokenRequest(widget_id="w-1", widget_secret=sys.argv[1])
response = models.WidgetTokenResponse.from_dict({"widgetToken": sys.argv[2]})

with FakeRunaiServer() as server:
    path = sys.argv[3]
    server.fail_next(1, 503, path=path, retry_after=0)
    retry = RetryPolicy(max_attempts=2, backoff_base=0.001, backoff_max=0.001)
    with connect(server.url, StaticToken("fake-static-bearer"), retry=retry) as client:
        try:
            module.sync_detailed(client=client, body=request)
        except UnexpectedStatus:
            pass  # the fake server does not know the operation (its 404 is undocumented)
    sent = [r for r in server.requests if r.path == path]
    print(json.dumps({
        "request_repr_leaks": sys.argv[1] in repr(request),
        "response_repr_leaks": sys.argv[2] in repr(response),
        "bearer_sent": any("authorization" in {k.lower() for k in r.headers} for r in sent),
        "attempts": len(sent),
    }))
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("regeneration")


def regenerate_and_probe(root: Path, **marks: bool) -> dict[str, Any]:
    root.mkdir()
    for name in PIPELINE_FILES:
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "overrides", root / "overrides", ignore=BYTECODE)
    spec = yaml.safe_load((REPO / "openapi.yaml").read_text())
    operation, schemas = new_operation(**marks)
    spec["paths"][NEW_PATH] = {"post": operation}
    spec["components"]["schemas"].update(schemas)
    (root / "openapi.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))

    result = make(root, "generate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / GENERATED).is_dir()

    env = {**os.environ, "PYTHONPATH": f"{root / 'generated'}{os.pathsep}{root / 'overrides'}"}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE, SECRET_IN, TOKEN_OUT, NEW_PATH],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stdout + probe.stderr
    found: dict[str, Any] = json.loads(probe.stdout.strip().splitlines()[-1])
    return found


ALL_MARKS = {"tagged": True, "secret_marked": True, "token_marked": True}


def test_a_new_marked_operation_keeps_every_guarantee(workspace: Path) -> None:
    found = regenerate_and_probe(workspace / "marked", **ALL_MARKS)
    assert found == {
        "request_repr_leaks": False,
        "response_repr_leaks": False,
        "bearer_sent": False,
        "attempts": 2,  # the 503 was retried, as for a grant
    }


@pytest.mark.parametrize(
    ("removed", "broken"),
    [
        ("secret_marked", {"request_repr_leaks": True}),
        ("token_marked", {"response_repr_leaks": True}),
        # Untagged, it is an ordinary POST: it gets the bearer token, and a 503 is not resent.
        ("tagged", {"bearer_sent": True, "attempts": 1}),
    ],
)
def test_each_mark_carries_its_guarantee(
    workspace: Path, removed: str, broken: dict[str, Any]
) -> None:
    found = regenerate_and_probe(workspace / removed, **{**ALL_MARKS, removed: False})
    expected = {
        "request_repr_leaks": False,
        "response_repr_leaks": False,
        "bearer_sent": False,
        "attempts": 2,
        **broken,
    }
    assert found == expected
