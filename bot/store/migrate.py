"""Apply and check Alembic migrations from async code (the server) and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.store.db import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The PostgreSQL advisory lock that migrations take (any constant of this app's own).
MIGRATION_LOCK = 0x5B07_0001


class NotMigrated(RuntimeError):
    pass


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_newer(revision: str | None) -> bool:
    """Whether the database is at a revision this code has no migration for: a later
    release migrated it, and this one is a rollback (Heroku runs the release phase then
    too, and rolls back code, never the database)."""
    if revision is None:
        return False
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        return True
    return False


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade(db: Database, revision: str = "head") -> None:
    await _run_command(db, command.upgrade, revision)


async def downgrade(db: Database, revision: str) -> None:
    """Take the schema down to `revision` (the app itself only ever upgrades; the
    migrations' tests go down and up again)."""
    await _run_command(db, command.downgrade, revision)


async def _run_command(
    db: Database, alembic_command: Callable[[Config, str], None], revision: str
) -> None:
    def run(connection: Connection) -> None:
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        alembic_command(cfg, revision)

    async with db.engine.begin() as conn:
        if db.is_postgres:
            # One migration at a time: two release phases (or a `heroku run` beside one, or
            # workers started with AUTO_MIGRATE) would each apply the same revisions, and all
            # but one fail ("duplicate key ... alembic_version"), failing their release.
            # Held until this transaction ends; the next one then finds the schema current.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(run)


async def ensure_migrated(db: Database, *, auto: bool) -> None:
    """Refuse to run on a database behind the code, unless allowed to catch it up. On one
    ahead of it (a rollback) run, with a warning: migrations only add tables, columns
    that may be empty and indexes (tests/store/test_migrations_only_add.py), so the
    release before runs on the schema of the one after."""
    current = await current_revision(db)
    if current == head_revision():
        return
    if is_newer(current):
        log.warning(
            "the database schema (%s) is newer than this release's (%s): running on it",
            current,
            head_revision(),
        )
        return
    if auto:
        await upgrade(db)
        return
    raise NotMigrated(
        "the database schema is not up to date: run `python -m bot migrate` "
        "(the Procfile's release phase does this on deploy)"
    )
