"""Numbers too large for a float, from the network: a token or an ApiException, never OverflowError.

JSON has no size limit on numbers: Python's json reads an expiresIn or a JWT exp of 10**400 as an
exact int (float() of it overflows) and 1e400 as inf. A lifetime past MAX_LIFETIME (a year) is
taken as a year. A Retry-After past LONGEST_RETRY_AFTER (a day) is past any deadline, math.inf
included: RetryAfterExceedsDeadline at once, where time.sleep() used to raise OverflowError and
asyncio.sleep() to wait for ever.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from runai_tokens import (
    ClientCredentials,
    RetryAfterExceedsDeadline,
    RetryPolicy,
    TokenAuth,
)
from runai_tokens._token import MAX_LIFETIME, jwt_lifetime, lifetime_of
from runai_tokens.cli._cache import TokenCache
from runai_tokens.cli._cache_entry import CachedToken
from runai_tokens.retry._rules import LONGEST_RETRY_AFTER
from runai_tokens.testing import FakeRunaiServer, Recorded, Reply, scripted
from runai_tokens.testing._scripted import is_grant

from .helpers.cli_main import run

HUGE = 10**400  # exact in JSON and in Python; float() of it raises OverflowError
HUGE_TEXT = "1" + "0" * 400
CREDENTIALS = ClientCredentials("fake-client", "fake-secret-overflow")
YEAR = datetime.timedelta(seconds=MAX_LIFETIME)


def jwt(payload: str) -> str:
    """A compact JWS whose payload is exactly this JSON text (1e400 must stay 1e400)."""
    segment = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{segment}.fake-signature"


# --- lifetimes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expires_in", [HUGE, math.inf, MAX_LIFETIME * 2], ids=["10**400", "inf", "two-years"]
)
def test_an_enormous_expires_in_is_a_year(expires_in: float) -> None:
    assert lifetime_of("fake-opaque-token", expires_in) == MAX_LIFETIME


@pytest.mark.parametrize(
    "payload",
    [
        f'{{"exp": {HUGE_TEXT}, "iat": 1700000000}}',
        f'{{"exp": {HUGE_TEXT}}}',  # counted from the wall clock: an int past any float minus it
        '{"exp": 1e400, "iat": 1700000000}',
        '{"exp": 1e400}',
        f'{{"exp": {HUGE_TEXT}, "iat": -{HUGE_TEXT}}}',
    ],
)
def test_an_enormous_jwt_exp_is_a_year(payload: str) -> None:
    assert jwt_lifetime(jwt(payload), wall_clock=lambda: 1_700_000_000.0) == MAX_LIFETIME


@pytest.mark.parametrize(
    "payload",
    [
        '{"exp": 1e400, "iat": 1e400}',  # inf - inf
        f'{{"exp": 100, "iat": {HUGE_TEXT}}}',
        '{"exp": NaN, "iat": 0}',
    ],
)
def test_a_jwt_whose_lifetime_is_not_a_number_has_none(payload: str) -> None:
    assert jwt_lifetime(jwt(payload), wall_clock=lambda: 0.0) is None


@pytest.fixture
def huge_grants() -> Iterator[str]:
    """A control plane whose tokens say they live 10**400 seconds (expiresIn and JWT exp)."""
    token = jwt(f'{{"sub": "fake-client", "iat": 1700000000, "exp": {HUGE_TEXT}}}')

    def reply(request: Recorded) -> Reply:
        if not is_grant(request):
            return Reply(404)
        key = "expires_in" if request.path.endswith("/api/v2/token") else "expiresIn"
        body = f'{{"access_token": "{token}", "accessToken": "{token}", "token_type": "Bearer", '
        body += f'"{key}": {HUGE_TEXT}}}'
        return Reply(200, body.encode(), {"Content-Type": "application/json"})

    with scripted(reply) as server:
        yield server.url


@pytest.mark.parametrize("endpoint", ["v1", "v2"])
def test_a_grant_with_an_enormous_lifetime_gives_a_token_good_for_a_year(
    huge_grants: str, endpoint: str
) -> None:
    auth = TokenAuth(huge_grants, CREDENTIALS, token_endpoint=endpoint)  # type: ignore[arg-type]
    before = datetime.datetime.now(datetime.UTC)
    access = auth.get_access_token()
    assert access.expires_at is not None
    assert before < access.expires_at <= datetime.datetime.now(datetime.UTC) + YEAR
    assert auth.get_token() == access.token  # and it is reused, not fetched on every call


@pytest.mark.anyio
async def test_the_async_path_gets_the_same_year(huge_grants: str) -> None:
    auth = TokenAuth(huge_grants, CREDENTIALS)
    access = await auth.aget_access_token()
    assert access.expires_at is not None
    assert access.expires_at <= datetime.datetime.now(datetime.UTC) + YEAR


def test_the_cli_prints_and_caches_it(huge_grants: str, tmp_path: Path) -> None:
    env = {"RUNAI_BASE_URL": huge_grants, "RUNAI_CLIENT_ID": "c", "RUNAI_CLIENT_SECRET": "s"}
    first = run("get", "--output", "json", env=env, cache=tmp_path)
    assert first.code == 0, first.err
    assert 0 < json.loads(first.out)["expiresIn"] <= MAX_LIFETIME
    assert run("get", env=env, cache=tmp_path).out.strip() == json.loads(first.out)["accessToken"]


@pytest.mark.parametrize(
    "expires_at", [HUGE_TEXT, "1e400", "-1e400", "NaN"], ids=["10**400", "1e400", "-1e400", "NaN"]
)
def test_a_cache_entry_with_an_expiry_no_float_holds_is_a_miss(
    tmp_path: Path, expires_at: str
) -> None:
    cache = TokenCache(tmp_path)
    key = cache.key("https://tenant.example", "client_credentials", "client-a", "fake-secret")
    cache.store(key, CachedToken("tok", 2e9, 1e9))
    path = next(tmp_path.glob("*.json"))
    path.write_text(path.read_text().replace("2000000000.0", expires_at))
    assert expires_at in path.read_text()
    assert cache.load(key) is None


# --- Retry-After -------------------------------------------------------------------------------

ENORMOUS_WAITS = pytest.mark.parametrize(
    "retry_after",
    ["1" + "0" * 300, "1" + "0" * 400, str(int(LONGEST_RETRY_AFTER) + 1)],
    ids=["1e300", "1e400", "a-day-and-a-second"],
)


@pytest.fixture
def server() -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer() as fake:
        fake.add_client(CREDENTIALS.client_id, CREDENTIALS.client_secret)
        yield fake


@ENORMOUS_WAITS
def test_an_enormous_retry_after_without_a_deadline_fails_at_once(
    server: FakeRunaiServer, retry_after: str
) -> None:
    server.fail_next(1, status=503, retry_after=retry_after)
    auth = TokenAuth(server.url, CREDENTIALS, retry=RetryPolicy(deadline=math.inf))
    with pytest.raises(RetryAfterExceedsDeadline) as caught:
        auth.get_token()
    assert caught.value.retry_after > LONGEST_RETRY_AFTER
    assert server.token_requests == 1
    assert len(auth.get_token()) > 0  # the fault is spent: the next call gets its token


@pytest.mark.anyio
@ENORMOUS_WAITS
async def test_an_enormous_retry_after_without_a_deadline_fails_at_once_async(
    server: FakeRunaiServer, retry_after: str
) -> None:
    server.fail_next(1, status=503, retry_after=retry_after)
    auth = TokenAuth(server.url, CREDENTIALS, retry=RetryPolicy(deadline=math.inf))
    # Not a time limit on the library: a guard, so a regression fails instead of hanging.
    with pytest.raises(RetryAfterExceedsDeadline):
        await asyncio.wait_for(auth.aget_token(), timeout=120)
    assert server.token_requests == 1


def test_a_deadline_too_large_for_a_float_is_none() -> None:
    assert RetryPolicy(deadline=HUGE).deadline == math.inf
