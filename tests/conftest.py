"""Shared pytest configuration. Async tests use anyio's plugin (it ships with httpx) on asyncio."""

import os

import pytest
from hypothesis import settings

# In CI, hypothesis draws the same examples every run: a red build is then reproducible, never a
# roll of the dice. Locally it keeps exploring new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
