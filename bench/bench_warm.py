"""A client made and warmed up (one call that must succeed) before a benchmark times anything."""

from __future__ import annotations

from typing import Any

from bench_clients import AsyncClient, AsyncFactory, SyncClient, SyncFactory, Unavailable
from server_process import Target


def warm_sync(factory: SyncFactory, target: Target, **kwargs: Any) -> SyncClient | str:
    """The client after its warm-up call, or why there is none (for the table's row)."""
    try:
        client = factory(target, **kwargs)
        client.warm()
        first = client.call()
    except Unavailable as exc:
        return str(exc)
    if first != "ok":
        client.close()
        return f"warm-up: {first}"
    return client


async def warm_async(factory: AsyncFactory, target: Target, **kwargs: Any) -> AsyncClient | str:
    """The async client after its warm-up call, or why there is none."""
    try:
        client = factory(target, **kwargs)
        await client.warm()
        first = await client.call()
    except Unavailable as exc:
        return str(exc)
    if first != "ok":
        await client.close()
        return f"warm-up: {first}"
    return client
