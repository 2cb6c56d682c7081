"""Chat throughput over WebSocket, the app against a bare echo server: prints one JSON object.

    .venv/bin/python benchmarks/chat_load.py [--conversations C] [--messages M]
        [--idle-sockets K] [--paced-conversations P] [--pace-s S] [--paced-messages N]
        [--database-url URL] [--workers W] [--short]

Both servers run as subprocesses on 127.0.0.1: the app as `python -m bot` (every message
persisted; SQLite in a temporary directory unless --database-url) and a bare aiohttp
WebSocket echo server (this file with --serve-echo). The app's Slack is a third
subprocess, the Slack fake (`python -m bot slack-sandbox`: Slack's rate limits on,
events signed and delivered back): in production Slack's work is done neither on the
app's dyno (so the app's built-in sandbox is not used) nor in the client measuring it.
One asyncio client opens C sockets to each in turn and sends M messages per socket, each
after the previous one is answered (the app's ack, sent once the message and the bot's
answer are stored; the echo server's echo): the closed loop. With --workers W (PostgreSQL
only) both run W processes on their port: the app with WEB_WORKERS=W, the echo server as
W copies with SO_REUSEPORT.

The echo server's processes also serve a protocol floor (/chat/ws there): the app's chat
protocol with nothing behind it, no store and no engine. It sends the frames the app
sends in this loop, each serialised with json.dumps as the app does: ready and a greeting
after the hello; per message the ack, the person's message back and one answer as long as
the engine's; and the "queued" state with the 4th answer, where the engine, asked a
fourth question in a row, hands the conversation to a person (its answers are short
after that). tests/benchmarks/test_chat_load_floor.py holds the two side by side.
The same client loads it the same way, after the echo server. "floor_ratio" is what an
aiohttp server scores in this run sending this protocol's frames with nothing behind
them: an estimate of the protocol's own cost, not a bound (it is measured in its own
phase, and a server could write its frames differently). "answer_budget_us" is the
closed loop's time per message (1 / rate, the whole run's: client, server and database
together) that the ratio target leaves beyond the floor's for storing the message and
working out the answer; negative, the protocol alone misses the target.

{"conversations", "messages", "bot_msgs_per_s", "echo_msgs_per_s", "ratio",
 "floor_msgs_per_s", "floor_ratio", "answer_budget_us", "p50_ms", "p99_ms",
 "echo_p99_ms", "errors", "idle_sockets", "rss_mb_per_1000_idle_sockets", ...}
The RSS figure is the app's VmRSS (summed over its workers) before and after opening K
more sockets that say hello and then stay idle. Targets (GitHub issue 5): ratio >= 0.35 (SQLite and
PostgreSQL), p99 <= 50 ms at 500 conversations, <= 30 MB per 1,000 idle sockets.

Then, apart, the paced phase: P fresh conversations each send N messages at a person's
pace, one every S seconds on a fixed schedule whether or not the last was answered (an
open loop), their start times spread evenly over the first S seconds. It reports
"paced_msgs_per_s", "paced_p50_ms", "paced_p99_ms" (send → ack), "pace_s",
"paced_conversations", "paced_messages" (answered) and "paced_errors"; it lasts about
N × S seconds plus at most PACED_DRAIN_S for the last answers. Its latencies are also
reported by kind: "paced_handoffs" messages were handed to a person (the socket's state
left "bot" right after their ack; the engine does so at the 4th question, so every
conversation reaches it within the same S seconds), with "paced_handoff_p99_ms"; the
rest, which the bot answered, have "paced_chat_p99_ms". The issue's targets differ by
kind: a hand-off acknowledged within 200 ms p99, chat within 50 ms.

Each simulated person connects from their own loopback address (see _common.py): the
app's per-IP limit stays on. M defaults to 8 because the app allows a conversation a
burst of 10 messages (bot/app.py), which a benchmark should measure, not trip.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    BENCH_BOT_TOKEN,
    BENCH_SIGNING_SECRET,
    PYTHON,
    STARTUP_TIMEOUT_S,
    app_env,
    emit,
    free_port,
    fresh_postgres,
    note,
    percentile,
    processes,
    raise_fd_limit,
    rss_mb,
    session_from,
    spawn,
    spawn_app,
    sqlite_url,
    tail,
    wait_healthy,
)

# Questions a person might ask in one visit; none asks for a person outright.
TEXTS = (
    "How do I change the email on my account?",
    "Where can I see my invoices?",
    "Can I reschedule my session for next week?",
    "What time zone are my reminders in?",
    "How do I switch to a different therapist?",
    "Is my chat history private?",
    "The app logged me out, how do I get back in?",
    "Do you take insurance receipts?",
    "How long is a live session?",
    "Can I pause my plan for a month?",
)
CONNECT_CONCURRENCY = 50
FRAME_TIMEOUT_S = 60.0
SETTLE_S = 2.0
# How long the paced phase waits, after a conversation's last ack, for a state frame that
# says the last message handed it off (the app sends it right after the answer).
STATE_WAIT_S = 0.5
# How long the paced phase waits for answers after its last scheduled send.
PACED_DRAIN_S = 15.0
TARGET_RATIO = 0.35  # GitHub issue 5
# The protocol floor's answers, as long as the engine's to TEXTS: 181-323 chars until it
# hands off with the 4th, 49-88 chars while the person waits after that.
FLOOR_ANSWER = "I hear you. " + "Here is where to find that in your account settings. " * 5
FLOOR_HANDOFF_TURN = 4
FLOOR_WAITING_ANSWER = "Thank you; I have added that to your case for the care coordinator now."
# As long as the greeting the app sends after "ready" (123 chars in English).
FLOOR_GREETING = "Hi, I am the support assistant. " + "Tell me what is happening. " * 3 + "Go on."
FLOOR_AT = "2026-01-01T00:00:00.000Z"  # the app's timestamps carry milliseconds


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # The paced phase's latencies_ms again, by kind: the messages that handed the
    # conversation to a person, and those the bot answered itself.
    handoff_latencies_ms: list[float] = field(default_factory=list)
    chat_latencies_ms: list[float] = field(default_factory=list)


# -- the echo server --------------------------------------------------------------------
async def echo_socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for frame in ws:
        if frame.type == aiohttp.WSMsgType.TEXT:
            await ws.send_str(frame.data)
    return ws


async def floor_socket(request: web.Request) -> web.WebSocketResponse:
    """The chat protocol with no store and no engine: the frames the app sends, no more."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    seq = turn = 0
    async for frame in ws:
        if frame.type != aiohttp.WSMsgType.TEXT:
            continue
        data = json.loads(frame.data)
        if data.get("type") == "hello":
            await ws.send_str(json.dumps({"type": "ready", "state": "bot", "case_ref": "F-1"}))
            seq = await _floor_messages(ws, seq, ("bot", FLOOR_GREETING))
            continue
        turn += 1
        ack = {"type": "ack", "client_id": data.get("client_id"), "seq": seq + 1}
        await ws.send_str(json.dumps(ack))
        answer = FLOOR_ANSWER if turn <= FLOOR_HANDOFF_TURN else FLOOR_WAITING_ANSWER
        seq = await _floor_messages(ws, seq, ("user", data.get("text")), ("bot", answer))
        if turn == FLOOR_HANDOFF_TURN:
            await ws.send_str(json.dumps({"type": "state", "state": "queued", "case_ref": "F-1"}))
    return ws


async def _floor_messages(
    ws: web.WebSocketResponse, seq: int, *messages: tuple[str, object]
) -> int:
    """Send (sender, text) messages numbered after `seq`; returns the last seq sent."""
    for sender, text in messages:
        seq += 1
        message = {"seq": seq, "sender": sender, "text": text, "at": FLOOR_AT}
        await ws.send_str(json.dumps({"type": "message", "message": message}))
    return seq


async def healthz(_request: web.Request) -> web.Response:
    # The pid tells the copies on one port apart (wait_every_copy).
    return web.json_response({"status": "ok", "pid": os.getpid()})


def echo_app() -> web.Application:
    """The echo server (/ws) and the protocol floor (/chat/ws)."""
    app = web.Application()
    app.router.add_get("/ws", echo_socket)
    app.router.add_get("/chat/ws", floor_socket)
    app.router.add_get("/healthz", healthz)
    return app


def serve_echo(port: int, *, reuse_port: bool = False) -> int:
    web.run_app(
        echo_app(),
        host="127.0.0.1",
        port=port,
        reuse_port=reuse_port,
        print=None,
        access_log=None,
    )
    return 0


async def wait_every_copy(url: str, copies: list[subprocess.Popen[bytes]], log_path: Path) -> None:
    """Wait until each copy of the echo server on the port has answered `url` itself.

    The kernel hands each new connection to one copy, so the health check is repeated on
    fresh connections until every copy's pid has been seen (or one of them died).
    """
    waiting = {copy.pid for copy in copies}
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while waiting and time.monotonic() < deadline:
        for copy in copies:
            if copy.poll() is not None:
                raise RuntimeError(f"an echo copy exited with {copy.returncode}:\n{tail(log_path)}")
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(4 * len(copies)):
                with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as resp:
                        waiting.discard((await resp.json()).get("pid"))
        if waiting:
            await asyncio.sleep(0.05)
    if waiting:
        raise RuntimeError(f"{len(waiting)} echo copies never answered on {url}:\n{tail(log_path)}")


# -- the client ---------------------------------------------------------------------------
@dataclass
class Person:
    index: int
    conversation_id: str = ""
    token: str = ""


async def create_people(base: str, count: int, first_index: int = 0) -> list[Person]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def create(i: int) -> Person:
        async with gate, session_from(i) as session:
            async with session.post(f"{base}/api/v1/conversations", json={"locale": "en"}) as resp:
                resp.raise_for_status()
                body = await resp.json()
        return Person(i, body["conversation_id"], body["token"])

    indices = range(first_index, first_index + count)
    return list(await asyncio.gather(*(create(i) for i in indices)))


async def open_socket(
    session: aiohttp.ClientSession, url: str, person: Person | None
) -> aiohttp.ClientWebSocketResponse:
    # No permessage-deflate: a browser would negotiate it, but aiohttp's client then
    # rejects some compressed frames ("non-zero reserved bits"), and the echo server
    # must be measured the same way as the app.
    ws = await session.ws_connect(url, max_msg_size=0, compress=0)
    if person is not None:
        await ws.send_json(
            {
                "type": "hello",
                "conversation_id": person.conversation_id,
                "token": person.token,
                "after": 0,
            }
        )
        while True:
            frame = await ws.receive_json(timeout=FRAME_TIMEOUT_S)
            if frame["type"] == "ready":
                break
            if frame["type"] == "error":
                raise RuntimeError(frame["error"]["code"])
    return ws


async def converse(
    ws: aiohttp.ClientWebSocketResponse, index: int, messages: int, bot: bool, tally: Tally
) -> None:
    """Send `messages` frames one after another; each waits for its ack (bot) or echo."""
    for n in range(messages):
        client_id = f"c{index}-{n}"
        text = TEXTS[(index + n) % len(TEXTS)]
        frame = {"type": "message", "text": text, "client_id": client_id}
        sent = time.perf_counter()
        await ws.send_json(frame)
        while True:
            got = await ws.receive_json(timeout=FRAME_TIMEOUT_S)
            if not bot and got.get("client_id") == client_id:
                break
            if bot and got.get("type") == "ack" and got.get("client_id") == client_id:
                break
            if bot and got.get("type") == "error":
                raise RuntimeError(got["error"]["code"])
        tally.latencies_ms.append((time.perf_counter() - sent) * 1000)


@contextlib.asynccontextmanager
async def connected(
    url: str, addresses: list[int], people: list[Person] | None, tally: Tally
) -> AsyncIterator[list[aiohttp.ClientWebSocketResponse | None]]:
    """One socket per loopback address, hello'd as people[i] when given (None where it
    failed, counted in `tally`); every socket and session is closed on the way out."""
    sessions = [session_from(address) for address in addresses]
    sockets: list[aiohttp.ClientWebSocketResponse | None] = [None] * len(addresses)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(i: int) -> None:
        async with gate:
            try:
                sockets[i] = await open_socket(sessions[i], url, people[i] if people else None)
            except Exception as exc:  # counted and reported, never fatal to the run
                tally.errors.append(f"connect: {type(exc).__name__} {exc}"[:200])

    try:
        await asyncio.gather(*(connect(i) for i in range(len(addresses))))
        yield sockets
    finally:
        for ws in sockets:
            if ws is not None:
                with contextlib.suppress(Exception):
                    await ws.close()
        for session in sessions:
            await session.close()


async def load(
    url: str, people: list[Person] | None, count: int, messages: int
) -> tuple[float, Tally]:
    """Open `count` sockets, then run every conversation at once; returns (msgs/s, tally)."""
    tally = Tally()

    async def run_one(i: int, ws: aiohttp.ClientWebSocketResponse | None) -> None:
        if ws is None:
            return
        try:
            await converse(ws, i, messages, people is not None, tally)
        except Exception as exc:  # counted and reported, never fatal to the run
            tally.errors.append(f"converse: {type(exc).__name__} {exc}"[:200])

    async with connected(url, list(range(count)), people, tally) as sockets:
        started = time.perf_counter()
        await asyncio.gather(*(run_one(i, ws) for i, ws in enumerate(sockets)))
        elapsed = time.perf_counter() - started
    return len(tally.latencies_ms) / elapsed, tally


async def paced(
    url: str, people: list[Person], pace_s: float, messages: int
) -> tuple[float, Tally]:
    """Each person sends `messages` at `pace_s` intervals, answered or not (open loop).

    Person i starts at i × pace_s / len(people): the load is spread evenly, as people who
    write at their own pace would spread it. Returns (answered msgs/s from the first send
    to the last answer, tally of send → ack latencies).
    """
    tally = Tally()
    count = len(people)
    last_answer = 0.0

    async def send_all(
        i: int, ws: aiohttp.ClientWebSocketResponse, sent_at: dict[str, float]
    ) -> None:
        for n in range(messages):
            due = start + i * pace_s / count + n * pace_s
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            client_id = f"p{people[i].index}-{n}"
            text = TEXTS[(i + n) % len(TEXTS)]
            sent_at[client_id] = time.perf_counter()
            await ws.send_json({"type": "message", "text": text, "client_id": client_id})

    async def read_acks(ws: aiohttp.ClientWebSocketResponse, sent_at: dict[str, float]) -> None:
        nonlocal last_answer
        answered = 0
        # The latest ack's latency, until the next frame says whether it handed off: the
        # app sends a post's ack, its messages, then any state it left the case in.
        pending: float | None = None
        while answered < messages or pending is not None:
            if answered < messages:
                got = await ws.receive_json()
            else:
                try:
                    got = await asyncio.wait_for(ws.receive_json(), timeout=STATE_WAIT_S)
                except TimeoutError:
                    got = {"type": "quiet"}
            if got.get("type") == "error":
                raise RuntimeError(got["error"]["code"])
            if got.get("type") == "state" and got.get("state") != "bot" and pending is not None:
                tally.handoff_latencies_ms.append(pending)
                pending = None
            elif got.get("type") in ("ack", "quiet") and pending is not None:
                tally.chat_latencies_ms.append(pending)
                pending = None
            if got.get("type") == "ack" and got.get("client_id") in sent_at:
                now = time.perf_counter()
                pending = (now - sent_at[got["client_id"]]) * 1000
                tally.latencies_ms.append(pending)
                last_answer = max(last_answer, now)
                answered += 1

    async def run_one(i: int, ws: aiohttp.ClientWebSocketResponse | None) -> None:
        if ws is None:
            return
        sent_at: dict[str, float] = {}
        reader = asyncio.create_task(read_acks(ws, sent_at))
        try:
            await send_all(i, ws, sent_at)
            await asyncio.wait_for(reader, timeout=max(0.0, deadline - time.perf_counter()))
        except Exception as exc:  # counted and reported, never fatal to the run
            tally.errors.append(f"paced: {type(exc).__name__} {exc}"[:200])
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    async with connected(url, [p.index for p in people], people, tally) as sockets:
        start = time.perf_counter()
        deadline = start + messages * pace_s + PACED_DRAIN_S
        await asyncio.gather(*(run_one(i, ws) for i, ws in enumerate(sockets)))
    elapsed = last_answer - start
    return (len(tally.latencies_ms) / elapsed if elapsed > 0 else 0.0), tally


async def idle_rss(
    url: str, people: list[Person], pid: int, count: int, first_index: int
) -> tuple[int, float]:
    """Open `count` idle, hello'd sockets; returns (opened, MB of app RSS per 1,000)."""
    await asyncio.sleep(SETTLE_S)
    before = rss_mb(pid)
    sessions = [session_from(first_index + k) for k in range(count)]
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(k: int) -> None:
        async with gate:
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError, RuntimeError):
                sockets.append(await open_socket(sessions[k], url, people[k % len(people)]))

    try:
        await asyncio.gather(*(connect(k) for k in range(count)))
        await asyncio.sleep(SETTLE_S)
        after = rss_mb(pid)
    finally:
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        for session in sessions:
            await session.close()
    opened = len(sockets)
    return opened, (after - before) * 1000 / opened if opened else float("nan")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="chat-load-") as tmp, processes() as started:
        workdir = Path(tmp)
        database_url = args.database_url or sqlite_url(workdir)
        if database_url.startswith("postgres"):
            database_url = await fresh_postgres(database_url)
        app_port, echo_port, slack_port = free_port(), free_port(), free_port()
        app_log, echo_log, slack_log = (workdir / f"{n}.log" for n in ("app", "echo", "slack"))
        started.append(
            spawn(
                [PYTHON, "-m", "bot", "slack-sandbox", "--port", str(slack_port)]
                + ["--events-url", f"http://127.0.0.1:{app_port}/slack/events"]
                + ["--signing-secret", BENCH_SIGNING_SECRET, "--bot-token", BENCH_BOT_TOKEN],
                env=app_env(database_url=database_url, port=slack_port),
                log_path=slack_log,
            )
        )
        await wait_healthy(f"http://127.0.0.1:{slack_port}/sandbox/", started[-1], slack_log)
        slack_api_url = f"http://127.0.0.1:{slack_port}/api/"
        env = app_env(database_url=database_url, port=app_port, slack_api_url=slack_api_url)
        env["WEB_WORKERS"] = str(args.workers)
        started.append(spawn_app(env, app_log))
        app_proc = started[-1]
        echo_args = ["--reuse-port"] if args.workers > 1 else []
        copies = [
            spawn(
                [PYTHON, __file__, "--serve-echo", str(echo_port), *echo_args],
                env=app_env(database_url=database_url, port=echo_port),
                log_path=echo_log,
            )
            for _ in range(args.workers)
        ]
        started.extend(copies)
        await wait_every_copy(f"http://127.0.0.1:{echo_port}/healthz", copies, echo_log)
        await wait_healthy(f"http://127.0.0.1:{app_port}/healthz", app_proc, app_log)
        c, m = args.conversations, args.messages
        note(f"echo: {c} sockets x {m} messages")
        echo_rate, echo = await load(f"http://127.0.0.1:{echo_port}/ws", None, c, m)
        note(f"floor: {c} sockets x {m} messages")
        nobody = [Person(i, "floor", "floor") for i in range(c)]
        floor_rate, floor = await load(f"http://127.0.0.1:{echo_port}/chat/ws", nobody, c, m)
        note(f"bot: creating {c} conversations")
        people = await create_people(f"http://127.0.0.1:{app_port}", c)
        note(f"bot: {c} sockets x {m} messages")
        bot_rate, bot = await load(f"http://127.0.0.1:{app_port}/chat/ws", people, c, m)
        note(f"idle: {args.idle_sockets} sockets")
        opened, per_1000 = await idle_rss(
            f"http://127.0.0.1:{app_port}/chat/ws", people, app_proc.pid, args.idle_sockets, c
        )
        p, n, pace_s = args.paced_conversations, args.paced_messages, args.pace_s
        note(f"paced: creating {p} conversations")
        # Fresh people, on addresses of their own: nothing they do spends another's budget.
        paced_people = await create_people(
            f"http://127.0.0.1:{app_port}", p, first_index=c + args.idle_sockets
        )
        note(f"paced: {p} sockets x {n} messages, one every {pace_s:g} s")
        paced_rate, steady = await paced(
            f"http://127.0.0.1:{app_port}/chat/ws", paced_people, pace_s, n
        )
    return {
        "conversations": c,
        "messages": len(bot.latencies_ms),
        "bot_msgs_per_s": round(bot_rate, 1),
        "echo_msgs_per_s": round(echo_rate, 1),
        "ratio": round(bot_rate / echo_rate, 3) if echo_rate else None,
        "floor_msgs_per_s": round(floor_rate, 1),
        "floor_ratio": round(floor_rate / echo_rate, 3) if echo_rate else None,
        "answer_budget_us": answer_budget_us(echo_rate, floor_rate),
        "p50_ms": round(percentile(bot.latencies_ms, 0.50), 1),
        "p99_ms": round(percentile(bot.latencies_ms, 0.99), 1),
        "echo_p99_ms": round(percentile(echo.latencies_ms, 0.99), 1),
        "errors": len(bot.errors) + len(echo.errors) + len(floor.errors),
        "error_samples": (bot.errors + echo.errors + floor.errors)[:3],
        "idle_sockets": opened,
        "rss_mb_per_1000_idle_sockets": round(per_1000, 1),
        "database": "postgresql" if database_url.startswith("postgres") else "sqlite",
        "workers": args.workers,
        "paced_conversations": p,
        "pace_s": pace_s,
        "paced_messages": len(steady.latencies_ms),
        "paced_msgs_per_s": round(paced_rate, 1),
        "paced_p50_ms": round(percentile(steady.latencies_ms, 0.50), 1),
        "paced_p99_ms": round(percentile(steady.latencies_ms, 0.99), 1),
        "paced_chat_p99_ms": p99(steady.chat_latencies_ms),
        "paced_handoffs": len(steady.handoff_latencies_ms),
        "paced_handoff_p99_ms": p99(steady.handoff_latencies_ms),
        "paced_errors": len(steady.errors),
        "paced_error_samples": steady.errors[:3],
    }


def p99(latencies_ms: list[float]) -> float | None:
    """The 99th percentile, rounded; None (JSON null) for none at all."""
    return round(percentile(latencies_ms, 0.99), 1) if latencies_ms else None


def answer_budget_us(echo_rate: float, floor_rate: float) -> float | None:
    """Microseconds per message the ratio target leaves for storing and answering.

    At the target, one message may take 1 / (TARGET_RATIO × echo rate) of the closed
    loop's time; the protocol alone takes 1 / floor rate of it.
    """
    if not echo_rate or not floor_rate:
        return None
    return round((1 / (TARGET_RATIO * echo_rate) - 1 / floor_rate) * 1e6, 1)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--messages", type=int, default=8, help="per conversation (<= 10)")
    parser.add_argument("--idle-sockets", type=int, default=1000)
    parser.add_argument("--paced-conversations", type=int, default=500)
    parser.add_argument(
        "--pace-s", type=float, default=5.0, help="seconds between a paced person's messages"
    )
    parser.add_argument(
        "--paced-messages", type=int, default=4, help="per paced conversation (<= 10)"
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--workers", type=int, default=1, help="processes per server (PostgreSQL only)"
    )
    parser.add_argument(
        "--short", action="store_true", help="50 conversations, 200 idle, 50 paced x 4 (every 2 s)"
    )
    parser.add_argument("--serve-echo", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        return serve_echo(args.serve_echo, reuse_port=args.reuse_port)
    on_postgres = (args.database_url or "").startswith("postgres")
    if args.workers < 1 or (args.workers > 1 and not on_postgres):
        parser.error("--workers above 1 needs --database-url postgresql://...")
    if args.short:
        args.conversations, args.messages, args.idle_sockets = 50, 5, 200
        # Four paced messages, so that the short run's people hand off too.
        args.paced_conversations, args.paced_messages, args.pace_s = 50, 4, 2.0
    emit(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
