"""Contains methods for accessing the API"""

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ..errors import ApiException

REDACTED = "REDACTED"


def send(client: httpx.Client, kwargs: Mapping[str, Any]) -> httpx.Response:
    """client.request(**kwargs); no response at all raises ApiException(None).

    Raised outside the except block, so without a __context__: the frames of httpx it
    came through hold the request's body and query as locals.
    """
    try:
        return client.request(**kwargs)
    except (httpx.RequestError, ApiException) as exc:
        failure = _scrubbed(exc, kwargs)
    raise failure


async def asend(client: httpx.AsyncClient, kwargs: Mapping[str, Any]) -> httpx.Response:
    """send() on an httpx.AsyncClient."""
    try:
        return await client.request(**kwargs)
    except (httpx.RequestError, ApiException) as exc:
        failure = _scrubbed(exc, kwargs)
    raise failure


def _scrubbed(exc: Exception, kwargs: Mapping[str, Any]) -> ApiException:
    """exc as an ApiException whose chain holds no traceback and no URL with a query."""
    failure = exc if isinstance(exc, ApiException) else None  # a transport's, as it is
    if failure is None:
        where = f"{str(kwargs.get('method', '')).upper()} {kwargs.get('url', '')}"
        detail = _redact_urls(str(exc), exc) or "no detail"
        failure = ApiException(None, f"{type(exc).__name__} on {where}: {detail}")
        failure.__cause__ = exc
    for error in _chain(failure):
        error.__traceback__ = None
        request = getattr(error, "_request", None)
        if isinstance(error, httpx.HTTPError) and request is not None:
            error.args = tuple(_redact_urls(a, error) for a in error.args)
            error.request = httpx.Request(request.method, _redacted(request.url))
    failure.__context__ = None
    return failure


def _chain(error: BaseException) -> Iterator[BaseException]:
    """error and every exception it was caused by or raised while handling."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is not None and id(current) not in seen:
            seen.add(id(current))
            yield current
            todo += [current.__cause__, current.__context__]


def _redacted(url: httpx.URL) -> httpx.URL:
    """url without userinfo, each query value replaced by REDACTED."""
    params = [(key, REDACTED) for key, _ in url.params.multi_items()]
    return url.copy_with(userinfo=b"", query=None).copy_merge_params(params)


def _redact_urls(text: object, error: Exception) -> object:
    # httpx quotes the request URL in some messages; its query may hold a token or a code.
    request = getattr(error, "_request", None)
    if not isinstance(text, str) or request is None or not request.url.query:
        return text
    url, safe = request.url, _redacted(request.url)
    query = url.query.decode("ascii", "replace")
    return text.replace(str(url), str(safe)).replace(query, safe.query.decode("ascii"))


__all__ = ["REDACTED", "asend", "send"]
