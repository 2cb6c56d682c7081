"""What the benchmarks share: app subprocesses, loopback client addresses, percentiles, output.

Every process started here runs in its own process group and is stopped through
`stop_process` (SIGTERM, then SIGKILL), which the benchmarks call from `finally`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# A placeholder that is never a real secret; the app refuses short ones only in production.
BENCH_TOKEN_SECRET = "bench-token-secret-0123456789abcdef"
BENCH_SIGNING_SECRET = "bench-signing-secret"
BENCH_BOT_TOKEN = "xoxb-bench-token"

# Importing scikit-learn alone takes 10 s on a busy two-core machine.
STARTUP_TIMEOUT_S = 120.0
STOP_GRACE_S = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def loopback_address(index: int) -> str:
    """A distinct 127.x.y.z source address per simulated person.

    The app limits requests per client IP (bot/app.py: 5/s, burst 30), as it should in
    production where every person has their own address. Linux answers on all of
    127.0.0.0/8, so giving each simulated person its own loopback address reproduces
    that without leaving the machine and without loosening the app's limits.
    """
    if not 0 <= index < 250 * 250 * 250:
        raise ValueError("index out of range")
    a, rest = divmod(index, 250 * 250)
    b, c = divmod(rest, 250)
    return f"127.{a}.{b + 1}.{c + 1}"


def session_from(index: int, **kwargs: Any) -> aiohttp.ClientSession:
    """A client session whose connections come from `loopback_address(index)`."""
    connector = aiohttp.TCPConnector(local_addr=(loopback_address(index), 0), limit=0)
    return aiohttp.ClientSession(connector=connector, **kwargs)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def emit(result: dict[str, Any]) -> None:
    """The one JSON object on stdout; everything else goes to stderr."""
    print(json.dumps(result, sort_keys=False), flush=True)  # noqa: T201


def note(message: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def app_env(
    *,
    database_url: str,
    port: int,
    slack_api_url: str | None = None,
    bot_token: str | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment `python -m bot` reads (bot/settings.py), nothing inherited from .env."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    }
    env.update(
        {
            "ENVIRONMENT": "test",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": database_url,
            "TOKEN_SECRET": BENCH_TOKEN_SECRET,
            "SLACK_SIGNING_SECRET": BENCH_SIGNING_SECRET,
            "AUTO_MIGRATE": "1",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if slack_api_url:
        env["SLACK_API_URL"] = slack_api_url
        env["SLACK_BOT_TOKEN"] = bot_token or BENCH_BOT_TOKEN
    if extra:
        env.update(extra)
    return env


# linux/prctl.h
PR_SET_PDEATHSIG = 1


def _own_group_dies_with_parent() -> None:
    """In the child: a process group of its own, and SIGTERM when the benchmark dies.

    `finally` stops children on errors; this also covers a benchmark that is itself
    killed (a CI timeout's SIGKILL), which runs no `finally`.
    """
    import ctypes

    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(args: list[str], *, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own group (so the whole group can be stopped), logging to a file."""
    log = log_path.open("ab")
    try:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_own_group_dies_with_parent,
        )
    finally:
        log.close()  # the child holds its own descriptor


def spawn_app(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    return spawn([PYTHON, "-m", "bot"], env=env, log_path=log_path)


def stop_process(proc: subprocess.Popen[bytes] | None, *, hard: bool = False) -> None:
    """Stop a process group started by `spawn`: SIGTERM (or SIGKILL when hard), then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL if hard else signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_GRACE_S)


@contextlib.contextmanager
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """A list to put started processes in; every one is stopped on the way out."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for proc in reversed(started):
            stop_process(proc)


async def wait_healthy(
    url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = STARTUP_TIMEOUT_S
) -> None:
    """Poll `url` until it answers 200; fail with the log's tail if the process dies first."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{url} exited with {proc.returncode}:\n{tail(log_path)}")
            with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} not healthy within {timeout:.0f}s:\n{tail(log_path)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (VmRSS in /proc/PID/status), in MB.

    The children are an app's WEB_WORKERS: each holds the sockets it accepted.
    """
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024 + sum(rss_mb(int(child)) for child in children)
    raise RuntimeError(f"no VmRSS for {pid}")


def raise_fd_limit() -> None:
    """Thousands of sockets need more descriptors than the usual soft limit of 1024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    del soft


def sqlite_url(directory: Path) -> str:
    return f"sqlite+aiosqlite:///{directory}/bench.db"


async def fresh_postgres(url: str) -> str:
    """Drop and recreate the database named in `url` (never one the tests use); returns url."""
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, name = dsn.rpartition("/")
    if name in ("", "postgres", "test"):
        raise ValueError("give the benchmarks their own database name, e.g. .../bench")
    admin = await asyncpg.connect(f"{base}/postgres", timeout=5)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)
