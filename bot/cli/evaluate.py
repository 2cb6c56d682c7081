"""`python -m bot eval FILE.jsonl`: accuracy per label (topic, emotions, wants_human, safety,
handoff) for a labelled file in the format of shared/data/*.jsonl, through the engine.

`--json` prints the summary as one JSON object instead; `--errors` lists the misses.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.datafiles import DataFileError
from bot.evaluation import EvalFileError, evaluate, format_report, load_respond, read_rows


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("eval", help="measure the engine on labelled JSONL files")
    parser.add_argument("files", nargs="+", type=Path, help="labelled JSONL files")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--errors", action="store_true", help="list the rows it got wrong")
    parser.add_argument("--data-dir", type=Path, help="data files overriding the shipped ones")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        files = {path: read_rows(path) for path in args.files}
    except EvalFileError as exc:
        sys.stderr.write(f"eval: {exc}\n")
        return 2
    try:
        respond = load_respond(args.data_dir)
    except DataFileError as exc:
        sys.stderr.write(f"eval: {exc}\n")
        return 2
    summaries = {}
    for path, rows in files.items():
        report = evaluate(rows, respond)
        summaries[str(path)] = report.summary()
        if not args.json:
            sys.stdout.write(format_report(report, name=path.name) + "\n")
        if args.errors:
            for detail in report.details:
                if _wrong(detail):
                    sys.stdout.write(json.dumps(detail, ensure_ascii=False) + "\n")
    if args.json:
        only = next(iter(summaries.values())) if len(summaries) == 1 else summaries
        sys.stdout.write(json.dumps(only, ensure_ascii=False, indent=2) + "\n")
    return 0


def _wrong(detail: dict[str, object]) -> bool:
    expected = detail["expected"]
    got = detail["got"]
    assert isinstance(expected, dict) and isinstance(got, dict)
    if (
        "topic" in expected
        and expected["topic"]
        and got["topic"] not in str(expected["topic"]).split("|")
    ):
        return True
    emotion = expected.get("emotion", "absent")
    if emotion not in ("absent", None) and emotion not in got["emotions"]:
        return True
    if (
        isinstance(expected.get("wants_human"), bool)
        and expected["wants_human"] != got["wants_human"]
    ):
        return True
    if isinstance(expected.get("handoff"), bool) and expected["handoff"] != got["handoff"]:
        return True
    safety = expected.get("safety")
    return (safety == "urgent") != (got["safety"] == "urgent") if safety else False
