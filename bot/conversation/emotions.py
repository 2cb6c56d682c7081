"""Which feelings a message carries, and how strongly, from the lexicons' emotion cues.

Every locale's cues are used for every message: people mix languages, and the cue lists
hardly overlap. The result is ordered strongest first; an empty tuple means neutral.

A negation of several words is a frame that makes what follows a subject rather than a
feeling ("a therapist who specializes in anxiety"): a cue right after it does not count.
A frame that holds a cue is a set phrase in which the cue is courtesy, a plan or a payer,
not a feeling ("thanks again", "hej igen", "book again", "my parents pay"): the cue in it
does not count, and the words after it are the person's own ("hi again, still no reply" is
a complaint). Beside a frame or a set phrase the classifier only confirms a feeling that
other words hint at, since it reads those words as the feeling they look like.

A cue written with a leading `*` ("*läck*", "*ledsen") also matches as the last part of a
compound word ("dataläckaget", "jätteledsen"): Swedish writes compounds as one word, so
a list cannot hold every head a feeling word is glued to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.conversation.lexicons import (
    COMPOUND_MIN_STEM,
    Hit,
    Lexicon,
    PhraseMatcher,
    is_compound_stem,
    words_of,
)
from bot.conversation.types import EMOTIONS, Emotion

# Intensity: a first cue says "some feeling"; more cues, intensifiers, "!!!" and capitals
# say more. The weights keep a plain "I'm annoyed" near 0.4 and a shouted, sworn,
# repeated complaint near 1.
BASE_INTENSITY = 0.35
# A strong cue ("furious") shows a feeling on its own; a weak one ("?", "again") counts
# half, so a plain question is not confusion but "why ... ?" is.
STRONG_WEIGHT = 1.0
WEAK_WEIGHT = 0.5
PRESENT_AT = 1.0
# The classifier's emotion heads learn from a few dozen lines each against a thousand
# neutral support requests, so their margins sit low and noisy. A margin above
# MODEL_THRESHOLD shows a feeling on its own (the head has learnt phrasings no word list
# holds); between MODEL_WEAK_THRESHOLD and it, the margin counts in proportion, but only
# towards a feeling some word of the message hints at ("dropped" + a lean to frustration),
# never towards a bare "?". Chosen with `python -m bot eval` over the dev sets and fresh
# platform batches (tests/conversation/data/emotion_fresh*.jsonl): lower lets plain
# requests ("can I book every Tuesday?") read as feelings, higher loses the implied ones.
MODEL_THRESHOLD = -0.05
MODEL_WEAK_THRESHOLD = -0.45
# When the words show a feeling, another one read from the model alone must be clearly
# there: a reply acknowledges one feeling family (frustration before sadness), so a faint
# model "frustrated" beside a worded "so alone" would answer the wrong feeling. Anger and
# frustration are degrees of one feeling (one family in the replies): each may stand on
# the model beside the other.
BESIDE_WORDS_MODEL_MARGIN = 0.1
DEGREE_OF: dict[str, str] = {"frustrated": "angry", "angry": "frustrated"}
PER_EXTRA_CUE = 0.12
PER_INTENSIFIER = 0.1
PER_EXCLAMATION = 0.08
SHOUTING_BONUS = 0.2
MAX_EXCLAMATIONS = 3
# A compound's head must be a word of its own ("data-", "jätte-"), not a stray letter or
# two: "ångest" ends "prestationsångest", but a three-letter stem would end too many words.
COMPOUND_MIN_HEAD = 3
# A frame ("specializes in") governs a short noun phrase: "anxiety and panic", "sorg och
# ångest". Further on, a feeling word is the person's again.
FRAME_REACH = 3
# A hint of frustration or anger that is a sentence of its own is said with weight:
# "Again.", "igen?!", "Still?", "Immediately." (a reply of "Tomorrow." is not a worry).
LONE_CUE_EMOTIONS = frozenset({"frustrated", "angry"})
_SENTENCE_RE = re.compile(r"[^.!?\n]+")


@dataclass(frozen=True)
class EmotionReading:
    emotions: tuple[Emotion, ...]
    intensity: float
    cue_count: int


class EmotionReader:
    def __init__(self, lexicons: Mapping[str, Lexicon]) -> None:
        # A set: a cue listed for two languages ("?", "!") must not count twice.
        cues: set[tuple[str, str]] = set()
        negations: set[str] = set()
        frames: set[str] = set()
        intensifiers: set[str] = set()
        for lexicon in lexicons.values():
            for emotion, items in lexicon.emotions.items():
                cues.update((item, emotion) for item in items)
            for emotion, items in lexicon.weak_emotions.items():
                cues.update((item, f"~{emotion}") for item in items)
            negations.update(n for n in lexicon.negations if " " not in n)
            frames.update(n for n in lexicon.negations if " " in n)
            intensifiers.update(lexicon.intensifiers)
        # Chat drops apostrophes ("dont understand", "im lost"): match both spellings.
        cues |= {(text.replace("'", ""), label) for text, label in cues if "'" in text}
        negations |= {n.replace("'", "") for n in negations if "'" in n}
        self._compounds = _CompoundMatcher(cues)
        cues = {(text.lstrip("*"), label) for text, label in cues}
        self._matcher = PhraseMatcher(sorted(cues), negations)
        self._negations = frozenset(negations)
        self._frames = PhraseMatcher((f, f) for f in frames)
        self._set_phrases = frozenset(
            f for f in frames if any(h.start >= 0 for h in self._matcher.find(words_of(f)))
        )
        self._intensifiers = PhraseMatcher((i, "x") for i in intensifiers)
        # A weak cue right after an intensifier ("so alone", "så jobbigt") shows the feeling
        # on its own. Words that are cues themselves ("always") only count as cues.
        cue_words = {text for text, _ in cues}
        self._boosters = frozenset(i for i in intensifiers if " " not in i) - cue_words

    def read(
        self,
        text: str,
        *,
        shouting: bool = False,
        model_scores: Mapping[str, float] | None = None,
    ) -> EmotionReading:
        """The feelings in `text`, strongest first, and an intensity 0-1.

        Args:
            text: the message.
            shouting: the message is in capitals (raises the intensity, hints at anger).
            model_scores: the classifier's emotion margins (see MODEL_THRESHOLD).
        """
        words = words_of(text)
        raw = text.lower()
        cue_words = self._without_hedges(words)
        scores: dict[str, float] = {}
        worded: set[str] = set()  # emotions a word (not just "?" or "!") hints at
        # One place in the text is one cue per feeling, however many lists hold it
        # ("scam" and "scam*", "still" and "still waiting").
        cue_at: dict[tuple[str, int, str], float] = {}
        hits = self._matcher.find(cue_words, raw)
        hits += self._compounds.find(cue_words, self._negations)
        framed = self._framed(cue_words)
        # Sentences of one word, looked for only when a hint could be one. Their positions
        # are in `words`: when hedges were dropped from `cue_words` none are looked for.
        lone: set[int] | None = None if cue_words == words else set()
        for hit in hits:
            if hit.negated or hit.start in framed:
                continue
            weak = hit.label.startswith("~")
            emotion = hit.label.lstrip("~")
            if weak and hit.start > 0 and cue_words[hit.start - 1] in self._boosters:
                weak = False
            if weak and emotion in LONE_CUE_EMOTIONS and hit.start >= 0:
                lone = _lone_words(text) if lone is None else lone
                weak = hit.start not in lone
            where = (emotion, hit.start, hit.label if hit.start < 0 else "")
            cue_at[where] = max(cue_at.get(where, 0.0), WEAK_WEIGHT if weak else STRONG_WEIGHT)
            if hit.start >= 0:
                worded.add(emotion)
        for (emotion, _, _), weight in cue_at.items():
            scores[emotion] = scores.get(emotion, 0.0) + weight
        if shouting:
            # Capitals are raised voice: a hint of anger, to be confirmed by the words.
            scores["angry"] = scores.get("angry", 0.0) + WEAK_WEIGHT
            worded.add("angry")
        margins = model_scores or {}
        lexical = dict(scores)
        # The classifier reads a frame's or a set phrase's words as the feeling they look
        # like ("again" in "thanks again", "grief" after "people dealing with"): beside
        # one, it only confirms a feeling that other words hint at.
        model_alone = not framed
        for emotion, margin in margins.items():
            weight = _model_weight(margin)
            if (weight >= STRONG_WEIGHT and model_alone) or emotion in worded:
                scores[emotion] = scores.get(emotion, 0.0) + weight
        present = [e for e, score in scores.items() if score >= PRESENT_AT]
        shown = {e for e in present if e in worded}
        if shown:
            present = [
                e
                for e in present
                if e in shown
                or lexical.get(e, 0.0) >= PRESENT_AT
                or margins[e] >= BESIDE_WORDS_MODEL_MARGIN
                or DEGREE_OF.get(e) in shown
            ]
        if not present:
            return EmotionReading((), 0.0, 0)
        ranked = sorted(present, key=lambda e: (-scores[e], EMOTIONS.index(e)))  # type: ignore[arg-type]
        emotions: tuple[Emotion, ...] = tuple(ranked)  # type: ignore[arg-type]
        cue_count = int(sum(scores[e] for e in present))
        intensity = BASE_INTENSITY + PER_EXTRA_CUE * (cue_count - 1)
        intensity += PER_INTENSIFIER * len(self._intensifiers.find(words))
        intensity += PER_EXCLAMATION * min(MAX_EXCLAMATIONS, text.count("!"))
        if shouting:
            intensity += SHOUTING_BONUS
        return EmotionReading(emotions, round(min(1.0, intensity), 2), cue_count)

    def _framed(self, words: list[str]) -> set[int]:
        """Where a cue would not be a feeling: the few words after a frame, the words of a
        set phrase."""
        framed: set[int] = set()
        for hit in self._frames.find(words):
            after = hit.start + len(words_of(hit.label))
            if hit.label in self._set_phrases:
                framed.update(range(hit.start, after))
            else:
                framed.update(range(after, after + FRAME_REACH))
        return framed

    def _without_hedges(self, words: list[str]) -> list[str]:
        """`words` without intensifiers next to a negation, so that a negated cue still
        matches with a word inside it: "don't really understand", "förstår verkligen inte",
        "hänger inte riktigt med"; and "not really angry" stays negated."""
        negations = self._negations
        last = len(words) - 1
        return [
            w
            for i, w in enumerate(words)
            if w not in self._boosters
            or not (
                (i > 0 and words[i - 1] in negations) or (i < last and words[i + 1] in negations)
            )
        ]


class _CompoundMatcher:
    """Finds the `*stem` cues at the end of longer words (see the module docstring)."""

    def __init__(self, cues: Iterable[tuple[str, str]]) -> None:
        self._labels: dict[str, list[str]] = {}
        open_ended: set[str] = set()
        closed: set[str] = set()
        for text, label in cues:
            if not text.startswith("*"):
                continue
            stem = text.strip("*").lower()
            if not is_compound_stem(stem):
                raise ValueError(f"compound cue {text!r}: one word of {COMPOUND_MIN_STEM}+ letters")
            self._labels.setdefault(stem, []).append(label)
            (open_ended if text.endswith("*") else closed).add(stem)
        # One search per long word: a stem after a head, with any ending or none.
        alternatives = [_either(open_ended, ""), _either(closed, "$")]
        either = "|".join(a for a in alternatives if a)
        head = rf"(?<=\w{{{COMPOUND_MIN_HEAD}}})"
        self._pattern = re.compile(f"{head}(?:{either})") if either else None

    def find(self, words: list[str], negations: frozenset[str]) -> list[Hit]:
        hits: list[Hit] = []
        if self._pattern is None:
            return hits
        shortest = COMPOUND_MIN_HEAD + COMPOUND_MIN_STEM
        for i, word in enumerate(words):
            found = self._pattern.search(word) if len(word) >= shortest else None
            if found:
                negated = any(w in negations for w in words[max(0, i - 2) : i])
                hits += [Hit(label, i, negated) for label in self._labels[found.group(0)]]
        return hits


def _lone_words(text: str) -> set[int]:
    """Positions (in `words_of(text)`) of words that make up a sentence on their own."""
    lone: set[int] = set()
    at = 0
    for sentence in _SENTENCE_RE.findall(text):
        count = len(words_of(sentence))
        if count == 1:
            lone.add(at)
        at += count
    return lone


def _either(stems: set[str], tail: str) -> str:
    longest_first = sorted(stems, key=len, reverse=True)
    return f"(?:{'|'.join(map(re.escape, longest_first))}){tail}" if stems else ""


def _model_weight(margin: float) -> float:
    """0 below MODEL_WEAK_THRESHOLD, a strong cue from MODEL_THRESHOLD, linear between."""
    share = (margin - MODEL_WEAK_THRESHOLD) / (MODEL_THRESHOLD - MODEL_WEAK_THRESHOLD)
    return STRONG_WEIGHT * min(1.0, max(0.0, share))
