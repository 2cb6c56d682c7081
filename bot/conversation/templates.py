"""The template library: the bot's lines, per locale, loaded from YAML and rendered.

Each locale file (bot/data/templates/<locale>.yaml) holds the reflection word tables, the
per-topic lines for each emotion family, the self-serve answers, the questions, and the
system lines. Every template has an id (explicit, or its place in the file such as
`en:billing.reflect.upset.1`) so a conversation can remember what it already said.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.conversation.reflect import ReflectionRules, Reflector
from bot.conversation.types import INTENTS, TOPICS, Emotion
from bot.datafiles import PACKAGED_DATA_DIR, DataFileError, load_yaml

TEMPLATES_DIR = "templates"
LOCALES: tuple[str, ...] = ("en", "sv")

# Emotion families: frustrated and angry want the same acknowledgement.
FAMILIES: tuple[str, ...] = ("neutral", "upset", "worried", "sad", "confused")
FAMILY_OF: dict[Emotion, str] = {
    "frustrated": "upset",
    "angry": "upset",
    "anxious": "worried",
    "sad": "sad",
    "confused": "confused",
}
# When several feelings are read, the one to acknowledge first: anger and frustration are
# the ones a reply that ignores them makes worse.
FAMILY_PRIORITY: tuple[str, ...] = ("upset", "worried", "sad", "confused")


def feeling_family(emotions: Sequence[Emotion]) -> str:
    """The emotion family a reply acknowledges ("neutral" when no feeling was read)."""
    families = {FAMILY_OF[e] for e in emotions if e in FAMILY_OF}
    return next((f for f in FAMILY_PRIORITY if f in families), "neutral")


TOPIC_KINDS: tuple[str, ...] = ("reflect", "own")  # per emotion family
TOPIC_STEPS: tuple[str, ...] = ("offer", "next")  # per topic: who, what, when
SELFSERVE_INTENTS: tuple[str, ...] = tuple(i for i in INTENTS if i.startswith("howto_"))
QUESTION_KINDS: tuple[str, ...] = ("confirm", "worked", "repair", "open")
LINE_KINDS: tuple[str, ...] = (
    "wants_human",
    "frustration",
    "no_progress",
    "still_stuck",
    "confirmed",
    "repair",
    "thanks",
    "greeting_only",
    "question_about",
    "queued_ack",
    "summary_wants_human",
    "summary_crisis",
    "check_in_safe",
)
SYSTEM_KEYS: tuple[str, ...] = (
    "greeting",
    "agent_joined",
    "resolved",
    "released",
    "transferred",
    "queued_ack",
    "reopened",
    # The toolkit's lines (bot/compensation.py, bot/incidents.py, bot/contact.py).
    "compensation_waiver",
    "compensation_credit",
    "incident_linked",
    "incident_update",
    "incident_resolved",
    "contact_offer",
    "contact_phone",
    "contact_text",
    "contact_chat",
)
# The slots a template may use (a line in SYSTEM_SLOTS: only its own); anything else is a
# typo the check names.
SLOTS: frozenset[str] = frozenset(
    {"reflection", "Reflection", "issue", "Issue", "who", "Who", "wait", "name"}
)
_INCIDENT_SLOTS = frozenset({"title", "Title", "time"})
# System lines whose callers fill exactly these slots: any other slot would fail only when
# the line is sent, inside the transaction that sends it, so it is refused at load instead.
SYSTEM_SLOTS: dict[str, frozenset[str]] = {
    "compensation_waiver": frozenset({"amount"}),
    "compensation_credit": frozenset({"amount"}),
    "incident_linked": _INCIDENT_SLOTS,
    "incident_update": _INCIDENT_SLOTS,
    "incident_resolved": frozenset({"title", "Title"}),
    "contact_offer": frozenset(),
    "contact_phone": frozenset(),
    "contact_text": frozenset(),
    "contact_chat": frozenset(),
}


@dataclass(frozen=True)
class Template:
    id: str
    text: str
    group: str  # dotted place in the file: "billing.reflect.upset", "system.greeting"
    locale: str
    file: Path
    line: int | None = None

    @property
    def kind(self) -> str:
        """What the template is for: reflect, own, offer, next, selfserve, question, ..."""
        head, _, rest = self.group.partition(".")
        if head in TOPICS:
            return rest.split(".")[0]
        return head


@dataclass
class LocaleLibrary:
    locale: str
    file: Path
    reflector: Reflector
    issues: dict[str, str]  # topic -> how the issue is named
    topic_words: dict[str, tuple[str, ...]]  # word stems that mark the topic
    wants: dict[str, str]  # self-serve intent -> what the person wants, reflected
    groups: dict[str, tuple[Template, ...]] = field(default_factory=dict)
    # How a yes or a no answers crisis.py's check-in questions (matched on the question):
    # "no" to "are you safe?" is danger, "yes" to "are you having thoughts of ...?" is.
    danger_if_no: tuple[re.Pattern[str], ...] = ()
    danger_if_yes: tuple[re.Pattern[str], ...] = ()

    def answer_is_danger(self, question: str, *, yes: bool, no: bool) -> bool:
        """Whether a yes/no answer to a check-in question says the person is not safe."""
        if no and any(p.search(question) for p in self.danger_if_no):
            return True
        return yes and any(p.search(question) for p in self.danger_if_yes)

    def group(self, name: str) -> tuple[Template, ...]:
        try:
            return self.groups[name]
        except KeyError:
            raise KeyError(f"{self.file}: no templates for {name!r}") from None

    def templates(self) -> Iterable[Template]:
        for group in self.groups.values():
            yield from group


class TemplateLibrary:
    """All locales' templates; `pick` chooses a line not yet used in the conversation."""

    def __init__(self, locales: dict[str, LocaleLibrary], default_locale: str = "en") -> None:
        self.locales = locales
        self.default_locale = default_locale

    @classmethod
    def load(cls, *, data_dir: Path | None = None, path: Path | None = None) -> TemplateLibrary:
        """Load every locale file.

        Args:
            data_dir: an override folder; a `templates/<locale>.yaml` there wins.
            path: a template file or a folder of them (for `templates check PATH`).
        """
        files: dict[str, Path] = {}
        for directory in (PACKAGED_DATA_DIR / TEMPLATES_DIR,) + (
            (Path(data_dir) / TEMPLATES_DIR,) if data_dir is not None else ()
        ):
            if directory.is_dir():
                for f in sorted(directory.glob("*.yaml")):
                    files[f.stem] = f
        if path is not None:
            path = Path(path)
            if path.is_dir():
                chosen = sorted(path.glob("*.yaml"))
                if not chosen:
                    raise DataFileError(f"{path}: no *.yaml template files")
                files = {f.stem: f for f in chosen}
            elif path.is_file():
                files = {path.stem: path}
            else:
                raise DataFileError(f"{path}: no such file or folder")
        if not files:
            raise DataFileError("templates: no template files found")
        return cls({loc: load_locale(f) for loc, f in files.items()})

    def for_locale(self, locale: str | None) -> LocaleLibrary:
        if locale in self.locales:
            return self.locales[locale]  # type: ignore[index]
        if self.default_locale in self.locales:
            return self.locales[self.default_locale]
        return next(iter(self.locales.values()))

    def pick(
        self,
        locale: str | None,
        group: str,
        used: Sequence[str],
        salt: int = 0,
        *,
        leading: bool = False,
    ) -> Template:
        """A template from `group` not in `used`; then one from the generic `other` topic's
        same group; if all were used, the least recently used of `group`.

        Args:
            salt: rotates the starting point so two conversations don't sound alike.
            leading: prefer templates that open with the person's words ({Reflection}),
                for reflections that are already a sentence of their own ("You'd like to
                know ..." reads badly after "You're telling me").
        """
        lib = self.for_locale(locale)
        chain = [group]
        topic, _, rest = group.partition(".")
        if topic in TOPICS and topic != "other":
            # Every topic's lines can fall back on the generic ones before repeating.
            chain.append(f"other.{rest}")
        for name in chain:
            options = _opening(lib.group(name)) if leading else lib.group(name)
            fresh = [t for t in options if t.id not in used]
            if fresh:
                return fresh[salt % len(fresh)]
        options = _opening(lib.group(group)) if leading else lib.group(group)
        last_use = {tid: k for k, tid in enumerate(used)}
        return min(options, key=lambda t: last_use.get(t.id, -1))


def _opening(options: tuple[Template, ...]) -> tuple[Template, ...]:
    return tuple(t for t in options if t.text.startswith("{Reflection}")) or options


def render(text: str, **values: str) -> str:
    """Fill a template's slots; {Who}/{Reflection}/{Issue} are the capitalised forms."""
    # str.format_map: a missing slot is a KeyError, as callers expect; done in C, it is
    # several times faster than string.Formatter (every reply renders a few templates).
    return text.format_map(slot_values(values))


def slot_values(values: Mapping[str, str]) -> dict[str, str]:
    """What `render` fills slots from: each value, and capitalised under its capitalised
    name. Made once, it fills every template of a reply (`text.format_map(filled)`)."""
    filled: dict[str, str] = {}
    for key, value in values.items():
        filled[key] = value
        filled[key[:1].upper() + key[1:]] = _capitalise(value)
    return filled


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def slots_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def load_locale(path: Path) -> LocaleLibrary:
    """Load and validate one locale file; errors name the file and the line."""
    data = _parse(path)
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: expected a mapping at the top")
    locale = str(data.get("locale") or path.stem)

    lines_of_file = path.read_text(encoding="utf-8").splitlines()

    cursor = 0  # templates come in file order: search on from the last one found

    def line_of(needle: str) -> int | None:
        nonlocal cursor
        for start in (cursor, 0):
            for number in range(start, len(lines_of_file)):
                if needle in lines_of_file[number]:
                    cursor = number
                    return number + 1
        return None

    def line_of_text(text: str) -> int | None:
        # The file spells quotes as \" inside double-quoted strings; try both spellings.
        head = text[:60]
        return line_of(head) or line_of(head.replace('"', '\\"'))

    def where(needle: str) -> str:
        line = line_of(needle)
        return f"{path}:{line}" if line else str(path)

    def need(mapping: Any, key: str, context: str) -> Any:
        if not isinstance(mapping, dict) or key not in mapping:
            raise DataFileError(f"{where(context + ':')}: missing `{key}` under `{context}`")
        return mapping[key]

    rules = ReflectionRules.from_data(locale, need(data, "reflection", "top"), source=path)
    lib = LocaleLibrary(
        locale=locale,
        file=path,
        reflector=Reflector(rules),
        issues={},
        topic_words={},
        wants={},
    )

    def add(group: str, raw: Any, anchor: str, slots: frozenset[str] = SLOTS) -> None:
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise DataFileError(f"{where(anchor)}: `{group}` needs a list of templates")
        items = []
        for k, item in enumerate(raw, 1):
            if isinstance(item, dict) and "text" in item:
                tid, text = str(item.get("id") or f"{locale}:{group}.{k}"), str(item["text"])
            elif isinstance(item, str):
                tid, text = f"{locale}:{group}.{k}", item
            else:
                raise DataFileError(f"{where(anchor)}: `{group}` item {k} is not a template")
            unknown = slots_of(text) - slots
            if unknown:
                line = line_of_text(text)
                raise DataFileError(
                    f"{path}{f':{line}' if line else ''}: {tid}: "
                    f"unknown slot(s) {sorted(unknown)}; "
                    + (f"use {sorted(slots)}" if slots else "this line takes no slots")
                )
            items.append(Template(tid, text, group, locale, path, line_of_text(text)))
        lib.groups[group] = tuple(items)

    topics = need(data, "topics", "top")
    for topic in TOPICS:
        spec = need(topics, topic, "topics")
        lib.issues[topic] = str(need(spec, "issue", topic))
        lib.topic_words[topic] = tuple(str(w).lower() for w in spec.get("words") or [])
        for kind in TOPIC_KINDS:
            per_family = need(spec, kind, topic)
            for family in FAMILIES:
                add(f"{topic}.{kind}.{family}", need(per_family, family, kind), f"{topic}:")
        for kind in TOPIC_STEPS:
            add(f"{topic}.{kind}", need(spec, kind, topic), f"{topic}:")
    selfserve = need(data, "selfserve", "top")
    for intent in SELFSERVE_INTENTS:
        add(f"selfserve.{intent}", need(selfserve, intent, "selfserve"), f"{intent}:")
    add("selfserve.fallback", need(selfserve, "fallback", "selfserve"), "fallback:")
    wants = need(selfserve, "want", "selfserve")
    for intent in SELFSERVE_INTENTS:
        lib.wants[intent] = str(need(wants, intent, "want"))
    questions = need(data, "questions", "top")
    for kind in QUESTION_KINDS:
        add(f"question.{kind}", need(questions, kind, "questions"), f"{kind}:")
    lines = need(data, "lines", "top")
    for kind in LINE_KINDS:
        add(f"line.{kind}", need(lines, kind, "lines"), f"{kind}:")
    system = need(data, "system", "top")
    for key in SYSTEM_KEYS:
        slots = SYSTEM_SLOTS.get(key, SLOTS)
        add(f"system.{key}", need(system, key, "system"), f"{key}:", slots)
    answers = need(data, "check_in_answers", "top")
    for key in ("danger_if_no", "danger_if_yes"):
        raw = need(answers, key, "check_in_answers")
        if not isinstance(raw, list) or not raw:
            raise DataFileError(f"{where(key + ':')}: `{key}` needs a list of patterns")
        try:
            compiled = tuple(re.compile(str(p), re.IGNORECASE) for p in raw)
        except re.error as exc:
            raise DataFileError(f"{where(key + ':')}: `{key}`: {exc}") from exc
        setattr(lib, key, compiled)
    _check_unique_ids(lib)
    return lib


def _parse(path: Path) -> Any:
    # libyaml parses the library ~10x faster than pure-Python PyYAML (Engine.load has a
    # 2 s budget); on any error the shared loader re-reads it for a file:line message.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=loader)
    except (yaml.YAMLError, OSError):
        return load_yaml(path)


def _check_unique_ids(lib: LocaleLibrary) -> None:
    seen: dict[str, Template] = {}
    for t in lib.templates():
        if t.id in seen:
            raise DataFileError(f"{t.file}:{t.line or '?'}: duplicate template id {t.id!r}")
        seen[t.id] = t


_SENTENCE_END_RE = re.compile(r"[.!?]\s*$")


def sentence(text: str) -> str:
    """Capitalise and end with a full stop unless it already ends a sentence."""
    text = _capitalise(text.strip())
    return text if _SENTENCE_END_RE.search(text) else text + "."
