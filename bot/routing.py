"""Queue routing (bot/data/queues.yaml): which Slack channel each queue posts to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.datafiles import DataFileError, find_data_file, load_yaml

ROUTING_FILE = "queues.yaml"


@dataclass(frozen=True)
class Queue:
    name: str
    channel: str
    wait_minutes: int
    labels: dict[str, str]
    ping: str | None = None
    escalate_to: str | None = None

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or self.labels.get("en") or self.name


@dataclass(frozen=True)
class Routing:
    queues: dict[str, Queue]
    topics: dict[str, str]

    def queue(self, name: str) -> Queue:
        return self.queues.get(name) or self.queues["general"]

    def queue_for_topic(self, topic: str | None) -> Queue:
        return self.queue(self.topics.get(topic or "", "general"))

    def channels(self) -> list[str]:
        return sorted({q.channel for q in self.queues.values()})


def load_routing(data_dir: Path | None = None) -> Routing:
    path = find_data_file(ROUTING_FILE, data_dir)
    raw = load_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("queues"), dict):
        raise DataFileError(f"{path}: expected a mapping with `queues:`")
    queues: dict[str, Queue] = {}
    for name, spec in raw["queues"].items():
        if not isinstance(spec, dict) or not spec.get("channel"):
            raise DataFileError(f"{path}: queue `{name}` needs a `channel`")
        labels = spec.get("label") or {}
        if not isinstance(labels, dict):
            raise DataFileError(f"{path}: queue `{name}`: `label` must map locale to text")
        queues[name] = Queue(
            name=name,
            channel=str(spec["channel"]),
            wait_minutes=int(spec.get("wait_minutes", 10)),
            labels={str(k): str(v) for k, v in labels.items()},
            ping=spec.get("ping"),
            escalate_to=spec.get("escalate_to"),
        )
    for required in ("general", "crisis"):
        if required not in queues:
            raise DataFileError(f"{path}: a `{required}` queue is required")
    topics = raw.get("topics") or {}
    for topic, queue in topics.items():
        if queue not in queues:
            raise DataFileError(f"{path}: topic `{topic}` routes to unknown queue `{queue}`")
    return Routing(queues=queues, topics={str(k): str(v) for k, v in topics.items()})
