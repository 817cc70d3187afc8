"""Test kit for code that calls Run:ai: a fake token server and a pytest plugin.

`FakeRunaiServer` speaks the token API on loopback (see its docstring for the semantics) and
counts what it saw (`Counts`);
`ScriptedServer` (with `Reply`, `Recorded`, `scripted`, `sequence`) serves replies a test scripts
per request, on the same HTTP plumbing; `make_jwt` mints a realistic access token without a
server. A server needs PyYAML and jsonschema too: the `testing` extra has them (the library
itself needs neither).
The pytest fixtures `runai_server` and `runai_credentials` come from runai_tokens.testing.plugin.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._jwt import InvalidToken, decode_jwt, encode_jwt, make_jwt
    from ._log import REDACTED, Counts, RequestRecord
    from ._script import Gate
    from ._scripted import Recorded, Reply, ScriptedServer, is_grant, scripted, sequence
    from .server import PROTECTED_PATH, FakeRunaiServer

# Each name and the module it comes from, loaded on first use: pytest imports this package for
# everyone who has runai-tokens installed (the plugin lives in it), so importing it loads
# nothing; and a server needs PyYAML and jsonschema, which only the `testing` extra brings, so
# asking for a name without them says which extra is missing.
_EXPORTS: dict[str, str] = {
    "InvalidToken": "._jwt",
    "decode_jwt": "._jwt",
    "encode_jwt": "._jwt",
    "make_jwt": "._jwt",
    "REDACTED": "._log",
    "Counts": "._log",
    "RequestRecord": "._log",
    "Gate": "._script",
    "Recorded": "._scripted",
    "Reply": "._scripted",
    "ScriptedServer": "._scripted",
    "is_grant": "._scripted",
    "scripted": "._scripted",
    "sequence": "._scripted",
    "FakeRunaiServer": ".server",
    "PROTECTED_PATH": ".server",
}

__all__ = [
    "PROTECTED_PATH",
    "REDACTED",
    "Counts",
    "FakeRunaiServer",
    "Gate",
    "InvalidToken",
    "Recorded",
    "Reply",
    "RequestRecord",
    "ScriptedServer",
    "decode_jwt",
    "encode_jwt",
    "is_grant",
    "make_jwt",
    "scripted",
    "sequence",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module, __name__), name)
    except ImportError as exc:  # PyYAML or jsonschema: only the `testing` extra brings them
        from ._advice import KIT_PACKAGES, install_advice

        raise ImportError(
            f"{__name__}.{name} needs the `testing` extra ({KIT_PACKAGES}): {install_advice()}",
            name=exc.name,
        ) from exc
    globals()[name] = value  # the next lookup finds it without calling here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
