"""Which supported language a message is written in, from the lexicons' word lists.

Each `lexicons/<locale>.yaml` names frequent words and telling letters of its language;
a message votes for the locale whose words it uses most. Adding a language is adding a
lexicon file. Short or ambiguous messages ("ok", "agent") fall back to the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from bot.conversation.lexicons import Lexicon, load_lexicons, words_of

# A telling letter (å, ä, ö) weighs like half a frequent word; it settles ties such as
# "Hej!" vs "Hey!" without letting one loan word ("Malmö") outvote a whole sentence.
LETTER_WEIGHT = 0.5
MAX_LETTER_SCORE = 2.0


class LocaleDetector:
    def __init__(self, lexicons: Mapping[str, Lexicon]) -> None:
        self._profiles = [
            (lex.locale, lex.language_words, lex.letters) for lex in lexicons.values()
        ]
        self._locales = tuple(locale for locale, _, _ in self._profiles)

    @classmethod
    def load(cls, *, data_dir: Path | None = None) -> LocaleDetector:
        return cls(load_lexicons(data_dir))

    @property
    def locales(self) -> tuple[str, ...]:
        return self._locales

    def detect(self, text: str, *, default: str = "en") -> str:
        words = words_of(text)
        lowered = text.lower()
        best, best_score, tied = default, 0.0, False
        for locale, vocabulary, letters in self._profiles:
            score = float(sum(map(vocabulary.__contains__, words)))
            if letters:
                hits = sum(lowered.count(ch) for ch in letters)
                score += min(MAX_LETTER_SCORE, LETTER_WEIGHT * hits)
            if score > best_score:
                best, best_score, tied = locale, score, False
            elif score == best_score and score > 0:
                tied = True
        return default if tied or best_score == 0 else best


@cache
def _packaged_detector() -> LocaleDetector:
    return LocaleDetector.load()


def detect_locale(text: str, *, default: str = "en") -> str:
    """The locale ("en", "sv", ...) of `text` by the shipped lexicons; `default` if unsure.

    Args:
        text: the message.
        default: the answer when no language clearly wins (e.g. the conversation's locale).
    """
    return _packaged_detector().detect(text, default=default)
