"""What FakeRunaiServer accepts and knows: its registries, lifetime and revocation (a mixin)."""

from __future__ import annotations

from typing import Any

from ._grants import TokenService
from ._idp import IdentityProvider
from ._jwt import decode_jwt


class Registries:
    """The add_*() methods, tokens issued without a request, the lifetime, revoke_all()."""

    _service: TokenService
    _idp: IdentityProvider
    _api_paths: dict[str, int]
    _key: bytes

    def add_client(self, client_id: str, client_secret: str) -> None:
        """Accept client_credentials with this id and secret (v1 from 2.20, and v2, where the
        client may authenticate with HTTP Basic instead of the form)."""
        self._service.add_client(client_id, client_secret)

    def add_app(self, app_id: str, app_secret: str, name: str | None = None) -> None:
        """Accept the app_token grant and the apptoken operation (which also checks `name`)."""
        self._service.add_app(app_id, app_secret, name)

    def add_user(self, username: str, password: str) -> None:
        """Accept the password grant for this user."""
        self._service.add_user(username, password)

    def add_code(
        self,
        code: str,
        redirect_uri: str,
        client_id: str | None = None,
        *,
        subject: str = "fake-oauth-user",
    ) -> None:
        """A single-use code for exchange_token, exchange_code_for_token, authorization_code."""
        self._service.add_code(code, redirect_uri, client_id, subject)

    def login_as(self, subject: str) -> None:
        """Who the identity provider's authorize endpoint logs in (a browser login's person)."""
        self._idp.subject = subject

    def add_external_token(self, token: str, subject: str = "fake-external-user") -> None:
        """A token from an external identity provider that external_token_exchange accepts."""
        self._service.add_external_token(token, subject)

    def issue_refresh_token(self, subject: str, *, client_id: str | None = None) -> str:
        """A refresh token for `subject`, as if an earlier grant had issued it."""
        return self._service.issue_refresh_token(subject, client_id)

    def issue_access_token(self, subject: str, *, client_id: str | None = None) -> str:
        """A live access token for `subject` without a request (counts in tokens_issued)."""
        return self._service.issue_access_token(subject, client_id)

    def add_protected_path(self, path: str, status: int = 200) -> None:
        """Guard `path`, for any method, as an API call of the control plane: 401 like
        PROTECTED_PATH without a live access token; with one, whoami's 200, or `status` with
        the Error envelope (403, say: a refusal that no new token mends). Before start()."""
        self._api_paths[path] = status

    def decode_token(self, token: str) -> dict[str, Any]:
        """The claims of a token this server signed (signature checked; expiry is not)."""
        return decode_jwt(token, self._key)

    @property
    def lifetime(self) -> float:
        return self._service.lifetime

    def set_lifetime(self, seconds: float) -> None:
        """Lifetime of tokens issued from now on (0 issues tokens that are already expired)."""
        self._service.lifetime = seconds

    def revoke_all(self) -> None:
        """Invalidate every access and refresh token issued so far."""
        self._service.revoke_all()
