"""Token expiry: where the lifetime comes from, and when a token is refreshed or never sent."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from runai_tokens._token import (
    TokenState,
    cooldown_for,
    jwt_claims,
    lifetime_of,
    make_token,
    min_remaining,
)
from runai_tokens.testing import encode_jwt


def make_jwt(claims: dict[str, Any]) -> str:
    """Exactly these claims, signed: a payload may lack exp or carry a wrong-typed one."""
    return encode_jwt(claims, b"fake-signing-key")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt_with_url_safe_payload() -> tuple[str, str]:
    """A JWT whose payload segment holds both '-' and '_' and needs its padding restored."""
    # "~?" encodes to sextets 62 and 63: '-' and '_' in base64url, '+' and '/' in base64.
    token = make_jwt({"iat": 1_700_000_000, "exp": 1_700_000_900, "nonce": "~?~?~?"})
    payload = token.split(".")[1]
    assert "-" in payload
    assert "_" in payload
    assert len(payload) % 4 != 0
    return token, payload


def test_jwt_lifetime_from_a_base64url_payload_with_dash_and_underscore() -> None:
    token, payload = jwt_with_url_safe_payload()
    # Standard base64 (what runapy used) cannot read it: it proves the test payload is base64url.
    with pytest.raises(ValueError):
        json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True))
    assert lifetime_of(token, None) == 900.0


def test_expires_in_wins_over_the_jwt() -> None:
    token = make_jwt({"iat": 100, "exp": 200})
    assert lifetime_of(token, 3600) == 3600.0
    assert lifetime_of(token, 0) == 100.0  # not a lifetime: fall back to the JWT
    assert lifetime_of(token, "3600") == 100.0
    assert lifetime_of(token, True) == 100.0


@pytest.mark.parametrize(
    "token",
    [
        "fake-opaque-token",
        "a.b",
        "a..c",
        "x.%%%%.y",
        f"x.{b64url(b'not json')}.y",
        f"x.{b64url(b'[1, 2]')}.y",
        make_jwt({"iat": 100}),
        make_jwt({"iat": 100, "exp": "200"}),
        make_jwt({"iat": 200, "exp": 100}),
        make_jwt({"exp": None}),
    ],
)
def test_no_lifetime_from_an_opaque_or_malformed_token(token: str) -> None:
    assert lifetime_of(token, None) is None


def test_jwt_without_iat_counts_from_the_wall_clock() -> None:
    token = make_jwt({"exp": 1_000_600})
    assert lifetime_of(token, None, wall_clock=lambda: 1_000_000.0) == 600.0


def test_claims_are_read_without_checking_the_signature() -> None:
    header, payload, _ = make_jwt({"iat": 1, "exp": 2}).split(".")
    assert jwt_claims(f"{header}.{payload}.forged") == {"iat": 1, "exp": 2}


def test_a_token_without_lifetime_is_never_due_nor_stale() -> None:
    token = make_token("t", obtained_at=5.0, lifetime=None, refresh_margin=None, random=lambda: 0)
    assert token.state(1e12) is TokenState.FRESH


def test_default_margin_scales_with_lifetime_and_jitter_spreads_it() -> None:
    def refresh_at(random: float) -> float | None:
        token = make_token(
            "t", obtained_at=1000.0, lifetime=3600.0, refresh_margin=None, random=lambda: random
        )
        return token.refresh_at

    assert refresh_at(0.0) == pytest.approx(1000 + 3600 - 360)
    assert refresh_at(0.5) == pytest.approx(1000 + 3600 - 540)
    assert refresh_at(0.999) == pytest.approx(1000 + 3600 - 719.64)


def test_never_sent_with_under_30_seconds_or_a_tenth_of_a_short_lifetime_left() -> None:
    long = make_token("t", obtained_at=0.0, lifetime=3600.0, refresh_margin=0, random=lambda: 0)
    assert long.invalid_at == 3570.0
    assert long.state(3569.9) is not TokenState.INVALID
    assert long.state(3570.0) is TokenState.INVALID
    short = make_token("t", obtained_at=0.0, lifetime=1.0, refresh_margin=None, random=lambda: 0)
    assert short.invalid_at == pytest.approx(0.9)
    assert min_remaining(1.0) == pytest.approx(0.1)


def test_a_fixed_margin_has_no_jitter_and_is_capped_at_half_the_lifetime() -> None:
    def refresh_at(margin: float, random: float) -> float | None:
        return make_token(
            "t", obtained_at=0.0, lifetime=600.0, refresh_margin=margin, random=lambda: random
        ).refresh_at

    assert refresh_at(120.0, 0.0) == refresh_at(120.0, 0.99) == 480.0
    assert refresh_at(10_000.0, 0.5) == 300.0
    assert refresh_at(0.0, 0.5) == 570.0  # never later than the 30 s floor


def test_cooldown_after_a_failed_early_refresh() -> None:
    assert cooldown_for(3600.0) == 30.0
    assert cooldown_for(1.0) == pytest.approx(0.05)


@given(
    lifetime=st.floats(min_value=0.001, max_value=1e7),
    obtained_at=st.floats(min_value=0, max_value=1e6),
    random=st.floats(min_value=0, max_value=1, exclude_max=True),
    fixed=st.none() | st.floats(min_value=0, max_value=1e8),
)
def test_refresh_comes_before_stale_which_comes_before_expiry(
    lifetime: float, obtained_at: float, random: float, fixed: float | None
) -> None:
    token = make_token(
        "t", obtained_at=obtained_at, lifetime=lifetime, refresh_margin=fixed, random=lambda: random
    )
    assert token.refresh_at is not None
    assert token.invalid_at is not None
    expires_at = obtained_at + lifetime
    assert obtained_at <= token.refresh_at <= token.invalid_at < expires_at or lifetime < 1e-6
    assert token.invalid_at == pytest.approx(expires_at - min(30.0, lifetime / 10))
    # At least half of the lifetime is used before an early refresh.
    assert token.refresh_at >= obtained_at + lifetime / 2 - 1e-6 * max(1.0, obtained_at)


def test_repr_of_a_token_hides_its_value() -> None:
    token = make_token(
        "fake-secret-token", obtained_at=0.0, lifetime=1.0, refresh_margin=None, random=lambda: 0
    )
    assert "fake-secret-token" not in repr(token)
