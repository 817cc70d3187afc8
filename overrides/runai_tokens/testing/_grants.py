"""What the fake server knows (clients, apps, users, codes, tokens) and how it grants tokens.

No HTTP here: each operation takes a request that already passed the contract and returns the
JSON body to send, or raises GrantError with the status and message of the Error envelope.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ._jwt import InvalidToken, decode_jwt, encode_jwt

ISSUER = "runai-tokens-fake"

# The first control-plane version that has each grant_token feature.
_CLIENT_CREDENTIALS = (2, 20)
_EXTERNAL_TOKEN_EXCHANGE = (2, 22)
_EXPIRES_IN = (2, 24)


class GrantError(Exception):
    """A request the service refuses; status and message go into the Error envelope."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def parse_version(version: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    if match is None or (int(match[1]), int(match[2])) < (2, 18):
        raise ValueError(
            f"version must look like '2.18' or '2.24' (2.18 or later), not {version!r}"
        )
    return int(match[1]), int(match[2])


@attrs.frozen
class _Code:
    redirect_uri: str
    client_id: str | None
    subject: str


@attrs.frozen
class _Refresh:
    subject: str
    client_id: str | None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _need(data: Mapping[str, Any] | None, key: str, context: str) -> str:
    value = (data or {}).get(key)
    if not isinstance(value, str) or not value:
        raise GrantError(400, f"missing required field '{key}' for {context}")
    return value


class TokenService:
    """The registries and the four operations; every method is safe to call from any thread."""

    def __init__(
        self,
        *,
        version: str,
        lifetime: float,
        rotate_refresh_tokens: bool,
        clock: Callable[[], float],
        signing_key: bytes,
    ) -> None:
        self.version = parse_version(version)
        self.lifetime = lifetime
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self._clock = clock
        self._key = signing_key
        self._lock = threading.Lock()
        self._clients: dict[str, str] = {}
        self._apps: dict[str, tuple[str, str | None]] = {}
        self._users: dict[str, str] = {}
        self._codes: dict[str, _Code] = {}
        self._external: dict[str, str] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._live: set[str] = set()  # jti of every access token not yet revoked
        self.tokens_issued = 0

    # --- registries -----------------------------------------------------------------------
    def add_client(self, client_id: str, client_secret: str) -> None:
        with self._lock:
            self._clients[client_id] = client_secret

    def add_app(self, app_id: str, app_secret: str, name: str | None) -> None:
        with self._lock:
            self._apps[app_id] = (app_secret, name)

    def add_user(self, username: str, password: str) -> None:
        with self._lock:
            self._users[username] = password

    def add_code(self, code: str, redirect_uri: str, client_id: str | None, subject: str) -> None:
        with self._lock:
            self._codes[code] = _Code(redirect_uri, client_id, subject)

    def add_external_token(self, token: str, subject: str) -> None:
        with self._lock:
            self._external[token] = subject

    def issue_refresh_token(self, subject: str, client_id: str | None) -> str:
        with self._lock:
            return self._new_refresh(subject, client_id)

    def issue_access_token(self, subject: str, client_id: str | None = None) -> str:
        with self._lock:
            return self._mint(subject, client_id, "Bearer")

    def revoke_all(self) -> None:
        with self._lock:
            self._live.clear()
            self._refresh.clear()

    # --- the protected endpoint -----------------------------------------------------------
    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a live, unexpired access token; GrantError(401) otherwise."""
        try:
            claims = decode_jwt(token, self._key)
        except InvalidToken as exc:
            raise GrantError(401, f"invalid bearer token: {exc}") from None
        if claims.get("typ") != "Bearer":
            raise GrantError(401, "not an access token")
        with self._lock:
            if claims.get("jti") not in self._live:
                raise GrantError(401, "token revoked")
        if not self._clock() < claims.get("exp", 0):
            raise GrantError(401, "token expired")
        return claims

    # --- the four operations --------------------------------------------------------------
    def grant_token(self, body: Mapping[str, Any] | None) -> dict[str, Any]:
        grant = _need(body, "grantType", "grant_token")
        context = f"grantType {grant}"
        if grant == "client_credentials":
            self._require(_CLIENT_CREDENTIALS, grant)
            client_id = _need(body, "clientID", context)
            self._check_client(client_id, _need(body, "clientSecret", context))
            return self._issue(client_id, client_id, refresh=False)
        if grant == "app_token":
            app_id = _need(body, "appID", context)
            self._check_app(app_id, _need(body, "appSecret", context), None)
            return self._issue(app_id, app_id, refresh=False)
        if grant == "password":
            username = _need(body, "username", context)
            with self._lock:
                known = self._users.get(username)
            if known is None or not _same(_need(body, "password", context), known):
                raise GrantError(401, "invalid username or password")
            return self._issue(username, (body or {}).get("clientID"), refresh=True)
        if grant == "refresh_token":
            token = _need(body, "refreshToken", context)
            return self._refresh_with(token, (body or {}).get("clientID"))
        if grant == "exchange_token":
            code, redirect = _need(body, "code", context), _need(body, "redirectUri", context)
            return self._exchange(code, redirect, (body or {}).get("clientID"))
        if grant == "external_token_exchange":
            self._require(_EXTERNAL_TOKEN_EXCHANGE, grant)
            external = _need(body, "externalToken", context)
            with self._lock:
                subject = next((s for t, s in self._external.items() if _same(external, t)), None)
            if subject is None:
                raise GrantError(401, "invalid external token")
            return self._issue(subject, None, refresh=False)
        raise GrantError(400, f"unsupported grantType {grant}")  # the contract lets none through

    def app_token(self, body: Mapping[str, Any] | None) -> dict[str, Any]:
        context = "app_token"
        app_id = _need(body, "id", context)
        self._check_app(app_id, _need(body, "secret", context), _need(body, "name", context))
        issued = self._issue(app_id, app_id, refresh=False)
        return {"access_token": issued["accessToken"], "id_token": issued["idToken"]}

    def exchange_code_for_token(self, query: Mapping[str, str]) -> dict[str, Any]:
        context = "exchange_code_for_token"
        code = _need(query, "code", context)
        return self._exchange(code, _need(query, "redirect_uri", context), None)

    def refresh_token(self, query: Mapping[str, str]) -> dict[str, Any]:
        return self._refresh_with(_need(query, "refresh_token", "refresh_token"), None)

    # --- helpers --------------------------------------------------------------------------
    def _require(self, since: tuple[int, int], grant: str) -> None:
        if self.version < since:
            # What an older control plane says: it does not know the grant type at all.
            raise GrantError(400, f"unsupported grantType {grant}")

    def _check_client(self, client_id: str, secret: str) -> None:
        with self._lock:
            known = self._clients.get(client_id)
        if known is None or not _same(secret, known):
            raise GrantError(401, "invalid client credentials")

    def _check_app(self, app_id: str, secret: str, name: str | None) -> None:
        with self._lock:
            known = self._apps.get(app_id)
        if known is None or not _same(secret, known[0]):
            raise GrantError(401, "invalid application credentials")
        if name is not None and known[1] is not None and name != known[1]:
            raise GrantError(401, "invalid application credentials")

    def _exchange(self, code: str, redirect_uri: str, client_id: str | None) -> dict[str, Any]:
        with self._lock:
            # Authorization codes are single-use, as OAuth requires, whatever happens next.
            found = self._codes.pop(code, None)
        if found is None or found.redirect_uri != redirect_uri:
            raise GrantError(401, "invalid authorization code or redirect URI")
        if client_id is not None and found.client_id is not None and client_id != found.client_id:
            raise GrantError(401, "authorization code was issued to another client")
        return self._issue(found.subject, found.client_id or client_id, refresh=True)

    def _refresh_with(self, token: str, client_id: str | None) -> dict[str, Any]:
        with self._lock:
            found = next((g for t, g in self._refresh.items() if _same(token, t)), None)
            if found is None:
                raise GrantError(401, "invalid, used or revoked refresh token")
            if client_id is not None and found.client_id not in (None, client_id):
                raise GrantError(401, "refresh token was issued to another client")
            if self.rotate_refresh_tokens:
                del self._refresh[token]
                new_refresh = self._new_refresh(found.subject, found.client_id)
            else:
                new_refresh = token
        issued = self._issue(found.subject, found.client_id, refresh=False)
        return {**issued, "refreshToken": new_refresh}

    def _issue(self, subject: str, client_id: str | None, *, refresh: bool) -> dict[str, Any]:
        with self._lock:
            body: dict[str, Any] = {
                "accessToken": self._mint(subject, client_id, "Bearer"),
                "idToken": self._mint(subject, client_id, "ID"),
            }
            if refresh:
                body["refreshToken"] = self._new_refresh(subject, client_id)
        if self.version >= _EXPIRES_IN:
            body["expiresIn"] = max(0, int(self.lifetime))
        return body

    def _mint(self, subject: str, client_id: str | None, typ: str) -> str:
        """A signed token (call with the lock held); access tokens count and stay live."""
        now = self._clock()
        jti = str(uuid.uuid4())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": subject,
            "iat": int(now),
            "exp": int(now + self.lifetime),
            "jti": jti,
            "typ": typ,
        }
        if client_id is not None:
            claims["azp"] = client_id
        if typ == "Bearer":
            self._live.add(jti)
            self.tokens_issued += 1
        return encode_jwt(claims, self._key)

    def _new_refresh(self, subject: str, client_id: str | None) -> str:
        token = f"fake-refresh-{secrets.token_urlsafe(24)}"
        self._refresh[token] = _Refresh(subject, client_id)
        return token
