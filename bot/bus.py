"""Tells whoever holds a person's socket that their conversation has something new.

A notification names the case and, when the publisher knows it, the case's latest message
number ("messages/SEQ"): a socket that has already sent that far skips the store read.
Either way the receiver reads what it has not yet sent from the store by `seq`, so a lost
or doubled notification can never lose, double or reorder a message. In one process this
is an in-memory fan-out; across instances the PostgreSQL bus (bot.pgbus) feeds the same
fan-out from LISTEN/NOTIFY, as "kind:case_id" payloads.

Notifications of other kinds (bot.typing's "typing/...") carry a frame of their own and
are passed through untouched.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

# Sends (case_id, kind) notices to every instance, in one go.
Publisher = Callable[[list[tuple[str, str]]], Awaitable[None]]

MESSAGES = "messages"
RESYNC = "resync"
# A "messages" notice may say how far the case has got: "messages/42".
SEQ_SEPARATOR = "/"
QUEUE_SIZE = 64


def messages_notice(seq: int | None = None) -> str:
    """The notice for message news; with `seq`, the case's latest message number."""
    return MESSAGES if seq is None else f"{MESSAGES}{SEQ_SEPARATOR}{seq}"


def is_message_notice(notice: str) -> bool:
    """True for news a socket answers by reading the store (or, with a seq, maybe not)."""
    return notice in (MESSAGES, RESYNC, "") or notice.startswith(MESSAGES + SEQ_SEPARATOR)


def notice_seq(notice: str) -> int | None:
    """The message number a "messages/SEQ" notice carries; None means "read the store"."""
    prefix, _, seq = notice.partition(SEQ_SEPARATOR)
    if prefix == MESSAGES and seq.isdigit():
        return int(seq)
    return None


class Bus:
    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        # Set by a cross-instance transport; None means in-process only.
        self.remote_publish: Publisher | None = None
        # Instance-wide news under a topic of its own (not a case), for the app itself.
        self._callbacks: defaultdict[str, list[Callable[[str], None]]] = defaultdict(list)

    def on(self, topic: str, callback: Callable[[str], None]) -> None:
        """Call `callback(kind)` on every instance whenever news for `topic` is published."""
        self._callbacks[topic].append(callback)

    def subscribe(self, case_id: str) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._subscribers[case_id].add(queue)
        return queue

    def unsubscribe(self, case_id: str, queue: asyncio.Queue[str]) -> None:
        subscribers = self._subscribers.get(case_id)
        if subscribers is None:
            return
        subscribers.discard(queue)
        if not subscribers:
            del self._subscribers[case_id]

    def deliver_local(self, case_id: str, kind: str = MESSAGES) -> None:
        for callback in self._callbacks.get(case_id, ()):
            callback(kind)
        for queue in self._subscribers.get(case_id, ()):
            if queue.full():
                _compact(queue)
            queue.put_nowait(kind)

    def resync_all(self) -> None:
        """Ask every local socket to re-read the store (after the transport was away)."""
        for case_id in list(self._subscribers):
            self.deliver_local(case_id, RESYNC)

    async def publish(self, case_id: str, kind: str = MESSAGES, *, seq: int | None = None) -> None:
        """Announce news for a case to every instance (this one included).

        Args:
            kind: what the news is; the default, message news, makes sockets read the store.
            seq: for message news, the case's latest message number once the news is
                committed, so a socket that has sent that far need not read the store.
        """
        if seq is not None:
            if kind != MESSAGES:
                raise ValueError("only message news carries a seq")
            kind = messages_notice(seq)
        await self._publish([(case_id, kind)])

    async def publish_messages(self, latest: dict[str, int]) -> None:
        """Message news for several cases at once: case id → its latest message number."""
        await self._publish([(case_id, messages_notice(seq)) for case_id, seq in latest.items()])

    async def _publish(self, notices: list[tuple[str, str]]) -> None:
        if self.remote_publish is not None:
            await self.remote_publish(notices)
            return
        for case_id, kind in notices:
            self.deliver_local(case_id, kind)

    def local_subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())


def _compact(queue: asyncio.Queue[str]) -> None:
    """Make room in a reader's full queue without losing news.

    The reader is behind. Its message notices become one re-read of the store (which finds
    everything they announced); of the other notices only the newest is kept, since each
    replaces the one before (a typing indicator shows the latest state).
    """
    latest_other: str | None = None
    while not queue.empty():
        notice = queue.get_nowait()
        if not is_message_notice(notice):
            latest_other = notice
    queue.put_nowait(RESYNC)
    if latest_other is not None:
        queue.put_nowait(latest_other)
