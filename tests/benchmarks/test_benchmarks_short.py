"""The benchmarks in their short mode, as CI runs them: correctness, not speed.

Each runs as its own process (it starts the app as subprocesses itself) and must print one
JSON object in which nothing is lost, doubled or out of order. surge.py and chat_load.py
run in the SQLite pass of the suite; chaos.py needs PostgreSQL and runs in the
PostgreSQL pass, on a database of its own (it drops and recreates `bench_chaos`) and,
unless BENCH_SKIP_PG_RESTART=1, restarts the PostgreSQL server mid-run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each short run ends within about a minute on a quiet machine; this bounds a stuck one.
RUN_TIMEOUT_S = 170


def database_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def on_postgres() -> bool:
    return database_url().startswith(("postgres://", "postgresql"))


def run_benchmark(name: str, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), "--short", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    result: dict[str, Any] = json.loads(lines[0])
    return result


@pytest.mark.timeout(RUN_TIMEOUT_S + 10)
def test_surge_short_delivers_every_card_once() -> None:
    if on_postgres():
        pytest.skip("runs in the SQLite pass")
    result = run_benchmark("surge.py")
    assert result["handoffs"] == 60
    assert result["logged"] == 60
    assert result["drained"] is True
    assert result["delivered"] == 60
    assert result["lost"] == 0
    assert result["duplicates"] == 0
    assert result["crisis_card_latency_s"] is not None


@pytest.mark.timeout(RUN_TIMEOUT_S + 10)
def test_chat_load_short_answers_every_message() -> None:
    if on_postgres():
        pytest.skip("runs in the SQLite pass")
    result = run_benchmark("chat_load.py")
    assert result["errors"] == 0, result["error_samples"]
    assert result["messages"] == 50 * 5
    assert result["bot_msgs_per_s"] > 0
    assert result["echo_msgs_per_s"] > 0
    # The protocol floor was loaded too (every message answered: its errors count above).
    assert result["floor_msgs_per_s"] > 0
    assert isinstance(result["answer_budget_us"], float)
    assert result["idle_sockets"] == 200
    # The paced phase: 50 more people, four messages each at a person's pace, all
    # answered; the fourth question in a row hands each conversation to a person.
    assert result["paced_errors"] == 0, result["paced_error_samples"]
    assert result["paced_messages"] == 50 * 4
    assert result["paced_p99_ms"] > 0
    assert result["paced_handoffs"] == 50
    assert result["paced_chat_p99_ms"] > 0
    assert result["paced_handoff_p99_ms"] > 0


@pytest.mark.timeout(RUN_TIMEOUT_S + 10)
def test_chaos_short_loses_and_doubles_nothing() -> None:
    if not on_postgres():
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    url = database_url().rsplit("/", 1)[0] + "/bench_chaos"
    extra = ["--database-url", url]
    if os.environ.get("BENCH_SKIP_PG_RESTART") == "1" or not shutil.which("pg_ctlcluster"):
        extra.append("--skip-pg-restart")
    result = run_benchmark("chaos.py", *extra)
    assert result["claimed"] == result["people"]
    assert result["sent"] > 0
    # Order is not asserted: an agent reply whose event Slack retries after a later reply
    # reaches the person after it (seen once in a full run; reported, not yet fixed).
    faults = {key: result[key] for key in ("lost", "duplicated")}
    assert faults == {"lost": 0, "duplicated": 0}, result
    # Thread copies still queued when the short wait ends are late, not lost (items the
    # killed instance had leased wait out the outbox lease, bot/outbox.py LEASE_S).
    assert result["received"] + result["pending"] == result["sent"]
