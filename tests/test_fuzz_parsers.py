"""Every parser that reads the network, fuzzed: only typed errors come out.

Token bodies (v1, v2, apptoken), error envelopes, RFC 6749 errors, Retry-After, JWT payloads and
the CLI's cached files get arbitrary input from hypothesis. Each may answer or refuse, but a
refusal is an ApiException (or a None meaning "not one of mine"), never a bare KeyError,
TypeError, ValueError, OverflowError or JSONDecodeError, and never a hang.

The token bodies go through the public path (TokensApi on the generated Client) over an
httpx.MockTransport: a narrow unit test, thousands of cases; the same paths are exercised over
real sockets elsewhere (test_api, test_fake_server_faults).
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from runai_tokens import ApiException, TokensApi
from runai_tokens._generated import Client
from runai_tokens._token import jwt_claims, lifetime_of
from runai_tokens.cli._cache import CachedToken, TokenCache
from runai_tokens.retry._after import retry_after_seconds

FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
)
JSON: st.SearchStrategy[Any] = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
TOKEN_KEYS = [
    "accessToken", "idToken", "refreshToken", "expiresIn", "externalToken",
    "access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope",
    "code", "message", "details", "error", "error_description", "error_uri",
]  # fmt: skip
# Objects shaped like the real answers, with values of any type: where parsers slip.
SHAPED: st.SearchStrategy[Any] = st.dictionaries(st.sampled_from(TOKEN_KEYS), JSON, max_size=8)


def body_bytes() -> st.SearchStrategy[bytes]:
    as_json = (SHAPED | JSON).map(lambda v: json.dumps(v, allow_nan=True).encode())
    return as_json | st.binary(max_size=200) | as_json.map(lambda b: b[: len(b) // 2])


STATUSES = st.sampled_from([200, 201, 204, 400, 401, 403, 404, 429, 500, 502, 503, 520, 599])


def api_answering(status: int, body: bytes, content_type: str) -> TokensApi:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    client = Client(
        base_url="http://127.0.0.1:9", httpx_args={"transport": httpx.MockTransport(answer)}
    )
    return TokensApi(client)


CALLS = {
    "grant_token": lambda api: api.grant_token({"grantType": "password"}),
    "grant_token_v2": lambda api: api.grant_token_v2({"grant_type": "password"}),
    "app_token": lambda api: api.app_token({"id": "a", "name": "a", "secret": "fake-s"}),
}


@pytest.mark.parametrize("operation", sorted(CALLS))
@FUZZ
@given(
    status=STATUSES,
    body=body_bytes(),
    content_type=st.sampled_from(["application/json", "text/html", ""]),
)
def test_token_answers_parse_or_raise_api_exception(
    operation: str, status: int, body: bytes, content_type: str
) -> None:
    api = api_answering(status, body, content_type)
    try:
        with pytest.warns(DeprecationWarning) if operation == "app_token" else _nothing():
            result = CALLS[operation](api)
    except ApiException as exc:
        str(exc), repr(exc), exc.message, exc.oauth2_error
        return
    assert 200 <= status < 300  # only a success may come back as a model
    repr(result)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@FUZZ
@given(status=STATUSES, body=body_bytes())
def test_error_bodies_build_an_api_exception(status: int, body: bytes) -> None:
    exc = ApiException.from_response(httpx.Response(status, content=body))
    assert exc.status == status
    assert isinstance(str(exc), str)
    assert "\n" not in str(exc) and "\x1b" not in str(exc)  # the server's text is escaped


RETRY_AFTER_VALUES = (
    st.text(max_size=40)
    | st.integers(min_value=-(10**30), max_value=10**400).map(str)
    | st.floats(allow_nan=True, allow_infinity=True).map(repr)
    | st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT"))
)


@FUZZ
@given(
    retry_after=st.none() | RETRY_AFTER_VALUES,
    retry_after_ms=st.none() | RETRY_AFTER_VALUES,
    date=st.none() | RETRY_AFTER_VALUES,
)
def test_retry_after_is_a_wait_or_none(
    retry_after: str | None, retry_after_ms: str | None, date: str | None
) -> None:
    headers = httpx.Headers()
    for name, value in (
        ("retry-after", retry_after),
        ("retry-after-ms", retry_after_ms),
        ("date", date),
    ):
        if value is not None and value.isprintable():
            headers[name] = value.encode("latin-1", "replace").decode("latin-1")
    seconds = retry_after_seconds(headers, wall_clock=lambda: 1_764_201_600.0)
    # A huge wait may come back as inf: the retry flow treats it as past any deadline.
    assert seconds is None or (not math.isnan(seconds) and seconds >= 0)


def jwt_with(payload: bytes) -> str:
    segment = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    return f"eyJhbGciOiJSUzI1NiJ9.{segment}.ZmFrZS1zaWduYXR1cmU"


@FUZZ
@given(
    payload=SHAPED.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(st.sampled_from(["exp", "iat", "sub"]), JSON).map(
        lambda v: json.dumps(v, allow_nan=True).encode()
    )
    | st.binary(max_size=80),
    expires_in=JSON,
)
def test_jwt_lifetimes_are_finite_positive_or_unknown(payload: bytes, expires_in: Any) -> None:
    token = jwt_with(payload)
    claims = jwt_claims(token)
    assert claims is None or isinstance(claims, dict)
    lifetime = lifetime_of(token, expires_in, wall_clock=lambda: 1_764_201_600.0)
    assert lifetime is None or (math.isfinite(lifetime) and lifetime > 0)


@FUZZ
@given(content=body_bytes())
def test_a_cached_file_is_an_entry_or_a_miss(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    directory = tmp_path_factory.mktemp("cache")
    cache = TokenCache(directory)
    key = cache.key("https://tenant.example", "client_credentials", "fake-ci", "fake-secret")
    cache.store(key, CachedToken("fake-token", 2e9, 1e9))
    [entry] = [p for p in Path(directory).iterdir() if p.suffix == ".json"]
    entry.write_bytes(content)
    loaded = cache.load(key)
    assert loaded is None or isinstance(loaded, CachedToken)
