"""Group commit: requests that arrive while a batch is being written go in the next one.

A transaction costs several round trips to the database (on SQLite, several hops to the
driver's thread, each waiting for a turn of a busy event loop) however little it writes.
Under load, many people's messages are waiting at once; writing them in one transaction
costs the round trips once, and a lone message still goes straight through.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")


class GroupCommit(Generic[Request, Result]):
    """Runs submitted requests in batches, one batch at a time, in arrival order.

    Args:
        run: writes a batch and returns one outcome per request, in order: its result, or
            the exception that request alone raised. If `run` itself raises, every request
            in the batch gets that exception.
        max_batch: the most requests one batch takes.
    """

    def __init__(
        self,
        run: Callable[[list[Request]], Awaitable[list[Result | BaseException]]],
        *,
        max_batch: int = 64,
    ) -> None:
        self._run = run
        self.max_batch = max_batch
        self._queue: deque[tuple[Request, asyncio.Future[Result]]] = deque()
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, request: Request) -> Result:
        """The request's result, once the batch holding it has been written.

        A caller that is cancelled (a socket that closed) does not take its request out
        of the batch: a request once queued is written, and a client that re-sends it
        with the same client id finds it.
        """
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieve)
        self._queue.append((request, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="group-commit")
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._queue:
            count = min(len(self._queue), self.max_batch)
            batch = [self._queue.popleft() for _ in range(count)]
            try:
                outcomes = await self._run([request for request, _ in batch])
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
                    raise
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def close(self) -> None:
        """Wait for the requests already queued to be written."""
        if self._worker is not None:
            with contextlib.suppress(Exception):
                await self._worker


class Lanes(Generic[Request, Result]):
    """Several group commits side by side; a request's key picks its lane, always the same.

    One lane is busy for a transaction's whole time, its waits for the database included;
    while one lane waits, another can work. Requests with the same key (one conversation)
    share a lane, so they are still written one after another, in arrival order.

    Args:
        run: as for GroupCommit; each lane calls it with its own batches.
        key: what keeps requests in order with each other.
        lanes: how many batches may be written at once.
    """

    def __init__(
        self,
        run: Callable[[list[Request]], Awaitable[list[Result | BaseException]]],
        *,
        key: Callable[[Request], Hashable],
        lanes: int,
    ) -> None:
        if lanes < 1:
            raise ValueError("lanes must be at least 1")
        self._key = key
        self._lanes = [GroupCommit(run) for _ in range(lanes)]

    def lane_of(self, request: Request) -> int:
        """The lane that writes this request: the same for every request with its key."""
        return hash(self._key(request)) % len(self._lanes)

    async def submit(self, request: Request) -> Result:
        return await self._lanes[self.lane_of(request)].submit(request)

    async def close(self) -> None:
        """Wait for the requests already queued, in every lane, to be written."""
        await asyncio.gather(*(lane.close() for lane in self._lanes))


def _retrieve(future: asyncio.Future[object]) -> None:
    # A caller that went away never reads its outcome; reading it here keeps asyncio from
    # logging "exception was never retrieved" for an error nobody is waiting on.
    if not future.cancelled():
        future.exception()
