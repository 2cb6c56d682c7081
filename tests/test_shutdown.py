"""The app's background loops stop when asked, whatever they are doing at that moment.

On Python 3.11, `asyncio.wait_for` can swallow a cancel that lands in the same turn of the
event loop as the thing it waits for (CPython issue 86296): the loop then goes on, and the
app's shutdown waits for it forever. These tests cancel at exactly that moment.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient

from bot import keys

SETTLE_S = 0.3


def running_task(name: str) -> asyncio.Task[object]:
    [task] = [t for t in asyncio.all_tasks() if t.get_name() == name]
    return task


async def test_the_outbox_stops_when_cancelled_as_it_is_nudged(client: TestClient) -> None:
    await asyncio.sleep(SETTLE_S)  # the worker is idle, waiting to be woken
    task = running_task("outbox")
    client.app[keys.OUTBOX].nudge()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(task), timeout=5)
    assert task.cancelled()
