"""FakeRunaiServer's options for benchmarks and downstream suites, over loopback.

counts (token requests, and what the protected paths made of each bearer token), grant_delay,
HTTP Basic client authentication on /api/v2/token, and standard_base64_safe JWT payloads.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from urllib.parse import quote_plus

import httpx
import pytest
from runai_tokens.testing import Counts, FakeRunaiServer, decode_jwt, encode_jwt, make_jwt

from tests.helpers.clock import FakeClock

V1 = "/api/v1/token"
V2 = "/api/v2/token"
WHOAMI = FakeRunaiServer.PROTECTED_PATH
CLIENT = ("bench-client", "fake-secret-options-0123")
V1_GRANT = {"grantType": "client_credentials", "clientID": CLIENT[0], "clientSecret": CLIENT[1]}
LIFETIME = 60.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
def server(clock: FakeClock) -> Iterator[FakeRunaiServer]:
    with FakeRunaiServer(lifetime=LIFETIME, clock=clock) as server:
        server.add_client(*CLIENT)
        yield server


@pytest.fixture
def http(server: FakeRunaiServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def grant(http: httpx.Client) -> str:
    response = http.post(V1, json=V1_GRANT)
    assert response.status_code == 200
    token: str = response.json()["accessToken"]
    return token


# --- counts ------------------------------------------------------------------------------------


def test_counts_start_at_zero(server: FakeRunaiServer) -> None:
    assert server.counts == Counts(token_requests=0, ok=0, stale=0, unknown=0)


def test_counts_say_what_each_bearer_token_was(
    server: FakeRunaiServer, http: httpx.Client, clock: FakeClock
) -> None:
    token = grant(http)
    assert http.get(WHOAMI, headers=bearer(token)).status_code == 200
    assert http.get(WHOAMI).status_code == 401  # no token at all
    assert http.get(WHOAMI, headers=bearer(make_jwt("intruder"))).status_code == 401
    assert server.counts == Counts(token_requests=1, ok=1, stale=0, unknown=2)

    clock.advance(LIFETIME)  # the token's exact expiry: from now on it is stale
    before = server.counts
    assert http.get(WHOAMI, headers=bearer(token)).status_code == 401
    assert server.counts - before == Counts(stale=1)

    server.revoke_all()  # a revoked token is unknown, expired or not
    before = server.counts
    assert http.get(WHOAMI, headers=bearer(token)).status_code == 401
    assert server.counts - before == Counts(unknown=1)
    assert [r.outcome for r in server.requests] == [
        None,
        "ok",
        "unknown",
        "unknown",
        "stale",
        "unknown",
    ]


def test_counts_cover_added_protected_paths_and_skip_faulted_requests() -> None:
    with FakeRunaiServer() as server, httpx.Client(base_url=server.url, timeout=5) as http:
        server.add_client(*CLIENT)
        server.add_protected_path("/api/v1/projects", status=403)
        token = grant(http)
        # A live token the endpoint then refuses with 403 still counts as ok: it was live.
        assert http.get("/api/v1/projects", headers=bearer(token)).status_code == 403
        server.fail_next(1, 503, path=WHOAMI)  # never looked at: no outcome
        assert http.get(WHOAMI, headers=bearer(token)).status_code == 503
        server.fail_next(1, 503, path=V1)  # a token request all the same
        assert http.post(V1, json=V1_GRANT).status_code == 503
        assert http.post(V2, data={"grant_type": "password"}).status_code == 400
        assert server.counts == Counts(token_requests=3, ok=1, stale=0, unknown=0)
        assert server.token_requests == 3


# --- grant_delay -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-0.01, math.nan, math.inf, True, "0.05"])
def test_grant_delay_must_be_a_finite_number_of_seconds(bad: object) -> None:
    with pytest.raises(ValueError, match="grant_delay must be a finite number of seconds"):
        FakeRunaiServer(grant_delay=bad)  # type: ignore[arg-type]


def test_grant_delay_holds_token_requests_and_nothing_else() -> None:
    # Held far longer than the client waits (stop() wakes it at the end): the client's timeout
    # ends the grant, however slow the machine, while other requests are answered at once.
    with FakeRunaiServer(grant_delay=3600) as server:
        server.add_client(*CLIENT)
        assert server.grant_delay == 3600
        with httpx.Client(base_url=server.url, timeout=5) as http:
            with pytest.raises(httpx.ReadTimeout):
                http.post(V1, json=V1_GRANT, timeout=0.05)
            assert http.get(WHOAMI).status_code == 401
            server.fail_next(1, 503, path=V1)  # a fault answers before the server would
            assert http.post(V1, json=V1_GRANT).status_code == 503
        assert server.tokens_issued == 0
        assert [(r.path, r.status) for r in server.requests] == [(WHOAMI, 401), (V1, 503)]


def test_no_grant_delay_by_default(server: FakeRunaiServer) -> None:
    assert server.grant_delay == 0.0


# --- HTTP Basic client authentication on /api/v2/token (RFC 6749 section 2.3.1) ---------------


def basic(client_id: str, client_secret: str) -> dict[str, str]:
    """client_secret_basic as RFC 6749 has it: each part form-encoded, then base64."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    return {"Authorization": f"Basic {base64.b64encode(pair).decode()}"}


def test_basic_client_credentials_are_accepted(server: FakeRunaiServer, http: httpx.Client) -> None:
    response = http.post(V2, data={"grant_type": "client_credentials"}, auth=CLIENT)
    assert response.status_code == 200
    token = response.json()["access_token"]
    assert server.decode_token(token)["azp"] == CLIENT[0]
    assert http.get(WHOAMI, headers=bearer(token)).status_code == 200
    assert server.requests[0].headers["authorization"] == "Basic ***"


def test_basic_parts_are_form_decoded(server: FakeRunaiServer, http: httpx.Client) -> None:
    server.add_client("ci pipeline:1", "fake+secret%:/")
    form = {"grant_type": "client_credentials", "client_id": "ci pipeline:1"}
    response = http.post(V2, data=form, headers=basic("ci pipeline:1", "fake+secret%:/"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        basic(CLIENT[0], "fake-secret-wrong")["Authorization"],
        basic("no-such-client", CLIENT[1])["Authorization"],
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"no colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    ],
)
def test_a_wrong_or_unreadable_basic_client_is_invalid_client(
    server: FakeRunaiServer, http: httpx.Client, authorization: str
) -> None:
    form = {"grant_type": "client_credentials"}
    response = http.post(V2, data=form, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="runai"'
    assert CLIENT[1] not in response.text
    assert server.tokens_issued == 0


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "client_credentials", "client_secret": CLIENT[1]},
        {"grant_type": "client_credentials", "client_id": "another-client"},
    ],
)
def test_basic_and_a_conflicting_form_is_invalid_request(
    server: FakeRunaiServer, http: httpx.Client, form: dict[str, str]
) -> None:
    response = http.post(V2, data=form, auth=CLIENT)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "www-authenticate" not in response.headers
    assert server.tokens_issued == 0


# --- standard_base64_safe ----------------------------------------------------------------------

# '~', '?' and '>' encode to base64url's '-' and '_' (sextets 62 and 63) in the right place;
# subjects of every length mod 3 put them in every place.
AWKWARD = [f"{'x' * pad}~?>~?>\x7f" for pad in range(3)]


def payload(token: str) -> str:
    return token.split(".")[1]


def test_by_default_a_payload_can_hold_dash_and_underscore(server: FakeRunaiServer) -> None:
    payloads = [payload(server.issue_access_token(s)) for s in AWKWARD]
    assert any("-" in p or "_" in p for p in payloads)  # what the option is for


def test_standard_base64_safe_payloads_read_the_same_in_both_alphabets() -> None:
    with FakeRunaiServer(standard_base64_safe=True) as server:
        server.add_client("~?>", CLIENT[1])
        form = {"grant_type": "client_credentials"}
        with httpx.Client(base_url=server.url, timeout=5) as http:
            response = http.post(V2, data=form, auth=("~?>", CLIENT[1]))
            granted = response.json()["access_token"]
            assert http.get(WHOAMI, headers=bearer(granted)).status_code == 200
        for token in [granted, *(server.issue_access_token(s) for s in AWKWARD)]:
            segment = payload(token)
            assert "-" not in segment and "_" not in segment
            standard = base64.b64decode(segment + "=" * (-len(segment) % 4), validate=True)
            assert json.loads(standard) == server.decode_token(token)
        assert server.decode_token(granted)["sub"] == "~?>"


def test_encode_jwt_standard_base64_safe_round_trips() -> None:
    claims = {"sub": "~?>\x7f", "exp": 2}
    token = encode_jwt(claims, b"k", standard_base64_safe=True)
    assert "-" not in payload(token) and "_" not in payload(token)
    assert decode_jwt(token, b"k") == claims
    assert "-" in payload(encode_jwt(claims, b"k")) or "_" in payload(encode_jwt(claims, b"k"))
