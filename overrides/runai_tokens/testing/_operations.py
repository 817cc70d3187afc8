"""The token operations' wire formats: which keys each grant reads, and the body it answers.

Each function, named by its operationId, takes a request that passed the contract (a JSON body
with the contract's key spelling, a form, or query values) and returns the 200 body, or raises
GrantError. The grants themselves, and what counts as a bad credential, are TokenService's.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

import attrs

from .. import _generated as gen
from ._contract import Request
from ._grants import INVALID_CLIENT, UNSUPPORTED_GRANT_TYPE, GrantError, Issued, TokenService
from ._versions import CLIENT_CREDENTIALS, EXTERNAL_TOKEN_EXCHANGE

# RFC 6749's name of the form field that says which grant a v2 request is.
GRANT_TYPE = "grant_type"


def _need(data: Mapping[str, Any] | None, key: str, context: str) -> str:
    value = (data or {}).get(key)
    if not isinstance(value, str) or not value:
        raise GrantError(400, f"missing required field '{key}' for {context}")
    return value


def _optional(data: Mapping[str, Any] | None, key: str) -> str | None:
    value = (data or {}).get(key)
    return value if isinstance(value, str) and value else None


# --- POST /api/v1/token and the three older operations (camelCase JSON, Error envelope) --------
def grant_token(service: TokenService, request: Request) -> dict[str, Any]:
    body = request.body
    grant = _need(body, "grantType", "grant_token")
    context = f"grantType {grant}"
    if grant == "client_credentials":
        service.require(CLIENT_CREDENTIALS, grant, "grantType")
        client_id = _need(body, "clientID", context)
        issued = service.client_credentials(client_id, _need(body, "clientSecret", context))
    elif grant == "app_token":
        app_id = _need(body, "appID", context)
        issued = service.app(app_id, _need(body, "appSecret", context), None)
    elif grant == "password":
        username, password = _need(body, "username", context), _need(body, "password", context)
        issued = service.password(username, password, _optional(body, "clientID"))
    elif grant == "refresh_token":
        token = _need(body, "refreshToken", context)
        issued = service.refresh(token, _optional(body, "clientID"))
    elif grant == "exchange_token":
        code, redirect = _need(body, "code", context), _need(body, "redirectUri", context)
        issued = service.exchange(code, redirect, _optional(body, "clientID"))
    elif grant == "external_token_exchange":
        service.require(EXTERNAL_TOKEN_EXCHANGE, grant, "grantType")
        issued = service.external(_need(body, "externalToken", context))
    else:  # the contract's enum lets none through
        raise GrantError(400, f"unsupported grantType {grant}", UNSUPPORTED_GRANT_TYPE)
    return _v1_body(issued)


def app_token(service: TokenService, request: Request) -> dict[str, Any]:
    body = request.body
    context = "app_token"
    app_id = _need(body, "id", context)
    issued = service.app(app_id, _need(body, "secret", context), _need(body, "name", context))
    return {"access_token": issued.access_token, "id_token": issued.id_token}


def exchange_code_for_token(service: TokenService, request: Request) -> dict[str, Any]:
    query = request.query
    context = "exchange_code_for_token"
    code, redirect = _need(query, "code", context), _need(query, "redirect_uri", context)
    return _v1_body(service.exchange(code, redirect, None))


def refresh_token(service: TokenService, request: Request) -> dict[str, Any]:
    token = _need(request.query, "refresh_token", "refresh_token")
    return _v1_body(service.refresh(token, None))


def _v1_body(issued: Issued) -> dict[str, Any]:
    body: dict[str, Any] = {"accessToken": issued.access_token, "idToken": issued.id_token}
    if issued.refresh_token is not None:
        body["refreshToken"] = issued.refresh_token
    if issued.send_expires_in:
        body["expiresIn"] = issued.expires_in
    return body


# --- POST /api/v2/token (2.24+: a form, RFC 6749 answers) ---------------------------------------
def grant_token_v2(service: TokenService, request: Request) -> dict[str, Any]:
    form = request.body
    grant = _need(form, GRANT_TYPE, "grant_token_v2")
    context = f"grant_type {grant}"
    client_id = _optional(form, "client_id")
    if grant == "client_credentials":
        client_id = _need(form, "client_id", context)
        issued = service.client_credentials(client_id, _need(form, "client_secret", context))
    elif grant == "password":
        username, password = _need(form, "username", context), _need(form, "password", context)
        issued = service.password(username, password, client_id)
    elif grant == "refresh_token":
        issued = service.refresh(_need(form, "refresh_token", context), client_id)
    elif grant == "authorization_code":
        code, redirect = _need(form, "code", context), _need(form, "redirect_uri", context)
        verifier = _verifier(form)
        issued = service.exchange(code, redirect, client_id, verifier=verifier)
    else:  # the router answers the contract's enum violation first; this is the backstop
        raise GrantError(400, f"unsupported grant_type {grant}", UNSUPPORTED_GRANT_TYPE)
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "id_token": issued.id_token,
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
    return body


def _verifier(form: Mapping[str, Any] | None) -> str | None:
    """The PKCE verifier, read through the model: only the contract names it (Run:ai's documents
    omit it; openapi.yaml marks it x-runai-tokens-not-upstream)."""
    if form is None:
        return None
    given = gen.OAuth2TokenRequest.from_dict(form).code_verifier
    return given if isinstance(given, str) and given else None


def with_basic_client(request: Request, authorization: str | None) -> Request:
    """RFC 6749 section 2.3.1 (client_secret_basic): a client id and secret sent as HTTP Basic,
    each form-encoded first, are read as the form's client_id and client_secret. A client that
    authenticates both ways, or names another client_id in the form, is an invalid_request; a
    Basic header that cannot be read is an invalid_client."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return request
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise GrantError(401, "unreadable Basic client credentials", INVALID_CLIENT) from None
    client_id, colon, client_secret = decoded.partition(":")
    if not colon:
        raise GrantError(401, "unreadable Basic client credentials", INVALID_CLIENT)
    client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
    form = dict(request.body or {})
    if "client_secret" in form:
        raise GrantError(400, "client authenticated both with Basic and in the form")
    if form.get("client_id", client_id) != client_id:
        raise GrantError(400, "client_id in the form is not the Basic client")
    form.update(client_id=client_id, client_secret=client_secret)
    return attrs.evolve(request, body=form)


def oauth2_error(exc: GrantError) -> tuple[int, dict[str, str]]:
    """RFC 6749 section 5.2: 401 for a client that failed to authenticate, 400 for the rest."""
    status = 401 if exc.oauth2 == INVALID_CLIENT else 400
    return status, {"error": exc.oauth2, "error_description": exc.message}
