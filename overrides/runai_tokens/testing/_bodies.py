"""Request bodies as openapi.yaml's schemas see them: a JSON object or a form, keys respelled.

Violation messages name the field and the rule, never the value sent: a value can be a secret.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


class ContractViolation(ValueError):
    """A request (or response) the contract does not allow; the message is safe to send back.

    field is the body field or parameter at fault when there is one, rule the schema keyword it
    broke ("enum", "type", ...), so that a caller can answer some violations its own way.
    """

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


def parse(media: str, raw: bytes, properties: tuple[str, ...]) -> dict[str, Any]:
    """A body as the object the contract's schema describes; ContractViolation if unreadable."""
    if media == JSON:
        try:
            data = json.loads(raw)
        except ValueError:
            raise ContractViolation("request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ContractViolation("request body must be a JSON object")
        return canonical_keys(data, properties)
    if media == FORM:
        # OAuth2 form fields are case-sensitive and may not repeat (RFC 6749 section 3.2).
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise ContractViolation(f"request body is not a valid {FORM} form") from None
        form: dict[str, Any] = {}
        for key, value in pairs:
            if key in form:
                raise ContractViolation(f"request body has key '{key}' more than once", field=key)
            form[key] = value
        return form
    raise ContractViolation(f"FakeRunaiServer cannot read {media} request bodies")


def canonical_keys(data: dict[str, Any], properties: tuple[str, ...]) -> dict[str, Any]:
    """Respell keys as the contract does, ignoring case (the real service matches that way)."""
    spelling = {name.lower(): name for name in properties}
    out: dict[str, Any] = {}
    for key, value in data.items():
        canonical = spelling.get(key.lower(), key)
        if canonical in out:
            raise ContractViolation(
                f"request body has key '{canonical}' more than once", field=canonical
            )
        out[canonical] = value
    return out


def describe(error: Any, what: str) -> str:
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
