"""FakeRunaiServer's gatekeeper: request bodies are read as the media type the contract declares,
and the request log redacts what the contract marks `format: password`, whatever the names."""

from __future__ import annotations

from typing import Any

import pytest
from runai_tokens.testing import REDACTED
from runai_tokens.testing._contract import Contract, ContractViolation, load_contract
from runai_tokens.testing._log import redact_body, redact_query

FORM = "application/x-www-form-urlencoded"


def test_media_types_and_secret_marks_come_from_the_contract() -> None:
    schema = {"$ref": "#/components/schemas/Body"}
    spec: dict[str, Any] = {
        "paths": {
            "/form": {
                "post": {
                    "operationId": "form_op",
                    "parameters": [
                        {
                            "in": "query",
                            "name": "pin",
                            "schema": {"type": "string", "format": "password"},
                        }
                    ],
                    "requestBody": {"required": True, "content": {FORM: {"schema": schema}}},
                    "responses": {},
                }
            },
            "/json": {
                "post": {
                    "operationId": "json_op",
                    "requestBody": {"content": {"application/json": {"schema": schema}}},
                    "responses": {},
                }
            },
        },
        "components": {
            "schemas": {
                "Body": {
                    "type": "object",
                    "required": ["kind"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["a"]},
                        "passphrase": {"$ref": "#/components/schemas/Secret"},
                        "client_secret": {"type": "string"},  # not marked here
                    },
                },
                "Secret": {"type": "string", "format": "password"},
            }
        },
    }
    contract = Contract(spec)
    assert contract.secret_keys == {"pin", "passphrase"}
    assert contract.is_secret("PassPhrase") and not contract.is_secret("client_secret")
    form_op, json_op = contract.match("POST", "/form"), contract.match("POST", "/json")
    assert form_op is not None and json_op is not None
    assert (form_op.body_media, form_op.body_required) == (FORM, True)
    assert (json_op.body_media, json_op.body_required) == ("application/json", False)

    request = contract.validate_request(form_op, {}, b"kind=a&passphrase=p", FORM)
    assert request.body == {"kind": "a", "passphrase": "p"}
    with pytest.raises(ContractViolation, match=f"must be {FORM}"):
        contract.validate_request(form_op, {}, b'{"kind": "a"}', "application/json")
    with pytest.raises(ContractViolation) as caught:
        contract.validate_request(form_op, {}, b"kind=b", FORM)
    assert (caught.value.field, caught.value.rule) == ("kind", "enum")
    with pytest.raises(ContractViolation, match="'kind' is a required property"):
        contract.validate_request(form_op, {}, b"", None)  # a required body
    assert contract.validate_request(json_op, {}, b"", None).body is None  # an optional one
    assert contract.validate_request(json_op, {}, b'{"KIND": "a"}', None).body == {"kind": "a"}
    with pytest.raises(ContractViolation, match="must be application/json"):
        contract.validate_request(json_op, {}, b"kind=a", FORM)

    form = b"kind=a&passphrase=p&client_secret=s"
    redacted = redact_body(form, FORM, contract.is_secret)
    assert redacted == {"kind": "a", "passphrase": REDACTED, "client_secret": "s"}
    assert redact_body(b'{"Passphrase": "p"}', None, contract.is_secret) == {"Passphrase": REDACTED}
    assert redact_query({"pin": ["1"], "kind": ["a"]}, contract.is_secret) == {
        "pin": REDACTED,
        "kind": "a",
    }


def test_the_shipped_contract_marks_every_secret_of_both_endpoints() -> None:
    contract = load_contract()
    secrets = ("client_secret", "password", "refresh_token", "code", "clientSecret", "appSecret")
    for name in (*secrets, "code_verifier", "codeVerifier"):
        assert contract.is_secret(name), name
    for name in ("client_id", "username", "redirect_uri", "grant_type", "clientID", "scope"):
        assert not contract.is_secret(name), name
