"""A rollback runs the release before on the schema of the release after (Heroku rolls
back code, never the database): every migration's upgrade may only add tables, indexes
and columns that may be empty, and a database ahead of the code is left as it is."""

from __future__ import annotations

import ast
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.db import Database
from bot.store.migrate import MIGRATIONS_DIR, ensure_migrated, head_revision, upgrade

ROOT = Path(__file__).resolve().parents[2]
# Operations that take away or change what an older release reads or writes.
BREAKING = {"drop_table", "drop_column", "alter_column", "rename_table", "drop_constraint"}


def upgrade_calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    [upgrade_fn] = [
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
    ]
    return [node for node in ast.walk(upgrade_fn) if isinstance(node, ast.Call)]


def called(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def keyword(call: ast.Call, name: str) -> object:
    for kw in call.keywords:
        if kw.arg == name:
            return ast.literal_eval(kw.value) if isinstance(kw.value, ast.Constant) else kw.value
    return None


@pytest.mark.parametrize(
    "path", sorted(MIGRATIONS_DIR.glob("versions/*.py")), ids=lambda path: path.stem
)
def test_a_migration_only_adds(path: Path) -> None:
    for call in upgrade_calls(path):
        assert called(call) not in BREAKING, f"{path.name}: {called(call)} in upgrade()"
        if called(call) != "add_column":
            continue
        [column] = [a for a in call.args if isinstance(a, ast.Call) and called(a) == "Column"]
        # A column an older release does not fill must take a default or may stay empty.
        if keyword(column, "nullable") is False:
            assert keyword(column, "server_default") is not None, (
                f"{path.name}: a NOT NULL column without a server default"
            )


@pytest.mark.parametrize(
    "body",
    [
        "    with op.batch_alter_table('case') as batch_op:\n"
        "        batch_op.drop_column('summary')\n",
        "    op.add_column('case', sa.Column('tier', sa.String(), nullable=False))\n",
    ],
    ids=["drops a column", "adds a NOT NULL column without a default"],
)
def test_the_check_refuses_a_migration_that_breaks_the_release_before(
    tmp_path: Path, body: str
) -> None:
    breaking = tmp_path / "0099_breaking.py"
    breaking.write_text(f"def upgrade():\n{body}", encoding="utf-8")
    with pytest.raises(AssertionError):
        test_a_migration_only_adds(breaking)


async def test_a_rollback_leaves_a_newer_database_as_it_is_and_runs_on_it(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(database_url)
    try:
        await upgrade(db)
        # A later release migrated it to a revision this code has never heard of.
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        env.update(DATABASE_URL=database_url, ENVIRONMENT="test")
        done = subprocess.run(
            [sys.executable, "-m", "bot", "migrate"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        said = done.stdout.decode()
        assert "0099" in said and "newer than this release" in said and str(head_revision()) in said
        with caplog.at_level(logging.WARNING):
            await ensure_migrated(db, auto=False)
        assert "newer than this release" in caplog.text
        async with db.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        assert version == "0099"
    finally:
        await db.close()
