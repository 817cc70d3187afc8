"""openapi.yaml as the fake server's gatekeeper: which operations exist, what a valid request is.

PyYAML and jsonschema (the `testing` extra) are imported inside the functions that need them, so
that `import runai_tokens.testing` works without them and only starting a server asks for them.
Violation messages name the field and the rule, never the value sent: a value can be a secret.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class ContractViolation(ValueError):
    """A request (or response) the contract does not allow; the message is safe to send back."""


@attrs.frozen
class QueryParam:
    name: str
    required: bool
    schema: Mapping[str, Any]


@attrs.frozen
class Operation:
    """One operation of openapi.yaml, with what validating its requests needs."""

    operation_id: str
    method: str
    path: str
    query: tuple[QueryParam, ...]
    body_schema: Mapping[str, Any] | None  # a {"$ref": ...} into the document, or None
    body_properties: tuple[str, ...]  # the body's declared keys, in the contract's spelling
    responses: Mapping[str, Any]


@attrs.frozen
class Request:
    """A request that passed validation: query (first value per name), body with canonical keys."""

    operation: Operation
    query: Mapping[str, str]
    body: Mapping[str, Any] | None


class Contract:
    """The operations of an OpenAPI 3.0 document and request validation against it."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self.operations: dict[tuple[str, str], Operation] = {}
        for path, item in spec.get("paths", {}).items():
            for method in _METHODS:
                if method in item:
                    op = self._operation(path, method.upper(), item[method])
                    self.operations[(op.method, path)] = op
        self.paths = frozenset(path for _, path in self.operations)

    def match(self, method: str, path: str) -> Operation | None:
        return self.operations.get((method.upper(), path))

    def methods(self, path: str) -> list[str]:
        return sorted(m for m, p in self.operations if p == path)

    def validate_request(
        self,
        op: Operation,
        query: Mapping[str, list[str]],
        body: bytes,
        content_type: str | None,
    ) -> Request:
        """Check a raw request against `op`; raises ContractViolation naming the first problem."""
        values: dict[str, str] = {}
        for param in op.query:
            if param.name not in query:
                if param.required:
                    raise ContractViolation(f"missing required query parameter '{param.name}'")
                continue
            values[param.name] = query[param.name][0]
            self._check(param.schema, values[param.name], f"query parameter '{param.name}'")
        return Request(op, values, self._body(op, body, content_type))

    def validate_response(self, op: Operation, status: int, body: Any) -> None:
        """Check a decoded JSON response body against what `op` documents for `status`."""
        response = op.responses.get(str(status))
        if response is None:
            raise ContractViolation(f"{op.operation_id} documents no {status} response")
        response = self._resolve(response)
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            self._check(schema, body, f"{status} response body")

    def _body(self, op: Operation, raw: bytes, content_type: str | None) -> dict[str, Any] | None:
        if op.body_schema is None or not raw.strip():
            return None  # no body expected, or none sent: the grant logic says what is missing
        media = (content_type or "application/json").split(";")[0].strip().lower()
        if media != "application/json":
            raise ContractViolation("request body must be application/json")
        try:
            data = json.loads(raw)
        except ValueError:
            raise ContractViolation("request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ContractViolation("request body must be a JSON object")
        data = _canonical_keys(data, op.body_properties)
        self._check(op.body_schema, data, "request body")
        return data

    def _check(self, schema: Mapping[str, Any], instance: Any, what: str) -> None:
        import jsonschema  # the `testing` extra; see the module docstring

        # The schema is a $ref into the document, so the whole document rides along as the
        # root that the reference (and any nested one) resolves against.
        root = {**schema, "components": self.spec.get("components", {})}
        validator = jsonschema.Draft202012Validator(root)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise ContractViolation(_describe(error, what))

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def _operation(self, path: str, method: str, raw: Mapping[str, Any]) -> Operation:
        query = tuple(
            QueryParam(p["name"], bool(p.get("required", False)), p.get("schema", {}))
            for p in (self._resolve(p) for p in raw.get("parameters", []))
            if p.get("in") == "query"
        )
        body_schema = (
            raw.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        )
        properties: tuple[str, ...] = ()
        if body_schema is not None:
            properties = tuple(self._resolve(body_schema).get("properties", {}))
        return Operation(
            raw["operationId"], method, path, query, body_schema, properties, raw["responses"]
        )


def _canonical_keys(data: dict[str, Any], properties: tuple[str, ...]) -> dict[str, Any]:
    """Respell keys as the contract does, ignoring case (the real service matches that way)."""
    spelling = {name.lower(): name for name in properties}
    out: dict[str, Any] = {}
    for key, value in data.items():
        canonical = spelling.get(key.lower(), key)
        if canonical in out:
            raise ContractViolation(f"request body has key '{canonical}' more than once")
        out[canonical] = value
    return out


def _describe(error: Any, what: str) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    where = f"{what} field '{where.lstrip('.')}'" if where else what
    rule, expected = error.validator, error.validator_value
    if rule == "required":
        return f"{what}: {error.message}"  # names the missing key, not a value
    if rule == "type":
        return f"{where} must be of type {expected}"
    if rule == "enum":
        return f"{where} must be one of: {', '.join(map(str, expected))}"
    return f"{where} violates '{rule}: {expected}'"


@functools.cache
def load_contract() -> Contract:
    """The contract shipped with the package, parsed once per process (it never changes)."""
    try:
        import jsonschema  # noqa: F401 (imported here so a missing one fails at start())
        import yaml
    except ImportError as exc:
        raise ImportError(
            "FakeRunaiServer needs PyYAML and jsonschema: pip install 'runai-tokens[testing]'",
            name=exc.name,
        ) from exc
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return Contract(yaml.load(_spec_text(), Loader=loader))  # noqa: S506 (a SafeLoader)


def _spec_text() -> str:
    # This package by its own name: a vendored copy (acme._vendor.runai_tokens.testing) reads the
    # contract that travels with it, not an installed runai-tokens' one.
    packaged = resources.files(__package__ or __name__).joinpath("openapi.yaml")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install or a source checkout has no packaged copy (the wheel build adds it with
    # a force-include), so read the repository's own openapi.yaml: there is only ever one copy.
    source = Path(__file__).resolve().parents[3] / "openapi.yaml"
    if not source.is_file():
        raise FileNotFoundError(
            f"openapi.yaml not found: neither packaged with {__package__} nor at {source}"
        )
    return source.read_text(encoding="utf-8")
