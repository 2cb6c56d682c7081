"""Feelings in platform-phrased messages written for these tests only (never in bot/data),
in English and Swedish, most with the feeling implied rather than named, some with none.
Each batch is scored as a whole, the way the held-out sets are (GitHub issue 3): a single
miss does not fail a test, a drop below the batch's targets does. The reply acknowledges
the feeling family read here, so these are the understanding outputs the person's first
answer depends on.

- emotion_fresh.jsonl: 150 messages, 30 with no feeling; the method was first built on it.
- emotion_fresh_heldout_a.jsonl and _b.jsonl: 60 messages each (10 with no feeling),
  written before the cue families for cold anger, sarcasm, one-word sentences and Swedish
  compounds were added. A guided that work (0.86 before, 1.00 after); B was measured once
  at the end (0.84 before, 0.88 after). The targets sit below what was measured, so that
  they hold the gain without pinning every row.
- emotion_fresh_heldout_c.jsonl and _d.jsonl: 60 messages each (10 with no feeling),
  written before set phrases ("thanks again", "my parents pay"), chasing with dates and
  plain "who can read this?" questions were added. C guided that work (recall 0.96 and 3 of
  10 neutral messages given a feeling before; 0.98 and 0 after); D was measured once at the
  end (0.86 and 4 of 10 before; 0.88 and 1 of 10 after).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.conversation.engine import Engine
from bot.conversation.templates import FAMILY_OF
from bot.conversation.types import EMOTIONS, Decision
from tests.conversation.test_engine import _engine

NOW = 1_700_000_000.0
DATA = Path(__file__).parent / "data"

Row = dict[str, str | None]
Decisions = list[tuple[Row, Decision]]


@dataclass(frozen=True)
class Batch:
    file: str
    rows_per_feeling: tuple[int, int]  # fewest and most rows labelled with one feeling
    neutral_rows: int
    min_swedish: int
    recall: float  # share of labelled feelings among those read
    per_feeling: float  # the same, for each feeling on its own
    neutral_felt: float  # most neutral messages given a feeling
    reflected: float  # share of first replies that reflect the labelled feeling family


BATCHES = (
    Batch("emotion_fresh.jsonl", (24, 24), 30, 40, 0.85, 0.75, 0.1, 0.8),
    Batch("emotion_fresh_heldout_a.jsonl", (9, 11), 10, 20, 0.9, 0.75, 0.2, 0.75),
    Batch("emotion_fresh_heldout_b.jsonl", (9, 11), 10, 20, 0.9, 0.8, 0.2, 0.7),
    Batch("emotion_fresh_heldout_c.jsonl", (10, 10), 10, 20, 0.9, 0.8, 0.2, 0.7),
    Batch("emotion_fresh_heldout_d.jsonl", (10, 10), 10, 20, 0.8, 0.6, 0.2, 0.7),
)

# The shapes a feeling takes in a support message without a feeling word, and the courtesy,
# payers and subjects that share their words: written for this test, in no batch above.
SHAPES = (
    ("en", "I asked about this on Monday and on Wednesday", "frustrated"),
    ("en", "My third attempt to get a receipt", "frustrated"),
    ("en", "This is the second week in a row the link expired", "frustrated"),
    ("sv", "Skrev i måndags och i onsdags om fakturan", "frustrated"),
    ("sv", "Andra mejlet om samma sak", "frustrated"),
    ("en", "who can read this?", "anxious"),
    ("en", "Do you share anything with my GP?", "anxious"),
    ("sv", "vem kan läsa mina meddelanden?", "anxious"),
    ("sv", "Kan polisen begära ut mina chattar?", "anxious"),
    ("en", "Hi again, still no reply from anyone", "frustrated"),
    ("sv", "Hej igen, fortfarande inget svar", "frustrated"),
    ("en", "Thanks again, that fixed it", None),
    ("en", "Hi again, could I change my therapist?", None),
    ("sv", "Hej igen! Jag har en fråga till om fakturan", None),
    ("en", "Can my employer pay for this?", None),
    ("sv", "Kan min arbetsgivare betala för terapin?", None),
    ("en", "Do you have therapists for people with ADHD?", None),
    ("en", "Is there a therapist who can see me on Saturdays?", None),
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return _engine()


@pytest.fixture(scope="module", params=BATCHES, ids=lambda b: b.file)
def batch(request: pytest.FixtureRequest) -> Batch:
    chosen: Batch = request.param
    return chosen


@pytest.fixture(scope="module")
def decisions(engine: Engine, batch: Batch) -> Decisions:
    text = (DATA / batch.file).read_text(encoding="utf-8")
    rows: list[Row] = [json.loads(line) for line in text.splitlines() if line]
    return [
        (row, engine.respond(str(row["text"]), None, locale=row["locale"], now=NOW)) for row in rows
    ]


def _felt(decisions: Decisions) -> list[tuple[str, Decision]]:
    return [(str(row["emotion"]), d) for row, d in decisions if row["emotion"]]


def test_the_batch_is_what_it_says(batch: Batch, decisions: Decisions) -> None:
    counts: dict[str | None, int] = defaultdict(int)
    for row, _ in decisions:
        counts[row["emotion"]] += 1
    fewest, most = batch.rows_per_feeling
    assert all(fewest <= counts[e] <= most for e in EMOTIONS), dict(counts)
    assert counts[None] == batch.neutral_rows
    assert sum(row["locale"] == "sv" for row, _ in decisions) >= batch.min_swedish


def test_labelled_feeling_is_read(batch: Batch, decisions: Decisions) -> None:
    felt = _felt(decisions)
    misses = [(e, d.understanding.emotions) for e, d in felt if e not in d.understanding.emotions]
    assert 1 - len(misses) / len(felt) >= batch.recall, misses


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_no_feeling_is_left_behind(batch: Batch, decisions: Decisions, emotion: str) -> None:
    rows = [d for e, d in _felt(decisions) if e == emotion]
    found = sum(emotion in d.understanding.emotions for d in rows)
    assert found / len(rows) >= batch.per_feeling


def test_neutral_messages_read_as_neutral(batch: Batch, decisions: Decisions) -> None:
    neutral = [(row["text"], d) for row, d in decisions if row["emotion"] is None]
    felt = [(text, d.understanding.emotions) for text, d in neutral if d.understanding.emotions]
    assert len(felt) / len(neutral) <= batch.neutral_felt, felt


def test_the_reply_acknowledges_the_feeling(batch: Batch, decisions: Decisions) -> None:
    """The first reply's reflection is chosen by feeling family (upset, worried, sad,
    confused); a neutral message gets no feeling reflected back."""
    felt = _felt(decisions)
    right = [
        d
        for e, d in felt
        if any(f".reflect.{FAMILY_OF[e]}." in t for t in d.state.used_templates)  # type: ignore[index]
    ]
    assert len(right) / len(felt) >= batch.reflected
    for row, d in decisions:
        if row["emotion"] is None and not d.understanding.emotions:
            assert d.replies
            assert not any(
                f".reflect.{family}." in t
                for t in d.state.used_templates
                for family in set(FAMILY_OF.values())
            ), row["text"]


@pytest.mark.parametrize(("locale", "text", "feeling"), SHAPES)
def test_shapes_of_a_feeling_and_of_none(
    engine: Engine, locale: str, text: str, feeling: str | None
) -> None:
    emotions = engine.respond(text, None, locale=locale, now=NOW).understanding.emotions
    if feeling is None:
        assert emotions == ()
    else:
        assert feeling in emotions, emotions
