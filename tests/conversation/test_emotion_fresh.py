"""Feelings in platform-phrased messages written for this test only (never in bot/data):
tests/conversation/data/emotion_fresh.jsonl, 150 support messages in English and Swedish,
most with the feeling implied rather than named, and 30 with none. Scored as a whole, the
way the held-out sets are (GitHub issue 3): a single miss does not fail the test, a drop
below the targets does. The reply acknowledges the feeling family read here, so these are
the understanding outputs the person's first answer depends on."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from bot.conversation.engine import Engine
from bot.conversation.templates import FAMILY_OF
from bot.conversation.types import EMOTIONS, Decision
from tests.conversation.test_engine import _engine

NOW = 1_700_000_000.0
FRESH = Path(__file__).parent / "data" / "emotion_fresh.jsonl"
ROWS = [json.loads(line) for line in FRESH.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def decisions() -> list[tuple[dict[str, str | None], Decision]]:
    engine: Engine = _engine()
    return [(row, engine.respond(row["text"], None, locale=row["locale"], now=NOW)) for row in ROWS]


def _felt(decisions: list[tuple[dict[str, str | None], Decision]]) -> list[tuple[str, Decision]]:
    return [(str(row["emotion"]), d) for row, d in decisions if row["emotion"]]


def test_the_batch_is_what_it_says() -> None:
    counts: dict[str | None, int] = defaultdict(int)
    for row in ROWS:
        counts[row["emotion"]] += 1
    assert {e: counts[e] for e in EMOTIONS} == dict.fromkeys(EMOTIONS, 24)
    assert counts[None] == 30
    assert sum(row["locale"] == "sv" for row in ROWS) >= 40


def test_labelled_feeling_is_read(decisions: list[tuple[dict[str, str | None], Decision]]) -> None:
    felt = _felt(decisions)
    misses = [(e, d.understanding.emotions) for e, d in felt if e not in d.understanding.emotions]
    assert 1 - len(misses) / len(felt) >= 0.85, misses


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_no_feeling_is_left_behind(
    decisions: list[tuple[dict[str, str | None], Decision]], emotion: str
) -> None:
    rows = [d for e, d in _felt(decisions) if e == emotion]
    found = sum(emotion in d.understanding.emotions for d in rows)
    assert found / len(rows) >= 0.75


def test_neutral_messages_read_as_neutral(
    decisions: list[tuple[dict[str, str | None], Decision]],
) -> None:
    neutral = [(row["text"], d) for row, d in decisions if row["emotion"] is None]
    felt = [(text, d.understanding.emotions) for text, d in neutral if d.understanding.emotions]
    assert len(felt) / len(neutral) <= 0.1, felt


def test_the_reply_acknowledges_the_feeling(
    decisions: list[tuple[dict[str, str | None], Decision]],
) -> None:
    """The first reply's reflection is chosen by feeling family (upset, worried, sad,
    confused); a neutral message gets no feeling reflected back."""
    felt = _felt(decisions)
    right = [
        d
        for e, d in felt
        if any(f".reflect.{FAMILY_OF[e]}." in t for t in d.state.used_templates)  # type: ignore[index]
    ]
    assert len(right) / len(felt) >= 0.8
    for row, d in decisions:
        if row["emotion"] is None and not d.understanding.emotions:
            assert d.replies
            assert not any(
                f".reflect.{family}." in t
                for t in d.state.used_templates
                for family in set(FAMILY_OF.values())
            ), row["text"]
