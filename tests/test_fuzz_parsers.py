"""Every parser that reads the network, fuzzed: only typed errors come out.

Token bodies (v1, v2, apptoken), error envelopes, RFC 6749 errors, Retry-After, JWT payloads,
the CLI's cached files, the runai CLI's authentication.json and config.json, the OpenID discovery
document and KUBERNETES_EXEC_INFO get arbitrary input from hypothesis, hostile JSON among it:
nesting without end, huge numbers, bytes that are not UTF-8, NaN and Infinity, a key twice.
Each may answer or refuse, but a refusal is its caller's typed error (ApiException from a token
operation, LoginRequiredError for the runai CLI's files, DiscoveryError, the CLI's OutputError,
or a None meaning "not one of mine"), never a bare KeyError, TypeError, ValueError,
OverflowError, RecursionError or JSONDecodeError, and never a hang.

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
from runai_tokens import ApiException, LoginRequiredError, RunaiCliSession, TokensApi
from runai_tokens._generated import Client
from runai_tokens._token import jwt_claims, lifetime_of
from runai_tokens._untrusted import UntrustedJsonError, json_value
from runai_tokens.cli._cache import TokenCache
from runai_tokens.cli._cache_entry import CachedToken
from runai_tokens.cli._output import OutputError, exec_credential_api_version
from runai_tokens.login._discovery import parse_document
from runai_tokens.login._errors import DiscoveryError
from runai_tokens.retry._rules import retry_after_seconds

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


def _nested(depth: int, key: str | None) -> bytes:
    opener = b"[" if key is None else b'{"' + key.encode() + b'": '
    closer = b"]" if key is None else b"}"
    return opener * depth + b"1" + closer * depth


def _twice(pairs: list[tuple[str, Any]]) -> bytes:
    items = [*pairs, pairs[0]]  # the first key again, last
    return ("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in items) + "}").encode()


# JSON at its worst: what the untrusted reader (_untrusted.json_value) refuses, and its edges.
HOSTILE: st.SearchStrategy[bytes] = st.one_of(
    st.integers(min_value=1, max_value=200_000).map(lambda n: b"[" * n),
    st.tuples(st.integers(min_value=1, max_value=5_000), st.sampled_from([None, "a", "exp"])).map(
        lambda t: _nested(*t)
    ),
    st.integers(min_value=1, max_value=20_000).map(lambda n: b"-" + b"9" * n),  # huge integers
    st.integers(min_value=300, max_value=10**6).map(lambda n: b"[1e%d, -1e%d]" % (n, n)),
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity"]).map(lambda c: b'{"exp": %s}' % c),
    st.lists(st.tuples(st.sampled_from([*TOKEN_KEYS, "exp", "issuer"]), JSON_SCALARS), min_size=1)
    .filter(lambda pairs: all(not isinstance(v, float) or math.isfinite(v) for _, v in pairs))
    .map(_twice),
    st.binary(max_size=40).map(lambda b: b'{"apiVersion": "' + b + b'"}'),  # not UTF-8, mostly
    st.sampled_from([b'"\\ud800"', b'{"a": "\\udfff"}', b"\xef\xbb\xbf{}", b"{}", b"[]"]),
)


def body_bytes() -> st.SearchStrategy[bytes]:
    as_json = (SHAPED | JSON).map(lambda v: json.dumps(v, allow_nan=True).encode())
    return as_json | st.binary(max_size=200) | as_json.map(lambda b: b[: len(b) // 2]) | HOSTILE


def in_place_of(value: bytes, *keys: str) -> bytes:
    """value under keys: {"k1": {"k2": value}}, so that a reader gets past the top level."""
    for key in reversed(keys):
        value = b'{"' + key.encode() + b'": ' + value + b"}"
    return value


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
    | st.binary(max_size=80)
    | HOSTILE,
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


@FUZZ
@given(data=HOSTILE | body_bytes())
def test_the_untrusted_reader_is_json_or_refuses(data: bytes) -> None:
    # Stricter than json, never different: what it reads, json.loads reads the same.
    try:
        value = json_value(data, limit=10**7)
    except UntrustedJsonError as exc:
        assert str(exc).startswith(("is ", "holds ", "names ")), exc
        return
    assert json.loads(data) == value


@FUZZ
@given(
    content=HOSTILE | body_bytes() | HOSTILE.map(lambda h: in_place_of(h, "accessToken")),
    name=st.sampled_from(["authentication.json", "config.json"]),
)
def test_the_runai_cli_s_files_are_a_session_or_login_required(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, name: str
) -> None:
    directory = tmp_path_factory.mktemp("runai")
    (directory / "authentication.json").write_text('{"accessToken": "x.e30.y"}')
    (directory / "config.json").write_text('{"control_plane": {"url": "https://a.example"}}')
    (directory / name).write_bytes(content)
    session = RunaiCliSession(directory)
    for read in (session.base_url, session.access_token):
        try:
            read()
        except LoginRequiredError as exc:
            assert str(exc).endswith("; run `runai login`")


@FUZZ
@given(body=HOSTILE | body_bytes() | HOSTILE.map(lambda h: in_place_of(h, "issuer")))
def test_a_discovery_document_is_a_provider_or_a_discovery_error(body: bytes) -> None:
    try:
        provider = parse_document("https://tenant.example/auth/realms/runai", body)
    except DiscoveryError as exc:
        assert str(exc).startswith("the discovery document of https://tenant.example")
        return
    assert provider.authorization_endpoint.startswith("https://tenant.example/")


@FUZZ
@given(info=HOSTILE | body_bytes() | HOSTILE.map(lambda h: in_place_of(h, "spec")))
def test_kubernetes_exec_info_is_a_version_or_an_output_error(info: bytes) -> None:
    # The environment holds what is not UTF-8 as lone surrogates (os.environ's surrogateescape).
    text = info.decode("utf-8", "surrogateescape")
    try:
        version = exec_credential_api_version({"KUBERNETES_EXEC_INFO": text})
    except OutputError as exc:
        assert str(exc).startswith("KUBERNETES_EXEC_INFO ")
        return
    assert version.startswith("client.authentication.k8s.io/")
