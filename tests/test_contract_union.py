"""openapi.yaml is the union of the seven upstream documents, on the wire.

Every document is flattened into wire facts keyed by where they are: an operation (method and
path: its operationId, deprecated flag, tags), a parameter (in and name: required, its schema), a
request body, a status, a content type, a body field at any depth ($refs resolved: type, enum,
format, required, deprecated, bounds). Then, for each version, everything it has must be in
openapi.yaml and agree: the same value, except that an enum may have more values (later versions
added grants). And the other way round, openapi.yaml may only add what changes no wire: a
location or value some version has, documentation (description, examples, summary), a format
mark, a vendor extension (``x-...``), an explicit ``type: string`` on an enum and an explicit
``type: object`` on a schema with properties.

One exception, and only one way to make it: a request field we send that no upstream document
has (the PKCE ``code_verifier`` of the v2 authorization_code grant) is marked in openapi.yaml with
``x-runai-tokens-not-upstream: true``, and its description says why. The contract stays the one
place that says so; the checks read the mark. A mark exempts its own field from "in no upstream
version" and nothing else, and the mark itself is checked: it may only sit on an optional request
body field, absent from every version, in a body that every version leaves open to other keys
(so a server that follows its document accepts it), with a description.

Left out on purpose: servers, info and security (openapi.yaml's header says why it models the
token operations as accepting a bearer without requiring one).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers.versions import VERSION_NAMES as VERSIONS
from tests.helpers.versions import load, resolve

# Words for people and tools, not for the wire.
DOCUMENTATION = frozenset({"description", "summary", "title", "example", "examples"})
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

Facts = dict[str, Any]
Flat = dict[tuple[str, ...], Facts]


def flatten(document: dict[str, Any]) -> Flat:
    """Every wire fact of a document's operations, keyed by its location."""
    flat: Flat = {}

    def schema(where: tuple[str, ...], node: Any) -> None:
        node = resolve(document, node)
        facts = {
            key: value
            for key, value in node.items()
            if key not in DOCUMENTATION and key not in ("properties", "items")
        }
        flat[where] = facts
        for name, child in node.get("properties", {}).items():
            schema((*where, f".{name}"), child)
        if "items" in node:
            schema((*where, "[]"), node["items"])

    def content(where: tuple[str, ...], media: dict[str, Any]) -> None:
        for media_type, body in media.items():
            flat[(*where, media_type)] = {}
            if "schema" in body:
                schema((*where, media_type, "schema"), body["schema"])

    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            op = item[method]
            where = (f"{method.upper()} {path}",)
            flat[where] = {
                key: value
                for key, value in op.items()
                if key in ("operationId", "deprecated", "tags")
            }
            for parameter in map(
                lambda p: resolve(document, p), [*shared, *op.get("parameters", [])]
            ):
                name = parameter["name"]
                # Header names are case-insensitive on the wire.
                name = name.lower() if parameter["in"] == "header" else name
                at = (*where, f"parameter {parameter['in']} {name}")
                flat[at] = {
                    key: value
                    for key, value in parameter.items()
                    if key not in DOCUMENTATION and key not in ("name", "in", "schema")
                }
                if "schema" in parameter:
                    schema((*at, "schema"), parameter["schema"])
            if "requestBody" in op:
                body = resolve(document, op["requestBody"])
                flat[(*where, "request")] = {"required": body.get("required", False)}
                content((*where, "request"), body.get("content", {}))
            for status, response in op["responses"].items():
                flat[(*where, str(status))] = {}
                content((*where, str(status)), resolve(document, response).get("content", {}))
    return flat


UPSTREAM: dict[str, Flat] = {version: flatten(load(version)) for version in VERSIONS}
OURS_DOCUMENT = load("ours")
OURS: Flat = flatten(OURS_DOCUMENT)
ABSENT = "(absent)"
# openapi.yaml's mark on a field we send that no upstream document has (the module docstring).
NOT_UPSTREAM = "x-runai-tokens-not-upstream"


def is_marked(facts: Facts) -> bool:
    return facts.get(NOT_UPSTREAM) is True


def marked(ours: Flat) -> set[tuple[str, ...]]:
    """The locations the mark exempts: exactly the ones whose schema carries it."""
    return {where for where, facts in ours.items() if is_marked(facts)}


def disagreements(theirs: Flat, ours: Flat, operation: str) -> Iterator[str]:
    """What one version has at an operation that ours lacks or says differently."""
    for where, facts in sorted(theirs.items()):
        if where[0] != operation:
            continue
        at = " ".join(where)
        if where not in ours:
            yield f"{at}: missing"
            continue
        mine = ours[where]
        for key, value in facts.items():
            if key.startswith("x-"):
                continue
            if key == "enum":
                missing = [v for v in value if v not in mine.get("enum", [])]
                if missing:
                    yield f"{at}: enum lacks {missing}"
            elif key == "tags":
                if not set(value) <= set(mine.get("tags", [])):
                    yield f"{at}: tags {mine.get('tags')}, upstream {value}"
            elif key == "required" and isinstance(value, list):
                if set(value) != set(mine.get("required", [])):
                    yield f"{at}: required {mine.get('required', [])}, upstream {value}"
            elif mine.get(key, ABSENT) != value:
                yield f"{at}: {key} is {mine.get(key, ABSENT)!r}, upstream {value!r}"
        # A requirement ours adds would reject what this version sends or accepts.
        if mine.get("required") and not facts.get("required"):
            yield f"{at}: required {mine['required']!r}, upstream does not require it"


def additions(
    upstream: dict[str, Flat], ours: Flat, operation: str, *, exempt: bool = True
) -> Iterator[str]:
    """What ours has at an operation beyond every version, that could change the wire; a marked
    field is not reported as in no version (exempt=False: it is, to see what the mark hides)."""
    for where, facts in sorted(ours.items()):
        if where[0] != operation:
            continue
        at = " ".join(where)
        known = [flat[where] for flat in upstream.values() if where in flat]
        if not known and where[1:2] != ("request",) and len(where) > 4:
            # One response model shared by several operations (TokenResponse, say): a field
            # upstream sends in that place of another operation's response may stay optional.
            known = [f for flat in upstream.values() for w, f in flat.items() if w[1:] == where[1:]]
        if not known:
            if not (exempt and is_marked(facts)):
                yield f"{at}: in no upstream version"
            continue
        has_fields = any(w[:-1] == where and w[-1].startswith(".") for w in ours)
        for key, value in facts.items():
            # Marks, extensions and tags change no wire; requirements are checked per version.
            if key.startswith("x-") or key in ("format", "tags", "required"):
                continue
            if key == "enum":
                union = {v for k in known for v in k.get("enum", [])}
                extra = [v for v in value if v not in union]
                if extra:
                    yield f"{at}: enum values {extra} are in no upstream version"
            elif (
                key == "type"
                and not any("type" in k for k in known)
                and ((value == "string" and "enum" in facts) or (value == "object" and has_fields))
            ):
                continue  # says explicitly what upstream implies
            elif not any(k.get(key, ABSENT) == value for k in known):
                yield f"{at}: {key}={value!r} is in no upstream version"


def marks_in(node: Any, pointer: str = "#") -> Iterator[tuple[str, Any, Any]]:
    """Every mark in a raw document: (JSON pointer of the marked node, the mark's value, node)."""
    if isinstance(node, dict):
        if NOT_UPSTREAM in node:
            yield pointer, node[NOT_UPSTREAM], node
        for key, child in node.items():
            yield from marks_in(child, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from marks_in(child, f"{pointer}/{index}")


def used(document: dict[str, Any]) -> set[int]:
    """The ids of every node the operations reach, $refs followed."""
    seen: set[int] = set()

    def walk(node: Any) -> None:
        node = resolve(document, node)
        if isinstance(node, dict | list) and id(node) not in seen:
            seen.add(id(node))
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)

    walk(document["paths"])
    return seen


def misused_marks(document: dict[str, Any], upstream: dict[str, Flat]) -> Iterator[str]:
    """Where the mark is not what it may be: anything but an optional request body field that no
    version has, in a body every version that has it leaves open, described."""
    ours = flatten(document)
    located = marked(ours)
    reached = used(document)
    for pointer, value, node in marks_in(document):
        if value is not True:
            yield f"{pointer}: {NOT_UPSTREAM} is {value!r}, not true"
        elif not pointer.rpartition("/")[0].endswith("/properties"):
            yield f"{pointer}: {NOT_UPSTREAM} on something other than a property"
        elif id(node) not in reached:
            yield f"{pointer}: {NOT_UPSTREAM} on a field no operation sends"
        if not node.get("description"):
            yield f"{pointer}: {NOT_UPSTREAM} without a description saying why"
    for where in sorted(located):
        at, body = " ".join(where), where[:-1]
        if where[1:2] != ("request",) or not where[-1].startswith("."):
            yield f"{at}: {NOT_UPSTREAM} outside a request body"
            continue
        if where[-1][1:] in ours[body].get("required", []):
            yield f"{at}: {NOT_UPSTREAM} on a required field"
        has = [version for version, flat in upstream.items() if where in flat]
        if has:
            yield f"{at}: {NOT_UPSTREAM}, but {', '.join(has)} has it"
        bodies = [flat[body] for flat in upstream.values() if body in flat]
        if not bodies:
            yield f"{at}: {NOT_UPSTREAM} in a body no version has"
        if any(facts.get("additionalProperties", True) is False for facts in bodies):
            yield f"{at}: {NOT_UPSTREAM} in a body a version closes to other keys"


def operations(flat: Flat) -> list[str]:
    return sorted({where[0] for where in flat})


CASES = [(v, operation) for v in VERSIONS for operation in operations(UPSTREAM[v])]


@pytest.mark.parametrize(("version", "operation"), CASES, ids=[f"{v} {o}" for v, o in CASES])
def test_openapi_yaml_has_everything_the_version_has(version: str, operation: str) -> None:
    problems = list(disagreements(UPSTREAM[version], OURS, operation))
    assert not problems, f"openapi.yaml disagrees with {version}:\n" + "\n".join(problems)


@pytest.mark.parametrize("operation", operations(OURS))
def test_openapi_yaml_adds_nothing_on_the_wire(operation: str) -> None:
    problems = list(additions(UPSTREAM, OURS, operation))
    assert not problems, "openapi.yaml goes beyond every version:\n" + "\n".join(problems)


def test_the_marks_are_where_they_may_be() -> None:
    problems = list(misused_marks(OURS_DOCUMENT, UPSTREAM))
    assert not problems, f"openapi.yaml's {NOT_UPSTREAM} marks:\n" + "\n".join(problems)


def test_the_exception_is_exactly_what_openapi_yaml_marks() -> None:
    """Without the exemption the checks report the marked fields and nothing more: the mark hides
    no other difference. And today that is the PKCE verifier, and only it (an assertion that
    changes, on purpose, with every field marked)."""

    def reported(exempt: bool) -> set[str]:
        return {p for o in operations(OURS) for p in additions(UPSTREAM, OURS, o, exempt=exempt)}

    hidden = reported(exempt=False) - reported(exempt=True)
    assert hidden == {f"{' '.join(where)}: in no upstream version" for where in marked(OURS)}
    form = ("POST /api/v2/token", "request", "application/x-www-form-urlencoded", "schema")
    assert marked(OURS) == {(*form, ".code_verifier")}
    assert {pointer for pointer, _, _ in marks_in(OURS_DOCUMENT)} == {
        "#/components/schemas/OAuth2TokenRequest/properties/code_verifier"
    }


def test_every_upstream_operation_is_in_openapi_yaml() -> None:
    # What the parametrisation above rests on: seven documents, all flattened, none empty.
    assert set(UPSTREAM) == set(VERSIONS) and all(UPSTREAM.values())
    union = {operation for flat in UPSTREAM.values() for operation in operations(flat)}
    assert union <= set(operations(OURS)), sorted(union - set(operations(OURS)))


# --- the checks can fail: each mutation of openapi.yaml is caught -----------------------------
def _schemas(document: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = document["components"]["schemas"]
    return schemas


def _grant(document: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"]["/api/v1/token"]["post"]
    return operation


MISSED = {
    "a response field removed": lambda d: _schemas(d)["TokenResponse"]["properties"].pop(
        "accessToken"
    ),
    "a field's type changed": lambda d: _schemas(d)["AppTokenRequest"]["properties"]["id"].update(
        type="integer"
    ),
    "a grant removed": lambda d: _schemas(d)["GrantType"]["enum"].remove("password"),
    "a deprecated flag dropped": lambda d: _schemas(d)["TokenRequest"]["properties"]["appID"].pop(
        "deprecated"
    ),
    "a status removed": lambda d: _grant(d)["responses"].pop("503"),
    "a content type changed": lambda d: _grant(d)["requestBody"].update(
        content={"text/plain": _grant(d)["requestBody"]["content"]["application/json"]}
    ),
    "a parameter made optional": lambda d: d["components"]["parameters"]["exchangeCode"].update(
        required=False
    ),
    "a field made required": lambda d: _schemas(d)["TokenRequest"].update(required=["grantType"]),
    "an operationId renamed": lambda d: _grant(d).update(operationId="create_token"),
    "a bound changed": lambda d: _schemas(d)["Error"]["properties"]["code"].update(maximum=999),
    "upstream's format mark dropped": lambda d: _schemas(d)["OAuth2TokenRequest"]["properties"][
        "client_secret"
    ].pop("format"),
    "a v2 grant removed": lambda d: _schemas(d)["OAuth2GrantType"]["enum"].remove("password"),
    "an OAuth2 error code removed": lambda d: _schemas(d)["OAuth2ErrorCode"]["enum"].remove(
        "invalid_grant"
    ),
    "the v2 body made optional": lambda d: d["paths"]["/api/v2/token"]["post"]["requestBody"].pop(
        "required"
    ),
    "the v2 body sent as JSON": lambda d: d["paths"]["/api/v2/token"]["post"]["requestBody"][
        "content"
    ].update(
        {
            "application/json": d["paths"]["/api/v2/token"]["post"]["requestBody"]["content"].pop(
                "application/x-www-form-urlencoded"
            )
        }
    ),
}


def problems(document: dict[str, Any]) -> set[str]:
    ours = flatten(document)
    found = {
        p
        for v in VERSIONS
        for o in operations(UPSTREAM[v])
        for p in disagreements(UPSTREAM[v], ours, o)
    }
    found |= {p for o in operations(ours) for p in additions(UPSTREAM, ours, o)}
    return found | set(misused_marks(document, UPSTREAM))


def new_problems(change: Callable[[dict[str, Any]], object]) -> set[str]:
    """What a change to openapi.yaml makes the checks report, beyond what they report today."""
    document = copy.deepcopy(OURS_DOCUMENT)
    change(document)
    return problems(document) - problems(OURS_DOCUMENT)


@pytest.mark.parametrize("name", sorted(MISSED))
def test_a_disagreement_is_caught(name: str) -> None:
    assert new_problems(MISSED[name]), name


def _v2_fields(document: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = _schemas(document)["OAuth2TokenRequest"]["properties"]
    return fields


MARK = {NOT_UPSTREAM: True}
MARKED_FIELD = {"type": "string", "description": "why", **MARK}
ADDED = {
    "an enum value": lambda d: _schemas(d)["GrantType"]["enum"].append("client_secret_jwt"),
    "a request field": lambda d: _schemas(d)["TokenRequest"]["properties"].update(
        scope={"type": "string"}
    ),
    "a field beside the marked one": lambda d: _v2_fields(d).update(scope={"type": "string"}),
    "the verifier unmarked": lambda d: _v2_fields(d)["code_verifier"].pop(NOT_UPSTREAM),
    "the mark not true": lambda d: _v2_fields(d)["code_verifier"].update({NOT_UPSTREAM: "yes"}),
    "the marked field required": lambda d: _schemas(d)["OAuth2TokenRequest"]["required"].append(
        "code_verifier"
    ),
    "the marked field without a description": lambda d: _v2_fields(d)["code_verifier"].pop(
        "description"
    ),
    "a mark on a field upstream has": lambda d: _v2_fields(d)["client_id"].update(MARK),
    "a mark on a response field": lambda d: _schemas(d)["OAuth2TokenResponse"]["properties"].update(
        session_state=MARKED_FIELD
    ),
    "a mark on an operation": lambda d: _grant(d).update(MARK),
    "a mark on a schema": lambda d: _schemas(d)["OAuth2TokenRequest"].update(MARK),
    "a mark on a schema no operation uses": lambda d: _schemas(d).update(
        Unused={"type": "object", "properties": {"scope": MARKED_FIELD}}
    ),
    "a mark on an unused schema's field of the same name": lambda d: _schemas(d).update(
        Unused={"type": "object", "properties": {"code_verifier": MARKED_FIELD}}
    ),
    "an operation": lambda d: d["paths"].update({"/api/v3/token": {"post": _grant(d)}}),
    "a deprecated flag": lambda d: _grant(d).update(deprecated=True),
    "a status": lambda d: _grant(d)["responses"].update({"429": _grant(d)["responses"]["503"]}),
}
ALLOWED = {
    "a format mark": lambda d: _schemas(d)["TokenRequest"]["properties"]["clientSecret"].update(
        format="password"
    ),
    "a vendor extension": lambda d: _schemas(d)["TokenResponse"]["properties"]["idToken"].update(
        {"x-runai-secret": True}
    ),
    "an example": lambda d: _schemas(d)["AppTokenRequest"].update(example={"id": "x"}),
    "a marked v1 field": lambda d: _schemas(d)["TokenRequest"]["properties"].update(
        scope=MARKED_FIELD
    ),
}


@pytest.mark.parametrize("name", sorted(ADDED))
def test_an_addition_on_the_wire_is_caught(name: str) -> None:
    assert new_problems(ADDED[name]), name


def test_a_mark_in_a_body_a_version_closes_is_caught() -> None:
    """A version whose document refuses unknown keys would refuse the marked field."""
    closed = copy.deepcopy(UPSTREAM)
    [body] = {where[:-1] for where in marked(OURS)}
    closed["2.24"][body] = {**closed["2.24"][body], "additionalProperties": False}
    assert list(misused_marks(OURS_DOCUMENT, closed)) == [
        f"{' '.join(where)}: {NOT_UPSTREAM} in a body a version closes to other keys"
        for where in sorted(marked(OURS))
    ]


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_what_changes_no_wire_may_be_added(name: str) -> None:
    assert not new_problems(ALLOWED[name]), name
