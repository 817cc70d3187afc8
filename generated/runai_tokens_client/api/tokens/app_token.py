from typing import Any

import httpx

from ... import errors
from ...api import asend, send
from ...client import AuthenticatedClient, Client
from ...models.app_token_request import AppTokenRequest
from ...models.app_token_response import AppTokenResponse
from ...models.error import Error
from ...types import UNSET, RequestKwargs, Response, Unset


def _get_kwargs(
    *,
    body: AppTokenRequest | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/k8s/auth/oauth/apptoken",
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    if "json" not in _kwargs:  # httpx says application/json for a json= body itself
        headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return RequestKwargs(_kwargs)


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AppTokenResponse | Error | None:
    if response.status_code == 200:
        response_200 = AppTokenResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

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
) -> Response[AppTokenResponse]:
    return errors.checked_response(
        response,
        lambda: _parse_response(client=client, response=response),
        success={(200, 200): AppTokenResponse},
        documented=((200, 200), (400, 400), (500, 500), (503, 503)),
        default=False,
        error_models=(Error,),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AppTokenRequest | Unset = UNSET,
) -> Response[AppTokenResponse]:
    """get application token

     Retrieve access token for an application.
    The application token is retrieved from the authorization server.

    Args:
        body (AppTokenRequest | Unset):

    Raises:
        errors.ApiException: If the server answers anything but a documented 2xx status whose
            body is the documented model (errors.UnexpectedStatus for a status the document does
            not list), or if no response arrives (status None, the httpx error as __cause__).

    Returns:
        Response[AppTokenResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = send(client.get_httpx_client(), kwargs)

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: AppTokenRequest | Unset = UNSET,
) -> AppTokenResponse:
    """get application token

     Retrieve access token for an application.
    The application token is retrieved from the authorization server.

    Args:
        body (AppTokenRequest | Unset):

    Raises:
        errors.ApiException: If the server answers anything but a documented 2xx status whose
            body is the documented model (errors.UnexpectedStatus for a status the document does
            not list), or if no response arrives (status None, the httpx error as __cause__).

    Returns:
        AppTokenResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: AppTokenRequest | Unset = UNSET,
) -> Response[AppTokenResponse]:
    """get application token

     Retrieve access token for an application.
    The application token is retrieved from the authorization server.

    Args:
        body (AppTokenRequest | Unset):

    Raises:
        errors.ApiException: If the server answers anything but a documented 2xx status whose
            body is the documented model (errors.UnexpectedStatus for a status the document does
            not list), or if no response arrives (status None, the httpx error as __cause__).

    Returns:
        Response[AppTokenResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await asend(client.get_async_httpx_client(), kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: AppTokenRequest | Unset = UNSET,
) -> AppTokenResponse:
    """get application token

     Retrieve access token for an application.
    The application token is retrieved from the authorization server.

    Args:
        body (AppTokenRequest | Unset):

    Raises:
        errors.ApiException: If the server answers anything but a documented 2xx status whose
            body is the documented model (errors.UnexpectedStatus for a status the document does
            not list), or if no response arrives (status None, the httpx error as __cause__).

    Returns:
        AppTokenResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
