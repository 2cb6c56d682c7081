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
import sys
from collections.abc import Container, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from bot.conversation import yamlnodes
from bot.conversation.buildcache import load_or_build
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
# Messages up to this long are also read as one sentence (cross-sentence phrasings).
_WHOLE_MESSAGE_CHARS = 200
# Messages up to this long look their trigger strings up once, not once per sentence.
_INDEX_ONCE_CHARS = 400
# Trigger strings shorter than this are in nearly every text: a part with one always runs.
_GRAM = 3
# Words too common to be worth indexing a pattern by (English and Swedish, folded).
_COMMON_WORDS = frozenset(
    "a an and are as at be been but by do for from had has have he her him his i im in is "
    "it its me my no not of on or our she so that the their them they this to was we were "
    "will with you your all any can just like get got och att det som jag ar har inte en "
    "ett pa med for men den de du han hon var om sa vi nu kan ska vill mig min mitt".split()
)
# Limits on expanding a pattern into the exact strings it matches (load time only).
_MAX_EXACT = 256
_MAX_CLASS = 8


@dataclass(frozen=True)
class SafetyAssessment:
    """How worried to be about one message, and why (`kind`, for audit only)."""

    level: Safety
    kind: str | None = None


def fold(text: str) -> str:
    """The spelling texts are matched in: lower case, no apostrophes, å/ä/ö as a/a/o."""
    lowered = text.lower()
    if lowered.isascii():  # only straight apostrophes to fold: str.replace is faster
        folded = lowered.replace("'", "").replace("`", "")
    else:
        folded = lowered.translate(_FOLD)
    return _SPACES.sub(" ", folded).strip()


def _fold_pattern(node: Node) -> str:
    # Patterns get the same folding as texts, except lower-casing: that would turn
    # regex escapes such as \B or \S into different ones.
    pattern = node.text()
    if re.search(r"(?<!\\)[A-ZÅÄÖ]", pattern):
        raise node.error("patterns are written in lower case (texts are lower-cased first)")
    return pattern.translate(_FOLD)


@dataclass(eq=False, frozen=True)
class _Part:
    """One pattern from a data file, compiled for speed.

    Python's `re` tries a pattern at every position of the text; two things make that
    cheap. A leading \\b hides the first character from `re`'s quick scan (about five
    times slower), so it is stripped and the boundary checked at each hit instead (same
    result: a boundary depends only on where a match starts). And most patterns need a
    word that is rarely there ("noose", "tallest"): `triggers` are strings one of which
    every match contains, so the pattern is not run at all when none is in the text.
    """

    regex: re.Pattern[str]
    bounded: bool  # a leading \\b was stripped: check the boundary at each hit
    triggers: frozenset[str] | None  # None: no such strings, always run

    def found_in(self, text: str) -> bool:
        if not self.bounded:
            return self.regex.search(text) is not None
        return next(self.hits(text), None) is not None

    def hits(self, text: str) -> Iterator[re.Match[str]]:
        if not self.bounded:
            yield from self.regex.finditer(text)
            return
        pos = 0
        while (match := self.regex.search(text, pos)) is not None:
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
class _Matcher:
    """The patterns of one list in a data file; a hit on any of them is a hit."""

    parts: tuple[_Part, ...]

    def search(self, text: str, active: Container[_Part]) -> bool:
        return any(part in active and part.found_in(text) for part in self.parts)


def _substitute(parts: Iterable[_Part], fill: str, text: str) -> tuple[str, int]:
    """`text` with every hit of each part in turn replaced by `fill`, and how many."""
    count = 0
    for part in parts:
        pieces: list[str] = []
        last = 0
        for match in part.hits(text):
            pieces += [text[last : match.start()], fill]
            last = match.end()
        if pieces:
            count += len(pieces) // 2
            text = "".join(pieces) + text[last:]
    return text, count


class _TriggerIndex:
    """Which parts can possibly match a text: those with a trigger string in it.

    Every trigger string is in one regex shaped like a trie (a shared beginning is
    written once), tried at each position of the text inside a lookahead so that
    overlapping triggers are all seen. At a position it gives the longest trigger there;
    every trigger that starts there is a prefix of it, so their parts were merged in at
    load.
    """

    def __init__(self, parts: Sequence[_Part]) -> None:
        always: set[_Part] = set()
        by_trigger: dict[str, set[_Part]] = {}
        for part in parts:
            if part.triggers is None or min(map(len, part.triggers)) < _GRAM:
                always.add(part)
                continue
            for trigger in part.triggers:
                by_trigger.setdefault(trigger, set()).add(part)
        self._always = frozenset(always)
        self._closed = {
            trigger: frozenset(
                part
                for end in range(_GRAM, len(trigger) + 1)
                for part in by_trigger.get(trigger[:end], ())
            )
            for trigger in by_trigger
        }
        self._regex = re.compile(f"(?=({_trie_pattern(by_trigger)}))") if by_trigger else None

    def active(self, text: str) -> set[_Part]:
        found = set(self._always)
        if self._regex is not None:
            closed = self._closed
            for trigger in self._regex.findall(text):
                found.update(closed[trigger])
        return found


def _trie_pattern(strings: Iterable[str]) -> str:
    """A regex matching the longest of `strings` that starts where it is tried."""
    trie: dict[str, Any] = {}
    for string in strings:
        node = trie
        for char in string:
            node = node.setdefault(char, {})
        node[""] = {}  # a string ends here

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + pattern(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        # Greedy: the longer strings through this node are tried before the one ending here.
        return f"(?:{body})?" if "" in node else body

    return pattern(trie)


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
    masks: tuple[_Mask, ...]
    rules: tuple[_Rule, ...]
    threshold: int  # summed check_in weight that makes a conversation urgent
    window: int  # how many earlier user messages count towards it


class _Reader:
    """A locale's lexicon followed by the others', with the trigger indexes built once."""

    def __init__(self, own: _Lexicon, others: Sequence[_Lexicon], index: _TriggerIndex) -> None:
        self.masks = own.masks + tuple(mask for other in others for mask in other.masks)
        rules = own.rules + tuple(rule for other in others for rule in other.rules)
        # Urgent rules first: one urgent match settles a sentence.
        self.rules = tuple(sorted(rules, key=lambda rule: 0 if rule.level == "urgent" else 1))
        self.threshold = own.threshold
        self.window = own.window
        # One index for masks and rules: masking only removes text, so the parts found in
        # the unmasked text are a superset of those that can match after masking.
        self.index = index
        # Where each part is (which mask or rule, which place in its list): a text can
        # match a handful of parts, and only their masks and rules need to run.
        self._mask_at = {
            part: (n, k)
            for n, mask in enumerate(self.masks)
            for k, part in enumerate(mask.pattern.parts)
        }
        self._rule_at = {
            part: (n, k)
            for n, rule in enumerate(self.rules)
            for k, part in enumerate(rule.pattern.parts)
        }

    def plan(self, active: Container[_Part]) -> _Plan:
        """The masks and rules that can match where only the `active` parts can."""
        return _Plan(
            _select(self.masks, self._mask_at, active),
            _select(self.rules, self._rule_at, active),
            active,
        )


_Owner = TypeVar("_Owner", _Mask, _Rule)


def _select(
    owners: Sequence[_Owner], place: dict[_Part, tuple[int, int]], active: Container[_Part]
) -> tuple[tuple[_Owner, tuple[_Part, ...]], ...]:
    """The owners with an active part, in order, each with its active parts, in order."""
    if not isinstance(active, AbstractSet):
        # A container that can only be asked is asked about every part.
        asked = ((owner, tuple(p for p in owner.pattern.parts if p in active)) for owner in owners)
        return tuple((owner, parts) for owner, parts in asked if parts)
    grouped: dict[int, list[_Part]] = {}
    for n, k in sorted(place[part] for part in active if part in place):
        grouped.setdefault(n, []).append(owners[n].pattern.parts[k])
    return tuple((owners[n], tuple(parts)) for n, parts in grouped.items())


class _Plan(NamedTuple):
    """What to run on a text: the masks and rules with a part that can match, each with
    those parts (file order throughout)."""

    masks: tuple[tuple[_Mask, tuple[_Part, ...]], ...]
    rules: tuple[tuple[_Rule, tuple[_Part, ...]], ...]
    active: Container[_Part]  # for the rules' `unless` lists

    @property
    def can_be_urgent(self) -> bool:
        return any(rule.level == "urgent" for rule, _ in self.rules)


def _parts_of(lexicon: _Lexicon) -> list[_Part]:
    return [p for mask in lexicon.masks for p in mask.pattern.parts] + [
        part
        for rule in lexicon.rules
        for matcher in (rule.pattern, rule.unless)
        if matcher is not None
        for part in matcher.parts
    ]


class _SentenceResult(NamedTuple):  # a tuple: a few are made for every message
    level: Safety
    kind: str | None
    weight: int


class SafetyModel:
    """Rates a message `none`, `check_in` or `urgent` from per-locale YAML lexicons."""

    def __init__(self, lexicons: dict[str, _Lexicon]) -> None:
        # Each locale reads with its own lexicon first and then every other one: people mix
        # languages and a short message's detected locale is a guess. All masks run
        # before any rule, so an English idiom is not re-read by the Swedish rules.
        # Every reader reads with every lexicon's parts, so they share one index.
        index = _TriggerIndex([part for own in lexicons.values() for part in _parts_of(own)])
        self._readers = {
            locale: _Reader(own, [other for other in lexicons.values() if other is not own], index)
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
        paths = {locale: find_data_file(f"safety/{locale}.yaml", data_dir) for locale in LOCALES}

        def build() -> SafetyModel:
            return cls({locale: _load_lexicon(path, locale) for locale, path in paths.items()})

        # Compiling the lexicons is most of the engine's start-up: reuse the last result
        # while neither the files nor this code changed (bot/conversation/buildcache.py).
        return load_or_build(
            "safety", inputs=paths.values(), code=(sys.modules[__name__], yamlnodes), build=build
        )

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

    def _reader(self, locale: str) -> _Reader:
        base = (locale or DEFAULT_LOCALE).lower().replace("_", "-").split("-")[0]
        return self._readers.get(base) or self._readers[DEFAULT_LOCALE]


def _read_text(text: str, reader: _Reader) -> tuple[Safety, str | None, int]:
    best: _SentenceResult = _SentenceResult("none", None, 0)
    total_weight = 0
    sentences = _sentences(text)
    # A short message is indexed once for all its sentences (what is in a sentence is in
    # the message); a long post sentence by sentence, so each runs only its own patterns.
    short = len(text) <= _INDEX_ONCE_CHARS
    folded_text = fold(text) if short else None
    shared = reader.plan(reader.index.active(folded_text)) if folded_text is not None else None
    for sentence in sentences:
        # A message of one sentence is that sentence and white space, which folding drops.
        if folded_text is not None and len(sentences) == 1:
            folded = folded_text
        else:
            folded = fold(sentence)
        plan = shared if shared is not None else reader.plan(reader.index.active(folded))
        result = _assess_sentence(folded, plan)
        total_weight += result.weight
        if _RANK[result.level] > _RANK[best.level]:
            best = result
        if best.level == "urgent":
            return "urgent", best.kind, total_weight
    if 1 < len(sentences) and len(text) <= _WHOLE_MESSAGE_CHARS:
        # A short message is also read whole: "Thank you for everything. Goodbye."
        # says together what neither sentence says alone.
        folded = folded_text if folded_text is not None else fold(text)
        plan = shared if shared is not None else reader.plan(reader.index.active(folded))
        # Only urgent counts here, and only a rule that can match can make it so.
        whole = _assess_sentence(folded, plan) if plan.can_be_urgent else None
        if whole is not None and whole.level == "urgent":
            return "urgent", whole.kind, total_weight
    if total_weight >= reader.threshold:
        # A long post with several weaker signals is read as one voice, not as
        # separate harmless sentences.
        if best.level == "check_in":
            return "urgent", "cumulative_distress", total_weight
        return "check_in", "cumulative_distress", total_weight
    return best.level, best.kind, total_weight


def _sentences(text: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCE_BREAK.split(text)]
    return [part for part in parts if part]


def _assess_sentence(sentence: str, plan: _Plan) -> _SentenceResult:
    masked_level: Safety = "none"
    masked_kind: str | None = None
    for mask, parts in plan.masks:
        sentence, hits = _substitute(parts, _MASK_FILL, sentence)
        if hits and _RANK[mask.level] >= _RANK[masked_level]:
            masked_level, masked_kind = mask.level, mask.kind
    best = _SentenceResult(masked_level, masked_kind, 0)
    weight = 0
    for rule, parts in plan.rules:
        if not any(part.found_in(sentence) for part in parts):
            continue
        level = rule.level
        if (
            level == "urgent"
            and rule.unless is not None
            and rule.unless.search(sentence, plan.active)
        ):
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
    return _Lexicon(tuple(masks), tuple(rules), threshold, window)


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
    """Compile a list of patterns, checking each on its own line."""
    parts: list[_Part] = []
    for item in node.sequence():
        expanded = _expand(item, _fold_pattern(item), macros)
        tree = _parse(expanded)
        # Compiled once, in the form it runs in: compiling is most of the load time.
        stripped = tree is not None and _starts_with_boundary(tree)
        try:
            regex = re.compile(expanded[2:] if stripped else expanded)
        except re.error as exc:
            raise item.error(f"not a valid regex: {exc}") from None
        parts.append(_Part(regex, stripped, None if tree is None else _required_strings(tree)))
    if not parts:
        raise node.error("expected at least one pattern")
    return _Matcher(tuple(parts))


def _parse(pattern: str) -> list[Any] | None:
    """The parse tree `re` itself builds (`re._parser`: private, so any surprise gives
    None, which only costs speed: the pattern is then always run, unstripped)."""
    try:
        from re import _parser

        return list(_parser.parse(pattern))
    except Exception:  # noqa: BLE001 - must never stop the model from loading
        return None


def _starts_with_boundary(tree: list[Any]) -> bool:
    # Only a pattern whose every top-level alternative starts with \b may lose it.
    from re import _constants as c

    if not tree:
        return False
    op, av = tree[0]
    if op is c.AT:
        return bool(av is c.AT_BOUNDARY)
    if op is c.BRANCH and len(tree) == 1:
        return all(alt and alt[0] == (c.AT, c.AT_BOUNDARY) for alt in map(list, av[1]))
    return False


def _required_strings(items: list[Any]) -> frozenset[str] | None:
    """Strings one of which every match of this parsed sequence contains (or None).

    A run of elements that each match one of a few exact strings ("my", " ?", "self")
    is expanded into every string the run can match ("my self", "myself"); the most
    selective run or nested requirement wins.
    """
    candidates: list[frozenset[str]] = []
    run: set[str] = {""}

    def close_run() -> None:
        if "" not in run:
            candidates.append(frozenset(run))

    for op, av in items:
        exact = _exact(op, av)
        if exact is not None:
            joined = {head + tail for head in run for tail in exact}
            if len(joined) <= _MAX_EXACT:
                run = joined
                continue
            close_run()
            run = set(exact)
            continue
        close_run()
        run = {""}
        found = _nested_requirement(op, av)
        if found:
            candidates.append(found)
    close_run()
    if not candidates:
        return None
    return max((_minimal(strings) for strings in candidates), key=_selectivity)


def _minimal(strings: frozenset[str]) -> frozenset[str]:
    # "best friend" adds nothing to "friend": any text with the first has the second.
    # Only a shorter string can be inside another, so each is checked against those kept.
    kept: list[str] = []
    for string in sorted(strings, key=len):
        if not any(shorter in string for shorter in kept):
            kept.append(string)
    return frozenset(kept)


def _selectivity(strings: frozenset[str]) -> tuple[bool, bool, bool, int, int]:
    # Long strings are rare in ordinary text, few strings are cheap to look for, and a
    # string that is only a common word ("the ", "he ") is in almost every message.
    shortest = min(map(len, strings))
    common = any(s.strip() in _COMMON_WORDS for s in strings)
    return (shortest >= _GRAM, not common, shortest >= _GRAM + 1, -len(strings), shortest)


def _nested_requirement(op: Any, av: Any) -> frozenset[str] | None:
    from re import _constants as c

    if op is c.SUBPATTERN:
        return _required_strings(list(av[-1]))
    if op is c.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            strings = _required_strings(list(alternative))
            if strings is None:
                return None
            union |= strings
        return frozenset(union)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _required_strings(list(av[2]))
    return None


def _exact(op: Any, av: Any) -> set[str] | None:
    """Every string this parsed element can match, when they are few; else None."""
    from re import _constants as c

    if op is c.LITERAL:
        return {chr(av)}
    if op is c.AT:
        return {""}
    if op is c.IN:
        chars = [chr(value) for kind, value in av if kind is c.LITERAL]
        return set(chars) if len(chars) == len(av) and len(chars) <= _MAX_CLASS else None
    if op is c.SUBPATTERN:
        return _exact_sequence(list(av[-1]))
    if op is c.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            strings = _exact_sequence(list(alternative))
            if strings is None:
                return None
            union |= strings
        return union if len(union) <= _MAX_EXACT else None
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[1] == 1 and av[0] in (0, 1):
        strings = _exact_sequence(list(av[2]))
        if strings is None:
            return None
        return strings | {""} if av[0] == 0 else strings
    return None


def _exact_sequence(items: list[Any]) -> set[str] | None:
    strings = {""}
    for op, av in items:
        exact = _exact(op, av)
        if exact is None:
            return None
        strings = {head + tail for head in strings for tail in exact}
        if len(strings) > _MAX_EXACT:
            return None
    return strings
