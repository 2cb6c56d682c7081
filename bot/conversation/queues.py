"""Queue routing (bot/data/queues.yaml): which queue a topic goes to, who the person is told
is coming ("a billing specialist"), and the wait we quote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.datafiles import DataFileError, find_data_file, line_of, load_yaml

QUEUES_FILE = "queues.yaml"
# Queues the engine routes to by name, whatever the topic map says; the file must have them.
REQUIRED_QUEUES: tuple[str, ...] = ("crisis", "clinical", "privacy", "general")
FALLBACK_QUEUE = "general"


@dataclass(frozen=True)
class Queue:
    name: str
    channel: str
    wait_minutes: int
    labels: dict[str, str]  # locale -> "a billing specialist"


@dataclass(frozen=True)
class QueueRouting:
    queues: dict[str, Queue]
    topics: dict[str, str]  # topic -> queue name

    @classmethod
    def load(cls, *, data_dir: Path | None = None) -> QueueRouting:
        """Read and validate queues.yaml.

        Args:
            data_dir: an override folder; its queues.yaml wins over the packaged one.
        """
        path = find_data_file(QUEUES_FILE, data_dir)
        data = load_yaml(path)

        def fail(needle: str, message: str) -> DataFileError:
            line = line_of(path, needle)
            return DataFileError(f"{path}{f':{line}' if line else ''}: {message}")

        if not isinstance(data, dict) or not isinstance(data.get("queues"), dict):
            raise fail("queues:", "expected a `queues:` mapping")
        queues: dict[str, Queue] = {}
        for name, spec in data["queues"].items():
            if not isinstance(spec, dict):
                raise fail(f"{name}:", f"queue {name!r} must be a mapping")
            labels = spec.get("label")
            wait = spec.get("wait_minutes")
            if not isinstance(labels, dict) or not labels:
                raise fail(f"{name}:", f"queue {name!r} needs `label: {{en: ...}}`")
            if not isinstance(wait, int) or isinstance(wait, bool) or wait < 0:
                raise fail(f"{name}:", f"queue {name!r} needs a whole `wait_minutes` >= 0")
            queues[str(name)] = Queue(
                name=str(name),
                channel=str(spec.get("channel") or ""),
                wait_minutes=wait,
                labels={str(k): str(v) for k, v in labels.items()},
            )
        missing = [q for q in REQUIRED_QUEUES if q not in queues]
        if missing:
            raise fail("queues:", f"missing queue(s) {missing}")
        topics_raw = data.get("topics") or {}
        if not isinstance(topics_raw, dict):
            raise fail("topics:", "`topics:` must map topic -> queue")
        topics: dict[str, str] = {}
        for topic, queue in topics_raw.items():
            if queue not in queues:
                raise fail(f"{topic}:", f"topic {topic!r} routes to unknown queue {queue!r}")
            topics[str(topic)] = str(queue)
        return cls(queues=queues, topics=topics)

    def for_topic(self, topic: str) -> str:
        return self.topics.get(topic, FALLBACK_QUEUE)

    def label(self, queue: str, *, locale: str) -> str:
        q = self.queues.get(queue) or self.queues[FALLBACK_QUEUE]
        return q.labels.get(locale) or q.labels.get("en") or next(iter(q.labels.values()))

    def wait_minutes(self, queue: str) -> int:
        return (self.queues.get(queue) or self.queues[FALLBACK_QUEUE]).wait_minutes
