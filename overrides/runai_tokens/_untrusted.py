"""Checks for text that comes from outside (a server, a file, the environment) before it is used.

- header_value_problem: a token is put into an Authorization header. One with a line break, a NUL
  or a non-ASCII character would make httpx or h11 raise with the header (the token) in the
  message, or worse, smuggle a second header. It is checked where the token is accepted, so the
  failure is a typed error naming the problem, never the token.
- escape_controls: a server's error message may carry terminal escapes (retitling the window,
  clearing the screen) or line breaks (a forged log line). They are shown as Python escapes.
- json_value, json_object: the one reader of JSON that comes from outside, bounded in size and
  depth, with its rules below.

A base URL's checks (its port included) are in _validate.

Standard library only: the CLI's warm path imports this.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base_errors import RunaiTokensError

if TYPE_CHECKING:
    from typing import Any

# C0 and C1 controls and DEL, plus the Unicode bidirectional controls, which reorder what a
# terminal shows (the "Trojan Source" characters). A pattern, compiled (and kept by re's cache)
# on the first escape: compiling its Unicode ranges at import would slow every warm
# `runai-token get`, which escapes nothing.
_CONTROLS = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"


def header_value_problem(value: str) -> str | None:
    """What makes value unusable as a bearer token in a header, or None when it is fine.

    A bearer token (RFC 6750's b64token, a JWT, an opaque id) is visible ASCII: anything else is
    refused, whitespace included, which a server would split the token at. The answer never
    quotes the value.
    """
    if not value:
        return "is empty"
    if value.isascii() and value.isprintable() and " " not in value:
        return None  # the common case, decided without a per-character loop
    for char in value:
        if char in "\r\n":
            return "contains a line break (CR or LF)"
        if char == "\0":
            return "contains a NUL character"
        if char in " \t":
            return "contains whitespace"
        if not char.isascii():
            return "contains a non-ASCII character"
        if not char.isprintable():
            return f"contains a control character (U+{ord(char):04X})"
    return None  # pragma: no cover - the fast path accepts every value the loop accepts


def escape_controls(text: str) -> str:
    """text with every control character shown as a Python escape (\\x1b, \\n, \\u202e)."""
    import re  # only an error message is escaped; a warm `get` never imports re

    return re.sub(_CONTROLS, lambda match: repr(match.group())[1:-1], text)


# JSON from outside: token payloads, the runai CLI's files, the OpenID discovery document and
# KUBERNETES_EXEC_INFO. Every one of them is read by json_value or json_object, which refuse what
# the rules below refuse with UntrustedJsonError, and each caller turns that into its own error
# (LoginRequiredError, DiscoveryError, the CLI's usage error; a JWT's payload is then not a JWT).
#
# - Size: the caller's limit, checked before anything is decoded.
# - Depth: at most MAX_DEPTH nested arrays and objects, counted before json runs. json's C
#   scanner recurses once per level and raises RecursionError only at the interpreter's limit:
#   where it stands depends on the caller's own stack and on sys.setrecursionlimit(), and a
#   limit set high lets the scanner overflow the C stack, which no except can catch. The count
#   is an upper bound of the depth json would reach (see _too_deep); RecursionError is caught
#   too, as a backstop only.
# - Bytes must be UTF-8 (RFC 8259, section 8.1): json.loads would guess UTF-16 or UTF-32 too.
#   A byte order mark is refused, as json.loads refuses it in a str.
# - NaN, Infinity and -Infinity are refused: they are not JSON (RFC 8259, section 6), only
#   Python's extension of it. A number too large for a float (1e400) is read as infinity, which
#   every reader of a lifetime clamps; an integer is read exactly up to MAX_DIGITS digits,
#   whatever sys.set_int_max_str_digits() allows (converting a longer one is quadratic).
# - A key twice in one object is refused, not read as its last value: RFC 8259 leaves the
#   meaning to the reader, so two readers of one document (the server that signed a token and
#   us, say) may disagree about which `exp` or `issuer` it holds. RFC 7519 (section 4) allows a
#   JWT reader to reject duplicate claim names, and Go's encoding/json (the runai CLI's) never
#   writes any.
# - A string with a lone surrogate (an escape such as \ud800 without its pair) is refused: it
#   is not Unicode text, and would fail later, wherever it is encoded.
MAX_DEPTH = 32
MAX_DIGITS = 4300  # Python's own default for int(str)


class UntrustedJsonError(RunaiTokensError, ValueError):
    """JSON from outside that is refused. str() says what is wrong (a predicate: "is not JSON",
    "is nested more than 32 levels deep") and never quotes the text, which may be a token."""


def json_object(data: bytes | str, *, limit: int) -> dict[str, Any]:
    """data as a JSON object under the rules above; raises UntrustedJsonError."""
    value = json_value(data, limit=limit)
    if not isinstance(value, dict):
        raise UntrustedJsonError("is not a JSON object")
    return value


def json_value(data: bytes | str, *, limit: int) -> Any:
    """data as JSON under the rules above; raises UntrustedJsonError.

    limit: the most bytes (characters, for a str) data may have.
    """
    if len(data) > limit:
        raise UntrustedJsonError(f"is larger than {limit} bytes")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is None:  # raised out here: no decode error, holding the bytes, as context
            raise UntrustedJsonError("is not UTF-8 text")
    elif not data.isascii() and not _encodes(data):
        # A str from os.environ holds undecodable bytes as lone surrogates (surrogateescape).
        raise UntrustedJsonError("is not UTF-8 text")
    else:
        text = data
    if _too_deep(text):
        raise UntrustedJsonError(f"is nested more than {MAX_DEPTH} levels deep")
    problem = None
    try:
        value = _decoder().decode(text)
    except UntrustedJsonError as exc:  # a rule the decoder's hooks enforce
        problem = str(exc)
    except (ValueError, RecursionError):  # JSONDecodeError holds the text: never chained
        problem = "is not JSON"
    if problem is not None:
        raise UntrustedJsonError(problem)
    if "\\u" in text and _has_lone_surrogate(value):
        raise UntrustedJsonError("holds a string that is not Unicode text (a lone surrogate)")
    return value


# A JSON string, escapes included. Where json reads a string, this reads the same one, so a
# bracket left outside every match is one json would nest at (where they part, json has already
# failed): the depth counted is an upper bound of json's, hence a safe one.
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'


def _too_deep(text: str) -> bool:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # the common case, decided without a scan
    import re  # json imports it anyway

    depth = 0
    outside = re.sub(_STRING, "", text, flags=re.DOTALL)  # what is left between the strings
    for match in re.finditer(r"[\[\]{}]", outside):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
            if depth < 0:
                return False  # a closer without its opener: json stops here, "not JSON"
    return False


def _decoder() -> Any:
    global _DECODER
    if _DECODER is None:
        import json  # lazily: the CLI's warm path imports this module

        _DECODER = json.JSONDecoder(
            object_pairs_hook=_unique_keys,
            parse_constant=_not_json,
            parse_int=_bounded_int,
        )
    return _DECODER


_DECODER: Any = None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise UntrustedJsonError("names a key twice in one object")
    return value


def _not_json(name: str) -> Any:
    raise UntrustedJsonError(f"holds {name}, which is not JSON")


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise UntrustedJsonError(f"holds an integer of more than {MAX_DIGITS} digits")
    return int(digits)


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _has_lone_surrogate(value: Any) -> bool:
    # A loop, not recursion: the depth is bounded, but the caller's stack may not be.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not _encodes(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
