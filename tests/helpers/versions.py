"""The control-plane versions the client promises, and the documents the contract tests judge by.

Each version's published excerpt is in tests/upstream/ (never edited); openapi.yaml is their union.
`Version` says what each version has on the wire, by hand: it is the promise the README's
versions table makes, and tests/test_versions.py checks it against the documents themselves.
A plain module (not the Prism plugin), so that test modules can import it freely.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml
from runai_tokens_client.models import GrantType

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = REPO / "tests" / "upstream"
# Oldest first; a new control plane adds its excerpt to tests/upstream/ and its name here.
VERSION_NAMES = ("2.18", "2.19", "2.20", "2.21", "2.22", "2.23", "2.24")
DOCUMENTS: Mapping[str, Path] = {
    "ours": REPO / "openapi.yaml",
    **{name: UPSTREAM / f"runai-{name}-tokens.json" for name in VERSION_NAMES},
}


@functools.cache
def load(key: str) -> dict[str, Any]:
    """A document of DOCUMENTS ("ours" or a version's name), parsed. Do not mutate it."""
    path = DOCUMENTS[key]
    text = path.read_text()
    document: dict[str, Any] = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return document


def resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow local $refs (``#/components/...``) until a node that is not one."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/") and ref not in seen, f"unsupported or cyclic $ref {ref}"
        seen.add(ref)
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def number(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@attrs.frozen
class Version:
    """What one control-plane version has on the wire (tests/upstream/README.md)."""

    name: str

    def since(self, first: str) -> bool:
        return number(self.name) >= number(first)

    @property
    def operations(self) -> frozenset[str]:
        """The operationIds it serves."""
        found = {"grant_token", "app_token"}
        if not self.since("2.20"):
            found |= {"exchange_code_for_token", "refresh_token"}
        if self.since("2.24"):
            found.add("grant_token_v2")
        return frozenset(found)

    @property
    def grants(self) -> frozenset[GrantType]:
        """The grantType values grant_token takes."""
        found = {
            GrantType.APP_TOKEN,
            GrantType.EXCHANGE_TOKEN,
            GrantType.PASSWORD,
            GrantType.REFRESH_TOKEN,
        }
        if self.since("2.20"):
            found.add(GrantType.CLIENT_CREDENTIALS)
        if self.since("2.22"):
            found.add(GrantType.EXTERNAL_TOKEN_EXCHANGE)
        return frozenset(found)

    @property
    def token_response_keys(self) -> frozenset[str]:
        """The keys of the TokenResponse its v1 operations answer with."""
        found = {"accessToken", "idToken", "refreshToken"}
        if not self.since("2.23"):
            found.add("externalToken")
        if self.since("2.24"):
            found.add("expiresIn")
        return frozenset(found)

    @property
    def document(self) -> dict[str, Any]:
        return load(self.name)

    def upstream_operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(path, method, operation) for every operation in its document."""
        for path, item in self.document["paths"].items():
            for method, op in item.items():
                yield path, method, op


VERSIONS = [Version(name) for name in VERSION_NAMES]
ALL_OPERATIONS = sorted(frozenset().union(*(v.operations for v in VERSIONS)))
