"""Reading the redirect that brings the browser back: the code, once the state matches.

RFC 6749 section 4.1.2: the identity provider sends the browser to redirect_uri with `code` and
the `state` it was given, or with `error` (and perhaps `error_description`). The state must be
this login's, compared in constant time: a redirect with another state is a stale tab or a
forged request (login CSRF), and its code is never exchanged. The same rules serve the loopback
listener and the address a person pastes with --no-browser.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

from .._untrusted import escape_controls
from ._errors import CallbackError

_SHOWN = 200


def code_from_query(query: str, state: str) -> str:
    """The code from a redirect's query string. Raises CallbackError."""
    try:
        params = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except ValueError:
        raise CallbackError("the redirect's query string could not be read") from None
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        raise CallbackError(f"the redirect repeats {', '.join(map(_shown, repeated))}")
    values = {name: found[0] for name, found in params.items()}
    if "error" in values:
        said = _shown(values["error"])
        if values.get("error_description"):
            said += f": {_shown(values['error_description'])}"
        raise CallbackError(f"the identity provider refused the login ({said})")
    if not hmac.compare_digest(values.get("state", "").encode(), state.encode()):
        raise CallbackError(
            "the redirect's state is not this login's (a stale browser tab, or a forged "
            "request); its code was not used"
        )
    code = values.get("code", "")
    if not code:
        raise CallbackError("the redirect carries no authorization code")
    return code


def code_from_pasted(pasted: str, redirect_uri: str, state: str) -> str:
    """The code from the address the browser ended on, pasted by a person. Raises CallbackError."""
    text = pasted.strip()
    expected = urlsplit(redirect_uri)
    try:
        parts = urlsplit(text)
        same = (parts.scheme, parts.netloc, parts.path) == (
            expected.scheme,
            expected.netloc,
            expected.path,
        )
    except ValueError:
        same = False
    if not same:
        raise CallbackError(
            f"that is not the address the browser ended on (it starts with {redirect_uri}?)"
        )
    return code_from_query(parts.query, state)


def _shown(text: str) -> str:
    """Text from the query, safe to show: controls escaped, length bounded."""
    cut = text[:_SHOWN] + ("..." if len(text) > _SHOWN else "")
    return escape_controls(cut)
