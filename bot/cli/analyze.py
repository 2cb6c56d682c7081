"""`python -m bot analyze < in.jsonl > out.jsonl`: the engine's decision for each message.

Each input line is `{"id", "text", "locale"?}`; each output line is `{"id", "topic",
"emotions", "intensity", "safety", "wants_human", "locale", "handoff": {"queue", "reason",
"severity"} | null, "reply"}`: the decision for that message as the first message of a new
conversation (DESIGN.md "Interfaces"). A bad line gets `{"id", "error": {"code",
"message"}}` and the run goes on; the exit code is 0 unless the input cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from bot.conversation.types import Decision

Respond = Callable[[str, "str | None"], Decision]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "analyze", help="JSONL in (id, text, locale?) -> JSONL out (the engine's decision)"
    )
    parser.add_argument("--data-dir", type=Path, help="data files overriding the shipped ones")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.datafiles import DataFileError
    from bot.evaluation import load_respond

    try:
        respond = load_respond(args.data_dir)
    except DataFileError as exc:
        sys.stderr.write(f"analyze: {exc}\n")
        return 2
    try:
        for line in analyze_lines(_lines(sys.stdin.buffer), respond):
            sys.stdout.write(line + "\n")
    except OSError as exc:
        sys.stderr.write(f"analyze: cannot read the input: {exc}\n")
        return 1
    sys.stdout.flush()
    return 0


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    yield from stream


def analyze_lines(lines: Iterable[bytes | str], respond: Respond) -> Iterator[str]:
    """One JSON output line per non-blank input line, errors included, in input order.

    Args:
        lines: JSONL input lines (bytes or text).
        respond: the engine's answer to a first message: respond(text, locale) -> Decision.
    """
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                text_line = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield _error(None, "bad_encoding", f"line {number}: not UTF-8")
                continue
        else:
            text_line = raw
        if not text_line.strip():
            continue
        yield json.dumps(analyze_line(text_line, number, respond), ensure_ascii=False)


def analyze_line(text_line: str, number: int, respond: Respond) -> dict[str, Any]:
    try:
        row = json.loads(text_line)
    except json.JSONDecodeError as exc:
        return _error_dict(None, "bad_json", f"line {number}: not JSON ({exc.msg})")
    if not isinstance(row, dict):
        return _error_dict(None, "bad_row", f"line {number}: expected a JSON object")
    row_id = row.get("id")
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        return _error_dict(
            row_id, "missing_text", f'line {number}: "text" must be a non-empty string'
        )
    locale = row.get("locale")
    if locale is not None and not isinstance(locale, str):
        return _error_dict(row_id, "bad_locale", f'line {number}: "locale" must be a string')
    try:
        decision = respond(text, locale)
    except Exception as exc:  # one bad message must not stop a batch
        return _error_dict(row_id, "engine_error", f"line {number}: {type(exc).__name__}: {exc}")
    return decision_row(row_id, decision)


def decision_row(row_id: Any, decision: Decision) -> dict[str, Any]:
    seen = decision.understanding
    handoff = decision.handoff
    return {
        "id": row_id,
        "topic": seen.topic,
        "emotions": list(seen.emotions),
        "intensity": seen.intensity,
        "safety": seen.safety,
        "wants_human": seen.wants_human,
        "locale": seen.locale,
        "handoff": (
            None
            if handoff is None
            else {"queue": handoff.queue, "reason": handoff.reason, "severity": handoff.severity}
        ),
        "reply": "\n\n".join(decision.replies),
    }


def _error_dict(row_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"id": row_id, "error": {"code": code, "message": message}}


def _error(row_id: Any, code: str, message: str) -> str:
    return json.dumps(_error_dict(row_id, code, message), ensure_ascii=False)
