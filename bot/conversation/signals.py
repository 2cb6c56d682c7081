"""Frustration signals across a conversation: what the words alone do not say.

- "repeat": the message is (nearly) the same as one the person already sent;
- "shouting": mostly capitals, or "!!!";
- "nth_time": the person says they are repeating themselves ("third time", "igen och igen");
- "burst": several messages in a few seconds;
- "no_progress": the bot's steps did not help, or the bot has answered many times;
- "abrupt_leave": the person gives up mid-conversation ("forget it", "glöm det").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from bot.conversation.lexicons import Lexicon, PhraseMatcher, load_lexicons, words_of
from bot.conversation.types import Turn

SIGNALS = ("repeat", "shouting", "nth_time", "burst", "no_progress", "abrupt_leave")

# Character-trigram overlap (Jaccard) above which two messages count as the same one sent
# again; 0.8 tolerates a fixed typo or an added "??" but not a different question.
REPEAT_SIMILARITY = 0.8
# "ok", "yes", "no" are repeated naturally; only longer messages count as repeats.
REPEAT_MIN_CHARS = 8
# How many earlier user messages are compared with the new one.
REPEAT_LOOKBACK = 6
# Shouting: at least this many letters, and this share of them capitals.
SHOUT_MIN_LETTERS = 8
SHOUT_CAPITAL_SHARE = 0.7
# Burst: this many user messages (the new one included) within this many seconds.
BURST_MESSAGES = 3
BURST_WINDOW_S = 30.0
# After this many bot turns with no agent involved the bot is going round in circles.
NO_PROGRESS_BOT_TURNS = 3


class SignalDetector:
    def __init__(self, lexicons: Mapping[str, Lexicon]) -> None:
        cues: list[tuple[str, str]] = []
        for lexicon in lexicons.values():
            for name, items in lexicon.signals.items():
                cues += [(item, name) for item in items]
        self._matcher = PhraseMatcher(cues)

    @classmethod
    def load(cls, *, data_dir: Path | None = None) -> SignalDetector:
        return cls(load_lexicons(data_dir))

    def detect(self, text: str, history: Sequence[Turn], *, now: float) -> tuple[str, ...]:
        """Signals for `text`, given the earlier turns (oldest first, `text` not included)."""
        found: set[str] = set()
        cues = {hit.label for hit in self._matcher.find(words_of(text), text.lower())}
        earlier_user = [t.text for t in history if t.sender == "user"]
        bot_turns = _bot_turns_since_agent(history)

        if _is_repeat(text, earlier_user[-REPEAT_LOOKBACK:]):
            found.add("repeat")
        if is_shouting(text):
            found.add("shouting")
        if "nth_time" in cues:
            found.add("nth_time")
        recent = [t for t in history if t.sender == "user" and now - t.at <= BURST_WINDOW_S]
        if len(recent) + 1 >= BURST_MESSAGES:
            found.add("burst")
        if ("stuck" in cues and bot_turns > 0) or bot_turns >= NO_PROGRESS_BOT_TURNS:
            found.add("no_progress")
        if "leave" in cues and history:
            found.add("abrupt_leave")
        return tuple(s for s in SIGNALS if s in found)


def is_shouting(text: str) -> bool:
    if "!!!" in text:
        return True
    letters = list(filter(str.isalpha, text))
    if len(letters) < SHOUT_MIN_LETTERS:
        return False
    capitals = sum(map(str.isupper, letters))
    return capitals / len(letters) >= SHOUT_CAPITAL_SHARE


def _bot_turns_since_agent(history: Sequence[Turn]) -> int:
    count = 0
    for turn in reversed(history):
        if turn.sender == "agent":
            break
        if turn.sender == "bot":
            count += 1
    return count


def _trigrams(text: str) -> set[str]:
    padded = " " + " ".join(words_of(text)) + " "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _is_repeat(text: str, earlier: Sequence[str]) -> bool:
    if len(text.strip()) < REPEAT_MIN_CHARS or not earlier:
        return False
    mine = _trigrams(text)
    for other in earlier:
        theirs = _trigrams(other)
        union = mine | theirs
        if union and len(mine & theirs) / len(union) >= REPEAT_SIMILARITY:
            return True
    return False


@cache
def _packaged_detector() -> SignalDetector:
    return SignalDetector.load()


def frustration_signals(text: str, history: Sequence[Turn], *, now: float) -> tuple[str, ...]:
    """Frustration signals for a new message, using the shipped lexicons.

    Args:
        text: the new message from the person.
        history: earlier turns of the conversation, oldest first (not including `text`).
        now: the time of the new message, seconds since the epoch (injected for tests).
    """
    return _packaged_detector().detect(text, history, now=now)
