"""HS256 JSON Web Tokens with the standard library only.

Run:ai signs its access tokens with RS256; clients never verify the signature, they only read
`exp` from the payload. HS256 keeps the fake server free of a crypto dependency while still
producing tokens that a real JWT parser accepts and that the server can verify on its protected
endpoint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

# Used by make_jwt when the caller does not care who can verify the token: tests that only need
# a well-formed JWT with an `exp` (a scripted server's reply, a cache file).
TEST_SIGNING_KEY = b"fake-signing-key-not-a-secret"

_HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(ValueError):
    """A token that is malformed, wrongly signed or not a JWT. The message never holds the token."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("a JWT segment is not base64url") from exc


# In ASCII JSON only these four characters, in the third byte of a three-byte group, encode to
# the base64url sextets 62 and 63 ('-' and '_'). Escaped as \u00XX they decode to the same
# claims, and the segment reads the same in the standard alphabet.
_BASE64_UNSAFE = str.maketrans({c: f"\\u{ord(c):04x}" for c in ">?~\x7f"})


def _json_segment(data: Mapping[str, Any], standard_base64_safe: bool = False) -> str:
    text = json.dumps(data, separators=(",", ":"), sort_keys=True)
    if standard_base64_safe:
        text = text.translate(_BASE64_UNSAFE)
    return _b64encode(text.encode())


def _sign(signing_input: str, key: bytes) -> str:
    return _b64encode(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def encode_jwt(claims: Mapping[str, Any], key: bytes, *, standard_base64_safe: bool = False) -> str:
    """Sign `claims` with HS256 under `key` and return the compact serialization.

    standard_base64_safe=True writes the payload so that its segment holds no '-' or '_' (JSON
    escapes instead of the four ASCII characters that would encode to them), so that a decoder
    using the standard base64 alphabet reads the same claims as a base64url one.
    """
    payload = _json_segment(claims, standard_base64_safe)
    signing_input = f"{_json_segment(_HEADER)}.{payload}"
    return f"{signing_input}.{_sign(signing_input, key)}"


def decode_jwt(token: str, key: bytes) -> dict[str, Any]:
    """Verify an HS256 token's signature under `key` and return its claims.

    Expiry is not checked here: whether `exp` has passed depends on the caller's clock.
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT (expected three dot-separated segments)")
    header_b64, payload_b64, signature = parts
    try:
        header = json.loads(_b64decode(header_b64))
    except ValueError as exc:
        raise InvalidToken("the JWT header is not JSON") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise InvalidToken("unsupported JWT algorithm (expected HS256)")
    if not hmac.compare_digest(signature, _sign(f"{header_b64}.{payload_b64}", key)):
        raise InvalidToken("bad JWT signature")
    try:
        claims = json.loads(_b64decode(payload_b64))
    except ValueError as exc:
        raise InvalidToken("the JWT payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise InvalidToken("the JWT payload is not a JSON object")
    return claims


def make_jwt(
    subject: str = "fake-user",
    *,
    lifetime: float = 3600.0,
    issued_at: float | None = None,
    key: bytes = TEST_SIGNING_KEY,
    **claims: Any,
) -> str:
    """A signed JWT with sub, iat and exp (iat + lifetime), plus any extra `claims`.

    For tests that need a realistic access token without a server: the payload decodes like
    Run:ai's (base64url JSON with integer `exp`). `issued_at` defaults to the wall clock.
    """
    now = time.time() if issued_at is None else issued_at
    payload = {"sub": subject, "iat": int(now), "exp": int(now + lifetime), **claims}
    return encode_jwt(payload, key)
