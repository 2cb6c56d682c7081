"""`python -m bot` as the Procfile runs it, in a real subprocess: stopping cleanly with
people connected, and WEB_WORKERS (several processes on one port, as on a multi-core dyno).

The workers' tests run against PostgreSQL and a Slack fake in this test process; the
kernel spreads connections across the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType

from benchmarks._common import free_port
from bot.cli import serve as serve_cli
from bot.routing import load_routing
from bot.slack_fake import SlackFake
from tests.conftest import TEST_SIGNING_SECRET
from tests.instances.test_two_instances import next_message
from tests.support import Person, handed_off, open_socket

ROOT = Path(__file__).resolve().parents[2]
SLACK_TOKEN = "xoxb-test-workers"
CHANNEL = "support-general"
START_TIMEOUT_S = 60.0
# The server waits at most 10 s for requests in flight (bot/cli/serve.py); chat sockets
# are closed at once, so a stop takes well under that.
STOPS_WITHIN_S = 8.0
WAIT_S = 40.0  # past the supervisor's 25 s grace, so a stuck worker shows in its log

pytestmark = pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="needs Linux's /proc/PID/task/PID/children",
)


def app_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(
        ENVIRONMENT="test",
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=database_url,
        TOKEN_SECRET="test-token-secret-0123456789abcdef",
        SLACK_SIGNING_SECRET=TEST_SIGNING_SECRET,
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def workers_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def tcp_sockets(pid: int, port: int, state: str) -> set[int]:
    """The remote ports of process `pid`'s TCP sockets on local `port` in `state`
    ("01" established, "0A" listening), read from /proc."""
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
            local, remote, st, inode = fields[1], fields[2], fields[3], fields[9]
            if st == state and int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                peers.add(int(remote.rsplit(":", 1)[1], 16))
    return peers


def all_listening(parent: int, port: int, count: int) -> bool:
    workers = workers_of(parent)
    return len(workers) == count and all(tcp_sockets(w, port, "0A") for w in workers)


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def open_chat(http: aiohttp.ClientSession, person: Person, after: int = 0) -> Chat:
    return Chat(await open_socket(http, person, after))


@dataclass
class Chat:
    ws: aiohttp.ClientWebSocketResponse

    @property
    def client_port(self) -> int:
        return int(self.ws.get_extra_info("sockname")[1])

    async def closed_by_server(self) -> int | None:
        """Wait for the server's close; the code in its close frame (None: no frame, the
        connection just dropped)."""
        while True:
            frame = await self.ws.receive(timeout=WAIT_S)
            if frame.type == WSMsgType.CLOSE:
                return int(frame.data)
            if frame.type in (WSMsgType.CLOSED, WSMsgType.ERROR):
                return None


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    http: aiohttp.ClientSession
    log: Path

    def worker_holding(self, chat: Chat) -> int:
        [pid] = [
            w
            for w in workers_of(self.proc.pid)
            if chat.client_port in tcp_sockets(w, self.port, "01")
        ]
        return pid

    async def people_connected(self, count: int) -> list[Chat]:
        chats = []
        for _ in range(count):
            person = Person(self.http)  # type: ignore[arg-type]  # the calls of a TestClient
            await person.start(locale="en-US")
            chats.append(await open_chat(self.http, person))
        return chats

    async def stop(self, sig: signal.Signals = signal.SIGTERM, *, group: bool = False) -> float:
        """Signal the server (or, as Heroku does, every process of it); seconds to exit 0."""
        started = time.monotonic()
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        assert await asyncio.to_thread(self.proc.wait, WAIT_S) == 0, self.log.read_text()
        return time.monotonic() - started


@contextlib.asynccontextmanager
async def serving(env: dict[str, str], log: Path, workers: int) -> AsyncIterator[Served]:
    port = int(env["PORT"])
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    http = aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}")
    try:
        ready = (
            (lambda: bool(tcp_sockets(proc.pid, port, "0A")))
            if workers == 1
            else (lambda: all_listening(proc.pid, port, workers))
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            await asyncio.sleep(0.1)
        yield Served(proc=proc, port=port, http=http, log=log)
    finally:
        await http.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=WAIT_S)


@pytest.fixture
async def slack() -> AsyncIterator[SlackFake]:
    fake = SlackFake(
        signing_secret=TEST_SIGNING_SECRET,
        bot_token=SLACK_TOKEN,
        channels=load_routing().channels(),
    )
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def workers(database_url: str, tmp_path: Path, slack: SlackFake) -> AsyncIterator[Served]:
    """`python -m bot` with WEB_WORKERS=2 on PostgreSQL, Slack's events sent to its port."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share a database and a bus: PostgreSQL")
    port = free_port()
    assert slack.base_url is not None
    env = app_env(
        database_url,
        port,
        WEB_WORKERS="2",
        AUTO_MIGRATE="0",
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_API_URL=slack.base_url,
    )
    # As the Procfile does: the release phase migrates, then the web processes start.
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=ROOT, env=env, check=True)
    slack.events_url = f"http://127.0.0.1:{port}/slack/events"
    async with serving(env, tmp_path / "app.log", workers=2) as served:
        yield served


async def test_one_process_with_people_connected_stops_at_once_and_they_are_told(
    tmp_path: Path,
) -> None:
    # `make run`'s setup: SQLite and the built-in Slack sandbox, one process.
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/bot.db", free_port())
    async with serving(env, tmp_path / "app.log", workers=1) as served:
        chats = await served.people_connected(3)
        took = await served.stop()
        assert [await chat.closed_by_server() for chat in chats] == [WSCloseCode.GOING_AWAY] * 3
        assert took < STOPS_WITHIN_S


async def test_workers_share_the_port_and_one_killed_is_replaced_without_losing_a_reply(
    workers: Served, slack: SlackFake
) -> None:
    person, card, _ref = await handed_off(workers.http, slack)  # type: ignore[arg-type]
    # Sixteen more people connect; the kernel spreads them over both workers.
    others = await workers.people_connected(16)
    chat = await open_chat(workers.http, person)
    held = [workers.worker_holding(c) for c in [*others, chat]]
    assert sorted(set(held)) == sorted(workers_of(workers.proc.pid))

    # Slack's events reach whichever worker the kernel picks; the reply reaches the
    # person's socket on theirs.
    await slack.click(user="U0AGENT1", channel=CHANNEL, ts=card["ts"], action_id="claim")
    await next_message(chat.ws, lambda m: m["sender"] == "system")
    await slack.post(user="U0AGENT1", channel=CHANNEL, thread_ts=card["ts"], text="Hi")
    first = await next_message(chat.ws, lambda m: m["sender"] == "agent")
    assert first["text"] == "Hi"

    # The worker holding the person's socket dies; another takes its place on the port.
    doomed = workers.worker_holding(chat)
    os.kill(doomed, signal.SIGKILL)
    await wait_until(
        lambda: (
            doomed not in workers_of(workers.proc.pid)
            and all_listening(workers.proc.pid, workers.port, 2)
        ),
        START_TIMEOUT_S,
        "no worker replaced the one that died",
    )
    assert await chat.closed_by_server() is None  # it died: no goodbye
    await slack.post(user="U0AGENT1", channel=CHANNEL, thread_ts=card["ts"], text="Still here?")
    # The widget reconnects and says what it has seen: it gets the rest, once.
    again = await open_chat(workers.http, person, after=first["seq"])
    second = await next_message(again.ws, lambda m: True)
    assert (second["sender"], second["text"], second["seq"]) == (
        "agent",
        "Still here?",
        first["seq"] + 1,
    )
    assert "starting it again" in workers.log.read_text()
    for c in [*others, again]:
        await c.ws.close()


@pytest.mark.parametrize("to_every_process", [False, True], ids=["to-parent", "as-heroku"])
async def test_sigterm_stops_every_worker_at_once_with_people_connected(
    workers: Served, to_every_process: bool
) -> None:
    pids = workers_of(workers.proc.pid)
    chats = await workers.people_connected(16)
    assert {workers.worker_holding(c) for c in chats} == set(pids)
    # Heroku's dyno manager signals every process of the dyno, the parent forwards it too.
    took = await workers.stop(group=to_every_process)
    assert [await c.closed_by_server() for c in chats] == [WSCloseCode.GOING_AWAY] * 16
    assert took < STOPS_WITHIN_S
    for pid in pids:  # reaped by the parent before it exited
        assert not Path(f"/proc/{pid}").exists()
    log = workers.log.read_text()
    assert "Traceback" not in log and "did not stop" not in log


@pytest.mark.parametrize(
    ("database", "slack_env", "reason"),
    [
        ("sqlite+aiosqlite:///{tmp}/bot.db", {"SLACK_BOT_TOKEN": "xoxb-t"}, "PostgreSQL"),
        ("postgresql+asyncpg://postgres@127.0.0.1:1/none", {}, "SLACK_BOT_TOKEN"),
    ],
)
def test_several_workers_where_they_cannot_work_are_refused_at_start(
    tmp_path: Path, database: str, slack_env: dict[str, str], reason: str
) -> None:
    env = app_env(database.format(tmp=tmp_path), free_port(), WEB_WORKERS="2", **slack_env)
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    error = done.stderr.decode()
    assert "WEB_WORKERS=2" in error and reason in error
    assert "worker 0 started" not in done.stdout.decode() + error


def workers_env(database_url: str) -> dict[str, str]:
    return app_env(
        database_url,
        free_port(),
        WEB_WORKERS="2",
        AUTO_MIGRATE="0",
        SLACK_BOT_TOKEN=SLACK_TOKEN,
        SLACK_API_URL="http://127.0.0.1:1/api/",
    )


async def test_workers_on_an_unmigrated_database_stop_with_the_reason(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL")
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=workers_env(database_url),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2  # the workers are not started again and again
    output = done.stdout.decode() + done.stderr.decode()
    assert "python -m bot migrate" in output
    assert "starting it again" not in output


def test_workers_that_cannot_reach_the_database_stop_the_dyno_after_three_tries() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=workers_env("postgresql+asyncpg://postgres@127.0.0.1:1/none"),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1
    output = done.stdout.decode() + done.stderr.decode()
    assert "failed to start 3 times" in output
    # Each worker is tried again until one of them has failed three times.
    assert 2 <= output.count("starting it again") <= 4


# A supervisor of workers that report when they are up and stop only when signalled
# (or, with "stubborn", never: they ignore SIGTERM).
FAKE_WORKERS = textwrap.dedent(
    """
    import os, signal, sys, time
    import bot.workers
    from bot.workers import Supervisor

    bot.workers.STOP_GRACE_S = 1.0

    def serve(slot):
        if sys.argv[2] == "stubborn":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.write(1, f"up {os.getpid()}\\n".encode())  # one write: the workers share the pipe
        while True:
            time.sleep(1)

    sys.exit(Supervisor(int(sys.argv[1]), serve).run())
    """
)


@contextlib.contextmanager
def fake_workers(count: int, kind: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", FAKE_WORKERS, str(count), kind],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever a failure left behind
        proc.communicate()


def pids_up(first_line: str, rest: str) -> list[int]:
    return [int(line.split()[1]) for line in [first_line, *rest.splitlines()] if line]


@pytest.mark.parametrize("round_", range(5))
def test_a_stop_while_workers_are_starting_leaves_none_behind(round_: int) -> None:
    with fake_workers(12, "polite") as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first worker is up, others are forking
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=WAIT_S)
        assert proc.returncode == 0
        assert not [pid for pid in pids_up(first, rest) if Path(f"/proc/{pid}").exists()]


def test_workers_that_do_not_stop_in_time_are_killed() -> None:
    with fake_workers(2, "stubborn") as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        rest, errors = proc.communicate(timeout=WAIT_S)
        assert proc.returncode == 1
        assert errors.count("did not stop in 1 s; killing it") == 2
        assert not [p for p in pids_up(first, second + rest) if Path(f"/proc/{p}").exists()]


def test_the_server_freezes_its_start_up_state_and_collects_the_old_generation_rarely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full collection walks every socket's objects: 50-150 ms with 1,500 open, in the
    # middle of people's messages (bot/cli/serve.py). The process must start with the
    # engine's objects frozen and full collections a tenth as often as Python's default.
    seen: dict[str, object] = {}

    def record(settings: object, engine: object, *, worker: bool = False) -> int:
        seen["threshold"] = gc.get_threshold()
        seen["frozen"] = gc.get_freeze_count()
        return 0

    for key, value in app_env(f"sqlite+aiosqlite:///{tmp_path}/bot.db", free_port()).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(serve_cli, "serve", record)
    before = gc.get_threshold()
    try:
        assert serve_cli.run(argparse.Namespace(port=None)) == 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    young, middle, full = seen["threshold"]  # type: ignore[misc]
    assert (young, middle) == before[:2]
    assert full == 10 * before[2]
    assert seen["frozen"] > 100_000  # the engine's models and lexicons


def test_a_slack_app_token_is_said_to_be_unused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Socket Mode is not built: an ops lead who sets SLACK_APP_TOKEN, expecting Slack to
    need no request URL, is told at start where Slack must send its events."""
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/bot.db", free_port())
    for key, value in {**env, "SLACK_APP_TOKEN": "xapp-1-A0-0-deadbeef"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(serve_cli, "serve", lambda *_args, **_kwargs: 0)
    before = gc.get_threshold()
    try:
        assert serve_cli.run(argparse.Namespace(port=None)) == 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    errors = capfd.readouterr().err
    assert "SLACK_APP_TOKEN is set but not used" in errors and "/slack/events" in errors
    assert "deadbeef" not in errors


@pytest.mark.parametrize(
    ("database", "reason"),
    [
        ("postgresql://postgres:hunter2-secret@127.0.0.1:1/none", "Connect call failed"),
        ("sqlite+aiosqlite:////nonexistent-folder/bot.db", "unable to open database file"),
    ],
    ids=["nothing listening", "a folder that does not exist"],
)
@pytest.mark.parametrize("command", [[], ["migrate"], ["purge", "--dry-run"]])
def test_a_database_that_cannot_be_opened_is_one_line_of_error(
    database: str, reason: str, command: list[str]
) -> None:
    """The release phase or a dyno whose database is away says so in one line a log
    drain shows whole, not in a traceback, and never with the URL's password."""
    env = app_env(database, free_port(), SLACK_BOT_TOKEN="xoxb-t", AUTO_MIGRATE="1")
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 1
    errors = done.stderr.decode()
    [line] = [line for line in errors.splitlines() if line.startswith("error:")]
    assert "cannot open the database" in line and reason in line
    assert "Traceback" not in errors and "hunter2" not in errors + done.stdout.decode()


def test_an_address_that_does_not_resolve_elsewhere_is_not_blamed_on_the_database(
    tmp_path: Path,
) -> None:
    """The database opened and migrated; a HOST with a typo is what failed. The ops lead
    must not be sent to look at DATABASE_URL."""
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/bot.db", free_port())
    env["HOST"] = "no-such-host.invalid"
    done = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    errors = done.stderr.decode()
    assert done.returncode != 0
    assert "cannot open the database" not in errors
    assert "gaierror" in errors and "Name or service not known" in errors
