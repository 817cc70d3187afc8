"""openapi.yaml's examples: every operation has them, and every one matches its schema.

Prism serves response examples as they are written, without checking them against their
schemas, so the contract tests alone would not catch a wrong one.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from tests.helpers.contract import SPEC, resolve


def documented_examples() -> list[tuple[str, Any, dict[str, Any]]]:
    """Every example in openapi.yaml with the schema it illustrates, named by where it is."""
    found: list[tuple[str, Any, dict[str, Any]]] = []

    def media(where: str, content: dict[str, Any]) -> None:
        for media_type, body in content.items():
            if "example" in body:
                found.append((f"{where} {media_type}", body["example"], body["schema"]))
            for name, example in body.get("examples", {}).items():
                found.append((f"{where} {name}", resolve(example)["value"], body["schema"]))

    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            for parameter in map(resolve, op.get("parameters", [])):
                if "example" in parameter:
                    name = f"{where} {parameter['name']}"
                    found.append((name, parameter["example"], parameter["schema"]))
            if "requestBody" in op:
                media(f"{where} request", resolve(op["requestBody"])["content"])
            for status, response in op["responses"].items():
                media(f"{where} {status}", resolve(response).get("content", {}))
    for name, schema in SPEC["components"]["schemas"].items():
        if "example" in schema:
            found.append((f"schema {name}", schema["example"], schema))
    return found


EXAMPLES = documented_examples()


def test_every_operation_documents_request_and_response_examples() -> None:
    for path, item in SPEC["paths"].items():
        for method in item:
            where = f"{method.upper()} {path}"
            assert any(name.startswith(f"{where} 200") for name, _, _ in EXAMPLES), where
            has_input = [n for n, _, _ in EXAMPLES if n.startswith(where) and " 200" not in n]
            assert has_input, f"{where} has no request example"


@pytest.mark.parametrize(("where", "example", "schema"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_every_example_matches_its_schema(where: str, example: Any, schema: Any) -> None:
    # The components ride along so that the schema's local $refs resolve.
    jsonschema.Draft202012Validator({**schema, "components": SPEC["components"]}).validate(example)
