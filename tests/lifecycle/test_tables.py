"""Every table is either handled by the lifecycle or says why it holds nothing personal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers every table)
from bot.store.lifecycle import CASE_TABLES, UNLINKED_TABLES, strip_text


def test_every_table_is_classified() -> None:
    tables = set(SQLModel.metadata.tables) | {"alembic_version"}
    classified = CASE_TABLES | set(UNLINKED_TABLES)
    assert tables - classified == set(), (
        "new tables must be classified in bot/store/lifecycle.py (and purged/erased/exported "
        "if they hold anything about a person)"
    )
    assert classified - tables == set()
    assert CASE_TABLES.isdisjoint(UNLINKED_TABLES)


def test_tables_that_point_at_a_case_are_handled() -> None:
    linked = {
        name
        for name, table in SQLModel.metadata.tables.items()
        if "case_id" in table.columns
        or any(fk.column.table.name == "case" for fk in table.foreign_keys)
    }
    assert linked <= CASE_TABLES


@pytest.mark.parametrize(
    ("kind", "data", "kept"),
    [
        (
            "handoff_created",
            {"queue": "billing", "reason": "wants_human", "severity": "normal"},
            {"queue": "billing", "reason": "wants_human", "severity": "normal"},
        ),
        (
            "transferred",
            {"from": "general", "to": "billing", "reason": "ex"},
            {"from": "general", "to": "billing"},
        ),
        ("csat", {"score": 4}, {"score": 4}),
        ("crisis_repinged", {"pings": 2, "widened": True}, {"pings": 2, "widened": True}),
        ("card_posted", {"channel": "C0B", "ts": "17.1"}, {"channel": "C0B", "ts": "17.1"}),
        ("agent_note", {"text": "call her mum"}, {}),
        ("future_kind", {"comment": "x", "why": "she said it twice"}, {}),
        ("future_kind", {"quoted": ["I", "was"], "n": 1}, {"n": 1}),
        ("future_kind", {"code": "x" * 65}, {}),
    ],
)
def test_strip_text_keeps_codes_and_drops_prose(
    kind: str, data: dict[str, Any], kept: dict[str, Any]
) -> None:
    assert strip_text(kind, data) == kept
