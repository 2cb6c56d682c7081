"""The listening rubric (DESIGN.md "Reflective listening") as code: lint a template library.

Every template is checked on its own words (the text with its slots taken out: the person's
reflected words are theirs, not ours) and again rendered for a battery of messages and
queues. A failure names the file, the line, the template id and the rule.

The phrase tables are here, not in the data files, on purpose: they are the contract the
library is checked against, so editing the library cannot quietly relax them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.conversation.engine import Engine
from bot.conversation.reflect import MAX_REFLECTION_WORDS
from bot.conversation.templates import (
    FAMILIES,
    LocaleLibrary,
    Template,
    TemplateLibrary,
    render,
)
from bot.conversation.types import TOPICS, Decision
from bot.datafiles import line_of

# fail(rule, detail): records one failure for the template being checked.
_Fail = Callable[[str, str], None]

# Rule names, as printed in failures.
RULE_SLOTS = "slots"
RULE_BANNED = "banned-phrase"
RULE_CLINICAL = "clinical-content"
RULE_APOLOGY = "apology"
RULE_OWN = "owns-the-issue"
RULE_REFLECTION = "declarative-reflection"
RULE_NEXT_STEP = "next-step"
RULE_QUESTION = "one-question"
RULE_CRISIS_HUMAN = "crisis-human-now"
RULE_CRISIS_NUMBER = "crisis-regional-number"
RULE_CRISIS_QUESTION = "crisis-safety-question"
RULE_CRISIS_METHOD = "crisis-no-method-words"
RULE_CRISIS_CONFIDENTIAL = "crisis-no-confidentiality-promise"


@dataclass(frozen=True)
class LocaleRubric:
    banned: tuple[str, ...]  # defensive or dismissive phrases (DESIGN.md list)
    clinical: tuple[str, ...]  # diagnosis, medication, coping advice: never from the bot
    apology: str  # regex: an apology
    owning: str  # regex: words that take ownership (we, our, on us)
    conditional: str  # regex: an apology made conditional or turned on the person
    when: str  # regex: a time ("within {wait} minutes", "now", "straight away")
    who: str  # regex: someone who acts (a queue label, I, we)
    crisis_human_now: str
    crisis_method: tuple[str, ...]
    crisis_confidential: tuple[str, ...]


# Crisis numbers from DESIGN.md: US 988, UK/IE Samaritans 116 123, SE Mind
# Självmordslinjen 90101, emergency 911/999/112.
CRISIS_NUMBERS = re.compile(r"\b(?:988|116 ?123|90101|911|999|112)\b")

RUBRICS: dict[str, LocaleRubric] = {
    "en": LocaleRubric(
        banned=(
            "i understand",
            "i know how you feel",
            "sorry you feel",
            "as i said",
            "per our policy",
            "calm down",
            "you should",
            "at least",
            "inconvenience",
            "as previously stated",
            "unfortunately, that's our policy",
            "sorry for any",
            "we apologize for any",
        ),
        clinical=(
            "diagnos",
            "medication",
            "medicine",
            "dose",
            "dosage",
            "symptom",
            "prescri",
            "antidepress",
            "breathing exercise",
            "coping",
            "try to relax",
            "meditat",
            "mindfulness",
            "grounding",
            "disorder",
            "sertraline",
        ),
        apology=r"\b(?:sorry|apologi[sz]e|apologies)\b",
        owning=r"\b(?:we|we're|we've|we'll|our|ours|us|on us|my job|on me|I'll)\b",
        conditional=(
            r"\bif\b|sorry you feel|sorry for any|sorry that you feel|your fault|"
            r"you should have|you didn't|you failed|you forgot|misunderstanding"
        ),
        when=r"\{wait\}|\bnow\b|right away|straight away|at once|\btoday\b|within \d+|"
        r"\d+ (?:minutes|hours)|\bminutes?\b",
        who=r"\{who\}|\{Who\}|\bI\b|\bI'm\b|\bI'll\b|\bwe\b|\bwe'll\b|\byou\b",
        crisis_human_now=(
            r"(?:join|joining|with you|connect|bring|coming)[^.?!]*\b(?:now|right away)\b"
            r"|\bnow\b[^.?!]*(?:join|joining|with you)"
        ),
        crisis_method=(
            "pill",
            "overdose",
            "bridge",
            "jump",
            "rope",
            "gun",
            "knife",
            "blade",
            "height",
            "building",
            "hang",
            "poison",
            "cut ",
        ),
        crisis_confidential=(
            "confidential",
            "between us",
            "won't tell",
            "will not tell",
            "stays between",
            "secret",
            "nobody will know",
            "no one will know",
            "private",
        ),
    ),
    "sv": LocaleRubric(
        banned=(
            "jag förstår",
            "jag vet hur du känner",
            "ledsen att du känner",
            "som jag sa",
            "som jag sade",
            "enligt vår policy",
            "lugna ner dig",
            "lugna dig",
            "du borde",
            "du bör",
            "åtminstone",
            "i alla fall",
            "olägenhet",
            "besväret",
        ),
        clinical=(
            "diagnos",
            "medicin",
            "dosering",
            " dos ",
            "symtom",
            "recept",
            "antidepress",
            "andningsövning",
            "hantera känslor",
            "avslappning",
            "meditation",
            "mindfulness",
            "sertralin",
        ),
        apology=r"\b(?:förlåt|ursäkta|ber om ursäkt|ledsen)\b",
        owning=(
            r"\b(?:vi|vår|vårt|våra|oss|vårt ansvar|mitt jobb|mitt ansvar|jag ser till"
            r"|jag skickar)\b"
        ),
        conditional=(
            r"\b(?:förlåt|ursäkta|ledsen) om\b|ledsen att du känner|ditt fel|du borde|"
            r"du glömde|missförstånd"
        ),
        when=r"\{wait\}|\bnu\b|direkt|genast|\bi dag\b|inom \d+|\d+ (?:minuter|timmar)|"
        r"\bminut(?:er)?\b|inom några minuter|inom ett dygn",
        who=r"\{who\}|\{Who\}|\bjag\b|\bvi\b|\bdu\b",
        crisis_human_now=r"(?:kommer|ansluter|ansluta|är med dig|tar in)[^.?!]*\bnu\b"
        r"|\bnu\b[^.?!]*(?:kommer|ansluter)",
        crisis_method=(
            "tablett",
            "överdos",
            "bro ",
            "hoppa",
            "rep ",
            "vapen",
            "kniv",
            "höjd",
            "hänga",
            "gift",
            "skära",
            "metod",
        ),
        crisis_confidential=(
            "konfidentiell",
            "mellan oss",
            "berättar inte",
            "hemlig",
            "ingen kommer att få veta",
            "privat",
        ),
    ),
}

# Messages each locale's library is rendered for: plain, emotional, questions, requests,
# shouting, greetings and walls of text (DESIGN.md's examples among them).
BATTERY: dict[str, tuple[str, ...]] = {
    "en": (
        "I was charged twice for one session and I want a refund.",
        "Hi there! My session froze and I couldn't reconnect. I'm really upset.",
        "How do I reset my password?",
        "Does my plan renew automatically?",
        "YOU CHARGED ME AGAIN AFTER I CANCELLED",
        "i wasn't confused until i started talking with you",
        "Erase my chat history please",
        "Should I increase my dose?",
        "My counselor missed our appointment again. Second time this month. I took the "
        "afternoon off work for it, arranged childcare, sat in the waiting room for twenty "
        "minutes and nobody came, and nobody has written to me since.",
        "hello",
    ),
    "sv": (
        "Jag har dragits pengar två gånger för samma session.",
        "Hej! Min session frös och jag kom inte in igen. Jag är så ledsen.",
        "Hur återställer jag mitt lösenord?",
        "Säljer ni mina uppgifter till annonsörer?",
        "NI HAR DRAGIT PENGAR IGEN EFTER ATT JAG SA UPP MIG",
        "Radera min chatthistorik, tack",
        "Vilka biverkningar har min medicin?",
        "Min terapeut dök inte upp igen, andra gången den här månaden, och jag hade tagit "
        "ledigt från jobbet och ordnat barnvakt och satt och väntade i tjugo minuter.",
        "hej",
    ),
}
BATTERY_QUEUES: tuple[tuple[str, str], ...] = (
    ("a billing specialist", "10"),
    ("someone from our clinical team", "30"),
    ("en specialist på fakturering", "10"),
)


@dataclass(frozen=True)
class Failure:
    file: Path | str
    line: int | None
    template_id: str
    rule: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.template_id}: {self.rule}: {self.detail}"


@dataclass(frozen=True)
class Report:
    checked: int
    failures: tuple[Failure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def check_library(
    library: TemplateLibrary,
    crisis_templates: Iterable[tuple[Path, str, str, str]] = (),
) -> Report:
    """Lint every template of `library` (and the crisis texts) against the rubric.

    Args:
        library: the template library to check.
        crisis_templates: (file, id, locale, text) from CrisisResources.all_templates().
    """
    failures: list[Failure] = []
    checked = 0
    for lib in library.locales.values():
        rubric = RUBRICS.get(lib.locale, RUBRICS["en"])
        reflections = _battery_reflections(lib)
        failures += _check_reflector(lib, reflections)
        for template in lib.templates():
            checked += 1
            failures += check_template(template, rubric, reflections)
        failures += _check_openings(lib)
    for file, tid, locale, text in crisis_templates:
        checked += 1
        failures += check_crisis(file, tid, locale, text)
    return Report(checked, tuple(failures))


def _check_openings(lib: LocaleLibrary) -> list[Failure]:
    """Each feeling needs a reflection that opens with the person's words: a restated
    question ("You'd like to know ...") cannot follow "You're telling me"."""
    failures = []
    for topic in TOPICS:
        for family in FAMILIES[1:]:
            group = lib.group(f"{topic}.reflect.{family}")
            if not any(t.text.startswith("{Reflection}") for t in group):
                failures.append(
                    Failure(
                        group[0].file,
                        group[0].line,
                        f"{lib.locale}:{topic}.reflect.{family}",
                        RULE_REFLECTION,
                        "add a line that opens with {Reflection}",
                    )
                )
    return failures


def _battery_reflections(lib: LocaleLibrary) -> list[str]:
    out = []
    for message in BATTERY.get(lib.locale, BATTERY["en"]):
        said = lib.reflector.reflect_issue(message).text
        if said:
            out.append(said)
    return out


def _check_reflector(lib: LocaleLibrary, reflections: Sequence[str]) -> list[Failure]:
    failures = []
    for said in reflections:
        if "?" in said or len(said.split()) > MAX_REFLECTION_WORDS + 6:
            failures.append(
                Failure(
                    lib.file,
                    None,
                    f"{lib.locale}:reflection",
                    RULE_REFLECTION,
                    f"a reflection must be a short statement, got {said!r}",
                )
            )
    return failures


def own_words(text: str) -> str:
    """The template's own words: slots removed, so the person's words are not judged."""
    return re.sub(r"\{[^{}]*\}", " ", text)


def _unquoted(text: str) -> str:
    # UI labels in quotes ("Forgot password?") are not questions the bot asks.
    return re.sub(r"\"[^\"]*\"|“[^”]*”", " ", text)


def check_template(
    template: Template, rubric: LocaleRubric, reflections: Sequence[str] = ()
) -> list[Failure]:
    """The rubric's rules for one template, by its kind."""
    found: list[Failure] = []

    def fail(rule: str, detail: str) -> None:
        found.append(Failure(template.file, template.line, template.id, rule, detail))

    own = own_words(template.text)
    lowered = f" {own.lower()} "
    for phrase in rubric.banned:
        if _says(phrase, lowered):
            fail(RULE_BANNED, f"says {phrase!r}")
    for word in rubric.clinical:
        if word in lowered:
            fail(RULE_CLINICAL, f"clinical content {word.strip()!r}: the bot is not a therapist")
    for sentence in re.split(r"(?<=[.!?;])\s+", own):
        if re.search(rubric.apology, sentence, re.IGNORECASE):
            _check_apology(sentence, rubric, fail)

    kind = template.kind
    questions = _unquoted(own).count("?")
    # A system line is a message of its own (the contact offer asks which route), so it
    # may ask too: still one question, at its end.
    if kind == "question" or (kind == "system" and questions):
        if questions != 1 or not template.text.rstrip().endswith("?"):
            fail(RULE_QUESTION, "a question line asks exactly one question, at its end")
    elif questions:
        fail(RULE_QUESTION, "only the `questions:` lines may ask (one question per reply)")

    if kind == "reflect":
        if "{reflection}" not in template.text and "{Reflection}" not in template.text:
            fail(RULE_REFLECTION, "a reflection must echo the person's words ({reflection})")
    if kind == "own" and not re.search(rubric.owning, own, re.IGNORECASE):
        fail(RULE_OWN, "name the issue and own it (we / our / on us)")
    if kind in ("offer", "next") or template.group == "selfserve.fallback":
        _check_next_step(template.text, rubric, fail)
    if kind == "selfserve" and template.group.startswith("selfserve.howto"):
        if not re.search(rubric.when, own, re.IGNORECASE):
            fail(RULE_NEXT_STEP, "self-serve steps say when it will work (a time)")

    for rendered in _renderings(template, reflections):
        if re.search(r"[{}]|\s[.,;]|\s{2,}", rendered):
            fail(RULE_SLOTS, f"renders badly: {rendered!r}")
            break
        if kind == "reflect" and _unquoted(rendered).count("?"):
            fail(RULE_REFLECTION, f"rendered reflection asks a question: {rendered!r}")
            break
    return found


def _check_apology(sentence: str, rubric: LocaleRubric, fail: _Fail) -> None:
    if re.search(rubric.conditional, sentence, re.IGNORECASE):
        fail(RULE_APOLOGY, f"conditional or blaming apology: {sentence.strip()!r}")
    if not re.search(rubric.owning, sentence, re.IGNORECASE):
        fail(RULE_APOLOGY, f"an apology owns it (we / our): {sentence.strip()!r}")
    after = re.split(rubric.apology, sentence, maxsplit=1, flags=re.IGNORECASE)[-1]
    if len(re.findall(r"\w+", after)) < 4:
        fail(RULE_APOLOGY, f"an apology names the impact: {sentence.strip()!r}")


def _check_next_step(text: str, rubric: LocaleRubric, fail: _Fail) -> None:
    if not re.search(rubric.who, text):
        fail(RULE_NEXT_STEP, "a next step says who acts")
    if not re.search(rubric.when, text, re.IGNORECASE):
        fail(RULE_NEXT_STEP, "a next step says when (a time)")
    if len(re.findall(r"\w+", own_words(text))) < 5:
        fail(RULE_NEXT_STEP, "a next step says what will happen")


def _renderings(template: Template, reflections: Sequence[str]) -> Iterable[str]:
    samples = list(reflections) or ["you were charged twice"]
    for who, wait in BATTERY_QUEUES:
        for reflection in samples:
            try:
                yield render(
                    template.text,
                    reflection=reflection,
                    issue="the charge",
                    who=who,
                    wait=wait,
                    name="Sam",
                    amount="25.00 USD",  # the system lines' own slots (SYSTEM_SLOTS)
                    title="video sessions failing",
                    time="14:30 UTC",
                )
            except (KeyError, IndexError, ValueError) as exc:
                yield f"{{unfilled {exc}}}"
                return


def check_crisis(file: Path | str, tid: str, locale: str, text: str) -> list[Failure]:
    """A crisis text: a human now, a regional number, one direct safety question, never
    method or location words, never a promise of confidentiality. Check-ins: the question
    and the never-rules."""
    rubric = RUBRICS.get(locale, RUBRICS["en"])
    found: list[Failure] = []
    line = line_of(Path(file), text[:40])

    def fail(rule: str, detail: str) -> None:
        found.append(Failure(file, line, tid, rule, detail))

    lowered = f" {text.lower()} "
    is_check_in = "check_in" in tid or "checkin" in tid
    if not is_check_in:
        if not re.search(rubric.crisis_human_now, text, re.IGNORECASE):
            fail(RULE_CRISIS_HUMAN, "say that a person is joining now")
        if not CRISIS_NUMBERS.search(text):
            fail(RULE_CRISIS_NUMBER, "give a regional crisis or emergency number")
    if _unquoted(text).count("?") != 1:
        fail(RULE_CRISIS_QUESTION, "ask exactly one direct question about their safety")
    for word in rubric.crisis_method:
        if word in lowered:
            fail(RULE_CRISIS_METHOD, f"mentions {word.strip()!r}")
    for word in rubric.crisis_confidential:
        if word in lowered:
            fail(RULE_CRISIS_CONFIDENTIAL, f"promises or implies confidentiality: {word!r}")
    for phrase in rubric.banned:
        if _says(phrase, lowered):
            fail(RULE_BANNED, f"says {phrase!r}")
    return found


# Whole first messages the composed replies are checked on, per locale: the reply's
# sequence, its one question, who and when for a hand-off, crisis first when urgent.
REPLY_BATTERY: dict[str, tuple[str, ...]] = {
    "en": (
        "I was charged twice for one session and I want a refund.",
        "My session froze and I couldn't reconnect. I'm really upset.",
        "How do I reset my password?",
        "Should I increase my dose of sertraline?",
        "Connect me to a human agent",
        "I'm writing for the fourth time!!! Nobody is helping me!!!",
        "I was charged twice and honestly I want to end my life",
        "Are my sessions recorded?",
    ),
    "sv": (
        "Jag har dragits pengar två gånger och vill ha pengarna tillbaka.",
        "Min terapeut dök inte upp idag.",
        "Hur återställer jag mitt lösenord?",
        "Vilka biverkningar har min medicin?",
        "Jag vill prata med en person, inte en robot.",
        "Jag har dragits pengar två gånger och jag orkar inte leva mer.",
    ),
}
RULE_REPLY = "reply"


def check_replies(engine: Engine, battery: dict[str, tuple[str, ...]] | None = None) -> Report:
    """Compose the first reply to each battery message and check it as a whole.

    Args:
        engine: an engine built on the library under check.
        battery: locale -> messages (default REPLY_BATTERY).
    """
    failures: list[Failure] = []
    checked = 0
    for locale, messages in (battery or REPLY_BATTERY).items():
        if locale not in engine.templates.locales:
            continue
        rubric = RUBRICS.get(locale, RUBRICS["en"])
        file = engine.templates.for_locale(locale).file
        for message in messages:
            checked += 1
            d = engine.respond(message, locale=locale, now=0.0)
            ids = ",".join(d.state.used_templates) or "no templates"
            failures += [
                Failure(file, None, ids, RULE_REPLY, f"{message!r}: {problem}")
                for problem in _reply_problems(engine, d, locale, rubric)
            ]
    return Report(checked, tuple(failures))


def _reply_problems(engine: Engine, d: Decision, locale: str, rubric: LocaleRubric) -> list[str]:
    if not d.replies:
        return ["no reply"]
    problems = []
    first = d.replies[0]
    if _unquoted(first).count("?") > 1:
        problems.append(f"asks more than one question: {first!r}")
    problems += [f"says {p!r}" for p in rubric.banned if _says(p, f" {first.lower()} ")]
    if d.understanding.safety == "urgent":
        if d.handoff is None or d.handoff.queue != "crisis":
            problems.append("urgent, but no crisis hand-off")
        if not CRISIS_NUMBERS.search(first):
            problems.append(f"urgent, but the first reply is not the crisis reply: {first!r}")
    elif d.handoff is not None:
        who = engine.queue_label(d.handoff.queue, locale=locale)
        wait = str(engine.queue_wait_minutes(d.handoff.queue))
        if who.lower() not in first.lower() or wait not in first:
            problems.append(f"a hand-off must say who ({who}) and when ({wait}): {first!r}")
    return problems


def _says(phrase: str, lowered: str) -> bool:
    # Whole words: "you should" is advice, "you shouldn't have to" is not.
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", lowered) is not None
