"""Lanes of group commits (bot/batching.py): one conversation's messages are written one
after another, in order; different conversations' batches can be in flight together."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.batching import Lanes


def keys_in_two_lanes() -> tuple[str, str]:
    """Two conversation ids that two lanes put apart."""
    ids = (f"case-{n}" for n in itertools.count())
    first = next(ids)
    other = next(key for key in ids if hash(key) % 2 != hash(first) % 2)
    return first, other


class Recorder:
    """A `run` that holds each batch until released and remembers what it wrote."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_at_once = 0
        self.batches: list[list[tuple[str, int]]] = []
        self.release = asyncio.Event()

    async def run(self, batch: list[tuple[str, int]]) -> list[int | BaseException]:
        self.in_flight += 1
        self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            await self.release.wait()
        finally:
            self.in_flight -= 1
        self.batches.append(batch)
        return [n for _key, n in batch]


async def test_two_conversations_are_written_at_once_each_in_its_own_order() -> None:
    recorder = Recorder()
    lanes: Lanes[tuple[str, int], int] = Lanes(recorder.run, key=lambda r: r[0], lanes=2)
    first, other = keys_in_two_lanes()

    sent = [(first, 1), (other, 1), (first, 2), (other, 2), (first, 3)]
    tasks = [asyncio.create_task(lanes.submit(request)) for request in sent]
    for _ in range(5):
        await asyncio.sleep(0)
    assert recorder.in_flight == 2  # both lanes hold a batch; neither waits for the other
    recorder.release.set()

    assert await asyncio.gather(*tasks) == [1, 1, 2, 2, 3]
    for key, expected in ((first, [1, 2, 3]), (other, [1, 2])):
        written = [n for batch in recorder.batches for k, n in batch if k == key]
        assert written == expected  # each of a conversation's messages once, in order
    # A lane's batch holds one lane's conversations only.
    assert all(len({hash(k) % 2 for k, _ in batch}) == 1 for batch in recorder.batches)


async def test_one_lane_writes_one_batch_at_a_time() -> None:
    recorder = Recorder()
    lanes: Lanes[tuple[str, int], int] = Lanes(recorder.run, key=lambda r: r[0], lanes=1)
    first, other = keys_in_two_lanes()

    tasks = [asyncio.create_task(lanes.submit((key, 1))) for key in (first, other)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert recorder.most_at_once == 1
    recorder.release.set()
    assert await asyncio.gather(*tasks) == [1, 1]
    assert recorder.most_at_once == 1


async def test_close_waits_for_what_every_lane_holds() -> None:
    recorder = Recorder()
    lanes: Lanes[tuple[str, int], int] = Lanes(recorder.run, key=lambda r: r[0], lanes=2)
    first, other = keys_in_two_lanes()
    tasks = [asyncio.create_task(lanes.submit((key, 7))) for key in (first, other)]
    await asyncio.sleep(0)
    closing = asyncio.create_task(lanes.close())
    await asyncio.sleep(0)
    assert not closing.done()
    recorder.release.set()
    await closing
    assert sorted(k for batch in recorder.batches for k, _ in batch) == sorted([first, other])
    assert await asyncio.gather(*tasks) == [7, 7]


def test_no_lanes_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Lanes(Recorder().run, key=lambda r: r[0], lanes=0)
