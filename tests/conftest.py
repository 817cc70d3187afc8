"""Shared pytest configuration. Async tests use anyio's plugin (it ships with httpx) on asyncio."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
