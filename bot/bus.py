"""Tells whoever holds a person's socket that their conversation has something new.

A notification carries only the case id: the receiver reads what it has not yet sent from
the store by `seq`, so a lost or doubled notification can never lose, double or reorder a
message. In one process this is an in-memory fan-out; across instances the PostgreSQL bus
(bot.pgbus) feeds the same fan-out from LISTEN/NOTIFY.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

Publisher = Callable[[str, str], Awaitable[None]]


class Bus:
    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        # Set by a cross-instance transport; None means in-process only.
        self.remote_publish: Publisher | None = None

    def subscribe(self, case_id: str) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=64)
        self._subscribers[case_id].add(queue)
        return queue

    def unsubscribe(self, case_id: str, queue: asyncio.Queue[str]) -> None:
        subscribers = self._subscribers.get(case_id)
        if subscribers is None:
            return
        subscribers.discard(queue)
        if not subscribers:
            del self._subscribers[case_id]

    def deliver_local(self, case_id: str, kind: str = "messages") -> None:
        for queue in self._subscribers.get(case_id, ()):
            if queue.full():
                # The reader is behind; it will read everything from the store anyway.
                continue
            queue.put_nowait(kind)

    def resync_all(self) -> None:
        """Ask every local socket to re-read the store (after the transport was away)."""
        for case_id in list(self._subscribers):
            self.deliver_local(case_id, "resync")

    async def publish(self, case_id: str, kind: str = "messages") -> None:
        """Announce news for a case to every instance (this one included)."""
        if self.remote_publish is not None:
            await self.remote_publish(case_id, kind)
        else:
            self.deliver_local(case_id, kind)

    def local_subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())
