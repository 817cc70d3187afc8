"""What the fake server knows (clients, apps, users, codes, tokens) and how it grants tokens.

No HTTP and no wire format here: _operations.py turns a request that passed the contract into a
call of one grant below, and what it returns (Issued) into a v1 or a v2 body. A refusal is a
GrantError carrying both ways of saying it: the v1 status and message, and the RFC 6749 code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Callable

import attrs

from ._rotation import RefreshRefused, RefreshTokens
from ._tokens import Minter
from ._versions import EXPIRES_IN, OPERATIONS_SINCE, Version, parse_version, show

# RFC 6749 section 5.2 error codes, as /api/v2/token answers them.
INVALID_REQUEST = "invalid_request"
INVALID_CLIENT = "invalid_client"
INVALID_GRANT = "invalid_grant"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"


class GrantError(Exception):
    """A request the service refuses.

    status and message make v1's Error envelope; oauth2 is the RFC 6749 error code that v2
    answers instead (with 401 for invalid_client and 400 for every other). No message ever
    holds a value that was sent.
    """

    def __init__(self, status: int, message: str, oauth2: str = INVALID_REQUEST) -> None:
        self.status = status
        self.message = message
        self.oauth2 = oauth2
        super().__init__(message)


@attrs.frozen
class Issued:
    """The tokens one grant minted; refresh_token is None when the grant issues none."""

    access_token: str = attrs.field(repr=False)
    id_token: str = attrs.field(repr=False)
    refresh_token: str | None = attrs.field(repr=False)
    expires_in: int  # the lifetime; whether it goes on the wire depends on version and endpoint
    send_expires_in: bool


@attrs.frozen
class _Code:
    redirect_uri: str
    client_id: str | None
    subject: str
    challenge: str | None = None  # PKCE S256, from the authorize endpoint
    offline: bool = True  # whether its exchange issues a refresh token (the scope allowed one)


def _s256(verifier: str) -> str:
    """RFC 7636's S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class TokenService:
    """The registries and the grants; every method is safe to call from any thread."""

    def __init__(
        self,
        *,
        version: str,
        lifetime: float,
        rotate_refresh_tokens: bool,
        clock: Callable[[], float],
        detect_refresh_token_reuse: bool = True,
        signing_key: bytes,
        opaque_tokens: bool = False,
        standard_base64_safe: bool = False,
    ) -> None:
        self.version = parse_version(version)
        self.tokens = Minter(
            lifetime=lifetime,
            clock=clock,
            signing_key=signing_key,
            opaque_tokens=opaque_tokens,
            standard_base64_safe=standard_base64_safe,
        )
        self._lock = threading.Lock()
        self._clients: dict[str, str] = {}
        self._apps: dict[str, tuple[str, str | None]] = {}
        self._users: dict[str, str] = {}
        self._codes: dict[str, _Code] = {}
        self._external: dict[str, str] = {}
        self.refresh_tokens = RefreshTokens(
            rotate=rotate_refresh_tokens, detect_reuse=detect_refresh_token_reuse
        )

    @property
    def lifetime(self) -> float:
        return self.tokens.lifetime

    @lifetime.setter
    def lifetime(self, seconds: float) -> None:
        self.tokens.lifetime = seconds

    @property
    def rotate_refresh_tokens(self) -> bool:
        return self.refresh_tokens.rotate

    @property
    def tokens_issued(self) -> int:
        return self.tokens.issued

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

    def add_code(
        self,
        code: str,
        redirect_uri: str,
        client_id: str | None,
        subject: str,
        *,
        challenge: str | None = None,
        offline: bool = True,
    ) -> None:
        with self._lock:
            self._codes[code] = _Code(redirect_uri, client_id, subject, challenge, offline)

    def add_external_token(self, token: str, subject: str) -> None:
        with self._lock:
            self._external[token] = subject

    def issue_refresh_token(self, subject: str, client_id: str | None) -> str:
        with self._lock:
            return self.refresh_tokens.issue(subject, client_id)

    def issue_access_token(self, subject: str, client_id: str | None = None) -> str:
        return self.tokens.mint(subject, client_id, "Bearer")

    def revoke_all(self) -> None:
        with self._lock:
            self.tokens.revoke_all()
            self.refresh_tokens.clear()

    # --- the grants, whatever the wire format -------------------------------------------
    def client_credentials(self, client_id: str, client_secret: str) -> Issued:
        with self._lock:
            known = self._clients.get(client_id)
        if known is None or not _same(client_secret, known):
            raise GrantError(401, "invalid client credentials", INVALID_CLIENT)
        return self._issue(client_id, client_id, refresh=False)

    def app(self, app_id: str, app_secret: str, name: str | None) -> Issued:
        """An application's id and secret (and, for the apptoken operation, its name)."""
        with self._lock:
            known = self._apps.get(app_id)
        if known is None or not _same(app_secret, known[0]):
            raise GrantError(401, "invalid application credentials", INVALID_CLIENT)
        if name is not None and known[1] is not None and name != known[1]:
            raise GrantError(401, "invalid application credentials", INVALID_CLIENT)
        return self._issue(app_id, app_id, refresh=False)

    def password(self, username: str, password: str, client_id: str | None) -> Issued:
        with self._lock:
            known = self._users.get(username)
        if known is None or not _same(password, known):
            raise GrantError(401, "invalid username or password", INVALID_GRANT)
        return self._issue(username, client_id, refresh=True)

    def external(self, token: str) -> Issued:
        with self._lock:
            subject = next((s for t, s in self._external.items() if _same(token, t)), None)
        if subject is None:
            raise GrantError(401, "invalid external token", INVALID_GRANT)
        return self._issue(subject, None, refresh=False)

    def exchange(
        self, code: str, redirect_uri: str, client_id: str | None, *, verifier: str | None = None
    ) -> Issued:
        """RFC 7636 section 4.6, whatever the endpoint: a code issued with a challenge is refused
        without the verifier that matches it. v1's operations carry no verifier in any document,
        so a code with a challenge can only be exchanged at /api/v2/token."""
        with self._lock:
            # Authorization codes are single-use, as OAuth requires, whatever happens next.
            found = self._codes.pop(code, None)
        if found is None or found.redirect_uri != redirect_uri:
            raise GrantError(401, "invalid authorization code or redirect URI", INVALID_GRANT)
        if found.challenge is not None and not (
            verifier is not None and _same(_s256(verifier), found.challenge)
        ):
            raise GrantError(401, "PKCE verifier missing or wrong", INVALID_GRANT)
        if client_id is not None and found.client_id is not None and client_id != found.client_id:
            raise GrantError(401, "authorization code was issued to another client", INVALID_GRANT)
        return self._issue(found.subject, found.client_id or client_id, refresh=found.offline)

    def refresh(self, token: str, client_id: str | None) -> Issued:
        with self._lock:
            try:
                found, new_refresh = self.refresh_tokens.refresh(token, client_id)
            except RefreshRefused as refused:
                raise GrantError(401, refused.why, INVALID_GRANT) from None
        issued = self._issue(found.subject, found.client_id, refresh=False)
        return attrs.evolve(issued, refresh_token=new_refresh)

    def revoke_refresh_token(self, token: str, client_id: str) -> None:
        """RFC 7009 for a public client: the refresh token is forgotten when it was issued to
        client_id; an unknown one is no error (section 2.2). Raises GrantError when it belongs to
        another client."""
        with self._lock:
            found = self.refresh_tokens.live_grant(token)
            if found is not None and found.client_id not in (None, client_id):
                raise GrantError(
                    400, "the token was issued to another client", "unauthorized_client"
                )
            self.refresh_tokens.revoke(token)

    def require(self, since: Version, grant: str, field: str) -> None:
        """Refuse a grant this version does not have yet, saying so (it is not a bad credential)."""
        if self.version < since:
            raise GrantError(
                400,
                f"unsupported {field} {grant}: not supported by control plane version "
                f"{show(self.version)} (introduced in {show(since)})",
                UNSUPPORTED_GRANT_TYPE,
            )

    def offers(self, operation_id: str) -> bool:
        """Whether this version serves the operation at all (older ones answer 404)."""
        return self.version >= OPERATIONS_SINCE.get(operation_id, (0, 0))

    # --- helpers --------------------------------------------------------------------------
    def _issue(self, subject: str, client_id: str | None, *, refresh: bool) -> Issued:
        lifetime = max(0, int(self.lifetime))
        access = self.tokens.mint(subject, client_id, "Bearer")
        id_token = self.tokens.mint(subject, client_id, "ID")
        with self._lock:
            refresh_token = self.refresh_tokens.issue(subject, client_id) if refresh else None
        return Issued(access, id_token, refresh_token, lifetime, self.version >= EXPIRES_IN)
