"""Checks for text that comes from outside (a server, a file, the environment) before it is used.

- header_value_problem: a token is put into an Authorization header. One with a line break, a NUL
  or a non-ASCII character would make httpx or h11 raise with the header (the token) in the
  message, or worse, smuggle a second header. It is checked where the token is accepted, so the
  failure is a typed error naming the problem, never the token.
- escape_controls: a server's error message may carry terminal escapes (retitling the window,
  clearing the screen) or line breaks (a forged log line). They are shown as Python escapes.

A base URL's checks (its port included) are in _validate.

Standard library only: the CLI's warm path imports this.
"""

from __future__ import annotations

# C0 and C1 controls and DEL, plus the Unicode bidirectional controls, which reorder what a
# terminal shows (the "Trojan Source" characters). A pattern, compiled (and kept by re's cache)
# on the first escape: compiling its Unicode ranges at import cost up to 1 ms of every warm
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
