"""Several server processes on one port (WEB_WORKERS), for a dyno with several cores.

One asyncio process keeps one core busy. The parent loads the conversation engine once and
forks the workers, so they share its memory pages; each worker then builds its own app (its
own database pool, its own LISTEN connection) and listens on PORT with SO_REUSEPORT, the
kernel spreading new connections across them. To the rest of the system a worker is one
more instance (README "Several instances").

A worker that dies is started again. One that cannot start (exit code 2: the database is
not migrated) stops them all, as does one that keeps dying within seconds of starting
(the database unreachable, say): the dyno then exits and its platform restarts it.
SIGTERM or SIGINT to the parent stops every worker gracefully. On Heroku the dyno manager
sends SIGTERM to every process of the dyno at once, so a worker hears it twice: it stops on
the first and ignores the rest (aiohttp's own handler would cut its shutdown short).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
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
# exits in a row of one worker stop the dyno (exit 1, and Heroku restarts it) rather than
# restart the worker forever.
QUICK_EXIT_S = 10.0
MAX_QUICK_EXITS = 3
# Heroku sends SIGKILL 30 s after SIGTERM; workers still running this long after a stop
# was asked for are killed.
STOP_GRACE_S = 25.0
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})
PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCHED = STOP_SIGNALS | {signal.SIGCHLD}


class Supervisor:
    """Runs `serve(slot)` in `count` forked processes and keeps them running.

    The parent never runs a signal handler: it blocks the signals it watches before the
    first fork and takes them one at a time with `sigtimedwait`, so a stop can never land
    between a fork and the record of the new worker, or before the handlers exist.

    Args:
        count: the number of workers.
        serve: runs one worker's server until it is stopped; returns its exit code.
    """

    def __init__(self, count: int, serve: Callable[[int], int]) -> None:
        self.count = count
        self.serve = serve
        self.children: dict[int, tuple[int, float]] = {}  # pid -> (slot, started at)
        self.quick_exits = [0] * count
        self.stop_by: float | None = None  # the deadline, once a stop was asked for
        self.exit_code = 0
        self.stop_heard = False

    def run(self) -> int:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # so the workers can be waited for
        # The mask is the main thread's: a signal sent to the process may still reach
        # another thread (numpy's BLAS threads ignore the mask), and then runs this handler.
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._heard)
        mask_before = signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
        try:
            for slot in range(self.count):
                self._start(slot, mask_before)
            while self.children:
                timeout = 1.0 if self.stop_by is None else self.stop_by - time.monotonic()
                heard = signal.sigtimedwait(WATCHED, max(0.0, min(timeout, 1.0)))
                if heard is not None and heard.si_signo in STOP_SIGNALS:
                    self.stop_heard = True
                if self.stop_heard and self.stop_by is None:
                    log.info("stopping %d workers", len(self.children))
                    self._stop(0)
                self._reap(mask_before)
                if self.stop_by is not None and time.monotonic() >= self.stop_by:
                    self._kill_the_rest()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask_before)  # pending: to _heard
        log.info("all workers stopped")
        return self.exit_code

    def _heard(self, _signum: int, _frame: object) -> None:
        self.stop_heard = True

    def _start(self, slot: int, mask_before: set[signal.Signals]) -> None:
        if self.stop_by is not None:
            return
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            log.exception("worker %d could not be started; stopping", slot)
            self._stop(1)
            return
        if pid == 0:  # the worker: signals as they were before the parent took them over
            code = 1
            try:
                for signum in STOP_SIGNALS:
                    signal.signal(signum, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, mask_before)
                _stop_when_orphaned(parent)
                code = self.serve(slot)
            except BaseException:
                log.exception("worker %d failed", slot)
            finally:
                logging.shutdown()
                sys.stdout.flush()
                os._exit(code)
        self.children[pid] = (slot, time.monotonic())
        log.info("worker %d started (pid %d)", slot, pid)

    def _reap(self, mask_before: set[signal.Signals]) -> None:
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            if pid in self.children:
                self._exited(pid, os.waitstatus_to_exitcode(status), mask_before)

    def _exited(self, pid: int, code: int, mask_before: set[signal.Signals]) -> None:
        slot, started = self.children.pop(pid)
        if self.stop_by is not None:
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
        self._start(slot, mask_before)

    def _stop(self, code: int) -> None:
        if self.stop_by is not None:
            return
        self.stop_by = time.monotonic() + STOP_GRACE_S
        self.exit_code = code
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _kill_the_rest(self) -> None:
        for pid in self.children:
            log.error("worker pid %d did not stop in %.0f s; killing it", pid, STOP_GRACE_S)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.exit_code = self.exit_code or 1
        self.stop_by = float("inf")  # killed: now only wait for them


def _stop_when_orphaned(parent: int) -> None:
    """In a worker: SIGTERM when the parent dies (Linux's PR_SET_PDEATHSIG), so a worker
    never serves on alone, sharing the port with whatever starts there next."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before that took effect
        os.kill(os.getpid(), signal.SIGTERM)


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
