"""The generated models as the contract needs them: secrets out of repr, fields checked.

Which properties are secret is read from openapi.yaml (`format: password`), not listed here:
templates/model.py.jinja declares each such property attrs `field(repr=False)`. field_problem
(runai_tokens._fields) checks that what the generated from_dict made holds a value of each
field's declared type, which the generated models do not check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest
import runai_tokens_client.models as models
import yaml
from runai_tokens._fields import field_problem, is_model
from runai_tokens_client.models import Error, GrantType, TokenRequest, TokenResponse
from runai_tokens_client.types import UNSET, Response, Unset

SCHEMAS: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "openapi.yaml").read_text()
)["components"]["schemas"]
OBJECT_SCHEMAS = sorted(name for name, schema in SCHEMAS.items() if "properties" in schema)
SECRET = "fake-secret-LEAK"


def filled(name: str, value: str) -> Any:
    """SCHEMAS[name]'s model with every property set: a secret one to `value`, the rest to a
    value of its own (the first enum member for an enum)."""
    wire: dict[str, Any] = {}
    for key, schema in SCHEMAS[name]["properties"].items():
        if schema.get("format") == "password":
            wire[key] = value
        elif "$ref" in schema:
            wire[key] = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]["enum"][0]
        elif schema.get("type") == "integer":
            wire[key] = 7
        else:
            wire[key] = f"shown-{key}"
    return getattr(models, name).from_dict(wire)


def secrets_of(name: str) -> list[str]:
    return [k for k, s in SCHEMAS[name]["properties"].items() if s.get("format") == "password"]


def test_the_contract_marks_secrets_in_several_models() -> None:
    assert len([name for name in OBJECT_SCHEMAS if secrets_of(name)]) >= 4


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
def test_repr_leaves_out_every_password_format_property(name: str) -> None:
    model = filled(name, SECRET)
    model.additional_properties["unknownToken"] = SECRET
    text = repr(model)
    assert text.startswith(f"{name}(")
    if secrets_of(name):
        assert SECRET not in text and SECRET not in str(model)
        assert "additional_properties" not in text  # a token under a name the contract lacks
    else:
        assert f"additional_properties={{'unknownToken': {SECRET!r}}}" in text
    for key, schema in SCHEMAS[name]["properties"].items():
        if schema.get("type") == "string" and "format" not in schema and "enum" not in schema:
            assert f"'shown-{key}'" in text  # every other property is shown
    assert SECRET in str(model.to_dict()) or not secrets_of(name)  # never hidden from the wire


def test_field_problem_knows_a_model() -> None:
    assert is_model(TokenResponse) and is_model(Error)
    assert not is_model(GrantType) and not is_model(Response)
    assert not is_model(TokenResponse())  # a class, not an instance


@attrs.define
class Mixed:
    """A model of the kinds of field the contract has none of yet (a float, a list, a model, a
    bool), checked by field_problem like a generated one."""

    ratio: float
    names: list[str] | Unset = UNSET
    inner: TokenResponse | Unset = UNSET
    flag: bool = False
    additional_properties: dict[str, Any] = attrs.field(init=False, factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> Mixed:
        raise NotImplementedError


def test_field_problem_passes_well_typed_models() -> None:
    assert field_problem(TokenResponse(access_token="fake-token", expires_in=60)) is None
    assert field_problem(TokenRequest(GrantType.CLIENT_CREDENTIALS, client_id="a")) is None
    assert field_problem([TokenResponse(), Error(code=400, message="no")]) is None


# Of the wrong type on purpose (Any, so that the type checker lets them through).
WRONG_FLAG: Any = 1
WRONG_NAMES: Any = ["a", 2]


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (TokenResponse(expires_in=True), "TokenResponse.expires_in is bool, expected int"),
        (
            TokenResponse.from_dict({"accessToken": 42}),
            "TokenResponse.access_token is int, expected str",
        ),
        (Mixed(1.5, flag=WRONG_FLAG), "Mixed.flag is int, expected bool"),
        (Mixed(1.5, names=WRONG_NAMES), "Mixed.names is list, expected list"),
        (
            Mixed(1, inner=TokenResponse.from_dict({"idToken": 7})),
            "TokenResponse.id_token is int, expected str",
        ),
        (Mixed(1, names=["a"], inner=TokenResponse(access_token="t")), None),  # int for float
        (Error(code=400, message=GrantType.PASSWORD), None),  # a str, of a subclass
    ],
)
def test_field_problem_names_the_first_field_of_the_wrong_type(
    model: Any, problem: str | None
) -> None:
    assert field_problem(model) == problem
