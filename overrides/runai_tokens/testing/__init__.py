"""Test kit for code that calls Run:ai: a fake token server and a pytest plugin.

`FakeRunaiServer` speaks the token API on loopback (see its docstring for the semantics) and
counts what it saw (`Counts`);
`ScriptedServer` (with `Reply`, `Recorded`, `scripted`, `sequence`) serves replies a test scripts
per request, on the same HTTP plumbing; `make_jwt` mints a realistic access token without a
server. The kit needs attrs, and a server PyYAML and jsonschema too: the `testing` extra has all
three (the library itself needs none of them).
The pytest fixtures `runai_server` and `runai_credentials` come from runai_tokens.testing.plugin.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._jwt import InvalidToken, decode_jwt, encode_jwt, make_jwt
    from ._log import REDACTED, Counts, RequestRecord
    from ._script import Gate
    from .scripted import Recorded, Reply, ScriptedServer, scripted, sequence
    from .server import FakeRunaiServer

    PROTECTED_PATH = FakeRunaiServer.PROTECTED_PATH

# Each name and the module it comes from, loaded on first use: pytest imports this package for
# everyone who has runai-tokens installed (the plugin lives in it), so importing it loads
# nothing; and the kit needs attrs, which only the `testing` extra brings, so asking for a name
# without it says which extra is missing.
_EXPORTS: dict[str, str] = {
    "InvalidToken": "._jwt",
    "decode_jwt": "._jwt",
    "encode_jwt": "._jwt",
    "make_jwt": "._jwt",
    "REDACTED": "._log",
    "Counts": "._log",
    "RequestRecord": "._log",
    "Gate": "._script",
    "Recorded": ".scripted",
    "Reply": ".scripted",
    "ScriptedServer": ".scripted",
    "scripted": ".scripted",
    "sequence": ".scripted",
    "FakeRunaiServer": ".server",
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
    "make_jwt",
    "scripted",
    "sequence",
]


def __getattr__(name: str) -> object:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        importlib.import_module("attrs")
    except ImportError as exc:
        raise ImportError(
            f"{__name__}.{name} needs the `testing` extra (attrs, PyYAML, "
            "jsonschema): pip install 'runai-tokens[testing]'",
            name=exc.name,
        ) from exc
    if name == "PROTECTED_PATH":
        value: object = __getattr__("FakeRunaiServer").PROTECTED_PATH  # type: ignore[attr-defined]
    else:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    if name != "scripted":
        globals()[name] = value  # the next lookup finds it without calling here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Kit(types.ModuleType):
    """This package's module type, for one name: `scripted` is the function, never the
    submodule of the same name that the import system binds here once it is imported."""

    @property
    def scripted(self) -> object:
        return __getattr__("scripted")

    @scripted.setter
    def scripted(self, submodule: object) -> None:
        pass  # the import system binding the submodule: the name stays the function's


sys.modules[__name__].__class__ = _Kit
