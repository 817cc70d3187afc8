"""Every generated model round-trips through to_dict/from_dict, keeping keys it does not know.

The wire values are drawn from openapi.yaml's own schemas, so a property added to the contract
is covered here without touching this file (and a schema type with no strategy fails loudly).
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import pytest
import runai_tokens_client.models as models
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from runai_tokens_client.types import UNSET

SPEC: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "openapi.yaml").read_text()
)
SCHEMAS: dict[str, dict[str, Any]] = SPEC["components"]["schemas"]
OBJECT_SCHEMAS = sorted(name for name, schema in SCHEMAS.items() if "properties" in schema)
ENUM_SCHEMAS = sorted(name for name, schema in SCHEMAS.items() if "enum" in schema)
MODELS: dict[str, type[Any]] = {name: getattr(models, name) for name in models.__all__}

# database=None: no saved examples carried between runs or machines; every run draws afresh.
EXAMPLES = settings(max_examples=40, deadline=None, database=None)

JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for a property's wire value, from its schema."""
    if "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if schema.get("type") == "string":
        return st.text()
    if schema.get("type") == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    raise AssertionError(f"no strategy for {schema}: teach test_models.value() this type")


def wire(name: str, *, only_required: bool) -> st.SearchStrategy[dict[str, Any]]:
    schema = SCHEMAS[name]
    required = set(schema.get("required", []))
    return st.fixed_dictionaries(
        {
            key: value(prop)
            for key, prop in schema["properties"].items()
            if key in required or not only_required
        }
    )


def unknown_keys(name: str) -> st.SearchStrategy[dict[str, Any]]:
    known = set(SCHEMAS[name]["properties"])
    keys = st.text(min_size=1, max_size=12).filter(lambda key: key not in known)
    return st.dictionaries(keys, JSON, min_size=1, max_size=4)


def test_every_schema_has_a_model_and_every_model_a_schema() -> None:
    assert set(MODELS) == set(OBJECT_SCHEMAS) | set(ENUM_SCHEMAS)
    for name in ENUM_SCHEMAS:
        assert issubclass(MODELS[name], enum.Enum)


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
@EXAMPLES
@given(data=st.data())
def test_round_trip_with_every_field(name: str, data: st.DataObject) -> None:
    model = MODELS[name]
    sent = data.draw(wire(name, only_required=False))
    parsed = model.from_dict(sent)
    assert parsed.to_dict() == sent
    assert model.from_dict(parsed.to_dict()) == parsed
    assert parsed.additional_properties == {}


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
@EXAMPLES
@given(data=st.data())
def test_round_trip_with_only_required_fields(name: str, data: st.DataObject) -> None:
    model = MODELS[name]
    sent = data.draw(wire(name, only_required=True))
    parsed = model.from_dict(sent)
    # Absent optional keys stay absent: UNSET never leaks onto the wire.
    assert parsed.to_dict() == sent
    assert model.from_dict(parsed.to_dict()) == parsed
    required = set(SCHEMAS[name].get("required", []))
    optional = [key for key in SCHEMAS[name]["properties"] if key not in required]
    assert sum(value is UNSET for value in vars_of(parsed)) == len(optional)


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
@EXAMPLES
@given(data=st.data())
def test_unknown_keys_are_kept(name: str, data: st.DataObject) -> None:
    model = MODELS[name]
    known = data.draw(wire(name, only_required=data.draw(st.booleans())))
    extra = data.draw(unknown_keys(name))
    parsed = model.from_dict({**known, **extra})
    assert parsed.additional_properties == extra
    assert sorted(parsed.additional_keys) == sorted(extra)
    for key, extra_value in extra.items():
        assert key in parsed
        assert parsed[key] == extra_value
    assert parsed.to_dict() == {**known, **extra}


@pytest.mark.parametrize("name", ENUM_SCHEMAS)
def test_enum_values_are_the_contracts(name: str) -> None:
    model = MODELS[name]
    assert sorted(member.value for member in model) == sorted(SCHEMAS[name]["enum"])
    for wire_value in SCHEMAS[name]["enum"]:
        assert model(wire_value).value == wire_value
        assert str(model(wire_value)) == wire_value


def test_from_dict_does_not_consume_its_argument() -> None:
    sent = {"accessToken": "a", "expiresIn": 60, "unknown": [1]}
    models.TokenResponse.from_dict(sent)
    assert sent == {"accessToken": "a", "expiresIn": 60, "unknown": [1]}


def vars_of(parsed: Any) -> list[Any]:
    """The values of a model's declared attributes (additional_properties left out)."""
    return [getattr(parsed, name) for name in type(parsed).__match_args__]
