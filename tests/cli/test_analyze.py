"""`python -m bot analyze`: JSONL in, one decision per line out, errors as lines."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.analyze import analyze_lines
from bot.conversation.types import (
    ConversationState,
    Decision,
    HandoffDecision,
    Understanding,
)

OUTPUT_KEYS = {
    "id",
    "topic",
    "emotions",
    "intensity",
    "safety",
    "wants_human",
    "locale",
    "handoff",
    "reply",
}


def fake_respond(text: str, locale: str | None) -> Decision:
    if text == "boom":
        raise RuntimeError("engine exploded")
    understanding = Understanding(
        topic="billing",
        emotions=("angry",),
        intensity=0.7,
        safety="none",
        wants_human="human" in text,
        locale=locale or "en",
    )
    handoff = HandoffDecision("billing", "wants_human", "normal") if "human" in text else None
    return Decision(
        understanding, ("First part.", "Second part."), handoff, ConversationState(), ""
    )


def run_lines(*lines: str | bytes) -> list[dict[str, object]]:
    return [json.loads(out) for out in analyze_lines(list(lines), fake_respond)]


def test_each_line_gets_the_decision() -> None:
    rows = run_lines(
        '{"id": "a", "text": "charged twice, get me a human", "locale": "sv"}',
        '{"id": "b", "text": "charged twice"}',
    )
    assert [r["id"] for r in rows] == ["a", "b"]
    assert set(rows[0]) == OUTPUT_KEYS
    assert rows[0]["handoff"] == {"queue": "billing", "reason": "wants_human", "severity": "normal"}
    assert rows[0]["locale"] == "sv"
    assert rows[0]["reply"] == "First part.\n\nSecond part."
    assert rows[0]["emotions"] == ["angry"]
    assert rows[1]["handoff"] is None


@pytest.mark.parametrize(
    ("line", "row_id", "code"),
    [
        ("not json at all", None, "bad_json"),
        ("[1, 2]", None, "bad_row"),
        ('{"id": "x"}', "x", "missing_text"),
        ('{"id": "y", "text": "   "}', "y", "missing_text"),
        ('{"id": "z", "text": 42}', "z", "missing_text"),
        ('{"id": "l", "text": "hi", "locale": 5}', "l", "bad_locale"),
        ('{"id": "e", "text": "boom"}', "e", "engine_error"),
        (b'{"id": "u", "text": "\xff"}', None, "bad_encoding"),
    ],
)
def test_bad_lines_become_error_lines_and_the_run_goes_on(
    line: str | bytes, row_id: object, code: str
) -> None:
    rows = run_lines(line, '{"id": "ok", "text": "charged twice"}')
    assert rows[0]["id"] == row_id
    error = rows[0]["error"]
    assert isinstance(error, dict) and error["code"] == code and error["message"]
    assert rows[1]["id"] == "ok" and rows[1]["topic"] == "billing"


def test_blank_lines_are_skipped() -> None:
    assert run_lines("", "   ", '{"id": 1, "text": "hi"}')[0]["id"] == 1


def test_command_runs_the_real_engine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        {"id": "1", "text": "I want a refund for last month, you charged me twice"},
        {"id": "2", "text": "Jag vill prata med en människa"},
        {"id": "3", "text": "I want to kill myself"},
    ]
    stdin = io.BytesIO(("\n".join(json.dumps(x) for x in lines) + "\nnot json\n").encode())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stdin, encoding="utf-8"))
    assert main(["analyze"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["id"] for r in out] == ["1", "2", "3", None]
    refund, human, crisis, bad = out
    assert refund["topic"] == "billing" and refund["handoff"] is not None and refund["reply"]
    assert human["locale"] == "sv" and human["wants_human"] is True
    assert crisis["safety"] == "urgent"
    assert crisis["handoff"]["severity"] == "critical"
    assert bad["error"]["code"] == "bad_json"


def test_a_broken_data_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "en.yaml").write_text("locale: en\ntopics: [oops\n", encoding="utf-8")
    assert main(["analyze", "--data-dir", str(tmp_path)]) == 2
    assert "en.yaml:" in capsys.readouterr().err
