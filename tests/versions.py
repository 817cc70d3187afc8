"""The documents the contract tests judge by: openapi.yaml and one upstream excerpt per version.

A plain module (not the Prism plugin) so that test modules can import it freely.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
UPSTREAM = REPO / "tests" / "upstream"
# Every control-plane version the client promises, oldest first (see tests/upstream/README.md).
VERSIONS = ("2.18", "2.19", "2.20", "2.21", "2.22", "2.23", "2.24")
DOCUMENTS: Mapping[str, Path] = {
    "ours": REPO / "openapi.yaml",
    **{version: UPSTREAM / f"runai-{version}-tokens.json" for version in VERSIONS},
}
