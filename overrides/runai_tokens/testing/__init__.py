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

# pytest imports this package for everyone who has runai-tokens installed (the plugin lives in
# it), and the kit needs attrs, which only the `testing` extra brings: without it the package
# still imports, and asking it for anything says which extra is missing.
try:
    import attrs  # noqa: F401
except ImportError as exc:
    _MISSING: ImportError | None = exc
else:
    _MISSING = None
    from ._jwt import InvalidToken, decode_jwt, encode_jwt, make_jwt
    from ._log import REDACTED, Counts, RequestRecord
    from ._script import Gate
    from .scripted import Recorded, Reply, ScriptedServer, scripted, sequence
    from .server import FakeRunaiServer

    PROTECTED_PATH = FakeRunaiServer.PROTECTED_PATH

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
    if _MISSING is not None and name in __all__:
        from ._advice import KIT_PACKAGES, install_advice

        raise ImportError(
            f"{__name__}.{name} needs the `testing` extra ({KIT_PACKAGES}): {install_advice()}",
            name=_MISSING.name,
        ) from _MISSING
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
