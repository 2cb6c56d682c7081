"""Training utterances kept as data (`bot/data/nlu/<locale>.yaml`), in the way Rasa keeps nlu.yml.

Each locale file (`en.yaml`, or parts such as `en-generic.yaml`) lists example messages per
topic, per intent, for asking for a person, and per emotion. Ops extend a file by adding
lines; a new language is a new file. A mistake (an unknown topic, a stray value, an empty
example) stops the load with file:line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.conversation.types import EMOTIONS, INTENTS, TOPICS
from bot.conversation.yamlnodes import Node, compose_file
from bot.datafiles import PACKAGED_DATA_DIR, DataFileError

NLU_DIR = "nlu"
# Intents whose examples carry no topic of their own (they steer the dialogue).
DIALOGUE_INTENTS = ("greeting", "thanks", "affirm", "deny", "still_stuck")
# Under `emotions:`, lines that carry no feeling although they sound close to one
# ("great, that fixed it!"): they teach the emotion heads what not to fire on.
NEUTRAL = "neutral"


@dataclass(frozen=True)
class Example:
    text: str
    locale: str
    topic: str | None = None  # None: says nothing about the topic (e.g. "yes")
    intents: tuple[str, ...] = ()
    wants_human: bool = False
    emotion: str | None = None


@dataclass
class NluData:
    examples: list[Example] = field(default_factory=list)
    locales: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def locale_files(subdir: str, data_dir: Path | None) -> dict[str, Path]:
    """`*.yaml` files under `subdir` by name, packaged ones overridden by `data_dir`'s."""
    found: dict[str, Path] = {}
    for base in (PACKAGED_DATA_DIR, data_dir):
        if base is None:
            continue
        folder = Path(base) / subdir
        if folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                found[path.stem] = path
    if not found:
        raise DataFileError(f"{subdir}/: no <locale>.yaml files found")
    return found


def load_nlu(data_dir: Path | None = None) -> NluData:
    """Load every locale's training utterances.

    Args:
        data_dir: an ops folder whose `nlu/<locale>.yaml` files replace the shipped ones
            (and may add locales).
    """
    data = NluData()
    for name, path in locale_files(NLU_DIR, data_dir).items():
        # "en.yaml" and "en-generic.yaml" are both English: a locale may be split in parts.
        locale = name.split("-")[0]
        if locale not in data.locales:
            data.locales.append(locale)
        data.files.append(path)
        data.examples.extend(_read_locale_file(path, locale))
    return data


def _read_locale_file(path: Path, locale: str) -> list[Example]:
    root = compose_file(path)
    examples: list[Example] = []
    known = {"locale", "topics", "intents", "wants_human", "not_wants_human", "emotions"}
    for key, node in root.items():
        if key not in known:
            raise node.key_error(f"unknown section {key!r} (expected one of {sorted(known)})")
        if key == "locale":
            if node.text() != locale:
                raise node.error(f"locale {node.text()!r} does not match the file name")
        elif key == "topics":
            for topic, items in node.items():
                _check(topic in TOPICS, items, f"unknown topic {topic!r}; topics: {TOPICS}")
                examples += [Example(t, locale, topic=topic) for t in _texts(items)]
        elif key == "intents":
            examples += _read_intents(node, locale)
        elif key in ("wants_human", "not_wants_human"):
            examples += _read_person_requests(node, locale, wants=key == "wants_human")
        elif key == "emotions":
            for emotion, items in node.items():
                allowed = emotion in EMOTIONS or emotion == NEUTRAL
                _check(allowed, items, f"unknown emotion {emotion!r}; {(*EMOTIONS, NEUTRAL)}")
                feeling = None if emotion == NEUTRAL else emotion
                examples += [Example(t, locale, emotion=feeling) for t in _texts(items)]
    if not examples:
        raise root.error("no examples in this file")
    return examples


def _read_intents(node: Node, locale: str) -> list[Example]:
    examples: list[Example] = []
    for intent, body in node.items():
        _check(intent in INTENTS, body, f"unknown intent {intent!r}; intents: {INTENTS}")
        topic_node = body.get("topic")
        topic = topic_node.text() if topic_node is not None else None
        if topic_node is not None and topic not in TOPICS:
            raise topic_node.error(f"unknown topic {topic!r}; topics: {TOPICS}")
        if topic is None and intent not in DIALOGUE_INTENTS:
            raise body.key_error(f"intent {intent!r} needs a 'topic:'")
        for key, value in body.items():
            if key not in ("topic", "examples"):
                raise value.key_error(f"unknown key {key!r} (expected 'topic' or 'examples')")
        examples_node = body.get("examples")
        if examples_node is None:
            raise body.key_error(f"intent {intent!r} has no 'examples:'")
        examples += [
            Example(t, locale, topic=topic, intents=(intent,)) for t in _texts(examples_node)
        ]
    return examples


def _read_person_requests(node: Node, locale: str, *, wants: bool) -> list[Example]:
    """A plain list says nothing about the topic; a mapping groups lines by topic
    ("can a person look at my invoice" is billing *and* a request for a person)."""
    if not node.is_mapping():
        return [Example(t, locale, wants_human=wants) for t in _texts(node)]
    examples: list[Example] = []
    for topic, items in node.items():
        _check(topic in TOPICS, items, f"unknown topic {topic!r}; topics: {TOPICS}")
        examples += [Example(t, locale, topic=topic, wants_human=wants) for t in _texts(items)]
    return examples


def _texts(node: Node) -> list[str]:
    texts = node.texts()
    if not texts:
        raise node.error("no examples")
    return texts


def _check(ok: bool, node: Node, message: str) -> None:
    if not ok:
        raise node.key_error(message)
