"""Migrations of one PostgreSQL from several processes at once, as two release phases (two
releases created close together, or a `heroku run python -m bot migrate` beside one) or
WEB_WORKERS started with AUTO_MIGRATE would run them: every one succeeds, the schema is
applied once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.store.db import Database
from bot.store.migrate import current_revision, downgrade, head_revision

ROOT = Path(__file__).resolve().parents[2]
RACERS = 3


async def migrate_at_once(database_url: str) -> list[tuple[int, str]]:
    """`python -m bot migrate` in RACERS processes started together: (exit code, stderr)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(DATABASE_URL=database_url, ENVIRONMENT="test")
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(RACERS)
    ]
    outcomes = []
    for process in processes:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        outcomes.append((process.returncode or 0, stderr.decode()[-2000:]))
    return outcomes


async def test_migrations_at_once_all_succeed(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite is one process's store (WEB_WORKERS is refused on it)")
    # From an empty database (the first release phase), then from one revision behind (a
    # later deploy's release phase).
    for outcome in await migrate_at_once(database_url):
        assert outcome[0] == 0, outcome[1]
    db = Database(database_url)
    try:
        assert await current_revision(db) == head_revision()
        await downgrade(db, "-1")
    finally:
        await db.close()
    for outcome in await migrate_at_once(database_url):
        assert outcome[0] == 0, outcome[1]
    db = Database(database_url)
    try:
        assert await current_revision(db) == head_revision()
    finally:
        await db.close()
