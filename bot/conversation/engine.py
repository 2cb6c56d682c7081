"""The conversation engine: text and state in, a decision out (DESIGN.md "The flow").

understand (topic, feelings, safety, intents) -> decide (answer, or hand off and why) ->
reflect (the person's words said back) -> the reply from the template library.

`Engine.respond` is pure: no I/O, no clock unless `now` is omitted; the input state is
never mutated. The chat service, the REST API, `analyze` and the tests all call it.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

from bot.conversation.crisis import CrisisResources
from bot.conversation.crisis_links import CrisisLink
from bot.conversation.decide import (
    EXTRA_ASKED,
    EXTRA_FRUSTRATED_TURNS,
    FRUSTRATION,
    Plan,
    plan_turn,
)
from bot.conversation.queues import QueueRouting
from bot.conversation.templates import (
    LocaleLibrary,
    Template,
    TemplateLibrary,
    feeling_family,
    render,
    sentence,
    slot_values,
)
from bot.conversation.types import (
    TOPICS,
    ConversationState,
    Decision,
    HandoffDecision,
    Turn,
    Understanding,
)
from bot.conversation.understand import Understander

Phase = Literal["bot", "queued", "agent"]

# Turns kept in the state: enough for signals (repeats, bursts) and topic carry-over,
# small enough that the state stays a few kilobytes.
MAX_TURNS = 20
# Template ids remembered so nothing repeats within a conversation (a long one uses ~4 a
# turn; the ids are ~30 characters, so the state stays small).
MAX_USED_TEMPLATES = 120

# state.extra keys
EXTRA_QUEUE = "queue"  # the open hand-off's queue
EXTRA_TOPIC = "topic"  # the issue's topic, for replies like "yes" that name none
EXTRA_SUMMARY = "summary"  # the reflected issue, for the agent's card
EXTRA_CRISIS_SENT = "crisis_sent"  # crisis replies so far (picks the next variant)
EXTRA_QUEUED_MESSAGES = "queued_messages"  # messages while waiting (for waiting lines)
EXTRA_CHECK_INS = "check_ins"  # gentle safety questions asked so far (picks the next one)
EXTRA_CHECK_IN_QUESTION = "check_in_question"  # the last one, to read a yes or a no
# Dialogue acts: a message made only of these says nothing new about the issue.
DIALOGUE_INTENTS: frozenset[str] = frozenset({"greeting", "thanks", "affirm", "deny"})
# Messages with these intents answer the bot; they don't restate the issue for the card.
SAYS_LITTLE: frozenset[str] = DIALOGUE_INTENTS | {"still_stuck"}


class Understands(Protocol):
    def understand(
        self,
        text: str,
        *,
        history: Sequence[Turn] = (),
        locale: str | None = None,
        now: float | None = None,
    ) -> Understanding: ...


class CrisisTexts(Protocol):
    def reply(self, *, locale: str, region: str | None, variant: int = 0) -> tuple[str, str]: ...

    def check_in(self, *, locale: str, variant: int = 0) -> tuple[str, str]: ...

    def waiting_message(self, *, locale: str, n: int) -> str: ...

    def region_for(self, *, locale: str, region: str | None) -> str: ...

    def links_in(self, text: str) -> tuple[CrisisLink, ...]: ...


@dataclass(frozen=True)
class _Issue:
    text: str  # reflected ("you were charged twice"), "" when the message names none
    restated: bool  # said back in other words ("you'd like to know ..."), not just echoed


@dataclass(frozen=True)
class _Reply:
    parts: tuple[str, ...]
    used: tuple[str, ...]
    asked: str | None = None  # which question the reply ends with


class Engine:
    """The bot's side of a conversation."""

    def __init__(
        self,
        *,
        understander: Understands,
        templates: TemplateLibrary,
        routing: QueueRouting,
        crisis: CrisisTexts,
        default_region: str = "US",
    ) -> None:
        self.understander = understander
        self.templates = templates
        self.routing = routing
        self.crisis = crisis
        self.default_region = default_region

    @classmethod
    def load(cls, *, data_dir: Path | None = None, default_region: str = "US") -> Engine:
        """Read every data file the engine needs (templates, queues, lexicons, crisis).

        Args:
            data_dir: an ops folder whose files replace the shipped ones of the same path.
            default_region: crisis numbers for people whose region is unknown.

        Raises:
            DataFileError: a data file is missing or malformed (names file and line).
        """
        return cls(
            understander=Understander.load(data_dir=data_dir),
            templates=TemplateLibrary.load(data_dir=data_dir),
            routing=QueueRouting.load(data_dir=data_dir),
            crisis=CrisisResources.load(data_dir=data_dir),
            default_region=default_region,
        )

    # -- the person-facing lines around a conversation -----------------------------------

    def system_text(self, key: str, *, locale: str, **values: str) -> str:
        """A system line ("greeting", "agent_joined", "resolved", "released", ...).

        Args:
            key: the line's name under `system:` in the template file.
            locale: the person's language.
            values: slots: name (agent's first name), label/who (queue label), wait.
        """
        given = dict(values)
        if "label" in given and "who" not in given:
            given["who"] = given["label"]
        options = self.templates.for_locale(locale).group(f"system.{key}")
        # The first line that can be filled with what the caller gave us ("resolved" has a
        # line naming who resolved it and one that names nobody).
        for template in options:
            try:
                return render(template.text, **given)
            except KeyError:
                continue
        defaults = {
            "who": self.queue_label("general", locale=locale),
            "wait": str(self.queue_wait_minutes("general")),
            "name": "",
        }
        return render(options[0].text, **{**defaults, **given})

    def message_links(self, *, sender: str, text: str) -> tuple[CrisisLink, ...]:
        """The links a stored message carries to the person's page: a crisis reply's numbers.

        Only the bot's own words: what the person or an agent writes is never made a link,
        whatever it quotes.

        Args:
            sender: the message's sender (user, bot, agent, system).
            text: the message as stored.
        """
        if sender != "bot":
            return ()
        return self.crisis.links_in(text)

    def queue_label(self, queue: str, *, locale: str) -> str:
        return self.routing.label(queue, locale=locale)

    def queue_wait_minutes(self, queue: str) -> int:
        return self.routing.wait_minutes(queue)

    # -- one message ---------------------------------------------------------------------

    def respond(
        self,
        text: str,
        state: ConversationState | None = None,
        *,
        phase: Phase = "bot",
        locale: str | None = None,
        now: float | None = None,
    ) -> Decision:
        """Answer one message from the person.

        Args:
            text: the person's message.
            state: the conversation so far (not modified); None starts a new one.
            phase: who has the conversation: the bot, a queue (waiting), or an agent.
            locale: a forced locale; detected from the text when None.
            now: the message's time (seconds since the epoch); the clock when None.
        """
        now = time.time() if now is None else now
        before = state or ConversationState()
        u = self.understander.understand(
            text, history=tuple(before.turns), locale=locale or None, now=now
        )
        if phase != "agent":  # with an agent there, a yes or no answers the agent
            u = self._read_check_in_answer(u, before)
        known_topic = before.extra.get(EXTRA_TOPIC)
        if u.topic == "other" and known_topic in TOPICS and set(u.intents) & SAYS_LITTLE:
            # "yes", "no", "that didn't work" are about the issue already on the table.
            u = replace(u, topic=known_topic)  # type: ignore[arg-type]
        lang = u.locale
        after = replace(
            before,
            locale=lang,
            turns=[*before.turns, Turn("user", text, now)],
            used_templates=list(before.used_templates),
            selfserve_given=list(before.selfserve_given),
            extra=dict(before.extra),
        )
        if u.topic != "other":
            after.extra[EXTRA_TOPIC] = u.topic
        if FRUSTRATION & set(u.signals):
            after.extra[EXTRA_FRUSTRATED_TURNS] = _int(before.extra, EXTRA_FRUSTRATED_TURNS) + 1
        # The phase is the truth about an open hand-off: "bot" means none is open (a case
        # that was resolved gives the conversation back to the bot).
        open_handoff = phase != "bot"
        after.handed_off = open_handoff
        if open_handoff:
            after.extra[EXTRA_ASKED] = None  # the bot's last question has had its answer

        handoff: HandoffDecision | None = None
        escalate = False
        if u.safety == "urgent" or (before.urgent and not open_handoff):
            reply = self._crisis(after, u, lang)
            after.urgent = True
            if open_handoff:
                escalate = True
            else:
                handoff = HandoffDecision("crisis", "urgent_safety", "critical")
                after.handed_off = True
            after.extra[EXTRA_QUEUE] = "crisis"
            after.awaiting_confirmation = False
            if not after.extra.get(EXTRA_SUMMARY):
                # The card says why without quoting the person (minimum necessary).
                crisis_line = self.templates.for_locale(lang).group("line.summary_crisis")[0]
                after.extra[EXTRA_SUMMARY] = sentence(crisis_line.text)
        elif phase == "agent":
            reply = _Reply((), ())
        elif phase == "queued":
            reply = self._queued_ack(after, lang)
        else:
            issue = self._reflect_issue(text, u)
            self._update_summary(after, u, issue)
            plan = plan_turn(u, before, self.routing)
            reply = self._compose(plan, u, before, after, text, issue)
            if plan.handoff is not None:
                handoff = plan.handoff
                after.handed_off = True
                after.extra[EXTRA_QUEUE] = plan.handoff.queue
            self._advance(after, plan, reply)
        summary = str(after.extra.get(EXTRA_SUMMARY) or "")

        after.used_templates = [*after.used_templates, *reply.used][-MAX_USED_TEMPLATES:]
        after.turns = [*after.turns, *(Turn("bot", r, now) for r in reply.parts)][-MAX_TURNS:]
        return Decision(
            understanding=u,
            replies=reply.parts,
            handoff=handoff,
            state=after,
            summary=summary,
            escalate=escalate,
        )

    def _read_check_in_answer(self, u: Understanding, before: ConversationState) -> Understanding:
        """A bare yes/no after the check-in question means what the question asked:
        "no" to "are you safe right now?" is urgent, whatever the words alone say."""
        question = before.extra.get(EXTRA_CHECK_IN_QUESTION)
        if u.safety == "urgent" or before.extra.get(EXTRA_ASKED) != "check_in" or not question:
            return u
        lib = self.templates.for_locale(u.locale)
        yes, no = "affirm" in u.intents, "deny" in u.intents
        if lib.answer_is_danger(str(question), yes=yes, no=no):
            return replace(u, safety="urgent", safety_kind="check_in_answer")
        return u

    # -- composing replies ---------------------------------------------------------------

    def _reflect_issue(self, text: str, u: Understanding) -> _Issue:
        """The person's issue in their own words, reflected; "" when there is none."""
        lib = self.templates.for_locale(u.locale)
        if u.intents and set(u.intents) <= DIALOGUE_INTENTS:
            return _Issue("", False)
        reflection = lib.reflector.reflect_issue(text, topic_words=lib.topic_words[u.topic])
        if reflection.text:
            return _Issue(reflection.text, reflection.restated)
        howto = next((i for i in u.intents if i in lib.wants), None)
        if howto is not None:
            return _Issue(lib.wants[howto], True)
        if reflection.is_question and u.topic != "other":
            said = lib.group("line.question_about")[0].text
            return _Issue(render(said, issue=lib.issues[u.topic]), True)
        return _Issue("", False)

    def _update_summary(self, after: ConversationState, u: Understanding, issue: _Issue) -> None:
        """Keep the card's one-line summary: the latest message that says what is wrong."""
        has_summary = bool(after.extra.get(EXTRA_SUMMARY))
        # "Let me talk to a person" after the issue was told adds nothing to the summary.
        says_little = bool(set(u.intents) & SAYS_LITTLE) or (
            u.wants_human and (u.topic == "other" or has_summary)
        )
        if issue.text and not says_little and not (has_summary and u.topic == "other"):
            after.extra[EXTRA_SUMMARY] = sentence(issue.text)
        if not after.extra.get(EXTRA_SUMMARY) and u.wants_human:
            lib = self.templates.for_locale(u.locale)
            after.extra[EXTRA_SUMMARY] = sentence(lib.group("line.summary_wants_human")[0].text)

    def _compose(
        self,
        plan: Plan,
        u: Understanding,
        before: ConversationState,
        after: ConversationState,
        text: str,
        issue: _Issue,
    ) -> _Reply:
        lib = self.templates.for_locale(u.locale)
        picker = _Picker(self.templates, lib, after.used_templates, salt=_salt(before, text))
        family = feeling_family(u.emotions)
        topic = u.topic
        queue = plan.handoff.queue if plan.handoff else self.routing.for_topic(topic)
        slots = slot_values(
            {
                "reflection": issue.text,
                "issue": lib.issues[topic],
                "who": self.queue_label(queue, locale=lib.locale),
                "wait": str(self.queue_wait_minutes(queue)),
            }
        )
        asked: str | None = None
        parts: list[str] = []

        def reflect() -> None:
            if not issue.text:
                return
            if issue.restated and family == "neutral":
                # "You'd like to know how to ..." already says it back; "You're telling me
                # you'd like to know" would say it twice.
                parts.append(sentence(issue.text))
            else:
                group = f"{topic}.reflect.{family}"
                parts.append(picker.say(group, slots, leading=issue.restated))

        if plan.action == "handoff" and plan.handoff is not None:
            reason = plan.handoff.reason
            if reason == "wants_human":
                if issue.text and topic != "other":
                    reflect()
                parts.append(picker.say("line.wants_human", slots))
            elif reason in ("frustration", "no_progress", "still_stuck", "confirmed"):
                if reason == "frustration":
                    reflect()
                parts.append(picker.say(f"line.{reason}", slots))
            else:  # clinical, privacy, money: reflect and own it
                reflect()
                parts.append(picker.say(f"{topic}.own.{family}", slots))
            parts.append(picker.say(f"{topic}.next", slots))
            if u.safety == "check_in":
                # Handing over does not replace asking: the gentle question still comes.
                parts.append(self._check_in_question(after, lib.locale, picker))
                asked = "check_in"
        elif plan.action == "selfserve" and plan.selfserve is not None:
            if issue.text:
                parts.append(sentence(issue.text))
            parts.append(picker.say(f"selfserve.{plan.selfserve}", slots))
            parts.append(picker.say("selfserve.fallback", slots))
            parts.append(picker.say("question.worked", slots))
            asked = "worked"
        elif plan.action == "repair":
            parts.append(picker.say("line.repair", slots))
            parts.append(picker.say("question.repair", slots))
            asked = "repair"
        elif plan.action == "thanks":
            parts.append(picker.say("line.thanks", slots))
        elif plan.action == "greeting":
            parts.append(picker.say("line.greeting_only", slots))
            parts.append(picker.say("question.open", slots))
            asked = "open"
        elif plan.action == "check_in_safe":
            parts.append(picker.say("line.check_in_safe", slots))
            if after.extra.get(EXTRA_SUMMARY) and topic != "other":
                parts.append(picker.say(f"{topic}.offer", slots))
                parts.append(picker.say("question.confirm", slots))
                asked = "confirm"
            else:
                parts.append(picker.say("question.open", slots))
                asked = "open"
        elif plan.action == "check_in":
            reflect()
            if topic != "other":
                parts.append(picker.say(f"{topic}.own.{family}", slots))
                parts.append(picker.say(f"{topic}.offer", slots))
            parts.append(self._check_in_question(after, lib.locale, picker))
            asked = "check_in"
        else:  # offer
            if issue.text:
                reflect()
                parts.append(picker.say(f"{topic}.own.{family}", slots))
                parts.append(picker.say(f"{topic}.offer", slots))
                parts.append(picker.say("question.confirm", slots))
                asked = "confirm"
            else:
                parts.append(picker.say("question.open", slots))
                asked = "open"
        # One message: the parts are one reply, read top to bottom.
        return _Reply((" ".join(parts),), tuple(picker.used), asked)

    def _check_in_question(self, after: ConversationState, locale: str, picker: _Picker) -> str:
        variant = _int(after.extra, EXTRA_CHECK_INS)
        tid, question = self.crisis.check_in(locale=locale, variant=variant)
        after.extra[EXTRA_CHECK_INS] = variant + 1
        after.extra[EXTRA_CHECK_IN_QUESTION] = question
        picker.used.append(tid)
        return question

    def _advance(self, after: ConversationState, plan: Plan, reply: _Reply) -> None:
        after.awaiting_confirmation = reply.asked in ("confirm", "worked", "repair")
        after.extra[EXTRA_ASKED] = reply.asked
        if plan.action == "selfserve" and plan.selfserve is not None:
            after.selfserve_given = [*after.selfserve_given, plan.selfserve]
        if plan.action == "repair":
            after.bot_turns_without_progress += 1
        elif plan.action in ("handoff", "thanks"):
            after.bot_turns_without_progress = 0

    def _crisis(self, after: ConversationState, u: Understanding, lang: str) -> _Reply:
        sent = _int(after.extra, EXTRA_CRISIS_SENT)
        region = after.region or self._region_for_locale(lang)
        if sent and not u.safety == "urgent":
            # Already answered with resources: keep them company until a human joins.
            text = self.crisis.waiting_message(locale=lang, n=sent)
            after.extra[EXTRA_CRISIS_SENT] = sent + 1
            return _Reply((text,), ())
        tid, text = self.crisis.reply(locale=lang, region=region, variant=sent)
        after.extra[EXTRA_CRISIS_SENT] = sent + 1
        return _Reply((text,), (tid,))

    def _region_for_locale(self, lang: str) -> str:
        # With no region on the conversation, the locale's country ("sv" -> SE), and the
        # deployment's default region when the locale says nothing about the country.
        guess = self.crisis.region_for(locale=lang, region=None)
        return self.default_region if guess == "DEFAULT" else guess

    def _queued_ack(self, after: ConversationState, lang: str) -> _Reply:
        n = _int(after.extra, EXTRA_QUEUED_MESSAGES)
        after.extra[EXTRA_QUEUED_MESSAGES] = n + 1
        if after.urgent:
            return _Reply((self.crisis.waiting_message(locale=lang, n=n),), ())
        queue = str(after.extra.get(EXTRA_QUEUE) or "general")
        lib = self.templates.for_locale(lang)
        picker = _Picker(self.templates, lib, after.used_templates, salt=n)
        slots = slot_values({"who": self.queue_label(queue, locale=lib.locale)})
        return _Reply((picker.say("line.queued_ack", slots),), tuple(picker.used))


class _Picker:
    """Picks unused templates for one reply and remembers what it picked."""

    def __init__(
        self, library: TemplateLibrary, lib: LocaleLibrary, used: Sequence[str], salt: int
    ) -> None:
        self.library = library
        self.lib = lib
        self.seen = list(used)
        self.used: list[str] = []
        self.salt = salt

    def template(self, group: str, *, leading: bool = False) -> Template:
        t = self.library.pick(self.lib.locale, group, self.seen, self.salt, leading=leading)
        self.seen.append(t.id)
        self.used.append(t.id)
        return t

    def say(self, group: str, slots: dict[str, str], *, leading: bool = False) -> str:
        """A template from `group`, filled from `slots` (made by `slot_values`)."""
        return self.template(group, leading=leading).text.format_map(slots)


def _salt(state: ConversationState, text: str) -> int:
    # Stable per conversation (its first message), different between conversations.
    first = next((t.text for t in state.turns if t.sender == "user"), text)
    return zlib.crc32(first.encode("utf-8"))


def _int(extra: dict[str, object], key: str) -> int:
    value = extra.get(key, 0)
    return value if isinstance(value, int) else 0
