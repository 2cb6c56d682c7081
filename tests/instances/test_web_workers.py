"""WEB_WORKERS: `python -m bot` as several processes on one port, as on a multi-core dyno.

The app runs as a real subprocess (the Procfile's command) against PostgreSQL and a Slack
fake in this test process; the kernel spreads connections across the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from bot.routing import load_routing
from bot.slack_fake import SlackFake
from tests.conftest import TEST_SIGNING_SECRET
from tests.instances.test_two_instances import next_message
from tests.support import Person, handed_off

ROOT = Path(__file__).resolve().parents[2]
SLACK_TOKEN = "xoxb-test-workers"
CHANNEL = "support-general"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def app_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        ENVIRONMENT="test",
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=database_url,
        TOKEN_SECRET="test-token-secret-0123456789abcdef",
        SLACK_SIGNING_SECRET=TEST_SIGNING_SECRET,
        AUTO_MIGRATE="0",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def workers_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def connections(pid: int, port: int) -> set[int]:
    """The client ports of the established connections process `pid` holds on `port`."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    peers = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                peers.add(int(remote.rsplit(":", 1)[1], 16))
    return peers


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    slack: SlackFake
    http: aiohttp.ClientSession
    log: Path

    def person(self) -> Person:
        return Person(self.http)  # type: ignore[arg-type]  # the same calls as a TestClient

    async def socket(self, person: Person, after: int = 0) -> aiohttp.ClientWebSocketResponse:
        ws = await self.http.ws_connect("/chat/ws")
        await ws.send_json(
            {
                "type": "hello",
                "conversation_id": person.conversation_id,
                "token": person.token,
                "after": after,
            }
        )
        assert (await ws.receive_json(timeout=5))["type"] == "ready"
        return ws

    def worker_holding(self, ws: aiohttp.ClientWebSocketResponse) -> int:
        transport = ws._response.connection.transport  # type: ignore[union-attr]
        client_port = transport.get_extra_info("sockname")[1]
        [pid] = [w for w in workers_of(self.proc.pid) if client_port in connections(w, self.port)]
        return pid


async def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share a database and a bus: PostgreSQL")
    slack = SlackFake(
        signing_secret=TEST_SIGNING_SECRET,
        bot_token=SLACK_TOKEN,
        channels=load_routing().channels(),
    )
    api_url = await slack.start()
    port = free_port()
    env = app_env(
        database_url,
        port,
        WEB_WORKERS="2",
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_API_URL=api_url,
    )
    # As the Procfile does: the release phase migrates, then the web processes start.
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    slack.events_url = f"http://127.0.0.1:{port}/slack/events"
    http = aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(workers_of(proc.pid)) < 2 or not await healthy(http):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            await asyncio.sleep(0.1)
        yield Served(proc=proc, port=port, slack=slack, http=http, log=log)
    finally:
        await http.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)
        await slack.stop()


async def healthy(http: aiohttp.ClientSession) -> bool:
    with contextlib.suppress(aiohttp.ClientError, OSError):
        async with http.get("/healthz") as response:
            return response.status == 200
    return False


async def test_workers_share_the_port_and_one_killed_is_replaced_without_losing_a_reply(
    served: Served,
) -> None:
    person, card, _ref = await handed_off(served.http, served.slack)  # type: ignore[arg-type]
    # Sixteen more people connect; the kernel spreads them over both workers.
    others = [served.person() for _ in range(16)]
    for other in others:
        await other.start(locale="en-US")
    sockets = [await served.socket(other) for other in others]
    ws = await served.socket(person)
    try:
        held = [served.worker_holding(s) for s in [*sockets, ws]]
        assert sorted(set(held)) == sorted(workers_of(served.proc.pid))

        # Slack's events reach whichever worker the kernel picks; the reply reaches the
        # person's socket on theirs.
        await served.slack.click(user="U0AGENT1", channel=CHANNEL, ts=card["ts"], action_id="claim")
        await next_message(ws, lambda m: m["sender"] == "system")
        await served.slack.post(user="U0AGENT1", channel=CHANNEL, thread_ts=card["ts"], text="Hi")
        first = await next_message(ws, lambda m: m["sender"] == "agent")
        assert first["text"] == "Hi"

        # The worker holding the person's socket dies; another takes its place.
        doomed = served.worker_holding(ws)
        os.kill(doomed, signal.SIGKILL)
        await wait_until(
            lambda: (
                doomed not in workers_of(served.proc.pid) and len(workers_of(served.proc.pid)) == 2
            ),
            10,
            "no worker replaced the one that died",
        )
        gone = await ws.receive(timeout=5)
        assert gone.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR)
        await served.slack.post(
            user="U0AGENT1", channel=CHANNEL, thread_ts=card["ts"], text="Still here?"
        )
        # The widget reconnects and says what it has seen: it gets the rest, once.
        again = await served.socket(person, after=first["seq"])
        try:
            second = await next_message(again, lambda m: True)
            assert (second["sender"], second["text"], second["seq"]) == (
                "agent",
                "Still here?",
                first["seq"] + 1,
            )
        finally:
            await again.close()
        assert "starting it again" in served.log.read_text()
    finally:
        for s in [*sockets, ws]:
            await s.close()


@pytest.mark.parametrize("to_every_process", [False, True], ids=["to-parent", "as-heroku"])
async def test_sigterm_stops_every_worker_and_exits_cleanly(
    served: Served, to_every_process: bool
) -> None:
    workers = workers_of(served.proc.pid)
    assert len(workers) == 2
    if to_every_process:  # Heroku's dyno manager signals every process of the dyno
        os.killpg(served.proc.pid, signal.SIGTERM)
    else:
        served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=STOP_TIMEOUT_S) == 0
    for pid in workers:  # reaped by the parent before it exited
        assert not Path(f"/proc/{pid}").exists()
    with pytest.raises(aiohttp.ClientConnectionError):
        await served.http.get("/healthz")
    log = served.log.read_text()
    assert "Traceback" not in log and "did not stop" not in log


@pytest.mark.parametrize(
    ("database", "slack", "reason"),
    [
        ("sqlite+aiosqlite:///{tmp}/bot.db", {"SLACK_BOT_TOKEN": "xoxb-t"}, "PostgreSQL"),
        ("postgresql+asyncpg://postgres@127.0.0.1:1/none", {}, "SLACK_BOT_TOKEN"),
    ],
)
def test_several_workers_where_they_cannot_work_is_refused_at_start(
    tmp_path: Path, database: str, slack: dict[str, str], reason: str
) -> None:
    port = free_port()
    env = app_env(database.format(tmp=tmp_path), port, WEB_WORKERS="2", **slack)
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    error = done.stderr.decode()
    assert "WEB_WORKERS=2" in error and reason in error
    with socket.socket() as probe:  # nothing was left listening
        assert probe.connect_ex(("127.0.0.1", port)) != 0


async def test_workers_on_an_unmigrated_database_stop_with_the_reason(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL")
    env = app_env(
        database_url,
        free_port(),
        WEB_WORKERS="2",
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_API_URL="http://127.0.0.1:1/api/",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2  # the workers are not started again and again
    output = done.stdout.decode() + done.stderr.decode()
    assert "python -m bot migrate" in output
    assert "starting it again" not in output
