"""Safety detection: does this message say someone may be in danger?

Recall comes first (DESIGN.md "Understanding → safety"): a missed crisis is the worst failure
this product can have, so the lexicons are broad and the only things that lower a rating are
explicit — an idiom ("this bill is killing me"), a past or third-person context ("after my
brother's suicide"), or a plain denial ("I'm not suicidal, I just want a refund"). Those are
*masks*: the words they cover are blanked before the danger rules run, so the rest of the
same sentence is still read.

Everything tunable lives in `bot/data/safety/<locale>.yaml` (see the header of en.yaml for
the format). Long posts are read sentence by sentence, and weak distress signals add up
across a post and across the person's earlier messages (`history`), so distress that builds
up becomes urgent even when no single sentence is.

The model is pure: files are read and regexes compiled in `load`; `assess` does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.conversation.types import Safety
from bot.conversation.yamlnodes import Node, compose_file
from bot.datafiles import find_data_file

LOCALES: tuple[str, ...] = ("en", "sv")
DEFAULT_LOCALE = "en"
_LEVELS: dict[str, Safety] = {"none": "none", "check_in": "check_in", "urgent": "urgent"}
_RANK: dict[Safety, int] = {"none": 0, "check_in": 1, "urgent": 2}
# A masked span is replaced by this so neighbouring words do not join into a new match.
_MASK_FILL = " \u2022 "
_MACRO = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;:])\s+|\n+|(?<=[.!?])(?=[A-ZÅÄÖ])")
# Folding makes "I’m", "Im" and "I'm" one spelling, and "självmord"/"sjalvmord" one word:
# people type fast on phones and drop apostrophes and Swedish letters.
_FOLD = str.maketrans(
    {
        "\u2019": "",
        "\u2018": "",
        "\u00b4": "",
        "`": "",
        "'": "",
        "å": "a",
        "ä": "a",
        "ö": "o",
        "é": "e",
        "\u2013": "-",
        "\u2014": "-",
    }
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SafetyAssessment:
    """How worried to be about one message, and why (`kind`, for audit only)."""

    level: Safety
    kind: str | None = None


def fold(text: str) -> str:
    """The spelling texts are matched in: lower case, no apostrophes, å/ä/ö as a/a/o."""
    return _SPACES.sub(" ", text.lower().translate(_FOLD)).strip()


def _fold_pattern(node: Node) -> str:
    # Patterns get the same folding as texts, except lower-casing: that would turn
    # regex escapes such as \B or \S into different ones.
    pattern = node.text()
    if re.search(r"(?<!\\)[A-ZÅÄÖ]", pattern):
        raise node.error("patterns are written in lower case (texts are lower-cased first)")
    return pattern.translate(_FOLD)


class _Matcher:
    """A list of patterns searched as one, fast.

    Python's `re` skips quickly to where a match can start only when it can tell the
    first character; a leading \\b hides it and makes a search about five times slower.
    So patterns that begin with \\b are compiled without it, and the word boundary is
    checked at each hit instead (same result: the boundary depends only on where a
    match starts).
    """

    def __init__(self, bounded: re.Pattern[str] | None, free: re.Pattern[str] | None):
        self._bounded = bounded
        self._free = free

    def search(self, text: str) -> bool:
        if self._free is not None and self._free.search(text):
            return True
        return self._bounded is not None and next(self._bounded_hits(text), None) is not None

    def subn(self, fill: str, text: str) -> tuple[str, int]:
        hits = 0
        if self._bounded is not None:
            pieces: list[str] = []
            last = 0
            for match in self._bounded_hits(text):
                pieces += [text[last : match.start()], fill]
                last = match.end()
                hits += 1
            if hits:
                text = "".join(pieces) + text[last:]
        if self._free is not None:
            text, more = self._free.subn(fill, text)
            hits += more
        return text, hits

    def _bounded_hits(self, text: str) -> Iterator[re.Match[str]]:
        assert self._bounded is not None
        pos = 0
        while (match := self._bounded.search(text, pos)) is not None:
            start = match.start()
            if _is_word(text, start - 1) != _is_word(text, start):
                yield match
                pos = max(match.end(), start + 1)
            else:
                pos = start + 1


def _is_word(text: str, index: int) -> bool:
    if index < 0 or index >= len(text):
        return False
    char = text[index]
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class _Mask:
    kind: str
    level: Safety  # what the masked words alone are worth: "none" or "check_in"
    pattern: _Matcher


@dataclass(frozen=True)
class _Rule:
    kind: str
    level: Safety  # "urgent" or "check_in"
    weight: int  # how much a match adds towards `threshold`; 0 for urgent rules
    pattern: _Matcher
    # Downgrades an urgent match to check_in when the same sentence matches it
    # ("I won't be here next week, I'm on vacation").
    unless: _Matcher | None


@dataclass(frozen=True)
class _Lexicon:
    locale: str
    masks: tuple[_Mask, ...]
    rules: tuple[_Rule, ...]
    threshold: int  # summed check_in weight that makes a conversation urgent
    window: int  # how many earlier user messages count towards it


@dataclass(frozen=True)
class _SentenceResult:
    level: Safety
    kind: str | None
    weight: int


class SafetyModel:
    """Rates a message `none`, `check_in` or `urgent` from per-locale YAML lexicons."""

    def __init__(self, lexicons: dict[str, _Lexicon]) -> None:
        # Each locale reads with its own lexicon first and then every other one: people mix
        # languages and a short message's detected locale is a guess. All masks run
        # before any rule, so an English idiom is not re-read by the Swedish rules.
        self._readers = {
            locale: _merge(own, [other for other in lexicons.values() if other is not own])
            for locale, own in lexicons.items()
        }

    @classmethod
    def load(cls, *, data_dir: Path | None = None) -> SafetyModel:
        """Read and validate `safety/<locale>.yaml` for every supported locale.

        Args:
            data_dir: an override folder; a file there wins over the packaged one.

        Raises:
            DataFileError: a file is missing or malformed (the message names file and line).
        """
        lexicons = {
            locale: _load_lexicon(find_data_file(f"safety/{locale}.yaml", data_dir), locale)
            for locale in LOCALES
        }
        return cls(lexicons)

    def assess(self, text: str, *, locale: str, history: Sequence[str] = ()) -> SafetyAssessment:
        """Rate `text`, reading earlier user messages for distress that builds up.

        Args:
            text: the person's message, any length (long posts are read per sentence).
            locale: "en" or "sv"; anything else is read as English.
            history: the person's earlier messages in this conversation, oldest first.
        """
        reader = self._reader(locale)
        level, kind, weight = _read_text(text, reader)
        if level != "check_in":
            return SafetyAssessment(level, kind)
        # Distress that builds up: this message is worrying but not alarming on its own,
        # so count what the last few messages already said.
        earlier = 0
        for previous in list(history)[-reader.window :]:
            prev_level, _, prev_weight = _read_text(previous, reader)
            earlier += reader.threshold if prev_level == "urgent" else prev_weight
        if weight > 0 and weight + earlier >= reader.threshold:
            return SafetyAssessment("urgent", "cumulative_distress")
        return SafetyAssessment(level, kind)

    def _reader(self, locale: str) -> _Lexicon:
        base = (locale or DEFAULT_LOCALE).lower().replace("_", "-").split("-")[0]
        return self._readers.get(base) or self._readers[DEFAULT_LOCALE]


def _merge(own: _Lexicon, others: list[_Lexicon]) -> _Lexicon:
    masks = own.masks + tuple(mask for other in others for mask in other.masks)
    rules = own.rules + tuple(rule for other in others for rule in other.rules)
    # Urgent rules first: one urgent match settles a sentence.
    ordered = tuple(sorted(rules, key=lambda rule: 0 if rule.level == "urgent" else 1))
    return _Lexicon(own.locale, masks, ordered, own.threshold, own.window)


def _read_text(text: str, lexicon: _Lexicon) -> tuple[Safety, str | None, int]:
    best: _SentenceResult = _SentenceResult("none", None, 0)
    total_weight = 0
    for sentence in _sentences(text):
        result = _assess_sentence(fold(sentence), lexicon)
        total_weight += result.weight
        if _RANK[result.level] > _RANK[best.level]:
            best = result
        if best.level == "urgent":
            return "urgent", best.kind, total_weight
    if total_weight >= lexicon.threshold:
        # A long post with several weaker signals is read as one voice, not as
        # separate harmless sentences.
        if best.level == "check_in":
            return "urgent", "cumulative_distress", total_weight
        return "check_in", "cumulative_distress", total_weight
    return best.level, best.kind, total_weight


def _sentences(text: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCE_BREAK.split(text)]
    return [part for part in parts if part]


def _assess_sentence(sentence: str, lexicon: _Lexicon) -> _SentenceResult:
    masked_level: Safety = "none"
    masked_kind: str | None = None
    for mask in lexicon.masks:
        sentence, hits = mask.pattern.subn(_MASK_FILL, sentence)
        if hits and _RANK[mask.level] >= _RANK[masked_level]:
            masked_level, masked_kind = mask.level, mask.kind
    best = _SentenceResult(masked_level, masked_kind, 0)
    weight = 0
    for rule in lexicon.rules:
        if not rule.pattern.search(sentence):
            continue
        level = rule.level
        if level == "urgent" and rule.unless is not None and rule.unless.search(sentence):
            level = "check_in"
        if level == "urgent":
            return _SentenceResult("urgent", rule.kind, weight)
        weight += rule.weight
        if level != "none" and (_RANK[level] > _RANK[best.level] or best.kind == masked_kind):
            best = _SentenceResult(level, rule.kind, 0)
    return _SentenceResult(best.level, best.kind, weight)


# --- loading and validation ---------------------------------------------------------------


def _load_lexicon(path: Path, locale: str) -> _Lexicon:
    root = compose_file(path)
    allowed = {"locale", "macros", "masks", "rules", "cumulative"}
    for key, node in root.items():
        if key not in allowed:
            raise node.error(f"unknown key {key!r} (expected one of {sorted(allowed)})")
    locale_node = _required(root, "locale")
    if locale_node.text() != locale:
        raise locale_node.error(f"locale is {locale_node.text()!r} but the file is for {locale!r}")
    macros = _load_macros(root.get("macros"))
    masks: list[_Mask] = []
    for entry in _required(root, "masks").sequence():
        _check_keys(entry, required={"kind", "level", "patterns"}, optional=set())
        level = _level(_required(entry, "level"), allowed=("none", "check_in"))
        pattern = _compile_group(_required(entry, "patterns"), macros)
        masks.append(_Mask(_required(entry, "kind").text(), level, pattern))
    rules: list[_Rule] = []
    for entry in _required(root, "rules").sequence():
        _check_keys(entry, required={"kind", "level", "patterns"}, optional={"weight", "unless"})
        level = _level(_required(entry, "level"), allowed=("none", "check_in", "urgent"))
        weight_node = entry.get("weight")
        weight = 0 if level == "urgent" else 1
        if weight_node is not None:
            if level == "urgent":
                raise weight_node.error("weight does not apply to urgent rules")
            weight = _whole_number(weight_node)
        unless_node = entry.get("unless")
        unless = _compile_group(unless_node, macros) if unless_node is not None else None
        pattern = _compile_group(_required(entry, "patterns"), macros)
        rules.append(_Rule(_required(entry, "kind").text(), level, weight, pattern, unless))
    cumulative = _required(root, "cumulative")
    _check_keys(cumulative, required={"threshold", "window"}, optional=set())
    threshold = _whole_number(_required(cumulative, "threshold"))
    window = _whole_number(_required(cumulative, "window"))
    if threshold < 1:
        raise _required(cumulative, "threshold").error("threshold must be at least 1")
    return _Lexicon(locale, tuple(masks), tuple(rules), threshold, window)


def _required(node: Node, key: str) -> Node:
    value = node.get(key)
    if value is None:
        raise node.error(f"missing key {key!r}")
    return value


def _check_keys(node: Node, *, required: set[str], optional: set[str]) -> None:
    present = set()
    for key, value in node.items():
        if key not in required | optional:
            raise value.error(f"unknown key {key!r} (expected {sorted(required | optional)})")
        present.add(key)
    missing = required - present
    if missing:
        raise node.error(f"missing key(s) {sorted(missing)}")


def _level(node: Node, *, allowed: tuple[str, ...]) -> Safety:
    text = node.text()
    if text not in allowed:
        raise node.error(f"level must be one of {list(allowed)}, got {text!r}")
    return _LEVELS[text]


def _whole_number(node: Node) -> int:
    value = node.number()
    if value != int(value) or value < 0:
        raise node.error(f"expected a whole number >= 0, got {node.text()!r}")
    return int(value)


def _load_macros(node: Node | None) -> dict[str, str]:
    macros: dict[str, str] = {}
    if node is None:
        return macros
    for name, value in node.items():
        expanded = _expand(value, _fold_pattern(value), macros)
        try:
            re.compile(expanded)
        except re.error as exc:
            raise value.error(f"macro {name!r} is not a valid regex: {exc}") from None
        # Names are folded like the patterns that use them ({förr} is read as {forr}).
        macros[name.translate(_FOLD)] = f"(?:{expanded})"
    return macros


def _expand(node: Node, pattern: str, macros: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in macros:
            raise node.error(f"unknown macro {{{name}}} (define it under macros: above its use)")
        return macros[name]

    return _MACRO.sub(substitute, pattern)


def _compile_group(node: Node, macros: dict[str, str]) -> _Matcher:
    """Compile a list of patterns into one matcher, checking each on its own line."""
    bounded: list[str] = []
    free: list[str] = []
    for item in node.sequence():
        expanded = _expand(item, _fold_pattern(item), macros)
        try:
            re.compile(expanded)
        except re.error as exc:
            raise item.error(f"not a valid regex: {exc}") from None
        if expanded.startswith("\\b") and not expanded.startswith("\\b|"):
            bounded.append(f"(?:{expanded[2:]})")
        else:
            free.append(f"(?:{expanded})")
    if not bounded and not free:
        raise node.error("expected at least one pattern")
    return _Matcher(
        re.compile("|".join(bounded)) if bounded else None,
        re.compile("|".join(free)) if free else None,
    )
