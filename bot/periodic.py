"""Periodic work (crisis re-pings, proactive updates, purges) run once across instances.

Each job holds a named lease for its interval: whichever instance takes the lease runs
the job; the others find it held and skip, so a re-ping or an update is never doubled by
running more dynos. A job that runs longer than its interval keeps renewing its lease
until it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.store import leases
from bot.store.db import Database

log = logging.getLogger(__name__)

Job = Callable[[datetime], Awaitable[None]]
# A lease renewed no more often than this, however short its job's interval.
MIN_RENEW_S = 0.05


@dataclass
class _Scheduled:
    name: str
    every_s: float
    job: Job


class Periodic:
    def __init__(self, *, db: Database, clock: Clock, tick_s: float = 1.0) -> None:
        self.db = db
        self.clock = clock
        self.tick_s = tick_s
        self.instance = uuid.uuid4().hex[:12]
        self._jobs: list[_Scheduled] = []

    def every(self, seconds: float, name: str, job: Job) -> None:
        self._jobs.append(_Scheduled(name=name, every_s=seconds, job=job))

    async def run_due(self) -> list[str]:
        """Run, one after another, every job whose lease this instance can take now;
        returns their names. (The server runs each job in a loop of its own: `run`.)"""
        ran = []
        for scheduled in self._jobs:
            if await self._run_if_mine(scheduled):
                ran.append(scheduled.name)
        return ran

    async def _run_if_mine(self, scheduled: _Scheduled) -> bool:
        started = self.clock()
        # A hair under the interval, so the next tick after it is due wins.
        lease_s = max(0.0, scheduled.every_s - self.tick_s / 2)
        async with self.db.transaction() as session:
            mine = await leases.acquire(
                session, name=scheduled.name, holder=self.instance, now=started, seconds=lease_s
            )
        if not mine:
            return False
        holding = asyncio.create_task(self._hold(scheduled.name, lease_s))
        try:
            await scheduled.job(started)
        except Exception:
            log.exception("periodic job %s failed", scheduled.name)
        finally:
            holding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await holding
        # Held longer, the lease ends again an interval after this run started: the next
        # run is due then, or at the next tick after a run longer than its interval.
        try:
            async with self.db.transaction() as session:
                await leases.extend(
                    session,
                    name=scheduled.name,
                    holder=self.instance,
                    until=started + timedelta(seconds=lease_s),
                )
        except Exception:  # the database is away: the lease runs out where it was held to
            log.warning("periodic job %s: its lease could not be given back", scheduled.name)
        return True

    async def _hold(self, name: str, lease_s: float) -> None:
        """Renew the lease while its job runs, so that a job running longer than its
        interval is not started again on another instance. Renewed at half its length,
        it runs out within `lease_s` of an instance dying mid-job."""
        if lease_s <= 0:
            return
        while True:
            await asyncio.sleep(max(lease_s / 2, MIN_RENEW_S))
            try:
                async with self.db.transaction() as session:
                    held = await leases.extend(
                        session,
                        name=name,
                        holder=self.instance,
                        until=self.clock() + timedelta(seconds=lease_s),
                    )
            except Exception:
                log.warning("periodic job %s: its lease could not be renewed", name)
                continue
            if not held:
                log.warning("periodic job %s outlived its lease: another instance holds it", name)
                return

    async def run(self) -> None:
        """Each job in a loop of its own (the jobs are registered before this starts), so
        a long one, such as a purge's first pass over a large backlog, holds up only
        itself and never the crisis lane's re-pings and "still here" messages."""
        await asyncio.gather(*(self._loop(scheduled) for scheduled in self._jobs))

    async def _loop(self, scheduled: _Scheduled) -> None:
        while True:
            try:
                await self._run_if_mine(scheduled)
            except asyncio.CancelledError:
                raise
            except Exception:  # the lease could not be read: the database is away
                log.exception("periodic job %s: its lease could not be taken", scheduled.name)
            await asyncio.sleep(self.tick_s)
