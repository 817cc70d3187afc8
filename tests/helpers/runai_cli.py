"""Run:ai's own CLI as the session tests need it: the files `runai login` leaves, and a JWT
signed with the test kit's key."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

from runai_tokens.testing._jwt import TEST_SIGNING_KEY, encode_jwt


def write_session(
    directory: Path, token: str, *, url: str | None = None, padded: bool = False
) -> None:
    """What `runai login` leaves: the JWT base64url-encoded in authentication.json."""
    directory.mkdir(parents=True, exist_ok=True)
    encoded = base64.urlsafe_b64encode(token.encode()).decode()
    if not padded:
        encoded = encoded.rstrip("=")
    (directory / "authentication.json").write_text(json.dumps({"accessToken": encoded}))
    if url is not None:
        config = {"control_plane": {"url": url}, "cluster": {"uuid": "fake-cluster-uuid"}}
        (directory / "config.json").write_text(json.dumps(config))


def jwt(exp_in: float, subject: str = "someone") -> str:
    now = time.time()
    return encode_jwt({"sub": subject, "iat": int(now), "exp": int(now + exp_in)}, TEST_SIGNING_KEY)
