"""The promise in tests/helpers/versions.py is what the upstream documents and the README say.

tests/helpers/versions.py says by hand what each control-plane version has (operations, grants,
answer keys); the Prism matrix (test_contract_upstream.py) relies on it. Here it is checked against
each version's own document, and against the README's operation x version table, so none of the
three can drift from the others; and the documents themselves are checked against their checksums.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from runai_tokens_client.models import GrantType, OAuth2GrantType

from tests.helpers.versions import (
    ALL_OPERATIONS,
    DOCUMENTS,
    REPO,
    UPSTREAM,
    VERSION_NAMES,
    VERSIONS,
    Version,
    resolve,
)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_NAMES)
def test_the_promise_is_the_documents(version: Version) -> None:
    doc = version.document
    assert {op["operationId"] for _, _, op in version.upstream_operations()} == version.operations
    grant = doc["paths"]["/api/v1/token"]["post"]
    request = resolve(doc, grant["requestBody"]["content"]["application/json"]["schema"])
    enum = resolve(doc, request["properties"]["grantType"])["enum"]
    assert set(enum) == {grant.value for grant in version.grants}
    response = resolve(doc, resolve(doc, grant["responses"]["200"])["content"]["application/json"])
    assert set(resolve(doc, response["schema"])["properties"]) == version.token_response_keys
    if "grant_token_v2" in version.operations:
        form = doc["paths"]["/api/v2/token"]["post"]["requestBody"]["content"]
        fields = resolve(doc, form["application/x-www-form-urlencoded"]["schema"])["properties"]
        assert set(resolve(doc, fields["grant_type"])["enum"]) == set(OAuth2GrantType)


def readme_version_table() -> tuple[list[str], list[tuple[bool, list[str], set[str]]]]:
    """README's operation x version table: its versions, and for each row whether it is a detail
    of grant_token (indented), the names in backticks, and the versions ticked."""
    lines = (REPO / "README.md").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| operation | "))
    columns = [cell.strip() for cell in lines[header].strip("|").split("|")][1:]
    rows = []
    for line in lines[header + 2 :]:
        if not line.startswith("|"):
            break
        first, *cells = (cell.strip() for cell in line.strip("|").split("|"))
        ticked = {version for version, cell in zip(columns, cells, strict=True) if cell == "✓"}
        rows.append((first.startswith("&nbsp;"), re.findall(r"`([^`]+)`", first), ticked))
    return columns, rows


def test_the_readme_version_table_is_the_promise() -> None:
    columns, rows = readme_version_table()
    assert columns == list(VERSION_NAMES)
    response_keys = frozenset().union(*(v.token_response_keys for v in VERSIONS))
    checked = set()
    for detail, names, ticked in rows:
        # A grant's row names the request field it brings; a row without a grant is the answer's.
        about_grants = any(name in set(GrantType) for name in names)
        for name in names:
            if detail and name in set(GrantType):
                has = {v.name for v in VERSIONS if GrantType(name) in v.grants}
            elif detail and not about_grants and name in response_keys:
                has = {v.name for v in VERSIONS if name in v.token_response_keys}
            elif not detail and name in ALL_OPERATIONS:
                has = {v.name for v in VERSIONS if name in v.operations}
            else:
                continue  # a path or a request field, named for the reader
            assert ticked == has, (name, sorted(ticked), sorted(has))
            checked.add(name)
    # Every operation and every grant has its row.
    assert checked >= set(ALL_OPERATIONS) | set(GrantType), sorted(checked)


def test_the_upstream_documents_are_as_received() -> None:
    # Never edited: each file still has the checksum it came with, and each version has one.
    sums: dict[str, str] = {}
    for line in (UPSTREAM / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name] = digest
    documents = {DOCUMENTS[name].name for name in VERSION_NAMES}
    assert set(sums) == documents == {path.name for path in UPSTREAM.glob("*.json")}
    for name, digest in sums.items():
        assert hashlib.sha256((UPSTREAM / name).read_bytes()).hexdigest() == digest, name
