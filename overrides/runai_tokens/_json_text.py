"""JSON for the warm path, without `import json`: json imports re (its decoder's and encoder's
patterns), which alone costs a warm `get` half the interpreter's start-up. Here, not in cli/, so
that the login index (login/_index), which default_credentials() reads too, can use it without
importing the CLI package.

- loads is json.loads, run by the very scanner json.loads runs (the C one in _json, which
  imports nothing), set up as json's default decoder sets it up. Only the success of that scan
  is taken from it: any other outcome (an error, extra data, a BOM, no C scanner) goes to
  json.loads itself, which then raises, or answers, in its own words.
- string is json.dumps of a str: written literally when json.dumps would write it unchanged
  between quotes (visible ASCII without `"` or `\\`), else by json.dumps.

tests/test_cli_json_text.py checks both against json for generated text.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (see cli._cache)
if TYPE_CHECKING:
    from typing import Any

# JSON's whitespace, which json.loads skips before and after the value (its WHITESPACE pattern).
_WHITESPACE = " \t\n\r"
_INFINITY = float("inf")


class _DefaultDecoder:
    """The attributes the C scanner reads from its decoder: json.JSONDecoder()'s defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {
        "-Infinity": -_INFINITY,
        "Infinity": _INFINITY,
        "NaN": _INFINITY - _INFINITY,
    }.__getitem__


def _c_scanner() -> Any:
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - an interpreter without json's C speedups
        return None
    decoder: Any = _DefaultDecoder()  # typeshed's make_scanner wants a JSONDecoder: a look-alike
    return make_scanner(decoder)


_scan = _c_scanner()


def loads(text: str) -> Any:
    """json.loads(text): the value, or the ValueError (json.JSONDecodeError) json raises."""
    if _scan is not None and not text.startswith("\ufeff"):
        start = len(text) - len(text.lstrip(_WHITESPACE))
        try:
            value, end = _scan(text, start)
        except Exception:  # noqa: S110 - json.loads below says what is wrong
            pass
        else:
            if not text[end:].strip(_WHITESPACE):
                return value
    import json

    return json.loads(text)


def string(value: str) -> str:
    """json.dumps(value): value as a JSON string literal."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    import json

    return json.dumps(value)
