"""Pronoun reflection, ELIZA style, and picking the clause worth reflecting.

"I was charged twice" becomes "you were charged twice"; "you charged me" becomes "we charged
you" (the person's "you" is the company) while "talking with you" becomes "talking with me"
(the bot). The word tables live in each locale's template file under `reflection:`, so a
language is added with data; the mechanics here are shared.

Weizenbaum's DOCTOR script swaps words one by one and so says "you wasn't"; we fix the verb
next to a swapped subject ("I wasn't" -> "you weren't", "am I" -> "are you").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from bot.datafiles import DataFileError

# A word (letters, inner apostrophes), a number, whitespace, or any other single character.
_TOKEN_RE = re.compile(r"\s+|[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,:]\d+)*|.", re.UNICODE)
# The word tokens of _TOKEN_RE alone: a letter never starts any other token.
_WORD_TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_SENTENCE_RE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_LINK_RE = re.compile(r"\bhttps?://\S+|\bwww\.\S+|\S+@\S+\.\w+")
_CLAUSE_SPLIT_RE = re.compile(r"\s*(?:[;:]|\s[-–—]\s)\s*|,\s+")

# Never echo a wall of text: a reflection longer than this is cut at a clause boundary.
MAX_REFLECTION_WORDS = 18
MAX_REFLECTION_CHARS = 160


@dataclass(frozen=True)
class Restatement:
    """A question or request said back as a statement: matched on the reflected clause."""

    pattern: re.Pattern[str]
    say: str  # {0} is the whole reflected clause; named groups fill {name}
    only_questions: bool = False  # applies only when the clause ends with "?"


@dataclass(frozen=True)
class ReflectionRules:
    """One locale's word tables (see the `reflection:` section of a template file)."""

    locale: str
    swaps: dict[str, str]  # unambiguous: my -> your
    you_forms: frozenset[str]  # the ambiguous second-person pronoun ("you", "u")
    you_subject: dict[str, str]  # mode (bot/company) -> "I" / "we"
    you_object: dict[str, str]  # mode -> "me" / "us"
    second_person: dict[str, dict[str, str]]  # "your" -> {bot: my, company: our}
    possessive_or_object: dict[str, dict[str, str]]  # sv "er" -> {possessive, object}
    not_nouns: frozenset[str]  # words that cannot follow a possessive
    agreement: dict[str, dict[str, str]]  # new subject -> {verb as written: verb to write}
    clause_starts: frozenset[str]  # after these, "you" begins a clause (is a subject)
    skip_before_verb: frozenset[str]  # auxiliaries/adverbs between a subject and its verb
    company_verbs: tuple[str, ...]  # stems: "you charged me" is about the company
    chat_verbs: tuple[str, ...]  # stems: "talking with you" is about the bot
    greetings: tuple[re.Pattern[str], ...]
    fillers: tuple[re.Pattern[str], ...]  # clauses that are never the issue
    feeling_words: frozenset[str]  # clauses made only of feeling are a poor issue
    first_person: frozenset[str]
    subjects: frozenset[str]  # first-person subject pronouns whose verb may need fixing
    questions: tuple[Restatement, ...]
    pronouns: frozenset[str] = field(init=False)  # every word the swap tables know
    swapped: frozenset[str] = field(init=False)  # every word `Reflector.reflect` may change
    feeling_or_skip: frozenset[str] = field(init=False)  # feeling_words | skip_before_verb
    # Spellings made standard before reflecting: "you guys" -> "you", "dont" -> "don't".
    normalize: tuple[tuple[re.Pattern[str], str], ...]
    trim: tuple[re.Pattern[str], ...]  # politeness cut from a clause ("..., please")

    # Each list of patterns as one regex (when they can be joined): most texts match none
    # of them, and one regex says so in one pass.
    any_greeting: re.Pattern[str] | None = field(init=False)
    any_filler: re.Pattern[str] | None = field(init=False)
    any_normalize: re.Pattern[str] | None = field(init=False)
    any_trim: re.Pattern[str] | None = field(init=False)

    def __post_init__(self) -> None:
        known = self.first_person | self.you_forms | set(self.swaps) | set(self.second_person)
        object.__setattr__(self, "pronouns", frozenset(known))
        swapped = self.you_forms | set(self.second_person) | set(self.possessive_or_object)
        object.__setattr__(self, "swapped", frozenset(swapped | set(self.swaps)))
        object.__setattr__(self, "feeling_or_skip", self.feeling_words | self.skip_before_verb)
        object.__setattr__(self, "any_greeting", _any_of(self.greetings))
        object.__setattr__(self, "any_filler", _any_of(self.fillers))
        object.__setattr__(self, "any_normalize", _any_of(tuple(p for p, _ in self.normalize)))
        object.__setattr__(self, "any_trim", _any_of(self.trim))

    @classmethod
    def from_data(cls, locale: str, data: Any, *, source: Path | str) -> ReflectionRules:
        if not isinstance(data, dict):
            raise DataFileError(f"{source}: `reflection:` must be a mapping")

        def words(key: str) -> list[str]:
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
                raise DataFileError(f"{source}: reflection.{key} must be a list of strings")
            return [_norm(w) for w in value]

        def mapping(key: str) -> dict[str, Any]:
            value = data.get(key, {})
            if not isinstance(value, dict):
                raise DataFileError(f"{source}: reflection.{key} must be a mapping")
            return {_norm(str(k)): v for k, v in value.items()}

        def patterns(key: str) -> tuple[re.Pattern[str], ...]:
            out = []
            for raw in words(key):
                try:
                    out.append(re.compile(raw, re.IGNORECASE))
                except re.error as exc:
                    raise DataFileError(f"{source}: reflection.{key}: {raw!r}: {exc}") from exc
            return tuple(out)

        questions = []
        for item in data.get("questions", []) or []:
            if not (isinstance(item, dict) and "match" in item and "say" in item):
                raise DataFileError(f"{source}: reflection.questions items need match and say")
            try:
                questions.append(
                    Restatement(
                        re.compile(str(item["match"]), re.IGNORECASE),
                        str(item["say"]),
                        bool(item.get("only_questions", False)),
                    )
                )
            except re.error as exc:
                raise DataFileError(f"{source}: reflection.questions: {exc}") from exc
        normalize = []
        for item in data.get("normalize", []) or []:
            if not (isinstance(item, dict) and "match" in item and "say" in item):
                raise DataFileError(f"{source}: reflection.normalize items need match and say")
            try:
                pattern = re.compile(str(item["match"]), re.IGNORECASE)
            except re.error as exc:
                raise DataFileError(f"{source}: reflection.normalize: {exc}") from exc
            normalize.append((pattern, str(item["say"])))
        you = data.get("you") or {}
        return cls(
            locale=locale,
            swaps={k: str(v) for k, v in mapping("swaps").items()},
            you_forms=frozenset(_norm(w) for w in you.get("forms", [])),
            you_subject={str(k): str(v) for k, v in (you.get("subject") or {}).items()},
            you_object={str(k): str(v) for k, v in (you.get("object") or {}).items()},
            second_person={
                k: {str(m): str(w) for m, w in v.items()}
                for k, v in mapping("second_person").items()
            },
            possessive_or_object={
                k: {str(m): str(w) for m, w in v.items()}
                for k, v in mapping("possessive_or_object").items()
            },
            not_nouns=frozenset(words("not_nouns")),
            agreement={
                str(k): {_norm(a): str(b) for a, b in (v or {}).items()}
                for k, v in (data.get("agreement") or {}).items()
            },
            clause_starts=frozenset(words("clause_starts")),
            skip_before_verb=frozenset(words("skip_before_verb")),
            company_verbs=tuple(words("company_verbs")),
            chat_verbs=tuple(words("chat_verbs")),
            greetings=patterns("greetings"),
            fillers=patterns("fillers"),
            feeling_words=frozenset(words("feeling_words")),
            first_person=frozenset(words("first_person")),
            subjects=frozenset(words("subjects")),
            questions=tuple(questions),
            normalize=tuple(normalize),
            trim=patterns("trim"),
        )


@dataclass(frozen=True)
class Reflection:
    """The clause picked from a message and its reflection."""

    source: str  # the person's words, as picked
    text: str  # reflected, lower-case start, no final punctuation ("you were charged twice")
    is_question: bool
    # Said back in other words ("you'd like to know how to ..."), not just persons swapped.
    restated: bool = False


def _any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One regex that matches where any of `patterns` does; None when they cannot be
    joined (a group could be referred to by its number, or the flags differ)."""
    if not patterns or any(p.groups for p in patterns) or len({p.flags for p in patterns}) > 1:
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
    except re.error:  # e.g. a pattern that starts with flags of its own
        return None


def _norm(word: str) -> str:
    return word.lower().replace("’", "'")


def _tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


def _words(text: str) -> list[str]:
    """The words of `text` as `_norm` spells them (the tokens that `_is_word`)."""
    if text.isascii():  # then lower-casing the whole text first gives the same words
        return _WORD_TOKEN_RE.findall(text.lower())
    return [t.lower().replace("’", "'") for t in _WORD_TOKEN_RE.findall(text) if t[0].isalpha()]


def _is_word(token: str) -> bool:
    return token[:1].isalpha()


class Reflector:
    """Reflects a person's words back for one locale."""

    def __init__(self, rules: ReflectionRules) -> None:
        self.rules = rules

    # -- word-level reflection ---------------------------------------------------------

    def reflect(self, text: str) -> str:
        """Swap persons in `text`, word by word, fixing verbs beside a swapped subject.

        Args:
            text: the person's words (one clause is best).
        """
        r = self.rules
        if r.any_normalize is None or r.any_normalize.search(text) is not None:
            for pattern, say in r.normalize:
                text = pattern.sub(say, text)
        tokens = _tokens(text)
        words = [i for i, t in enumerate(tokens) if t[:1].isalpha()]
        lowered = [_norm(tokens[i]) for i in words]
        out = list(tokens)
        # Index (in `words`) -> the subject it follows, for verb agreement.
        subject_after: dict[int, str] = {}
        # Whom the person's "you" means is decided once, at its first use, so one clause
        # never mixes them ("I keep repeating myself", not "I keep repeating ourselves").
        mode: str | None = None
        for n, i in enumerate(words):
            word = lowered[n]
            if word not in r.swapped:
                continue  # none of the cases below applies
            prev = lowered[n - 1] if n > 0 else None
            nxt = lowered[n + 1] if n + 1 < len(words) else None
            # A clause boundary (comma, full stop) between two words breaks adjacency.
            prev_adjacent = n > 0 and _only_space_between(tokens, words[n - 1], i)
            next_adjacent = n + 1 < len(words) and _only_space_between(tokens, i, words[n + 1])
            new: str | None = None
            subject: str | None = None
            if (word in r.you_forms or word in r.second_person) and mode is None:
                mode = self._mode(lowered, n)
            if word in r.you_forms and mode is not None:
                if self._is_subject(prev if prev_adjacent else None, nxt):
                    new = r.you_subject.get(mode, word)
                    subject = new
                else:
                    new = r.you_object.get(mode, word)
            elif word in r.second_person and mode is not None:
                new = r.second_person[word].get(mode, word)
            elif word in r.possessive_or_object:
                forms = r.possessive_or_object[word]
                takes_noun = next_adjacent and nxt is not None and nxt not in r.not_nouns
                new = forms["possessive"] if takes_noun else forms["object"]
            elif word in r.swaps:
                new = r.swaps[word]
                if word in r.subjects:
                    subject = new
            if new is None:
                continue
            out[i] = new
            if subject is not None:
                if next_adjacent:
                    subject_after[n + 1] = subject
                # Inverted order: "am I" -> "are you", "were you" -> "was I".
                if prev_adjacent and prev is not None:
                    fixed = r.agreement.get(subject, {}).get(prev)
                    if fixed is not None:
                        out[words[n - 1]] = _match_case(tokens[words[n - 1]], fixed)
        for n, subject in subject_after.items():
            i = words[n]
            fixed = r.agreement.get(subject, {}).get(lowered[n])
            if fixed is not None and out[i] == tokens[i]:
                out[i] = _match_case(tokens[i], fixed)
        return "".join(out).replace("’", "'")

    def _mode(self, lowered: list[str], n: int) -> str:
        """'company' when the person's "you" did something a company does, else 'bot'."""
        r = self.rules
        window = lowered[max(0, n - 3) : n + 5]
        for w in window:
            if r.chat_verbs and w.startswith(r.chat_verbs):
                return "bot"
        for w in window:
            if r.company_verbs and w.startswith(r.company_verbs):
                return "company"
        return "bot" if self._bot_context(lowered, n) else "company"

    def _bot_context(self, lowered: list[str], n: int) -> bool:
        # "you are ..." / "you don't argue": said to the bot itself (ELIZA's own cases).
        nxt = lowered[n + 1] if n + 1 < len(lowered) else None
        return nxt is not None and nxt in self.rules.skip_before_verb

    def _is_subject(self, prev: str | None, nxt: str | None) -> bool:
        """Whether the person's "you" is a subject (-> I / we) or an object (-> me / us)."""
        r = self.rules
        if prev is None or prev in r.clause_starts:
            return nxt is not None
        if prev in r.skip_before_verb:
            return True  # "do you sell", "why can't you": an auxiliary before its subject
        if nxt is None:
            return False
        # "you charged", "you never", "you are": a verb or an adverb follows a subject.
        return nxt in r.skip_before_verb or (nxt.endswith("ed") and prev not in r.chat_verbs)

    # -- choosing what to reflect ------------------------------------------------------

    def strip_greeting(self, text: str) -> str:
        stripped = text.strip()
        quick = self.rules.any_greeting
        if quick is not None and quick.match(stripped) is None:
            return stripped  # no greeting starts it: the loop below would change nothing
        changed = True
        while changed and stripped:
            changed = False
            for pattern in self.rules.greetings:
                m = pattern.match(stripped)
                if m and m.end() > 0:
                    stripped = stripped[m.end() :].lstrip(" ,.!-–—:;\n")
                    changed = True
        return stripped

    def candidates(self, text: str) -> list[str]:
        """Sentences, and the clauses of each, with greetings and fillers dropped."""
        # Links and addresses are not the issue, and are not ours to repeat.
        body = self.strip_greeting(_LINK_RE.sub("", text))
        out: list[str] = []
        for m in _SENTENCE_RE.finditer(body):
            sentence = self.strip_greeting(m.group(0).strip())
            if not sentence:
                continue
            out.append(sentence)
            parts = [p for p in _CLAUSE_SPLIT_RE.split(sentence) if p and p.strip()]
            if len(parts) > 1:
                out.extend(self.strip_greeting(p.strip()) for p in parts)
        return [c for c in out if c and not self._is_filler(c)]

    def _is_filler(self, clause: str) -> bool:
        bare = clause.strip(" .!?,")
        if not bare:
            return True
        joined = self.rules.any_filler
        if joined is not None:
            return joined.fullmatch(bare) is not None
        return any(p.fullmatch(bare) for p in self.rules.fillers)

    def _score(
        self,
        clause: str,
        order: int,
        topic_words: tuple[str, ...],
        words_of: Callable[[str], list[str]] = _words,
    ) -> float:
        words = words_of(clause)
        if not words:
            return -100.0
        score = 0.0
        if not self.rules.first_person.isdisjoint(words):
            score += 3
        if topic_words:
            score += 2 * min(2, sum(map(str.startswith, words, repeat(topic_words))))
        if self._only_feeling(words):
            score -= 2  # "I'm so upset": the template carries the feeling; find the issue
        else:
            parts = _CLAUSE_SPLIT_RE.split(clause)
            if len(parts) > 1 and any(self._only_feeling(words_of(p)) for p in parts):
                score -= 1.5  # "I'm so angry, this is the third time": the clause after
        if len(words) < 2:
            score -= 1
        if len(words) > MAX_REFLECTION_WORDS:
            score -= 2
        score += min(len(words), 8) / 16  # a little more said is a little better
        return score - order * 0.25  # people tend to lead with the issue

    def _has_substance(self, body: str) -> bool:
        """Worth saying back: two words or more, not only pronouns ("you", "I I I")."""
        words = _words(body)
        return len(words) >= 2 and not self.rules.pronouns.issuperset(words)

    def _only_feeling(self, words: list[str]) -> bool:
        content = set(words).difference(self.rules.first_person)
        return bool(content) and content <= self.rules.feeling_or_skip

    def ranked(self, text: str, *, topic_words: Iterable[str] = ()) -> list[str]:
        """The clauses of `text`, best statement of the issue first, in the person's words."""
        return list(self._ranked(text, topic_words))

    def _ranked(self, text: str, topic_words: Iterable[str]) -> Iterator[str]:
        # Lazily: the first clause that can be said back is usually the first one.
        candidates = self.candidates(text)
        if len(candidates) < 2:  # nothing to rank
            return (_shorten(c) for c in candidates)
        stems = tuple(topic_words)
        # A sentence's clauses are candidates of their own: each is read once.
        known: dict[str, list[str]] = {}

        def words_of(clause: str) -> list[str]:
            if clause not in known:
                known[clause] = _words(clause)
            return known[clause]

        order = sorted(
            range(len(candidates)), key=lambda k: -self._score(candidates[k], k, stems, words_of)
        )
        return (_shorten(candidates[k]) for k in order)

    def pick(self, text: str, *, topic_words: Iterable[str] = ()) -> str:
        ranked = self.ranked(text, topic_words=topic_words)
        return ranked[0] if ranked else ""

    def reflect_issue(self, text: str, *, topic_words: Iterable[str] = ()) -> Reflection:
        """Pick the clause worth reflecting and say it back as a statement.

        A question or a request is restated ("how do I reset my password?" -> "you'd like to
        know how to reset your password"); a question we cannot restate gives way to the
        next-best clause, and if none is left the text is empty (name it by topic instead).

        Args:
            text: the person's whole message.
            topic_words: word stems that mark the issue (from the topic), preferred.
        """
        first: str | None = None
        for clause in self._ranked(text, topic_words):
            first = clause if first is None else first
            restated = self._restate(clause)
            if restated is not None:
                said, changed = restated
                return Reflection(clause, said, clause.rstrip().endswith("?"), changed)
        first = first or ""
        return Reflection(first, "", first.rstrip().endswith("?"))

    def _trim(self, body: str) -> str:
        quick = self.rules.any_trim
        if quick is not None and quick.search(body) is None:
            stripped = body.strip()
            if stripped == body or quick.search(stripped) is None:
                return stripped  # what the loop below gives when nothing matches
        for pattern in self.rules.trim:
            body = pattern.sub("", body).strip()
        return body

    def _restate(self, clause: str) -> tuple[str, bool] | None:
        is_question = clause.rstrip().endswith("?")
        body = self._trim(clause.rstrip(" .!?,;:"))
        if _mostly_upper(body):
            body = body.lower()
        if not self._has_substance(body):
            return None
        reflected = self.reflect(body).strip()
        # Matched on the reflected words, so the patterns see "how do you reset your
        # password" and say it back as "you'd like to know how to reset your password".
        for restatement in self.rules.questions:
            if restatement.only_questions and not is_question:
                continue
            m = restatement.pattern.fullmatch(reflected)
            if m:
                parts = {k: _question_part(k, v) for k, v in m.groupdict().items()}
                said = restatement.say.format(_lower_first(m.group(0)), **parts)
                return _lower_first(" ".join(said.split())), True
        return None if is_question else (_lower_first(reflected), False)


def _question_part(name: str, value: str | None) -> str:
    """A captured piece of a question: auxiliaries lower-cased, `v3` given its -s."""
    text = (value or "").strip()
    if name in ("aux", "verb", "v3", "past", "q"):
        text = text.lower()
    if name == "v3":
        text = _third_person(text)
    if name == "past":
        text = _past(text)
    return text


def _third_person(verb: str) -> str:
    # English "does it renew" -> "it renews"; other locales do not name a group v3.
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if len(verb) > 1 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


# English irregular pasts a support conversation uses ("why did you take ...").
_IRREGULAR_PAST: dict[str, str] = {
    "be": "was",
    "buy": "bought",
    "bring": "brought",
    "cancel": "cancelled",
    "come": "came",
    "cut": "cut",
    "do": "did",
    "find": "found",
    "forget": "forgot",
    "get": "got",
    "give": "gave",
    "go": "went",
    "have": "had",
    "hear": "heard",
    "keep": "kept",
    "know": "knew",
    "leave": "left",
    "let": "let",
    "lose": "lost",
    "make": "made",
    "mean": "meant",
    "pay": "paid",
    "put": "put",
    "read": "read",
    "say": "said",
    "see": "saw",
    "sell": "sold",
    "send": "sent",
    "set": "set",
    "shut": "shut",
    "take": "took",
    "tell": "told",
    "think": "thought",
    "write": "wrote",
}


def _past(verb: str) -> str:
    # English "why did you charge me" -> "why we charged you"; only groups named `past`.
    if verb in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[verb]
    if verb.endswith("e"):
        return verb + "d"
    if len(verb) > 1 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    vowels = "aeiou"
    if (
        len(verb) <= 4
        and len(verb) >= 3
        and verb[-1] not in vowels + "wxy"
        and verb[-2] in vowels
        and verb[-3] not in vowels
    ):
        return verb + verb[-1] + "ed"  # stop -> stopped, ban -> banned
    return verb + "ed"


def _only_space_between(tokens: list[str], a: int, b: int) -> bool:
    if b == a + 2:  # one token between them, the usual case
        return tokens[a + 1].isspace()
    return all(t.isspace() for t in tokens[a + 1 : b])


def _match_case(original: str, new: str) -> str:
    if original.isupper() and len(original) > 1:
        return new.upper()
    if original[:1].isupper() and new[:1].islower():
        return new[:1].upper() + new[1:]
    return new


def _mostly_upper(text: str) -> bool:
    letters = list(filter(str.isalpha, text))
    return len(letters) >= 6 and sum(map(str.isupper, letters)) / len(letters) > 0.7


def _lower_first(text: str) -> str:
    for found in _WORD_TOKEN_RE.finditer(text):
        token = found.group()
        if _is_word(token):
            keep = token in ("I", "I'm", "I've", "I'd", "I'll") or (
                len(token) > 1 and token.isupper()
            )
            if keep:
                return text
            return f"{text[: found.start()]}{token[:1].lower()}{token[1:]}{text[found.end() :]}"
    return text


def _shorten(clause: str) -> str:
    few_words = len(_words(clause)) <= MAX_REFLECTION_WORDS
    if few_words and len(clause) <= MAX_REFLECTION_CHARS:
        return clause
    if few_words:
        # Few words but very long ones (a pasted link, a key held down): cut at a space.
        cut_at = clause.rfind(" ", 0, MAX_REFLECTION_CHARS)
        return clause[:cut_at].rstrip(" ,") if cut_at > 0 else ""
    # Cut at the last conjunction or comma that keeps it short: never a wall of text.
    tokens = _tokens(clause)
    count = 0
    cut = None
    for k, token in enumerate(tokens):
        if _is_word(token):
            count += 1
            if count > MAX_REFLECTION_WORDS:
                break
            if _norm(token) in ("and", "but", "because", "och", "men", "eftersom") and count > 5:
                cut = k
        elif token == "," and count > 5:
            cut = k
    if cut is None:
        cut = k
    return "".join(tokens[:cut]).rstrip(" ,")
