"""_json_text: json.loads and json.dumps of a str for the warm path, without importing json.
Each must answer exactly as json does, for any text."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from runai_tokens._json_text import loads, string

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
# Documents, as json writes them and mangled: cut short, padded, with a BOM or extra data.
DOCUMENTS = st.one_of(
    JSON_VALUES.map(json.dumps),
    JSON_VALUES.map(lambda v: json.dumps(v, indent=1, ensure_ascii=False)),
    st.builds(lambda d, n: d[:n], JSON_VALUES.map(json.dumps), st.integers(0, 40)),
    st.builds(
        lambda pad, d, tail: pad + d + tail,
        st.sampled_from(["", " ", "\n\t", "\ufeff", "\u00a0", "\x0c"]),
        JSON_VALUES.map(json.dumps),
        st.sampled_from(["", " \r\n", "x", "]", ",1", "\u2028"]),
    ),
    st.sampled_from(["NaN", "-Infinity", '{"a": Infinity}', "[1e400]", "01", "1.", '"\\ud800"']),
    st.text(max_size=20),
)


@settings(max_examples=500)
@given(DOCUMENTS)
def test_loads_answers_as_json_loads(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError as exc:
        with pytest.raises(ValueError) as raised:
            loads(text)
        assert str(raised.value) == str(exc)
        return
    # Compared as json writes them: NaN equals NaN there, and 1, 1.0 and True differ.
    assert json.dumps(loads(text)) == json.dumps(expected)


@settings(max_examples=500)
@given(st.one_of(st.text(), st.text("abcXYZ019-._~+/=\"\\' \x7f\x00\n", max_size=20)))
def test_string_is_json_dumps(text: str) -> None:
    assert string(text) == json.dumps(text)


def test_a_jwt_is_written_as_is() -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2ln-_"
    assert string(token) == f'"{token}"' == json.dumps(token)
