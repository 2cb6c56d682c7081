"""Several server processes on one port (WEB_WORKERS), for a dyno with several cores.

One asyncio process keeps one core busy. The parent loads the conversation engine once and
forks the workers, so they share its memory pages; each worker then builds its own app (its
own database pool, its own LISTEN connection) and listens on PORT with SO_REUSEPORT, the
kernel spreading new connections across them. To the rest of the system a worker is one
more instance (README "Several instances").

A worker that dies is started again. One that cannot start (exit code 2: the database is
not migrated) stops them all, as does one that keeps dying within seconds of starting.
SIGTERM or SIGINT to the parent stops every worker gracefully. On Heroku the dyno manager
sends SIGTERM to every process of the dyno at once, so a worker hears it twice: it stops on
the first and ignores the rest (aiohttp's own handler would cut its shutdown short).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable

from aiohttp import web

log = logging.getLogger(__name__)

EXIT_MISCONFIGURED = 2
# A worker that exits sooner than this after starting failed to start; this many such
# exits in a row of one worker stop the dyno rather than restart it forever.
QUICK_EXIT_S = 10.0
MAX_QUICK_EXITS = 3
# Heroku sends SIGKILL 30 s after SIGTERM; workers left running after this are killed.
STOP_GRACE_S = 25.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Supervisor:
    """Runs `serve(slot)` in `count` forked processes and keeps them running.

    Args:
        count: the number of workers.
        serve: runs one worker's server until it is stopped; returns its exit code.
    """

    def __init__(self, count: int, serve: Callable[[int], int]) -> None:
        self.count = count
        self.serve = serve
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (slot, started at)
        self.quick_exits = [0] * count
        self.stopping = False
        self.exit_code = 0

    def run(self) -> int:
        for slot in range(self.count):
            self._start(slot)
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_stop_signal)
        while self.children and not self.stopping:
            with contextlib.suppress(ChildProcessError):
                pid, status = os.wait()
                self._exited(pid, os.waitstatus_to_exitcode(status))
        self._wait_for_all()
        return self.exit_code

    def _start(self, slot: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                for signum in STOP_SIGNALS:
                    signal.signal(signum, signal.SIG_DFL)
                code = self.serve(slot)
            except BaseException:
                log.exception("worker %d failed", slot)
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = (slot, time.monotonic())
        log.info("worker %d started (pid %d)", slot, pid)

    def _exited(self, pid: int, code: int) -> None:
        slot, started = self.children.pop(pid, (-1, 0.0))
        if slot < 0 or self.stopping:
            return
        if code == EXIT_MISCONFIGURED:
            log.error("worker %d cannot start (exit code %d); stopping", slot, code)
            self._stop(code)
            return
        quick = time.monotonic() - started < QUICK_EXIT_S
        self.quick_exits[slot] = self.quick_exits[slot] + 1 if quick else 0
        if self.quick_exits[slot] >= MAX_QUICK_EXITS:
            log.error(
                "worker %d failed to start %d times (last exit: %d); stopping",
                slot,
                MAX_QUICK_EXITS,
                code,
            )
            self._stop(1)
            return
        log.warning("worker %d (pid %d) exited with %d; starting it again", slot, pid, code)
        self._start(slot)

    def _on_stop_signal(self, signum: int, _frame: object) -> None:
        self._stop(0)

    def _stop(self, code: int) -> None:
        if not self.stopping:
            self.stopping = True
            self.exit_code = code
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _wait_for_all(self) -> None:
        deadline = time.monotonic() + STOP_GRACE_S
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self._exited(pid, os.waitstatus_to_exitcode(status))
            elif time.monotonic() > deadline:
                for late in list(self.children):
                    log.error(
                        "worker pid %d did not stop in %.0f s; killing it", late, STOP_GRACE_S
                    )
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(late, signal.SIGKILL)
                deadline = float("inf")
            else:
                time.sleep(0.05)


async def stop_on_first_signal(_app: web.Application) -> None:
    """An app start-up hook: the first SIGTERM or SIGINT stops the server gracefully, and
    later ones are ignored instead of cutting that shutdown short."""
    loop = asyncio.get_running_loop()
    heard = False

    def stop() -> None:
        # Two signals close together are both queued before either runs: hence the flag.
        nonlocal heard
        if not heard:
            heard = True
            raise web.GracefulExit()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop)
