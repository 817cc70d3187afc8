"""openapi.yaml as the fake server's gatekeeper: which operations exist, what a valid request is.

PyYAML and jsonschema (the `testing` extra) are imported inside the functions that need them, so
that `import runai_tokens.testing` works without them and only starting a server asks for them.
Violation messages name the field and the rule, never the value sent: a value can be a secret.

Bodies are read (by _bodies) as the media type the contract declares for the operation (JSON or
a form), and which values are secret is read from the contract too: every property or parameter
it marks `format: password`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from ._bodies import JSON, ContractViolation, describe, parse

# ContractViolation is raised here, though _bodies defines it: callers catch it from here.
__all__ = ["Contract", "ContractViolation", "Operation", "Request", "load_contract"]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def secret_key(name: str) -> str:
    """The spelling-free form of a name: clientSecret, client_secret and Client-Secret are one."""
    return name.lower().replace("_", "").replace("-", "")


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
    body_media: str | None  # the request body's media type, as the contract declares it
    body_schema: Mapping[str, Any] | None  # a {"$ref": ...} into the document, or None
    body_properties: tuple[str, ...]  # the body's declared keys, in the contract's spelling
    body_required: bool
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
        self.secret_keys = frozenset(secret_key(name) for name in self._marked(spec))
        # One validator per schema node of the document, built on first use and kept: building
        # one (and its $ref registry) costs more than validating a request with it. Keyed by the
        # node's id; the node itself rides along so that its id cannot be reused. Two threads
        # racing on a first use both build one and one wins: harmless, and no lock per request.
        self._validators: dict[int, tuple[Mapping[str, Any], Any]] = {}

    def is_secret(self, name: str) -> bool:
        """Whether the contract marks a property or parameter of this name (in any spelling)
        `format: password` anywhere: its value is kept out of every log. Anywhere, not just in
        the operation at hand, so that a secret sent under another endpoint's spelling (a
        clientSecret posted to /api/v2/token, say) is redacted too."""
        return secret_key(name) in self.secret_keys

    def rfc6749_errors(self, op: Operation) -> bool:
        """Whether `op` documents its 400 answer as RFC 6749's {error, error_description}
        rather than the Run:ai envelope {code, message}."""
        response = self._resolve(op.responses.get("400", {}))
        schema = response.get("content", {}).get(JSON, {}).get("schema", {})
        return "error" in self._resolve(schema).get("required", ())

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
        if op.body_schema is None or op.body_media is None:
            return None  # no body expected
        data: dict[str, Any]
        if not raw.strip():
            if not op.body_required:
                return None  # none sent, and none needed: the grant logic says what is missing
            data = {}
        else:
            media = (content_type or op.body_media).split(";")[0].strip().lower()
            if media != op.body_media:
                raise ContractViolation(f"request body must be {op.body_media}")
            data = parse(media, raw, op.body_properties)
        self._check(op.body_schema, data, "request body")
        return data

    def _check(self, schema: Mapping[str, Any], instance: Any, what: str) -> None:
        import jsonschema  # the `testing` extra; see the module docstring

        error = jsonschema.exceptions.best_match(self._validator(schema).iter_errors(instance))
        if error is not None:
            field = ".".join(str(p) for p in error.absolute_path) or None
            raise ContractViolation(describe(error, what), field=field, rule=error.validator)

    def _validator(self, schema: Mapping[str, Any]) -> Any:
        cached = self._validators.get(id(schema))
        if cached is not None and cached[0] is schema:
            return cached[1]
        import jsonschema  # the `testing` extra; see the module docstring

        # The schema is a $ref into the document, so the whole document rides along as the
        # root that the reference (and any nested one) resolves against.
        root = {**schema, "components": self.spec.get("components", {})}
        validator = jsonschema.Draft202012Validator(root)
        self._validators[id(schema)] = (schema, validator)
        return validator

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
        request_body = self._resolve(raw.get("requestBody", {}))
        # An operation declares one media type for its body (JSON, or a form for OAuth2).
        declared: Mapping[str, Any] = request_body.get("content", {})
        media = next(iter(declared), None)
        body_schema = declared[media].get("schema") if media is not None else None
        properties: tuple[str, ...] = ()
        if body_schema is not None:
            properties = tuple(self._resolve(body_schema).get("properties", {}))
        required = bool(request_body.get("required", False))
        return Operation(
            raw["operationId"],
            method,
            path,
            query,
            media,
            body_schema,
            properties,
            required,
            raw["responses"],
        )

    def _is_marked(self, schema: Any) -> bool:
        return isinstance(schema, Mapping) and self._resolve(schema).get("format") == "password"

    def _marked(self, node: Any) -> Iterator[str]:
        """Every property and parameter name whose schema is marked `format: password`."""
        if isinstance(node, Mapping):
            properties = node.get("properties")
            if isinstance(properties, Mapping):
                for name, schema in properties.items():
                    if self._is_marked(schema):
                        yield name
            parameter = isinstance(node.get("in"), str) and isinstance(node.get("name"), str)
            if parameter and self._is_marked(node.get("schema")):
                yield node["name"]
            for value in node.values():
                yield from self._marked(value)
        elif isinstance(node, list):
            for value in node:
                yield from self._marked(value)


@functools.cache
def load_contract() -> Contract:
    """The contract shipped with the package, parsed once per process (it never changes)."""
    try:
        import jsonschema  # noqa: F401 (imported here so a missing one fails at start())
        import yaml
    except ImportError as exc:
        from ._advice import install_advice

        raise ImportError(
            f"FakeRunaiServer needs PyYAML and jsonschema: {install_advice()}", name=exc.name
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
