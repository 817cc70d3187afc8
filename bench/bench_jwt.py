"""Benchmark 7: reading a JWT's expiry, runapy's decoder against runai-tokens'.

runapy's TokenRefresher decodes the payload with base64.b64decode (the standard alphabet) plus
"==": base64url's '-' and '_' are silently dropped, the rest decodes misaligned, and json.loads
fails (runapy raises, in the ApiClient constructor or at the next refresh). runai-tokens decodes
base64url. Both are run on the same tokens: ones FakeRunaiServer issues, and ones shaped like a
Keycloak access token (issuer URL, session UUID, email, roles), the kind Run:ai issues.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import random
import string
import time
import types
import uuid
from collections.abc import Callable

from bench_report import Section, section
from runai_tokens._token import jwt_lifetime
from runai_tokens.testing import FakeRunaiServer

TOKENS = 1000
LIFETIME = 3600
NAMES = [
    "Jos\u00e9 N\u00fa\u00f1ez",
    "Zo\u00eb \u0160imi\u0107",
    "\u0141ukasz \u017b\u00f3\u0142\u0107",
    "Fran\u00e7ois M\u00fcller",
    "S\u00f8ren \u00c5berg",
    "\u00c9lodie Lef\u00e8vre",
]


def _encode(claims: dict[str, object]) -> str:
    """A compact JWS as Keycloak writes it: JSON in raw UTF-8 (not \\u escapes), base64url."""

    def segment(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    return ".".join([segment(b'{"alg":"RS256","typ":"JWT"}'), segment(payload), segment(b"sig")])


def _keycloak_shaped(rng: random.Random, *, name: str, picture: bool) -> tuple[str, int]:
    now = int(time.time())
    session = str(uuid.UUID(int=rng.getrandbits(128)))
    claims: dict[str, object] = {
        "exp": now + LIFETIME,
        "iat": now,
        "jti": str(uuid.UUID(int=rng.getrandbits(128))),
        "iss": "https://tenant.run.ai/auth/realms/runai",
        "aud": "runai",
        "sub": str(uuid.UUID(int=rng.getrandbits(128))),
        "typ": "Bearer",
        "azp": "runai-cli",
        "session_state": session,
        "scope": "openid email profile",
        "sid": session,
        # Usernames differ in length, so what follows lands anywhere in a base64 block.
        "preferred_username": "".join(rng.choices(string.ascii_lowercase, k=rng.randrange(4, 13))),
        "name": name,
        "email": "researcher@example.com",
    }
    if picture:
        claims["picture"] = f"https://example.com/avatar.png?s={rng.randrange(16, 512)}&d=mp"
    return _encode(claims), now + LIFETIME


def _runapy_reads(refresher: type, token: str, exp: int) -> bool:
    """Whether runapy's TokenRefresher gets the right exp out of the token."""
    client = types.SimpleNamespace(_token=token, configuration=types.SimpleNamespace())
    try:
        return bool(refresher(client)._token_expiry == exp)
    except Exception:
        return False


def _ours_reads(token: str, exp: int) -> bool:
    return jwt_lifetime(token) == LIFETIME


def jwt() -> Section:
    rng = random.Random(7)
    with FakeRunaiServer(lifetime=LIFETIME) as server:
        fake = [server.issue_access_token(f"user-{i}") for i in range(TOKENS)]
    kinds: dict[str, list[tuple[str, int]]] = {
        "FakeRunaiServer access tokens (ASCII claims)": [
            (t, int(server.decode_token(t)["exp"])) for t in fake
        ],
        "Keycloak-shaped, ASCII name": [
            _keycloak_shaped(rng, name="Anna Ivanova", picture=False) for _ in range(TOKENS)
        ],
        "Keycloak-shaped, name with an accent (raw UTF-8)": [
            _keycloak_shaped(rng, name=rng.choice(NAMES), picture=False) for _ in range(TOKENS)
        ],
        "Keycloak-shaped, ASCII name, avatar URL with a query": [
            _keycloak_shaped(rng, name="Anna Ivanova", picture=True) for _ in range(TOKENS)
        ],
    }
    try:
        module = importlib.import_module("runai.token_refresher")
        refresher: type | None = module.TokenRefresher
    except ImportError:
        refresher = None
    rows: list[list[str]] = []
    for kind, tokens in kinds.items():
        with_dash = sum(1 for t, _ in tokens if {"-", "_"} & set(t.split(".")[1]))
        ours = _share(tokens, _ours_reads)
        if refresher is None:
            theirs = "n/a: runapy not installed"
        else:
            theirs = _share(tokens, functools.partial(_runapy_reads, refresher))
        rows.append([kind, f"{with_dash}/{len(tokens)}", theirs, ours])
    return section(
        f"7. JWT expiry: tokens whose exp each library reads ({TOKENS} tokens of each kind)",
        "The payload segment of a JWT is base64url. JSON in ASCII rarely encodes to '-' or '_' "
        "(only a '>', '?' or '~' in the right place does); raw UTF-8, as Keycloak writes a "
        "user's name, often does. Read = the exp each library computes is the token's.",
        ["tokens", "payloads with - or _", "runapy TokenRefresher", "runai-tokens"],
        rows,
    )


def _share(tokens: list[tuple[str, int]], reads: Callable[[str, int], bool]) -> str:
    good = sum(1 for t, exp in tokens if reads(t, exp))
    return f"{good}/{len(tokens)} ({good / len(tokens):.0%})"
