"""The hand-written layer reaches a field the contract adds beyond Run:ai's documents only
through the generated model, never by a name typed by hand.

openapi.yaml marks such a field `x-runai-tokens-not-upstream: true` (today the PKCE
code_verifier of the v2 authorization_code grant). No string in overrides/runai_tokens (a
literal, an f-string's text, a docstring) may name one, in any spelling (code_verifier,
codeVerifier, code-verifier): a module that did would be sending or reading it outside the
contract, and its secrecy (`format: password`: repr, the fake server's log) with it. A comment
may name it, and so may the model's attribute (`request.code_verifier`), which is how it is used.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.versions import REPO, load

OVERRIDES = REPO / "overrides" / "runai_tokens"
NOT_UPSTREAM = "x-runai-tokens-not-upstream"
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def spelling_free(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def marked_names(node: Any) -> Iterator[str]:
    """The name of every property openapi.yaml marks as not in Run:ai's documents."""
    if isinstance(node, dict):
        for name, schema in node.get("properties", {}).items():
            if isinstance(schema, dict) and schema.get(NOT_UPSTREAM) is True:
                yield name
        for child in node.values():
            yield from marked_names(child)
    elif isinstance(node, list):
        for child in node:
            yield from marked_names(child)


MARKED = frozenset(marked_names(load("ours")))


def named(source: str, names: frozenset[str]) -> list[tuple[int, str]]:
    """(line, word) for every word of a string in source that is one of names, in any spelling."""
    wanted = {spelling_free(name) for name in names}
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for word in WORD.findall(node.value):
                if spelling_free(word) in wanted:
                    found.append((node.lineno, word))
    return found


def test_the_contract_marks_the_pkce_verifier() -> None:
    # What the check below rests on: it has something to look for.
    assert sorted(MARKED) == ["code_verifier"]


@pytest.mark.parametrize(
    "module", sorted(OVERRIDES.rglob("*.py")), ids=lambda p: str(p.relative_to(OVERRIDES))
)
def test_no_override_names_a_field_beyond_upstream(module: Path) -> None:
    assert not named(module.read_text(encoding="utf-8"), MARKED), module


@pytest.mark.parametrize(
    "source",
    [
        'form["code_verifier"] = verifier',
        'body = {"codeVerifier": verifier}',
        'query = f"code={code}&code_verifier={verifier}"',
        'FIELD = "Code-Verifier"',
        'def f() -> None:\n    """Sends the code_verifier."""',
    ],
)
def test_a_name_typed_by_hand_is_caught(source: str) -> None:
    assert named(source, MARKED)


@pytest.mark.parametrize(
    "source",
    [
        "request = Model(code_verifier=verifier)",
        "verifier = request.code_verifier",
        "# the contract's code_verifier, sent by the model\nx = 1",
        'VERIFIER = "the PKCE verifier"',
    ],
)
def test_the_model_field_and_comments_are_not_names_typed_by_hand(source: str) -> None:
    assert not named(source, MARKED)
