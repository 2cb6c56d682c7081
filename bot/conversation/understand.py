"""Understanding one message in its conversation: topic, intents, feelings, safety, signals.

`Understander.load` reads the data files and trains the classifier (well under a second);
`understand` is pure and fast (a fraction of a millisecond), so the chat, `analyze` and
the tests all call the same thing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bot.conversation import classifier, nlu_data, types
from bot.conversation.buildcache import load_or_build
from bot.conversation.classifier import CompiledModel, Scores, train
from bot.conversation.emotions import EmotionReader
from bot.conversation.lexicons import load_lexicons
from bot.conversation.locale import LocaleDetector
from bot.conversation.nlu_data import NLU_DIR, load_nlu, locale_files
from bot.conversation.signals import SignalDetector
from bot.conversation.types import Emotion, Safety, Topic, Turn, Understanding

# Linear scores are margins: above 0 the head claims the message. wants_human leans
# towards yes (a missed request for a person costs more than an offer of one).
INTENT_THRESHOLD = 0.0
WANTS_HUMAN_THRESHOLD = -0.2
MAX_INTENTS = 2
# A message about nothing in particular ("it still doesn't work", "agent please") keeps
# the topic of the person's recent messages; this many are looked at.
TOPIC_LOOKBACK = 3
# How much an earlier message's topic must stand out to be carried over.
CARRY_MIN_SCORE = 0.0
# Dialogue intents that never inherit a topic: a greeting opens a new subject.
NO_CARRY_INTENTS = frozenset({"greeting"})
# Signals that mean the person is frustrated even when their words are calm.
FRUSTRATION_SIGNALS = frozenset({"repeat", "nth_time", "shouting", "no_progress", "burst"})
SIGNAL_INTENSITY = 0.15


class SafetyRating(Protocol):
    @property
    def level(self) -> Safety: ...
    @property
    def kind(self) -> str | None: ...


class SafetyReader(Protocol):
    """What the Understander needs of bot.conversation.safety.SafetyModel."""

    def assess(self, text: str, *, locale: str, history: Sequence[str] = ()) -> SafetyRating: ...


class Understander:
    def __init__(
        self,
        *,
        model: CompiledModel,
        locales: LocaleDetector,
        emotions: EmotionReader,
        signals: SignalDetector,
        safety: SafetyReader | None,
    ) -> None:
        self._model = model
        self._locales = locales
        self._emotions = emotions
        self._signals = signals
        self._safety = safety

    @classmethod
    def load(cls, *, data_dir: Path | None = None) -> Understander:
        """Read the NLU, lexicon and safety data files and train the classifier.

        Args:
            data_dir: an ops folder whose files replace the shipped ones of the same path.

        Raises:
            DataFileError: a data file is missing or malformed (names file and line).
        """
        return cls.from_data(data_dir, safety=_load_safety(data_dir))

    @classmethod
    def from_data(cls, data_dir: Path | None, *, safety: SafetyReader | None) -> Understander:
        """Like `load`, with the safety model given (or None: every message rates "none").

        For tests and tools that exercise understanding apart from safety.
        """
        lexicons = load_lexicons(data_dir)
        # Training is reused from the last start while the utterances and the code that
        # learns from them are unchanged (bot/conversation/buildcache.py).
        model = load_or_build(
            "classifier",
            inputs=locale_files(NLU_DIR, data_dir).values(),
            code=(classifier, nlu_data, types),
            build=lambda: train(load_nlu(data_dir)),
        )
        return cls(
            model=model,
            locales=LocaleDetector(lexicons),
            emotions=EmotionReader(lexicons),
            signals=SignalDetector(lexicons),
            safety=safety,
        )

    @property
    def locales(self) -> tuple[str, ...]:
        return self._locales.locales

    def detect_locale(self, text: str, *, default: str = "en") -> str:
        return self._locales.detect(text, default=default)

    def understand(
        self,
        text: str,
        *,
        history: Sequence[Turn] = (),
        locale: str | None = None,
        now: float | None = None,
    ) -> Understanding:
        """Read one message from the person.

        Args:
            text: the new message.
            history: earlier turns of this conversation, oldest first (not including `text`).
            locale: a forced locale (the person's setting); detected from the text if None.
            now: when the message arrived (seconds since the epoch); defaults to the clock.
        """
        now = time.time() if now is None else now
        earlier_user = [t.text for t in history if t.sender == "user"]
        locale = self._supported(locale)
        if locale is None:
            default = self._locales.detect(" ".join(earlier_user[-2:])) if earlier_user else "en"
            locale = self._locales.detect(text, default=default)

        scores = self._model.scores(text)
        intents = _intents(scores)
        topic = _best_topic(scores)
        if topic == "other" and not NO_CARRY_INTENTS.intersection(intents):
            topic = self._carried_topic(earlier_user) or topic

        signals = self._signals.detect(text, history, now=now)
        reading = self._emotions.read(
            text, shouting="shouting" in signals, model_scores=scores.emotions
        )
        emotions: tuple[Emotion, ...] = reading.emotions
        intensity = reading.intensity
        if FRUSTRATION_SIGNALS.intersection(signals):
            if "frustrated" not in emotions and "angry" not in emotions:
                emotions = (*emotions, "frustrated")
            intensity = max(intensity, 0.35) + SIGNAL_INTENSITY
        safety, safety_kind = self._assess_safety(text, locale, earlier_user)

        return Understanding(
            topic=topic,
            emotions=emotions,
            intensity=round(min(1.0, intensity), 2),
            safety=safety,
            wants_human=scores.wants_human > WANTS_HUMAN_THRESHOLD,
            locale=locale,
            signals=signals,
            safety_kind=safety_kind,
            intents=intents,
        )

    def _supported(self, locale: str | None) -> str | None:
        """ "sv-SE" and "sv_se" are "sv"; a language we have no data for is detected instead."""
        if not locale:
            return None
        base = locale.strip().lower().replace("_", "-").split("-")[0]
        return base if base in self._locales.locales else None

    def scores(self, text: str) -> Scores:
        """The classifier's raw margins, for evaluation and debugging."""
        return self._model.scores(text)

    def _carried_topic(self, earlier_user: Sequence[str]) -> Topic | None:
        for previous in reversed(earlier_user[-TOPIC_LOOKBACK:]):
            scores = self._model.scores(previous)
            topic = _best_topic(scores)
            if topic != "other" and scores.topic[topic] > CARRY_MIN_SCORE:
                return topic
        return None

    def _assess_safety(
        self, text: str, locale: str, earlier_user: Sequence[str]
    ) -> tuple[Safety, str | None]:
        if self._safety is None:
            return "none", None
        assessment = self._safety.assess(text, locale=locale, history=tuple(earlier_user))
        return assessment.level, assessment.kind


def _best_topic(scores: Scores) -> Topic:
    best = max(scores.topic, key=scores.topic.__getitem__)
    return best  # type: ignore[return-value]


def _intents(scores: Scores) -> tuple[str, ...]:
    ranked = sorted(
        (name for name, score in scores.intents.items() if score > INTENT_THRESHOLD),
        key=lambda name: -scores.intents[name],
    )
    return tuple(ranked[:MAX_INTENTS])


def _load_safety(data_dir: Path | None) -> SafetyReader:
    # Imported here: the safety model reads its own data files and is loaded with us.
    from bot.conversation.safety import SafetyModel

    return SafetyModel.load(data_dir=data_dir)
