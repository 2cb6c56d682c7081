"""The message classifier: word and character n-gram TF-IDF, linear heads, trained at start-up.

Training uses scikit-learn on the utterances in `bot/data/nlu/`. For answering, the fitted
vocabulary, idf and weights are flattened into one matrix so that scoring a message is a
dictionary walk and one small matrix product: scikit-learn's per-call input checking
alone costs more than the whole budget of a millisecond per message.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.conversation.nlu_data import Example, NluData
from bot.conversation.types import EMOTIONS, INTENTS, TOPICS

_WORD_RE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|\d+")
_ASCII_DIGIT = re.compile(r"[0-9]")
# Character n-grams catch typos, inflections and Swedish compounds ("videosessionen").
CHAR_NGRAMS = (3, 4, 5)
# Regularisation of the linear heads; smaller is smoother (generalises from fewer lines).
SVM_C = 0.5
# The emotion heads learn from few lines each; they get their own regularisation.
SVM_C_EMOTIONS = 0.2
# Words whose character n-grams are remembered between messages (a few MB at most).
WORD_CACHE_SIZE = 50_000
# A steady seed so that the same data always gives the same model.
SEED = 0


def tokens(text: str) -> list[str]:
    """Lower-cased words; every run of digits becomes "0" (amounts, order numbers)."""
    found = _WORD_RE.findall(text.lower())
    if text.isascii() and _ASCII_DIGIT.search(text) is None:
        return found  # no word can start with a digit
    return ["0" if w[0].isdigit() else w for w in found]


def features(text: str) -> list[str]:
    """Word unigrams and bigrams plus character n-grams inside each word."""
    words = tokens(text)
    feats = [f"w:{w}" for w in words]
    feats += [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for word in words:
        padded = f" {word} "
        for n in CHAR_NGRAMS:
            feats += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return feats


@dataclass(frozen=True)
class Scores:
    topic: dict[str, float]
    intents: dict[str, float]
    wants_human: float
    emotions: dict[str, float]


class CompiledModel:
    """All heads over one TF-IDF space: scores(text) costs one pass over the text."""

    def __init__(
        self,
        vocab: dict[str, int],
        idf: np.ndarray,
        weights: np.ndarray,
        bias: np.ndarray,
        heads: dict[str, tuple[str, ...]],
    ) -> None:
        self._vocab = vocab
        self._idf = idf
        self._weights = weights
        self._bias = bias
        self._heads = heads
        self._word_grams: dict[str, list[int]] = {}
        offset = 0
        self._slices: dict[str, slice] = {}
        for name, labels in heads.items():
            self._slices[name] = slice(offset, offset + len(labels))
            offset += len(labels)

    def raw_scores(self, text: str) -> np.ndarray:
        found = self._feature_indices(text)
        counts = Counter(found)
        if not counts:
            return self._bias.copy()
        index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        # `take` is fancy indexing without its generality (the same rows, a third of the time).
        values = self._idf.take(index)
        if len(counts) < len(found):
            # Sublinear tf: idf * (1 + log tf). Where every tf is 1 that is idf itself.
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            values *= 1.0 + np.log(tf)
        values /= math.sqrt(float(values @ values))
        result: np.ndarray = values @ self._weights.take(index, axis=0) + self._bias
        return result

    def _feature_indices(self, text: str) -> list[int]:
        """The vocabulary indices of `features(text)`, with repeats, computed word by word:
        a word's character n-grams and its own feature are looked up once and remembered."""
        vocab = self._vocab
        words = tokens(text)
        found: list[int] = []
        for word in words:
            grams = self._word_grams.get(word)
            if grams is None:
                grams = self._word_indices(word)
            found += grams
        for a, b in zip(words, words[1:], strict=False):
            index = vocab.get(f"b:{a} {b}")
            if index is not None:
                found.append(index)
        return found

    def _word_indices(self, word: str) -> list[int]:
        """The indices of the word's character n-grams, then of the word itself."""
        padded = f" {word} "
        vocab = self._vocab
        grams = [
            vocab[gram]
            for n in CHAR_NGRAMS
            for i in range(len(padded) - n + 1)
            if (gram := padded[i : i + n]) in vocab
        ]
        index = vocab.get(f"w:{word}")
        if index is not None:
            grams.append(index)
        if len(self._word_grams) >= WORD_CACHE_SIZE:
            self._word_grams.clear()  # bounded memory; frequent words come back at once
        self._word_grams[word] = grams
        return grams

    def scores(self, text: str) -> Scores:
        raw = self.raw_scores(text).tolist()
        named = {
            name: dict(zip(labels, raw[self._slices[name]], strict=True))
            for name, labels in self._heads.items()
        }
        return Scores(
            topic=named["topic"],
            intents=named["intents"],
            wants_human=named["wants_human"]["yes"],
            emotions=named["emotions"],
        )


def train(data: NluData) -> CompiledModel:
    """Fit the heads on the training utterances and flatten them for fast scoring."""
    # Imported here: importing scikit-learn alone takes over a second, and a start that
    # finds the trained model in the build cache never needs it.
    from sklearn.feature_extraction.text import TfidfVectorizer

    examples = data.examples
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, dtype=np.float64)
    matrix = vectorizer.fit_transform([e.text for e in examples])

    heads: dict[str, tuple[str, ...]] = {}
    coefs: list[np.ndarray] = []
    biases: list[np.ndarray] = []

    def add_head(name: str, labels: Sequence[str], coef: np.ndarray, bias: np.ndarray) -> None:
        heads[name] = tuple(labels)
        coefs.append(coef)
        biases.append(bias)

    topic_rows = [i for i, e in enumerate(examples) if _topic_of(e) is not None]
    topic_labels = [_topic_of(examples[i]) for i in topic_rows]
    topic_svm = _fit(matrix[topic_rows], topic_labels)
    order = [list(topic_svm.classes_).index(t) if t in topic_svm.classes_ else -1 for t in TOPICS]
    add_head(
        "topic",
        TOPICS,
        np.stack([_row_or_floor(topic_svm.coef_, i) for i in order]),
        np.array([topic_svm.intercept_[i] if i >= 0 else -10.0 for i in order]),
    )

    intent_coef, intent_bias = [], []
    for intent in INTENTS:
        labels = [intent in e.intents for e in examples]
        coef, bias = _fit_binary(matrix, labels)
        intent_coef.append(coef)
        intent_bias.append(bias)
    add_head("intents", INTENTS, np.stack(intent_coef), np.array(intent_bias))

    coef, bias = _fit_binary(matrix, [e.wants_human for e in examples])
    add_head("wants_human", ("yes",), coef[None, :], np.array([bias]))

    emotion_coef, emotion_bias = [], []
    for emotion in EMOTIONS:
        labels = [e.emotion == emotion for e in examples]
        coef, bias = _fit_binary(matrix, labels, c=SVM_C_EMOTIONS)
        emotion_coef.append(coef)
        emotion_bias.append(bias)
    add_head("emotions", EMOTIONS, np.stack(emotion_coef), np.array(emotion_bias))

    return CompiledModel(
        vocab={f: int(i) for f, i in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        weights=np.ascontiguousarray(np.concatenate(coefs).T),
        bias=np.concatenate(biases),
        heads=heads,
    )


def _topic_of(example: Example) -> str | None:
    if example.topic is not None:
        return example.topic
    if example.wants_human:
        return "other"  # "agent please" says nothing about the issue
    return None


def _fit(matrix: object, labels: Sequence[object], c: float = SVM_C) -> Any:
    from sklearn.svm import LinearSVC

    model = LinearSVC(C=c, class_weight="balanced", random_state=SEED)
    model.fit(matrix, labels)
    return model


def _fit_binary(
    matrix: object, labels: Sequence[bool], c: float = SVM_C
) -> tuple[np.ndarray, float]:
    if not any(labels):
        # No examples in any locale: the head never fires.
        width = matrix.shape[1]  # type: ignore[attr-defined]
        return np.zeros(width), -1.0
    model = _fit(matrix, labels, c)
    return np.asarray(model.coef_[0]), float(model.intercept_[0])


def _row_or_floor(coef: np.ndarray, index: int) -> np.ndarray:
    return np.asarray(coef[index]) if index >= 0 else np.zeros(coef.shape[1])
