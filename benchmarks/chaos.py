"""Conversations through crashes, a database restart and a failing Slack: prints one JSON object.

    .venv/bin/python benchmarks/chaos.py [--people N] [--rounds K] [--short]
        [--database-url URL] [--skip-pg-restart]

Two instances (`python -m bot` subprocesses) share one PostgreSQL database (its own,
dropped and recreated: default .../bench_chaos). The Slack fake runs in this process
(the standalone sandbox CLI has no way to set `fail_rate`) with its rate limits on and
20 % of write calls failing (429, 500, hangs). Each person opens a conversation on
"their" instance and asks for a person; an agent claims the card and then, round by
round, the agent replies in the thread and the person writes over REST. A quarter of the
way in, instance A is `kill -9`ed and restarted; half-way, PostgreSQL is restarted
(`pg_ctlcluster --skip-systemctl-redirect VERSION main restart`). People whose instance
is down use the other one, as a load balancer would send them; Slack's events go to
instance B, which is never killed.

{"sent", "received", "lost", "pending", "duplicated", "out_of_order", "agent_to_person":
 {...same keys}, "person_to_thread": {...}, "people", "claimed", "settle_s", "pg_restarted",
 "lost_agent_replies"}
- agent_to_person: agent thread replies vs agent messages the person read by seq (REST);
- person_to_thread: person messages the app acknowledged vs copies in the case thread;
  pending: copies still queued in the outbox when we stopped waiting (late, not lost).
Target (GitHub issue 5): lost == duplicated == out_of_order == 0.

Slack retries an unacknowledged event now, after 1 min and after 5 min; the fake's
schedule is shortened to 1 s, 3 s, 6 s so a run stays bounded (a PostgreSQL restart
takes a few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    BENCH_BOT_TOKEN,
    BENCH_SIGNING_SECRET,
    app_env,
    emit,
    free_port,
    fresh_postgres,
    note,
    processes,
    raise_fd_limit,
    session_from,
    spawn_app,
    stop_process,
    wait_healthy,
)

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/bench_chaos"
FAIL_RATE = 0.20
EVENT_RETRY_DELAYS_S = (1.0, 3.0, 6.0)
# One phrasing per queue, so the cards spread over three rate-limited channels.
HANDOFF_TEXTS = (
    ("support-billing", "I was charged twice this month, please connect me to a human agent"),
    ("support-sessions", "My video session keeps dropping, connect me to a human agent please"),
    ("support-account", "I cannot log in to my account, connect me to a human agent please"),
)
AGENT = "U0AGENT1"
# The app allows a conversation one message a second after a burst of ten (bot/app.py).
ROUND_S = 1.2
POLL_S = 0.5
REQUEST_TIMEOUT_S = 10.0
SEND_ATTEMPTS = 40
CARD_TIMEOUT_S = 90.0
MARK = re.compile(r"(agent|person) (C-\w+) #(\d+)")


@dataclass
class Person:
    index: int
    home: int  # which instance (0 = A, 1 = B) the person's requests go to first
    channel: str
    handoff_text: str
    conversation_id: str = ""
    token: str = ""
    ref: str = ""
    card_ts: str = ""
    claimed: bool = False
    sent_to_thread: list[int] = field(default_factory=list)  # person rounds acknowledged
    agent_sent: list[int] = field(default_factory=list)  # agent rounds posted in the thread
    agent_received: list[int] = field(default_factory=list)  # agent rounds read, by seq
    last_seq: int = 0
    session: aiohttp.ClientSession | None = None


class Cluster:
    """Two instance URLs; a request goes to the person's instance, or the other when down."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases

    async def request(
        self,
        person: Person,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        ok: tuple[int, ...] = (200,),
    ) -> dict[str, Any]:
        assert person.session is not None
        headers = {"Authorization": f"Bearer {person.token}"} if person.token else {}
        last = ""
        for attempt in range(SEND_ATTEMPTS):
            base = self.bases[(person.home + attempt) % len(self.bases)]
            try:
                async with person.session.request(
                    method, base + path, json=json_body, headers=headers
                ) as resp:
                    if resp.status in ok:
                        body: dict[str, Any] = await resp.json()
                        return body
                    last = f"{resp.status} {await resp.text()}"[:200]
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{method} {path} failed {SEND_ATTEMPTS} times; last: {last}")


def sequence_faults(
    sent: list[int], received: list[int], pending: set[int] | None = None
) -> dict[str, int]:
    """lost, duplicated and out_of_order of `received` against what was `sent`, in order;
    `pending` items (still queued for delivery) are late, not lost."""
    distinct = set(received)
    late = (pending or set()) - distinct
    out_of_order, highest = 0, -1
    seen: set[int] = set()
    for item in received:
        if item in seen:
            continue
        seen.add(item)
        if item < highest:
            out_of_order += 1
        highest = max(highest, item)
    return {
        "sent": len(sent),
        "received": len(distinct & set(sent)),
        "lost": len(set(sent) - distinct - late),
        "pending": len(late & set(sent)),
        "duplicated": len(received) - len(distinct),
        "out_of_order": out_of_order,
    }


def card_ts_for(fake: Any, channel: str, ref: str) -> str | None:
    for message in fake.messages(channel):
        is_parent = message.get("thread_ts") in (None, message.get("ts"))
        if message.get("bot_id") and message.get("blocks") and is_parent:
            if ref in (message.get("text") or ""):
                return str(message["ts"])
    return None


def thread_rounds(fake: Any, person: Person) -> list[int]:
    rounds = []
    for message in fake.thread(person.channel, person.card_ts):
        found = MARK.search(message.get("text") or "")
        if found and found.group(1) == "person" and found.group(2) == person.ref:
            rounds.append(int(found.group(3)))
    return rounds


async def poll_inbox(cluster: Cluster, person: Person) -> str:
    """Read what is new by seq; record agent rounds in the order the store numbered them."""
    body = await cluster.request(
        person,
        "GET",
        f"/api/v1/conversations/{person.conversation_id}/messages?after={person.last_seq}",
    )
    for message in body["messages"]:
        person.last_seq = max(person.last_seq, message["seq"])
        found = MARK.search(message.get("text") or "")
        if message["sender"] == "agent" and found and found.group(2) == person.ref:
            person.agent_received.append(int(found.group(3)))
    return str(body.get("state"))


async def start_person(cluster: Cluster, fake: Any, person: Person) -> None:
    started = await cluster.request(
        person, "POST", "/api/v1/conversations", json_body={"locale": "en"}, ok=(201,)
    )
    person.conversation_id, person.token = started["conversation_id"], started["token"]
    person.ref = started["case_ref"]
    await cluster.request(
        person,
        "POST",
        f"/api/v1/conversations/{person.conversation_id}/messages",
        json_body={"text": person.handoff_text, "client_id": f"{person.ref}-handoff"},
    )
    deadline = time.monotonic() + CARD_TIMEOUT_S
    while time.monotonic() < deadline:
        ts = card_ts_for(fake, person.channel, person.ref)
        if ts:
            person.card_ts = ts
            break
        await asyncio.sleep(0.25)
    else:
        raise RuntimeError(f"no card for {person.ref} within {CARD_TIMEOUT_S:.0f}s")
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            await fake.click(
                user=AGENT, channel=person.channel, ts=person.card_ts, action_id="claim"
            )
        if await poll_inbox(cluster, person) == "agent":
            person.claimed = True
            return
        await asyncio.sleep(1.0)
    raise RuntimeError(f"{person.ref} not claimed within {CARD_TIMEOUT_S:.0f}s")


async def converse(cluster: Cluster, fake: Any, person: Person, rounds: int) -> None:
    for k in range(rounds):
        started = time.monotonic()
        # The agent replies in the thread; a failed delivery after Slack's retries is still
        # "sent" (the agent saw it posted), so it counts as lost if it never arrives.
        with contextlib.suppress(Exception):
            await fake.post(
                user=AGENT,
                channel=person.channel,
                thread_ts=person.card_ts,
                text=f"agent {person.ref} #{k}",
            )
        person.agent_sent.append(k)
        with contextlib.suppress(RuntimeError):
            await cluster.request(
                person,
                "POST",
                f"/api/v1/conversations/{person.conversation_id}/messages",
                json_body={"text": f"person {person.ref} #{k}", "client_id": f"{person.ref}-{k}"},
            )
            person.sent_to_thread.append(k)
        with contextlib.suppress(RuntimeError):
            await poll_inbox(cluster, person)
        await asyncio.sleep(max(0.0, ROUND_S - (time.monotonic() - started)))


async def restart_postgres() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        await asyncio.wait_for(proc.wait(), timeout=60)
    except TimeoutError:
        proc.kill()
        raise


async def at(delay: float, action: Callable[[], Awaitable[None]]) -> None:
    await asyncio.sleep(delay)
    await action()


async def pending_thread_copies(database_url: str) -> dict[str, set[int]]:
    """Person rounds whose thread copy is still waiting in the outbox, by case ref.

    Thread copies share their channel's pace (about one post a second), so a busy run
    can end with copies queued: those are late, not lost.
    """
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    query = text(
        "SELECT m.text FROM outboxitem o JOIN message m"
        " ON m.id = CAST(o.payload->>'message_id' AS INTEGER)"
        " WHERE o.kind = 'thread_message' AND o.status = 'pending'"
    )
    pending: dict[str, set[int]] = {}
    try:
        async with engine.connect() as conn:
            for (body,) in (await conn.execute(query)).all():
                found = MARK.search(body or "")
                if found and found.group(1) == "person":
                    pending.setdefault(found.group(2), set()).add(int(found.group(3)))
    finally:
        await engine.dispose()
    return pending


async def migrate(database_url: str) -> None:
    from bot.store.db import Database
    from bot.store.migrate import upgrade

    db = Database(database_url)
    try:
        await upgrade(db)
    finally:
        await db.engine.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.routing import load_routing
    from bot.slack_fake import SlackFake

    raise_fd_limit()
    database_url = await fresh_postgres(args.database_url)
    await migrate(database_url)
    fake = SlackFake(
        signing_secret=BENCH_SIGNING_SECRET,
        bot_token=BENCH_BOT_TOKEN,
        channels=load_routing().channels(),
        rate_limit=True,
    )
    fake.configure_retries(3, EVENT_RETRY_DELAYS_S)
    api_url = await fake.start()
    people = [Person(i, i % 2, *HANDOFF_TEXTS[i % len(HANDOFF_TEXTS)]) for i in range(args.people)]
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp, processes() as started:
        workdir = Path(tmp)
        ports = [free_port(), free_port()]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        envs = [
            app_env(
                database_url=database_url,
                port=port,
                slack_api_url=api_url,
                extra={"AUTO_MIGRATE": "0", "OUTBOX_POLL_S": "0.2"},
            )
            for port in ports
        ]
        logs = [workdir / "a.log", workdir / "b.log"]
        instances = [spawn_app(envs[0], logs[0]), spawn_app(envs[1], logs[1])]
        started.extend(instances)
        fake.events_url = f"{bases[1]}/slack/events"
        cluster = Cluster(bases)
        for session_index, person in enumerate(people):
            person.session = session_from(
                session_index, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            )
        try:
            for i in (0, 1):
                await wait_healthy(f"{bases[i]}/healthz", instances[i], logs[i])
            fake.fail_rate = FAIL_RATE
            note(f"chaos: {len(people)} people hand off (Slack failing {FAIL_RATE:.0%})")
            await asyncio.gather(*(start_person(cluster, fake, p) for p in people))
            note(f"all claimed; {args.rounds} rounds with a crash and a database restart")

            async def crash_a() -> None:
                note("kill -9 instance A, restarting it")
                stop_process(instances[0], hard=True)
                instances[0] = spawn_app(envs[0], logs[0])
                started.append(instances[0])

            async def restart_db() -> None:
                if args.skip_pg_restart:
                    return
                note("restarting PostgreSQL")
                await restart_postgres()
                note("PostgreSQL is back")

            span = args.rounds * ROUND_S
            await asyncio.gather(
                *(converse(cluster, fake, p, args.rounds) for p in people),
                at(span * 0.25, crash_a),
                at(span * 0.5, restart_db),
            )
            note("rounds done; waiting for every message to arrive")
            await wait_healthy(f"{bases[0]}/healthz", instances[0], logs[0])
            settle_started = time.monotonic()
            fake.fail_rate = FAIL_RATE  # the faults stay on while the backlog drains
            while time.monotonic() - settle_started < args.settle_timeout:
                for person in people:
                    with contextlib.suppress(RuntimeError):
                        await poll_inbox(cluster, person)
                if all(
                    set(p.agent_received) >= set(p.agent_sent)
                    and set(thread_rounds(fake, p)) >= set(p.sent_to_thread)
                    for p in people
                ):
                    break
                await asyncio.sleep(1.0)
            settle_s = time.monotonic() - settle_started
            await fake.idle()
            pending = await pending_thread_copies(database_url)
            if args.keep_logs:
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                for path in logs:
                    shutil.copy(path, args.keep_logs / path.name)
        finally:
            for person in people:
                if person.session is not None:
                    await person.session.close()
            await fake.stop()
    lost_detail = [
        {"ref": p.ref, "round": k, "event_statuses": event_statuses(fake, f"agent {p.ref} #{k}")}
        for p in people
        for k in sorted(set(p.agent_sent) - set(p.agent_received))
    ]
    to_person = [sequence_faults(p.agent_sent, p.agent_received) for p in people]
    to_thread = [
        sequence_faults(p.sent_to_thread, thread_rounds(fake, p), pending.get(p.ref, set()))
        for p in people
    ]
    a, b = totals(to_person), totals(to_thread)
    both = {key: a[key] + b[key] for key in a}
    return {
        **both,
        "agent_to_person": a,
        "person_to_thread": b,
        "people": len(people),
        "claimed": sum(p.claimed for p in people),
        "settle_s": round(settle_s, 1),
        "pg_restarted": not args.skip_pg_restart,
        "lost_agent_replies": lost_detail[:10],
    }


def event_statuses(fake: Any, text: str) -> list[int]:
    """HTTP statuses the app answered each delivery of the event carrying `text` with.

    Tells a reply Slack gave up on (every attempt failed) from one the app acknowledged
    and then dropped (a 200 with nothing stored).
    """
    statuses = []
    for delivery in fake.deliveries:
        if delivery.get("kind") == "event" and text.encode() in (delivery.get("body") or b""):
            statuses.append(int(delivery.get("status") or 0))
    return statuses


def totals(rows: list[dict[str, int]]) -> dict[str, int]:
    keys = ("sent", "received", "lost", "pending", "duplicated", "out_of_order")
    return {key: sum(row[key] for row in rows) for key in keys}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # Every person message is copied to a thread at the channel's pace (1/s): 12 people x
    # 20 rounds over three channels drain in about 80 s.
    parser.add_argument("--people", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=20, help="messages each way per person")
    parser.add_argument("--settle-timeout", type=float, default=180.0)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--skip-pg-restart", action="store_true")
    parser.add_argument("--keep-logs", type=Path, help="copy the instances' logs here")
    parser.add_argument("--short", action="store_true", help="6 people, 10 rounds")
    args = parser.parse_args()
    if args.short:
        args.people, args.rounds = 6, 10
        args.settle_timeout = min(args.settle_timeout, 40.0)
    emit(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
