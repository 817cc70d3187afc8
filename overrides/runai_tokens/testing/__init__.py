"""Test kit for code that calls Run:ai: a fake token server and a pytest plugin.

`FakeRunaiServer` speaks the token API on loopback (see its docstring for the semantics) and
counts what it saw (`Counts`);
`ScriptedServer` (with `Reply`, `Recorded`, `scripted`, `sequence`) serves replies a test scripts
per request, on the same HTTP plumbing; `make_jwt` mints a realistic access token without a
server. Importing this package needs only the runtime dependencies; starting a server needs the
`testing` extra (PyYAML, jsonschema).
The pytest fixtures `runai_server` and `runai_credentials` come from runai_tokens.testing.plugin.
"""

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
