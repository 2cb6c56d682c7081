"""`python -m bot purge` and `python -m bot privacy …` as an operator runs them."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.cli import main
from bot.cli.purge import purge_store
from bot.clock import FakeClock
from bot.identity import person_ref
from bot.settings import Settings
from bot.store.db import Database
from bot.store.models import Case, CaseEvent, Message
from tests.lifecycle.conftest import dump
from tests.lifecycle.seed import NOW, seed_case

SECRET = "cli-identity-secret-0123456789"


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Awaitable[Ran]]:
    """`python -m bot ARGS` through the real dispatcher, with the operator's environment.

    In a thread rather than a subprocess: the CLI calls asyncio.run, and a fresh
    interpreter costs seconds of imports per call on a busy machine.
    """
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("IDENTITY_SECRET", SECRET)
    monkeypatch.setenv("RETENTION_DAYS", "30")
    monkeypatch.chdir(tmp_path)  # no stray .env

    async def run(*args: str) -> Ran:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(args))
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


async def count(db: Database, model: type, **where: object) -> int:
    async with db.transaction() as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int((await s.exec(query)).one())


async def test_purge_runs_in_batches_until_the_backlog_is_gone(
    db: Database, settings: Settings
) -> None:
    async with db.transaction() as s:
        for _ in range(5):
            await seed_case(s, age_days=120)
        await seed_case(s, age_days=5)
    dry = await purge_store(settings, days=None, dry_run=True, clock=FakeClock(NOW))
    assert (dry["cases_to_purge"], dry["messages_to_delete"]) == (5, 20)
    assert await count(db, Message) == 24

    summary = await purge_store(settings, days=None, dry_run=False, clock=FakeClock(NOW), batch=2)
    assert {k: summary[k] for k in ("cases_purged", "messages_deleted")} == {
        "cases_purged": 5,
        "messages_deleted": 20,
    }
    assert summary["slack_deletions_queued"] == 0  # these cards never reached Slack
    assert "bot token" in summary["slack_note"]
    assert await count(db, Message) == 4
    assert await count(db, CaseEvent, kind="purged") == 5


async def test_the_commands_end_to_end(
    db: Database, cli: Callable[..., Awaitable[Ran]], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as s:
        await seed_case(s, age_days=60, now=now, text="old #old")
        await seed_case(s, age_days=1, now=now, text="fresh #fresh")
        mine = await seed_case(
            s, age_days=2, now=now, text="mine #mine", person_ref=person_ref("u-77", secret=SECRET)
        )

    dry = await cli("purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    listed = json.loads(dry.stdout)
    assert listed["retention_days"] == 30 and listed["cases_to_purge"] == 1
    assert listed["cases"][0]["messages"] == 4
    assert await count(db, Message) == 12

    done = await cli("purge")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["cases_purged"], summary["messages_deleted"]) == (1, 4)
    assert await count(db, Message) == 8

    out = tmp_path / "export.json"
    out.write_text("an older export", encoding="utf-8")
    out.chmod(0o644)
    exported = await cli("privacy", "export", "--user", "u-77", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    # A person's health data: on a shared host, no other account may read it.
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [c["case"]["ref"] for c in data["cases"]] == [mine.ref]
    assert "#mine" in out.read_text(encoding="utf-8")
    assert "#fresh" not in out.read_text(encoding="utf-8")

    refused = await cli("privacy", "erase", "--user", "u-77")
    assert refused.returncode == 2
    assert json.loads(refused.stdout)["cases_to_erase"] == 1
    assert "--yes" in refused.stderr
    assert await count(db, Message, case_id=mine.case_id) == 4

    erased = await cli("privacy", "erase", "--user", "u-77", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout)["cases"] == [mine.ref]
    assert await count(db, Message, case_id=mine.case_id) == 0
    assert await count(db, Message) == 4  # the fresh case is someone else's
    assert await count(db, Case, person_ref=None) == 3
    assert await count(db, CaseEvent, kind="privacy_erase") == 1


async def test_a_request_that_matches_no_case_is_not_reported_as_done(
    db: Database, cli: Callable[..., Awaitable[Ran]], tmp_path: Path
) -> None:
    async with db.transaction() as s:
        await seed_case(s, age_days=2, person_ref=person_ref("u-77", secret=SECRET))
    before = await dump(db)
    out = tmp_path / "export.json"
    for action in (("export",), ("export", "--out", str(out)), ("erase",), ("erase", "--yes")):
        ran = await cli("privacy", *action, "--user", "u-78")  # a typo
        assert ran.returncode == 1, (action, ran)
        assert "no cases found" in ran.stderr
        assert "u-78" not in ran.stderr  # the id may be an email: not echoed
    assert await dump(db) == before
    assert not out.exists()  # no empty export to hand over by mistake


async def test_without_identity_secret_the_operator_is_warned_and_nothing_reads_as_done(
    db: Database, cli: Callable[..., Awaitable[Ran]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app stored the pseudonym; a shell without IDENTITY_SECRET cannot derive it."""
    async with db.transaction() as s:
        mine = await seed_case(s, age_days=2, person_ref=person_ref("u-77", secret=SECRET))
    monkeypatch.delenv("IDENTITY_SECRET")
    ran = await cli("privacy", "erase", "--user", "u-77", "--yes")
    assert ran.returncode == 1
    assert "IDENTITY_SECRET is not set" in ran.stderr
    assert await count(db, Message, case_id=mine.case_id) == 4


async def test_an_export_that_cannot_be_written_is_refused_and_not_recorded(
    db: Database, cli: Callable[..., Awaitable[Ran]], tmp_path: Path
) -> None:
    async with db.transaction() as s:
        await seed_case(s, age_days=2, person_ref=person_ref("u-77", secret=SECRET))
    out = tmp_path / "no-such-folder" / "export.json"  # a typo in the path
    ran = await cli("privacy", "export", "--user", "u-77", "--out", str(out))
    assert ran.returncode == 1
    assert ran.stderr.startswith(f"cannot write {out}: No such file or directory")
    assert "nothing was exported" in ran.stderr
    # The audit trail does not say the person's data went out.
    assert await count(db, CaseEvent, kind="privacy_export") == 0


@pytest.mark.parametrize(
    ("retention_days", "args", "said"),
    [
        ("-5", (), "RETENTION_DAYS: Input should be greater than or equal to 0"),
        ("ninety", (), "RETENTION_DAYS: Input should be a valid integer"),
        ("30", ("--days", "1000000"), "--days must be between 0 and 36500"),
    ],
)
async def test_a_retention_period_out_of_range_is_refused_and_changes_nothing(
    db: Database,
    cli: Callable[..., Awaitable[Ran]],
    monkeypatch: pytest.MonkeyPatch,
    retention_days: str,
    args: tuple[str, ...],
    said: str,
) -> None:
    async with db.transaction() as s:
        await seed_case(s, age_days=200)
    before = await dump(db)
    monkeypatch.setenv("RETENTION_DAYS", retention_days)
    ran = await cli("purge", *args)
    assert (ran.returncode, ran.stdout) == (2, "")
    assert said in ran.stderr and retention_days not in ran.stderr.replace(said, "")
    assert await dump(db) == before
