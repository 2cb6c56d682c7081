"""`python -m bot eval FILE.jsonl`: accuracy per label through the engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.conversation.types import ConversationState, Decision, HandoffDecision, Understanding
from bot.evaluation import EvalFileError, evaluate, format_report, read_rows


def fake_respond(text: str, locale: str | None) -> Decision:
    """A stand-in engine: billing unless the text says otherwise; 'person' asks for one."""
    understanding = Understanding(
        topic="privacy" if "data" in text else "billing",
        emotions=("angry",) if "!" in text else (),
        intensity=0.5 if "!" in text else 0.0,
        safety="urgent" if "die" in text else "none",
        wants_human="person" in text,
        locale=locale or "en",
    )
    handoff = HandoffDecision("billing", "wants_human", "normal") if "person" in text else None
    return Decision(understanding, ("ok",), handoff, ConversationState(), "")


ROWS = [
    {"id": "1", "text": "charged twice", "topic": "billing", "emotion": None, "handoff": False},
    {"id": "2", "text": "my data!", "topic": "account|privacy", "emotion": "angry"},
    {"id": "3", "text": "delete my data", "topic": "billing", "emotion": "sad"},
    {"id": "4", "text": "a person please", "wants_human": True, "handoff": True},
    {"id": "5", "text": "a refund", "wants_human": False, "handoff": None},
    {"id": "6", "text": "I want to die", "safety": "urgent", "kind": "ideation_direct"},
    {"id": "7", "text": "this bill makes me die inside", "safety": "not_urgent", "kind": "idiom"},
    {"id": "8", "text": "the link is dead", "safety": "not_urgent", "kind": "keyword_trap"},
]


def test_scores_each_label() -> None:
    summary = evaluate(ROWS, fake_respond).summary()
    assert summary["rows"] == 8
    assert summary["topic"]["accuracy"] == {"value": 0.6667, "hits": 2, "total": 3}
    emotions = summary["emotions"]
    assert emotions["labelled_in_emotions"]["value"] == 0.5
    assert emotions["recall"] == {"angry": 1.0, "sad": 0.0}
    assert emotions["macro_recall"] == 0.5
    assert emotions["neutral_read_as_neutral"]["value"] == 1.0
    assert summary["wants_human"]["recall"]["value"] == 1.0
    assert summary["wants_human"]["false_positive_rate"]["value"] == 0.0
    assert summary["handoff"]["accuracy"] == {"value": 1.0, "hits": 2, "total": 2}
    safety = summary["safety"]
    assert safety["urgent_recall"]["value"] == 1.0
    assert safety["not_urgent_ratings_by_kind"] == {
        "idiom": {"urgent": 1},
        "keyword_trap": {"none": 1},
    }
    assert safety["false_urgent_rate_on_support"] == {"value": 0.0, "hits": 0, "total": 5}


def test_report_reads_as_lines() -> None:
    text = format_report(evaluate(ROWS, fake_respond), name="dev.jsonl")
    assert text.splitlines()[0] == "dev.jsonl (8 rows)"
    assert "topic accuracy                     0.667  (2/3)" in text
    assert "not-urgent 'idiom' rated as: urgent=1" in text


def test_bad_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"id": "1", "text": "hi"}\n{"id": "2"}\n', encoding="utf-8")
    with pytest.raises(EvalFileError, match=r"rows\.jsonl:2: a row needs a \"text\""):
        read_rows(path)


def test_command_prints_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rows.jsonl"
    rows = [
        {"id": "1", "text": "you charged my card twice", "topic": "billing", "handoff": None},
        {"id": "2", "text": "human please", "topic": "other", "wants_human": True, "handoff": True},
        {"id": "3", "text": "Jag har glömt lösenordet", "locale": "sv", "topic": "account"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["eval", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["topic"]["accuracy"] == {"value": 1.0, "hits": 3, "total": 3}
    assert summary["wants_human"]["recall"]["value"] == 1.0
    assert summary["handoff"]["accuracy"]["value"] == 1.0


def test_command_rejects_a_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text("{not json\n", encoding="utf-8")
    assert main(["eval", str(path)]) == 2
    assert "broken.jsonl:1: not JSON" in capsys.readouterr().err
