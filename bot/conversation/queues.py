"""The engine's view of queue routing (bot/data/queues.yaml, read by bot.routing): which
queue a topic goes to, who the person is told is coming ("a billing specialist"), and the
wait we quote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.datafiles import DataFileError, find_data_file, line_of
from bot.routing import ROUTING_FILE, Routing, load_routing

# Queues the engine routes to by name, whatever the topic map says; the file must have them
# (bot.routing would quietly send a missing one to `general`).
REQUIRED_QUEUES: tuple[str, ...] = ("crisis", "clinical", "privacy", "general")
FALLBACK_QUEUE = "general"


@dataclass(frozen=True)
class QueueRouting:
    routing: Routing

    @classmethod
    def load(cls, *, data_dir: Path | None = None) -> QueueRouting:
        """Read queues.yaml and check it has every queue the engine names.

        Args:
            data_dir: an override folder; its queues.yaml wins over the packaged one.
        """
        routing = load_routing(data_dir)
        missing = [q for q in REQUIRED_QUEUES if q not in routing.queues]
        if missing:
            path = find_data_file(ROUTING_FILE, data_dir)
            line = line_of(path, "queues:")
            where = f"{path}:{line}" if line else str(path)
            raise DataFileError(f"{where}: missing queue(s) {missing}; the engine routes to them")
        return cls(routing)

    def for_topic(self, topic: str) -> str:
        return self.routing.queue_for_topic(topic).name

    def label(self, queue: str, *, locale: str) -> str:
        return self.routing.queue(queue).label(locale)

    def wait_minutes(self, queue: str) -> int:
        return self.routing.queue(queue).wait_minutes
