from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.o_auth_2_error import OAuth2Error
from ...models.o_auth_2_token_request import OAuth2TokenRequest
from ...models.o_auth_2_token_response import OAuth2TokenResponse
from ...types import Response


def _get_kwargs(
    *,
    body: OAuth2TokenRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v2/token",
    }

    _kwargs["data"] = body.to_dict()
    headers["Content-Type"] = "application/x-www-form-urlencoded"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | OAuth2Error | OAuth2TokenResponse | None:
    if response.status_code == 200:
        response_200 = OAuth2TokenResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = OAuth2Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = OAuth2Error.from_dict(response.json())

        return response_401

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | OAuth2Error | OAuth2TokenResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: OAuth2TokenRequest,
) -> Response[Error | OAuth2Error | OAuth2TokenResponse]:
    """Create an access token v2

     Use this endpoint to obtain an access token. Compliant with standard OAuth2 protocol and
    supports the common OAuth2 grant types (introduced in 2.24; Run:ai's documentation
    recommends it over /api/v1/token from then on). A form-encoded body, and RFC 6749
    errors for a rejected request.

    Args:
        body (OAuth2TokenRequest): The form body of grant_token_v2 (2.24); grant_type says which
            other keys it needs.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | OAuth2Error | OAuth2TokenResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: OAuth2TokenRequest,
) -> Error | OAuth2Error | OAuth2TokenResponse | None:
    """Create an access token v2

     Use this endpoint to obtain an access token. Compliant with standard OAuth2 protocol and
    supports the common OAuth2 grant types (introduced in 2.24; Run:ai's documentation
    recommends it over /api/v1/token from then on). A form-encoded body, and RFC 6749
    errors for a rejected request.

    Args:
        body (OAuth2TokenRequest): The form body of grant_token_v2 (2.24); grant_type says which
            other keys it needs.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | OAuth2Error | OAuth2TokenResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: OAuth2TokenRequest,
) -> Response[Error | OAuth2Error | OAuth2TokenResponse]:
    """Create an access token v2

     Use this endpoint to obtain an access token. Compliant with standard OAuth2 protocol and
    supports the common OAuth2 grant types (introduced in 2.24; Run:ai's documentation
    recommends it over /api/v1/token from then on). A form-encoded body, and RFC 6749
    errors for a rejected request.

    Args:
        body (OAuth2TokenRequest): The form body of grant_token_v2 (2.24); grant_type says which
            other keys it needs.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | OAuth2Error | OAuth2TokenResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: OAuth2TokenRequest,
) -> Error | OAuth2Error | OAuth2TokenResponse | None:
    """Create an access token v2

     Use this endpoint to obtain an access token. Compliant with standard OAuth2 protocol and
    supports the common OAuth2 grant types (introduced in 2.24; Run:ai's documentation
    recommends it over /api/v1/token from then on). A form-encoded body, and RFC 6749
    errors for a rejected request.

    Args:
        body (OAuth2TokenRequest): The form body of grant_token_v2 (2.24); grant_type says which
            other keys it needs.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | OAuth2Error | OAuth2TokenResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
