"""Which control-plane version has what: the fake server answers as the version it was given.

The contract (openapi.yaml) is the union of 2.18 to 2.24, and says in prose which version brought
each operation and grant; the fake server needs it as data, so the facts it acts on are here.
"""

from __future__ import annotations

import re

from .._base_errors import InvalidArgument

Version = tuple[int, int]

# The first control-plane version that has each feature.
CLIENT_CREDENTIALS: Version = (2, 20)  # grant_token's client_credentials grant
EXTERNAL_TOKEN_EXCHANGE: Version = (2, 22)  # grant_token's external_token_exchange grant
EXPIRES_IN: Version = (2, 24)  # grant_token's expiresIn

# Operations (by operationId) that older versions do not serve: their path is unknown there.
OPERATIONS_SINCE: dict[str, Version] = {"grant_token_v2": (2, 24)}


def parse_version(version: str) -> Version:
    match = re.fullmatch(r"(\d+)\.(\d+)", version)
    if match is None or (int(match[1]), int(match[2])) < (2, 18):
        raise InvalidArgument(
            f"version must look like '2.18' or '2.24' (2.18 or later), not {version!r}"
        )
    return int(match[1]), int(match[2])


def show(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


def contract_versions(contract_version: str) -> tuple[str, ...]:
    """Every control-plane version a contract's range names ("2.18-2.24": 2.18, 2.19, ..., 2.24),
    oldest first: the versions the fake server can answer as, read from openapi.yaml's info."""
    first, _, last = contract_version.partition("-")
    low, high = parse_version(first), parse_version(last or first)
    if low[0] != high[0]:
        raise InvalidArgument(
            f"a contract's versions span one major version, not {contract_version!r}"
        )
    return tuple(show((low[0], minor)) for minor in range(low[1], high[1] + 1))
