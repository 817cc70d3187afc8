"""OpenID discovery: where to send the browser, read from the identity provider's document.

Run:ai's identity provider is Keycloak at <base URL>/auth/realms/runai (the issuer the cluster's
API server trusts); --issuer names another. The document is untrusted input, checked before
anything in it is used:
- its `issuer` must be the issuer asked for (OpenID Connect Discovery 1.0, section 4.3), so a
  document copied from, or proxied to, another provider is not taken;
- `authorization_endpoint` must be an absolute http(s) URL, without user, password or fragment,
  on the issuer's own origin (scheme, host and port). Keycloak, Okta, Entra ID and Google all
  serve it there, and the rule means a tampered document cannot send the browser, and the
  person's password, to a host they did not choose. Being the issuer's scheme, it is https
  unless the issuer is plain http, which the caller allowed only for a loopback host or with
  --allow-insecure-http (the same rule as every token request);
- when it lists `response_types_supported` or `code_challenge_methods_supported`, they must
  include `code` and `S256`.
- its `revocation_endpoint` (RFC 7009, which logout uses) is kept only when it passes the same
  rules as the authorization endpoint (logout sends it a refresh token); otherwise the provider
  is taken to offer none;
- `authorization_response_iss_parameter_supported: true` (RFC 9207) makes the redirect's `iss`
  required, and equal to the document's issuer.
The document's token_endpoint is not used: codes are exchanged through Run:ai's own API.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from .._untrusted import UntrustedJsonError, escape_controls, json_object
from .._value import Value
from ..retry._rules import certificate_failure
from ._errors import DiscoveryError

REALM_PATH = "/auth/realms/runai"
WELL_KNOWN = "/.well-known/openid-configuration"
# Keycloak's document is about 6 KB; anything much larger is not a discovery document.
MAX_DOCUMENT = 256 * 1024
_QUOTED = 120


class Provider(Value):
    """What the login (and logout) need from the identity provider.

    issuer has no trailing slash; named_issuer is the document's own spelling, which RFC 9207
    compares a redirect's `iss` with (required when iss_parameter: the provider says it sends
    one). revocation_endpoint is None when none usable is advertised.
    """

    __slots__ = _fields = (
        "issuer",
        "authorization_endpoint",
        "revocation_endpoint",
        "named_issuer",
        "iss_parameter",
    )
    issuer: str
    authorization_endpoint: str
    revocation_endpoint: str | None
    named_issuer: str
    iss_parameter: bool

    def __init__(
        self,
        issuer: str,
        authorization_endpoint: str,
        revocation_endpoint: str | None = None,
        named_issuer: str | None = None,
        iss_parameter: bool = False,
    ) -> None:
        named = issuer if named_issuer is None else named_issuer
        self._set(issuer, authorization_endpoint, revocation_endpoint, named, iss_parameter)


def default_issuer(base_url: str) -> str:
    return base_url.rstrip("/") + REALM_PATH


def discover(issuer: str, http: httpx.Client) -> Provider:
    """Fetch and check the issuer's discovery document. Raises DiscoveryError."""
    url = issuer.rstrip("/") + WELL_KNOWN
    try:
        with http.stream("GET", url, headers={"Accept": "application/json"}) as response:
            status = response.status_code
            body = _read_bounded(response)
    except httpx.HTTPError as exc:
        failure = certificate_failure(exc)
        if failure is not None:
            reason = failure.verify_message or failure.reason or "no reason given"
            raise DiscoveryError(
                f"the identity provider at {issuer}: TLS certificate verification failed: {reason}",
                unreachable=True,
            ) from None
        raise DiscoveryError(
            f"the identity provider at {issuer} could not be reached ({type(exc).__name__})",
            unreachable=True,
        ) from None
    if status != 200:
        raise DiscoveryError(
            f"no OpenID discovery document at {url} (HTTP {status}): check the base URL, "
            "or name the identity provider with --issuer",
            unreachable=status == 429 or status >= 500,
        )
    if body is None:
        raise DiscoveryError(f"the discovery document at {url} is larger than {MAX_DOCUMENT} bytes")
    return parse_document(issuer, body)


def _read_bounded(response: httpx.Response) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_DOCUMENT:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def parse_document(issuer: str, body: bytes) -> Provider:
    """The Provider a discovery document describes, once it passes the checks above."""
    where = f"the discovery document of {issuer}"
    try:  # bounded in size and depth, no NaN, no key twice: see _untrusted
        document = json_object(body, limit=MAX_DOCUMENT)
    except UntrustedJsonError as exc:
        raise DiscoveryError(f"{where} {exc}") from None
    named = document.get("issuer")
    if not isinstance(named, str) or named.rstrip("/") != issuer.rstrip("/"):
        raise DiscoveryError(
            f"{where} names another issuer ({_quote(named)}); "
            "if that is the right one, pass it with --issuer"
        )
    endpoint = document.get("authorization_endpoint")
    if not isinstance(endpoint, str):
        raise DiscoveryError(f"{where} has no authorization_endpoint")
    problem = endpoint_problem(endpoint, issuer)
    if problem is not None:
        raise DiscoveryError(f"{where}: its authorization_endpoint {problem}")
    for key, needed in (
        ("response_types_supported", "code"),
        ("code_challenge_methods_supported", "S256"),
    ):
        offered = document.get(key)
        if offered is not None and (not isinstance(offered, list) or needed not in offered):
            raise DiscoveryError(f"{where} does not list {needed!r} in {key}")
    revocation = document.get("revocation_endpoint")
    if not isinstance(revocation, str) or endpoint_problem(revocation, issuer) is not None:
        revocation = None
    return Provider(
        issuer=issuer.rstrip("/"),
        authorization_endpoint=endpoint,
        revocation_endpoint=revocation,
        named_issuer=named,
        iss_parameter=document.get("authorization_response_iss_parameter_supported") is True,
    )


def endpoint_problem(endpoint: str, issuer: str) -> str | None:
    """What makes endpoint unusable as the issuer's authorization endpoint, or None."""
    if any(char.isspace() or not char.isprintable() for char in endpoint):
        return "contains whitespace or a control character"
    try:
        parts, home = urlsplit(endpoint), urlsplit(issuer)
        origin_differs = (parts.scheme, parts.hostname, parts.port) != (
            home.scheme,
            home.hostname,
            home.port,
        )
    except ValueError:  # a port that is not a number, an unclosed "["
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL with a host"
    if "@" in parts.netloc or parts.fragment or "#" in endpoint:
        return "must carry no user, password or fragment"
    if origin_differs:
        return f"is not on the issuer's origin ({home.scheme}://{home.netloc})"
    return None


def _quote(value: object) -> str:
    if not isinstance(value, str):
        return "none" if value is None else f"not a string but {type(value).__name__}"
    shown = escape_controls(value[:_QUOTED])
    return repr(shown + ("..." if len(value) > _QUOTED else ""))


__all__ = ["Provider", "default_issuer", "discover", "endpoint_problem", "parse_document"]
