"""Per-locale word lists (`bot/data/lexicons/<locale>.yaml`) and a fast phrase matcher over them.

A lexicon holds the words that vote for a language, emotion cues, intensifiers and the
phrases behind frustration signals. Cues are matched on whole words; `annoy*` matches any
ending; a cue made only of punctuation (":(") is matched as written.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from bot.conversation.nlu_data import locale_files
from bot.conversation.types import EMOTIONS
from bot.conversation.yamlnodes import Node, compose_file

# A cue "*stem" also matches the end of a compound word ("*ångest" in "prestationsångest");
# a shorter stem would end too many unrelated words.
COMPOUND_MIN_STEM = 4


def is_compound_stem(stem: str) -> bool:
    return len(stem) >= COMPOUND_MIN_STEM and stem.isalpha()


LEXICON_DIR = "lexicons"
SIGNAL_LISTS = ("nth_time", "leave", "stuck")

_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+")
# Words whose possible cues a matcher remembers (a few MB at most).
WORD_CACHE_SIZE = 50_000
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_ASCII_DIGIT = re.compile(r"[0-9]")


def words_of(text: str) -> list[str]:
    """Lower-cased words, straight apostrophes, every run of digits as "0"."""
    plain = text.isascii()  # most messages: no curly apostrophes, no other digits
    if not plain or "`" in text:
        text = text.translate(_APOSTROPHES)
    found = _WORD_RE.findall(text.lower())
    if plain and _ASCII_DIGIT.search(text) is None:
        return found
    return ["0" if w[0].isdigit() else w for w in found]


@dataclass(frozen=True)
class Cue:
    words: tuple[str, ...]
    label: str
    prefix: bool  # the last word matches any ending


class Hit(NamedTuple):  # a tuple: one is made for every cue found
    label: str
    start: int  # index of the first word; -1 for a punctuation cue
    negated: bool


class PhraseMatcher:
    """Finds cue phrases in a word list in one pass (cues indexed by their first word)."""

    def __init__(self, cues: Iterable[tuple[str, str]], negations: Iterable[str] = ()) -> None:
        self._exact: dict[str, list[Cue]] = defaultdict(list)
        self._prefix: dict[str, list[Cue]] = defaultdict(list)
        self._literal: list[tuple[str, str]] = []
        self._negations = frozenset(negations)
        for text, label in cues:
            pattern = text.strip().lower().translate(_APOSTROPHES)
            prefix = pattern.endswith("*")
            words = tuple(words_of(pattern))
            if not words:
                self._literal.append((pattern, label))
                continue
            cue = Cue(words, label, prefix and len(words[-1]) >= 3)
            if cue.prefix and len(words) == 1:
                self._prefix[words[0][:3]].append(cue)
            else:
                self._exact[words[0]].append(cue)
        # A first word such as "i" or "not" begins many cues, and the word after it rules
        # out most of them: for each first word, the cues (in order) that can match with
        # each next word, and those that can whatever follows.
        self._any_next: dict[str, list[Cue]] = {}
        self._by_next: dict[str, dict[str, list[Cue]]] = {}
        for first, listed in self._exact.items():
            self._any_next[first] = [c for c in listed if not _needs_next(c)]
            self._by_next[first] = {
                after: [c for c in listed if not _needs_next(c) or c.words[1] == after]
                for after in {c.words[1] for c in listed if _needs_next(c)}
            }
        # What can start at a word, remembered per word: most words of a message come
        # back in the next one, and most start nothing.
        self._at_word: dict[str, _Start | None] = {}

    def find(self, words: list[str], raw: str = "") -> list[Hit]:
        # Most messages hold no word that starts a cue of a short list (frames, signals).
        walk = bool(self._prefix) or not self._by_next.keys().isdisjoint(words)
        hits = self._word_hits(words) if walk else []
        for literal, label in self._literal:
            if literal in raw:
                hits.append(Hit(label, -1, False))
        return hits

    def _word_hits(self, words: list[str]) -> list[Hit]:
        hits: list[Hit] = []
        at_word = self._at_word
        last = len(words) - 1
        for i, word in enumerate(words):
            start = at_word[word] if word in at_word else self._start_at(word)
            if start is None:
                continue
            if start.by_next is not None:
                anything = start.anything
                cues = start.by_next.get(words[i + 1], anything) if i < last else anything
                for cue in cues:
                    if len(cue.words) == 1 or self._matches(cue, words, i):
                        hits.append(Hit(cue.label, i, self._negated(words, i)))
            for cue in start.prefixed:
                hits.append(Hit(cue.label, i, self._negated(words, i)))
        return hits

    def _start_at(self, word: str) -> _Start | None:
        by_next = self._by_next.get(word)
        prefixed = [c for c in self._prefix.get(word[:3], ()) if word.startswith(c.words[0])]
        start = None
        if by_next is not None or prefixed:
            start = _Start(by_next, self._any_next.get(word, []), prefixed)
        if len(self._at_word) >= WORD_CACHE_SIZE:
            self._at_word.clear()  # bounded memory; frequent words come back at once
        self._at_word[word] = start
        return start

    @staticmethod
    def _matches(cue: Cue, words: list[str], start: int) -> bool:
        n = len(cue.words)
        if start + n > len(words):
            return False
        for k in range(1, n):
            expected, actual = cue.words[k], words[start + k]
            last = k == n - 1
            if not (actual == expected or (last and cue.prefix and actual.startswith(expected))):
                return False
        return True

    def _negated(self, words: list[str], start: int) -> bool:
        # "not angry", "not really angry": a negation one or two words before the cue.
        window = words[max(0, start - 2) : start]
        return any(w in self._negations for w in window)


class _Start(NamedTuple):
    by_next: dict[str, list[Cue]] | None  # cues that begin with the word, by the next word
    anything: list[Cue]  # cues that begin with the word, whatever follows
    prefixed: list[Cue]  # one-word cues with an open ending that the word matches


def _needs_next(cue: Cue) -> bool:
    """Whether the word after the cue's first must be exactly its second word."""
    return len(cue.words) > 2 or (len(cue.words) == 2 and not cue.prefix)


@dataclass
class Lexicon:
    locale: str
    letters: str = ""
    language_words: frozenset[str] = frozenset()
    negations: tuple[str, ...] = ()
    emotions: dict[str, list[str]] = field(default_factory=dict)
    # Cues that hint at a feeling without showing it (a "?", "again"): two are needed.
    weak_emotions: dict[str, list[str]] = field(default_factory=dict)
    intensifiers: tuple[str, ...] = ()
    signals: dict[str, list[str]] = field(default_factory=dict)


def load_lexicons(data_dir: Path | None = None) -> dict[str, Lexicon]:
    """Every locale's lexicon, keyed by locale.

    Args:
        data_dir: an ops folder whose `lexicons/<locale>.yaml` files replace the shipped
            ones (and may add locales).
    """
    return {
        locale: _read_lexicon(path, locale)
        for locale, path in locale_files(LEXICON_DIR, data_dir).items()
    }


def _read_lexicon(path: Path, locale: str) -> Lexicon:
    root = compose_file(path)
    lexicon = Lexicon(locale=locale)
    known = (
        "locale",
        "language",
        "negations",
        "emotions",
        "weak_emotions",
        "intensifiers",
        "signals",
    )
    for key, node in root.items():
        if key == "locale":
            if node.text() != locale:
                raise node.error(f"locale {node.text()!r} does not match the file name")
        elif key == "language":
            _read_language(node, lexicon)
        elif key == "negations":
            lexicon.negations = tuple(w.lower() for w in node.texts())
        elif key == "intensifiers":
            lexicon.intensifiers = tuple(w.lower() for w in node.texts())
        elif key == "emotions":
            lexicon.emotions = _read_lists(node, EMOTIONS, "emotion")
        elif key == "weak_emotions":
            lexicon.weak_emotions = _read_lists(node, EMOTIONS, "emotion")
        elif key == "signals":
            lexicon.signals = _read_lists(node, SIGNAL_LISTS, "signal list")
        else:
            raise node.key_error(f"unknown section {key!r} (expected one of {known})")
    return lexicon


def _read_language(node: Node, lexicon: Lexicon) -> None:
    for key, value in node.items():
        if key == "letters":
            raw = value.raw.value if hasattr(value.raw, "value") else ""
            lexicon.letters = str(raw).strip().lower()
        elif key == "words":
            lexicon.language_words = frozenset(w.lower() for w in value.texts())
        else:
            raise value.key_error(f"unknown key {key!r} (expected 'letters' or 'words')")


def _read_lists(node: Node, allowed: tuple[str, ...], what: str) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for name, items in node.items():
        if name not in allowed:
            raise items.key_error(f"unknown {what} {name!r}; expected one of {allowed}")
        cues = []
        for item in items.sequence():
            cue = item.text()
            if cue.strip("*") == "" or (cue.endswith("*") and len(cue.rstrip("*")) < 3):
                raise item.error(f"cue {cue!r} is too short to match safely")
            if cue.startswith("*") and not is_compound_stem(cue.strip("*")):
                raise item.error(
                    f"compound cue {cue!r} must be one word of {COMPOUND_MIN_STEM}+ letters "
                    "after the '*'"
                )
            cues.append(cue)
        lists[name] = cues
    return lists
