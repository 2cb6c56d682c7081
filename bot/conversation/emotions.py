"""Which feelings a message carries, and how strongly, from the lexicons' emotion cues.

Every locale's cues are used for every message: people mix languages, and the cue lists
hardly overlap. The result is ordered strongest first; an empty tuple means neutral.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.conversation.lexicons import Lexicon, PhraseMatcher, words_of
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
# neutral support requests, so their margins sit low; -0.2 lets a feeling through when the
# phrasing is clearly closer to the feeling lines. Chosen with `python -m bot eval` on the
# dev sets (with classifier.SVM_C_EMOTIONS): it about doubles recall on everyday
# (GoEmotions-style) text while plain support questions stay neutral.
MODEL_THRESHOLD = -0.2
PER_EXTRA_CUE = 0.12
PER_INTENSIFIER = 0.1
PER_EXCLAMATION = 0.08
SHOUTING_BONUS = 0.2
MAX_EXCLAMATIONS = 3


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
        intensifiers: set[str] = set()
        for lexicon in lexicons.values():
            for emotion, items in lexicon.emotions.items():
                cues.update((item, emotion) for item in items)
            for emotion, items in lexicon.weak_emotions.items():
                cues.update((item, f"~{emotion}") for item in items)
            negations.update(n for n in lexicon.negations if " " not in n)
            intensifiers.update(lexicon.intensifiers)
        self._matcher = PhraseMatcher(sorted(cues), negations)
        self._intensifiers = PhraseMatcher((i, "x") for i in intensifiers)

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
            shouting: the message is in capitals (raises the intensity).
            model_scores: the classifier's emotion margins; one above MODEL_THRESHOLD
                counts as a strong cue (it has learnt phrasings no word list holds).
        """
        words = words_of(text)
        raw = text.lower()
        scores: dict[str, float] = {}
        for emotion, margin in (model_scores or {}).items():
            if margin > MODEL_THRESHOLD:
                scores[emotion] = STRONG_WEIGHT
        for hit in self._matcher.find(words, raw):
            if hit.negated:
                continue
            weak = hit.label.startswith("~")
            emotion = hit.label.lstrip("~")
            scores[emotion] = scores.get(emotion, 0.0) + (WEAK_WEIGHT if weak else STRONG_WEIGHT)
        present = [e for e, score in scores.items() if score >= PRESENT_AT]
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
