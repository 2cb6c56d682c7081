"""Measuring the engine on labelled JSONL files (shared/data/*.jsonl and their held-out twins).

A row is `{"id", "text", "locale"?, "topic"? ("a|b" = either is right), "emotion"? (one
emotion, or null = neutral), "wants_human"?, "handoff"? (true/false; null = either),
"safety"? ("urgent" / "not_urgent"), "kind"?}`. Each row is answered as the first message
of a new conversation, through the same `respond` the chat uses, so `handoff` measures the
engine's decision and not only the understanding.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.conversation.types import EMOTIONS, Decision

# respond(text, locale) -> the engine's decision for a first message.
Respond = Callable[[str, "str | None"], Decision]


class EvalFileError(ValueError):
    """The evaluation file cannot be read; the message names the file and line."""


@dataclass
class Rate:
    """hits out of total, with the ids of the misses (for `--errors`)."""

    hits: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, row_id: str) -> None:
        self.total += 1
        if ok:
            self.hits += 1
        else:
            self.misses.append(row_id)

    @property
    def value(self) -> float | None:
        return round(self.hits / self.total, 4) if self.total else None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "hits": self.hits, "total": self.total}


@dataclass
class Report:
    rows: int = 0
    topic: Rate = field(default_factory=Rate)
    topic_by_locale: dict[str, Rate] = field(default_factory=lambda: defaultdict(Rate))
    emotion_hit: Rate = field(default_factory=Rate)  # the labelled emotion is among emotions
    emotion_recall: dict[str, Rate] = field(default_factory=lambda: defaultdict(Rate))
    neutral_empty: Rate = field(default_factory=Rate)  # neutral rows read as neutral
    wants_human_recall: Rate = field(default_factory=Rate)
    wants_human_false_positive: Rate = field(default_factory=Rate)  # hits = false positives
    wants_human_accuracy: Rate = field(default_factory=Rate)
    handoff: Rate = field(default_factory=Rate)
    safety_urgent_recall: Rate = field(default_factory=Rate)
    safety_not_urgent_ratings: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    safety_false_urgent: Rate = field(default_factory=Rate)  # hits = rated urgent
    latencies_ms: list[float] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        recalls = {e: self.emotion_recall[e].value for e in EMOTIONS if e in self.emotion_recall}
        present = [v for v in recalls.values() if v is not None]
        latencies = sorted(self.latencies_ms)
        return {
            "rows": self.rows,
            "topic": {
                "accuracy": self.topic.as_dict(),
                "by_locale": {k: v.as_dict() for k, v in sorted(self.topic_by_locale.items())},
            },
            "emotions": {
                "labelled_in_emotions": self.emotion_hit.as_dict(),
                "recall": recalls,
                "macro_recall": round(sum(present) / len(present), 4) if present else None,
                "neutral_read_as_neutral": self.neutral_empty.as_dict(),
            },
            "wants_human": {
                "recall": self.wants_human_recall.as_dict(),
                "false_positive_rate": self.wants_human_false_positive.as_dict(),
                "accuracy": self.wants_human_accuracy.as_dict(),
            },
            "handoff": {"accuracy": self.handoff.as_dict()},
            "safety": {
                "urgent_recall": self.safety_urgent_recall.as_dict(),
                "not_urgent_ratings_by_kind": {
                    kind: dict(counts)
                    for kind, counts in sorted(self.safety_not_urgent_ratings.items())
                },
                "false_urgent_rate_on_support": self.safety_false_urgent.as_dict(),
            },
            "latency_ms": {
                "p50": _percentile(latencies, 0.50),
                "p99": _percentile(latencies, 0.99),
            },
        }


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a labelled JSONL file; a bad line is an EvalFileError naming file:line."""
    rows: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EvalFileError(f"{path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise EvalFileError(f'{path}:{number}: a row needs a "text" string')
        row.setdefault("id", f"line-{number}")
        rows.append(row)
    return rows


def evaluate(
    rows: Iterable[Mapping[str, Any]],
    respond: Respond,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> Report:
    """Answer every row and score the answers against the labels.

    Args:
        rows: labelled rows (see the module docstring).
        respond: the engine's answer to a first message: respond(text, locale) -> Decision.
        clock: a monotonic clock in seconds, for the latency figures.
    """
    report = Report()
    for row in rows:
        report.rows += 1
        row_id = str(row.get("id"))
        started = clock()
        decision = respond(str(row["text"]), row.get("locale"))
        report.latencies_ms.append((clock() - started) * 1000.0)
        _score(report, row, row_id, decision)
    return report


def _score(report: Report, row: Mapping[str, Any], row_id: str, decision: Decision) -> None:
    seen = decision.understanding
    if row.get("topic"):
        ok = seen.topic in str(row["topic"]).split("|")
        report.topic.add(ok, row_id)
        report.topic_by_locale[str(row.get("locale") or "?")].add(ok, row_id)
    if "emotion" in row:
        label = row["emotion"]
        if label is None:
            report.neutral_empty.add(not seen.emotions, row_id)
        else:
            report.emotion_hit.add(label in seen.emotions, row_id)
            report.emotion_recall[str(label)].add(label in seen.emotions, row_id)
    if isinstance(row.get("wants_human"), bool):
        wanted = bool(row["wants_human"])
        report.wants_human_accuracy.add(seen.wants_human == wanted, row_id)
        if wanted:
            report.wants_human_recall.add(seen.wants_human, row_id)
        else:
            report.wants_human_false_positive.add(seen.wants_human, row_id)
    if isinstance(row.get("handoff"), bool):
        report.handoff.add((decision.handoff is not None) == row["handoff"], row_id)
    safety = row.get("safety")
    if safety == "urgent":
        report.safety_urgent_recall.add(seen.safety == "urgent", row_id)
    elif safety == "not_urgent":
        kind = str(row.get("kind") or "unlabelled")
        report.safety_not_urgent_ratings[kind][seen.safety] += 1
        if kind == "support":
            report.safety_false_urgent.add(seen.safety == "urgent", row_id)
    else:
        # A support row: crisis handling here would be a false alarm.
        report.safety_false_urgent.add(seen.safety == "urgent", row_id)
    report.details.append(
        {
            "id": row_id,
            "text": row["text"],
            "expected": {k: row[k] for k in _LABELS if k in row},
            "got": {
                "topic": seen.topic,
                "emotions": list(seen.emotions),
                "wants_human": seen.wants_human,
                "handoff": decision.handoff is not None,
                "safety": seen.safety,
            },
        }
    )


_LABELS = ("topic", "emotion", "wants_human", "handoff", "safety", "kind")


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))
    return round(sorted_values[index], 3)


def format_report(report: Report, *, name: str = "") -> str:
    """The summary as a few aligned lines for a person reading a terminal."""
    s = report.summary()
    lines = [f"{name} ({s['rows']} rows)" if name else f"{s['rows']} rows"]

    def rate(label: str, r: dict[str, Any], note: str = "") -> None:
        if r["total"]:
            lines.append(f"  {label:<34} {r['value']:.3f}  ({r['hits']}/{r['total']}){note}")

    rate("topic accuracy", s["topic"]["accuracy"])
    for locale, r in s["topic"]["by_locale"].items():
        rate(f"  topic accuracy [{locale}]", r)
    e = s["emotions"]
    rate("emotion: labelled among emotions", e["labelled_in_emotions"])
    for emotion, value in e["recall"].items():
        lines.append(f"    recall {emotion:<26} {value:.3f}")
    if e["macro_recall"] is not None:
        lines.append(f"  {'emotion macro recall':<34} {e['macro_recall']:.3f}")
    rate("emotion: neutral read as neutral", e["neutral_read_as_neutral"])
    w = s["wants_human"]
    rate("wants_human recall", w["recall"])
    rate("wants_human false-positive rate", w["false_positive_rate"])
    rate("wants_human accuracy", w["accuracy"])
    rate("handoff accuracy", s["handoff"]["accuracy"])
    sf = s["safety"]
    rate("safety: urgent recall", sf["urgent_recall"])
    for kind, counts in sf["not_urgent_ratings_by_kind"].items():
        shown = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        lines.append(f"    not-urgent '{kind}' rated as: {shown}")
    rate("safety: false-urgent on support rows", sf["false_urgent_rate_on_support"])
    lat = s["latency_ms"]
    if lat["p50"] is not None:
        lines.append(f"  {'latency ms p50 / p99':<34} {lat['p50']:.3f} / {lat['p99']:.3f}")
    return "\n".join(lines)


def load_respond(data_dir: Path | None = None) -> Respond:
    """The engine's `respond` for a first message, built once (trains the classifier).

    Args:
        data_dir: an ops folder of data files overriding the shipped ones.
    """
    from bot.conversation.engine import Engine

    engine = Engine.load(data_dir=data_dir)

    def respond(text: str, locale: str | None) -> Decision:
        return engine.respond(text, None, locale=locale)

    return respond
