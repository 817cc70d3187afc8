"""Reading the redirect that brings the browser back: the code, once the state matches.

RFC 6749 section 4.1.2: the identity provider sends the browser to redirect_uri with `code` and
the `state` it was given, or with `error` (and perhaps `error_description`). The state is read
first, and must be this login's, compared in constant time: a redirect without it, or with
another, is a stale tab or a forged request (login CSRF), and nothing else in it is looked at,
its `error` included (Stray: the listener answers it with a page and goes on waiting). Only a
redirect with this login's state can end the login, with its code or with the provider's error.
When the provider advertises RFC 9207's `iss` parameter, the redirect's `iss` must be the
issuer (a mix-up defence); when a redirect carries one, it must be the issuer in any case.

Nothing here raises: what a redirect says is returned (Redirect, or Refused with the words to
say), so that no frame holding the query, and its code, is in the traceback of a failed login.
The same rules serve the loopback listener and the address a person pastes with --no-browser.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

from .._untrusted import escape_controls
from .._value import Value

_SHOWN = 200
# An error that may come from a provider requiring PKCE of a request that had no challenge.
_PKCE_WORDS = ("pkce", "code_challenge", "code challenge", "verifier")


class Redirect(Value):
    """What a redirect with this login's state brought: its code (kept out of repr)."""

    __slots__ = _fields = ("code",)
    _hidden = frozenset({"code"})
    code: str

    def __init__(self, code: str) -> None:
        self._set(code)


class Refused(Value):
    """Why a redirect gives no code, in words fit for the terminal and the browser's page.

    stray: it is not this login's (no state, or another), so it does not end the login.
    pkce: the identity provider's error may be about PKCE.
    """

    __slots__ = _fields = ("message", "stray", "pkce")
    message: str
    stray: bool
    pkce: bool

    def __init__(self, message: str, *, stray: bool = False, pkce: bool = False) -> None:
        self._set(message, stray, pkce)


class Expected(Value):
    """What a redirect must carry: this login's state, and the issuer for RFC 9207's `iss`
    (require_iss: the provider advertises it, so a redirect without it is refused)."""

    __slots__ = _fields = ("state", "issuer", "require_iss")
    _hidden = frozenset({"state"})
    state: str
    issuer: str | None
    require_iss: bool

    def __init__(self, state: str, issuer: str | None = None, require_iss: bool = False) -> None:
        self._set(state, issuer, require_iss)


_STRAY = (
    "this page does not belong to the login in progress (its state is missing or not this "
    "login's: a stale browser tab, or a forged request); it was ignored"
)


def read_query(query: str, expected: Expected) -> Redirect | Refused:
    """The code of a redirect's query string, or why there is none."""
    try:
        params = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except ValueError:
        return Refused("the redirect's query string could not be read", stray=True)
    states = params.get("state", [])
    if len(states) != 1 or not hmac.compare_digest(states[0].encode(), expected.state.encode()):
        return Refused(_STRAY, stray=True)
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        return Refused(f"the redirect repeats {', '.join(map(_shown, repeated))}")
    values = {name: found[0] for name, found in params.items()}
    problem = _issuer_problem(values.get("iss"), expected)
    if problem is not None:
        return Refused(problem)
    if "error" in values:
        said = _shown(values["error"])
        if values.get("error_description"):
            said += f": {_shown(values['error_description'])}"
        told = f"{values['error']} {values.get('error_description', '')}".lower()
        pkce = values["error"] == "invalid_request" or any(word in told for word in _PKCE_WORDS)
        return Refused(f"the identity provider refused the login ({said})", pkce=pkce)
    code = values.get("code", "")
    if not code:
        return Refused("the redirect carries no authorization code")
    return Redirect(code)


def read_pasted(pasted: str, redirect_uri: str, expected: Expected) -> Redirect | Refused:
    """The code of the address the browser ended on, pasted by a person, or why there is none."""
    text = pasted.strip()
    wanted = urlsplit(redirect_uri)
    try:
        parts = urlsplit(text)
        same = (parts.scheme, parts.netloc, parts.path) == (
            wanted.scheme,
            wanted.netloc,
            wanted.path,
        )
    except ValueError:
        same = False
    if not same:
        return Refused(
            f"that is not the address the browser ended on (it starts with {redirect_uri}?)"
        )
    read = read_query(parts.query, expected)
    if isinstance(read, Refused) and read.stray:
        # A person pasted it on purpose: it ends the login, in words about the paste.
        return Refused(
            "the pasted address's state is not this login's (a redirect of another login, or "
            "a stale browser tab); its code was not used"
        )
    return read


def _issuer_problem(iss: str | None, expected: Expected) -> str | None:
    """RFC 9207 section 2.4: an `iss` must be the issuer, compared as strings; one is needed
    when the provider advertises it."""
    if expected.issuer is None:
        return None
    if iss is None:
        if not expected.require_iss:
            return None
        return (
            "the redirect carries no iss, which the identity provider says it sends (RFC 9207); "
            "its code was not used"
        )
    if not hmac.compare_digest(iss.encode(), expected.issuer.encode()):
        return (
            f"the redirect's iss ({_shown(iss)}) is not the issuer the login was sent to "
            "(RFC 9207: a mix-up of identity providers?); its code was not used"
        )
    return None


def _shown(text: str) -> str:
    """Text from the query, safe to show: controls escaped, length bounded."""
    cut = text[:_SHOWN] + ("..." if len(text) > _SHOWN else "")
    return escape_controls(cut)
