"""The refresh tokens the fake server issued: rotation, and reuse detection the way a strict
identity provider does it.

Every refresh token belongs to a family: the grant one login (or one password grant, or one
issue_refresh_token()) started. With rotation on, a refresh spends the token and issues the next
one of its family. With reuse detection on as well, a token that was already spent and is
presented again is taken as a stolen copy: it is refused with invalid_grant AND the whole family
is revoked, so the live token (whoever holds it) stops working too. That is oidc-provider's
default for public clients, Keycloak's "Revoke Refresh Token" with a reuse count of 0, and
Okta's and Auth0's rotation: two clients that refresh with the same token at once lose the login.

Not thread-safe by itself: TokenService calls it under its own lock.
"""

from __future__ import annotations

import hmac
import secrets

import attrs


class RefreshRefused(Exception):
    """A refresh token that is unknown, spent, revoked or another client's; `why` says which
    (never the token)."""

    def __init__(self, why: str) -> None:
        self.why = why
        super().__init__(why)


@attrs.frozen
class RefreshGrant:
    """Whom a live refresh token speaks for, and the family it belongs to."""

    subject: str
    client_id: str | None
    family: str


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class RefreshTokens:
    """Live refresh tokens by family; spent ones remembered to spot their reuse.

    rotate: a refresh spends its token and issues the next (False: the same one is returned and
    stays valid). detect_reuse: a spent token presented again revokes its family (only with
    rotate; without rotation nothing is ever spent).
    """

    def __init__(self, *, rotate: bool, detect_reuse: bool) -> None:
        self.rotate = rotate
        self.detect_reuse = detect_reuse
        self._live: dict[str, RefreshGrant] = {}
        self._spent: dict[str, str] = {}  # a rotated-away token -> its family
        self._revoked: set[str] = set()  # families ended by reuse or revoke()
        self.refreshed = 0  # refreshes granted
        self.reuses = 0  # spent tokens presented again

    def issue(self, subject: str, client_id: str | None, family: str | None = None) -> str:
        """A new live token, of `family` or of a new one."""
        token = f"fake-refresh-{secrets.token_urlsafe(24)}"
        self._live[token] = RefreshGrant(subject, client_id, family or secrets.token_hex(8))
        return token

    def refresh(self, token: str, client_id: str | None) -> tuple[RefreshGrant, str]:
        """The grant token speaks for and the refresh token to hand back (the next of its family
        when rotating, else token itself). Raises RefreshRefused."""
        found = next((t for t in self._live if _same(token, t)), None)
        if found is None:
            family = next((f for t, f in self._spent.items() if _same(token, t)), None)
            if family is not None and self.detect_reuse and family not in self._revoked:
                self.reuses += 1
                self._revoke_family(family)
                raise RefreshRefused("refresh token reused; the grant is revoked")
            raise RefreshRefused("invalid, used or revoked refresh token")
        grant = self._live[found]
        if client_id is not None and grant.client_id not in (None, client_id):
            raise RefreshRefused("refresh token was issued to another client")
        self.refreshed += 1
        if not self.rotate:
            return grant, found
        del self._live[found]
        self._spent[found] = grant.family
        return grant, self.issue(grant.subject, grant.client_id, grant.family)

    def live_grant(self, token: str) -> RefreshGrant | None:
        """The grant a live token speaks for, or None (spent, revoked or unknown)."""
        return next((g for t, g in self._live.items() if _same(token, t)), None)

    def revoke(self, token: str) -> bool:
        """Revoke token's family (RFC 7009 lets revoking a refresh token end its grant); whether
        token was one this server issued, live or spent."""
        family = next((g.family for t, g in self._live.items() if _same(token, t)), None)
        if family is None:
            family = next((f for t, f in self._spent.items() if _same(token, t)), None)
        if family is None:
            return False
        self._revoke_family(family)
        return True

    def clear(self) -> None:
        """Forget every live token (revoke_all)."""
        self._live.clear()

    @property
    def families_revoked(self) -> int:
        return len(self._revoked)

    def _revoke_family(self, family: str) -> None:
        self._revoked.add(family)
        for token in [t for t, g in self._live.items() if g.family == family]:
            del self._live[token]
