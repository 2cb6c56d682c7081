"""The engine end to end: what the person reads, and what the service is told to do."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.engine import MAX_TURNS, Engine
from bot.conversation.types import ConversationState, Decision, Turn, Understanding

NOW = 1_700_000_000.0


@functools.cache
def _engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="module")
def engine() -> Engine:
    return _engine()


def talk(
    engine: Engine, messages: Sequence[str], *, phase: str = "bot", locale: str | None = None
) -> list[Decision]:
    state: ConversationState | None = None
    decisions = []
    for k, text in enumerate(messages):
        current = phase if state is None or not state.handed_off else "queued"
        d = engine.respond(text, state, phase=current, locale=locale, now=NOW + 60 * k)  # type: ignore[arg-type]
        decisions.append(d)
        state = d.state
    return decisions


def questions(text: str) -> int:
    return re.sub(r"\"[^\"]*\"", "", text).count("?")


# -- the reply's sequence ---------------------------------------------------------------


def test_reply_reflects_owns_and_gives_one_next_step_with_a_time(engine: Engine) -> None:
    d = engine.respond("Hi! I was charged twice for one session.", now=NOW)
    (reply,) = d.replies
    assert reply.lower().find("you were charged twice for one session") < 20  # reflection first
    assert "Hi" not in reply.split(".")[0]  # greeting stripped
    assert re.search(r"\b(our|us)\b", reply)  # owns it
    assert "a billing specialist" in reply.lower() and "within 10 minutes" in reply
    assert questions(reply) <= 1
    for phrase in ("I understand", "sorry you feel", "inconvenience", "per our policy"):
        assert phrase not in reply


def test_money_decision_hands_off_and_says_who_is_coming_and_when(engine: Engine) -> None:
    d = engine.respond("I was charged twice for one session and I want a refund.", now=NOW)
    assert d.handoff is not None
    assert (d.handoff.queue, d.handoff.reason) == ("billing", "money_decision")
    assert d.state.handed_off
    assert "billing specialist" in d.replies[0] and "within 10 minutes" in d.replies[0]
    assert d.summary == "You were charged twice for one session and you want a refund."
    assert questions(d.replies[0]) == 0


def test_asking_for_a_person_gets_one(engine: Engine) -> None:
    d = engine.respond("Connect me to a human agent", now=NOW)
    assert d.handoff is not None and d.handoff.reason == "wants_human"
    assert "person" in d.replies[0]
    assert "within 10 minutes" in d.replies[0]
    assert d.summary  # the card always has a line


# -- variety ----------------------------------------------------------------------------


def test_nothing_repeats_within_a_conversation(engine: Engine) -> None:
    messages = [
        "my video keeps freezing",
        "no",
        "the audio drops after five minutes",
        "no",
    ]
    decisions = talk(engine, messages)
    used = decisions[-1].state.used_templates
    assert len(used) == len(set(used))
    replies = [r for d in decisions for r in d.replies]
    sentences = [s for r in replies for s in re.split(r"(?<=[.?!])\s+", r)]
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert not repeated


def test_a_restated_question_is_not_wrapped_twice(engine: Engine) -> None:
    (reply,) = engine.respond("Are my sessions recorded?", now=NOW).replies
    assert "whether your sessions are recorded" in reply
    assert "telling me you'd like" not in reply


def test_two_conversations_can_sound_different(engine: Engine) -> None:
    first = {
        engine.respond(t, now=NOW).replies[0].split(". ")[-1]
        for t in (
            "I was charged twice",
            "I got charged two times",
            "you billed me twice",
            "there's a double charge on my card",
        )
    }
    assert len(first) > 1  # the closing question varies between conversations


# -- "did I get that right?" --------------------------------------------------------------


def test_a_no_asks_what_was_missed_instead_of_repeating(engine: Engine) -> None:
    first, second = talk(engine, ["I was charged twice for one session", "no"])
    assert first.replies[0].endswith("?")
    (repair,) = second.replies
    assert repair != first.replies[0]
    assert "charged twice" not in repair
    assert re.search(r"what (did I miss|part did I get wrong)\?", repair, re.I)
    assert second.handoff is None


def test_a_yes_brings_in_the_person_the_reply_offered(engine: Engine) -> None:
    first, second = talk(engine, ["My session froze and I couldn't reconnect", "yes"])
    assert "sessions specialist" in first.replies[0]
    assert second.handoff is not None and second.handoff.queue == "sessions"
    assert "sessions specialist" in second.replies[0]


# -- self-serve -----------------------------------------------------------------------------


def test_selfserve_steps_first_then_a_person_if_still_stuck(engine: Engine) -> None:
    first, second = talk(engine, ["How do I reset my password?", "that didn't work"])
    assert first.handoff is None
    assert "Forgot password?" in first.replies[0]
    assert "within 5 minutes" in first.replies[0]
    assert questions(first.replies[0]) == 1
    assert second.handoff is not None
    assert (second.handoff.queue, second.handoff.reason) == ("account", "still_stuck")
    assert "an account specialist" in second.replies[0]


@pytest.mark.parametrize(
    ("message", "step"),
    [
        ("how do I reschedule tomorrow's video session", "Reschedule"),
        ("How do I get a receipt for my last payment?", "Payment history"),
    ],
)
def test_selfserve_answers(engine: Engine, message: str, step: str) -> None:
    d = engine.respond(message, now=NOW)
    assert d.handoff is None and step in d.replies[0]


# -- boundaries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "Should I increase my dose of sertraline?",
        "I think I have depression, what are the signs?",
        "What breathing exercises help with panic attacks?",
    ],
)
def test_clinical_questions_are_never_answered(engine: Engine, message: str) -> None:
    d = engine.respond(message, now=NOW)
    (reply,) = d.replies
    assert d.handoff is not None and d.handoff.queue == "clinical"
    assert "therapist or our clinical team" in reply
    bot_words = reply.split(". ", 1)[1]  # after the reflection of their own words
    for advice in ("mg", "breathe", "try ", "you should", "symptom", "dose", "diagnos"):
        assert advice not in bot_words.lower()


# -- safety ---------------------------------------------------------------------------------


def test_urgent_gets_crisis_resources_first_and_a_human_now(engine: Engine) -> None:
    d = engine.respond("I was charged twice and honestly I want to end my life", now=NOW)
    assert d.handoff is not None
    assert (d.handoff.queue, d.handoff.reason, d.handoff.severity) == (
        "crisis",
        "urgent_safety",
        "critical",
    )
    first = d.replies[0]
    assert "988" in first
    assert questions(first) == 1
    assert "charge" not in first.lower() and "refund" not in first.lower()
    assert d.state.urgent


def test_the_card_never_quotes_a_crisis(engine: Engine) -> None:
    d = engine.respond("I want to end my life", now=NOW)
    assert d.summary == "Urgent safety concern; crisis resources were shared in the chat."


def test_a_bare_request_for_a_person_still_gets_a_card_line(engine: Engine) -> None:
    assert engine.respond("agent please", now=NOW).summary == "You asked to talk with a person."


def test_urgent_stays_urgent_after_im_fine(engine: Engine) -> None:
    first, second = talk(engine, ["I want to end my life", "I'm fine, forget it"])
    assert second.state.urgent
    assert second.handoff is None  # the crisis hand-off is already open
    assert "crisis" in second.replies[0]  # keeps them company, no dismissal


def test_urgent_while_queued_escalates_the_open_case(engine: Engine) -> None:
    first, second = talk(engine, ["I want my money back", "I just want to die"])
    assert first.handoff is not None and first.handoff.queue == "billing"
    assert second.escalate and second.handoff is None
    assert "988" in second.replies[0]


def test_urgent_while_with_an_agent_escalates(engine: Engine) -> None:
    state = ConversationState(handed_off=True)
    quiet = engine.respond("ok thanks", state, phase="agent", now=NOW)
    assert quiet.replies == ()
    d = engine.respond("I have enough pills saved to finish it", state, phase="agent", now=NOW)
    assert d.escalate and "988" in d.replies[0]


def test_swedish_crisis_uses_swedish_numbers(engine: Engine) -> None:
    d = engine.respond("Jag har självmordstankar.", now=NOW)
    assert "90101" in d.replies[0]
    assert d.handoff is not None and d.handoff.severity == "critical"


class _Readings:
    """An understander that reads the messages as the test says, in order (the last one
    repeats), to pin one behaviour down whatever the classifier learns."""

    def __init__(self, *readings: Understanding) -> None:
        self.readings = list(readings)

    def understand(self, text: str, **_: object) -> Understanding:
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


def hearing(engine: Engine, *readings: Understanding) -> Engine:
    """The real engine's templates, routing and crisis texts, with scripted understanding."""
    return Engine(
        understander=_Readings(*readings),
        templates=engine.templates,
        routing=engine.routing,
        crisis=engine.crisis,
    )


def test_check_in_reflects_and_asks_one_gentle_question(engine: Engine) -> None:
    u = Understanding("account", ("frustrated",), 0.5, "check_in", False, "en")
    d = hearing(engine, u).respond("ugh this login page is killing me", now=NOW)
    (reply,) = d.replies
    assert reply.startswith("This login page is killing you")
    assert questions(reply) == 1
    assert d.handoff is None


def test_check_in_still_asks_when_handing_over(engine: Engine) -> None:
    u = Understanding("clinical", ("sad",), 0.6, "check_in", False, "en")
    d = hearing(engine, u).respond("I feel so alone lately and everything is heavy", now=NOW)
    (reply,) = d.replies
    assert d.handoff is not None and d.handoff.queue == "clinical"
    assert "clinical team" in reply
    assert questions(reply) == 1 and reply.endswith("?")


@pytest.mark.parametrize(
    ("variant", "answer", "urgent"),
    [
        (0, "deny", True),  # "are you safe right now?" - "no"
        (0, "affirm", False),
        (2, "affirm", True),  # "are you having thoughts of harming yourself?" - "yes"
        (2, "deny", False),
    ],
)
def test_a_yes_or_no_to_the_check_in_is_read_against_the_question(
    engine: Engine, variant: int, answer: str, urgent: bool
) -> None:
    asked = Understanding("billing", ("sad",), 0.5, "check_in", False, "en")
    answered = Understanding("other", (), 0.0, "none", False, "en", intents=(answer,))
    scripted = hearing(engine, asked, answered)
    state = ConversationState(extra={"check_ins": variant})
    first = scripted.respond("I was charged twice and I can't cope with any of it", state, now=NOW)
    question = first.replies[0].rsplit(": ", 1)[-1]
    assert question == engine.crisis.check_in(locale="en", variant=variant)[1].rsplit(": ", 1)[-1]
    second = scripted.respond(answer == "deny" and "no" or "yes", first.state, now=NOW + 30)
    if urgent:
        assert second.handoff is not None and second.handoff.queue == "crisis"
        assert "988" in second.replies[0]
        assert second.understanding.safety == "urgent"
    else:
        assert second.handoff is None
        assert second.replies[0].startswith(("Thank you for telling me", "Thanks for letting"))
        assert "billing specialist" in second.replies[0]


# -- Swedish ----------------------------------------------------------------------------------


def test_a_swedish_conversation(engine: Engine) -> None:
    first, second, third = talk(
        engine, ["Min terapeut dök inte upp idag", "ja", "hallå?"], locale="sv"
    )
    assert "din terapeut dök inte upp idag" in first.replies[0]
    assert "en specialist på sessioner" in first.replies[0]
    assert "inom 10 minuter" in first.replies[0]
    assert second.handoff is not None and second.handoff.queue == "sessions"
    assert "specialist på sessioner" in third.replies[0]  # the wait, acknowledged in Swedish


# -- queued and agent phases ----------------------------------------------------------------


def test_while_queued_the_bot_acknowledges_briefly_and_varies(engine: Engine) -> None:
    decisions = talk(engine, ["I want my money back", "hello?", "are you there", "still waiting"])
    acks = [d.replies[0] for d in decisions[1:]]
    assert all("billing specialist" in a for a in acks)
    assert len(set(acks)) == len(acks)
    assert all(d.handoff is None for d in decisions[1:])
    assert all(len(a) < 120 for a in acks)


# -- state ----------------------------------------------------------------------------------


def test_respond_does_not_change_the_state_it_was_given(engine: Engine) -> None:
    state = ConversationState(turns=[Turn("user", "hello", NOW - 5)], extra={"k": 1})
    snapshot = state.to_dict()
    d = engine.respond("I was charged twice", state, now=NOW)
    assert state.to_dict() == snapshot
    assert [t.sender for t in d.state.turns] == ["user", "user", "bot"]
    assert d.state.turns[-1].text == d.replies[0]


def test_history_is_bounded(engine: Engine) -> None:
    state = ConversationState(turns=[Turn("user", f"m{k}", NOW) for k in range(50)])
    d = engine.respond("I was charged twice", state, now=NOW)
    assert len(d.state.turns) == MAX_TURNS


def test_state_round_trips_through_json(engine: Engine) -> None:
    d = engine.respond("I was charged twice for one session", now=NOW)
    again = ConversationState.from_dict(d.state.to_dict())
    assert engine.respond("no", again, now=NOW + 1).replies == (
        engine.respond("no", d.state, now=NOW + 1).replies
    )


# -- system lines -----------------------------------------------------------------------------


def test_system_lines(engine: Engine) -> None:
    assert "support assistant" in engine.system_text("greeting", locale="en")
    assert engine.system_text("agent_joined", locale="en", name="Sam").startswith("Sam ")
    released = engine.system_text("released", locale="en", label="A billing specialist", wait="10")
    assert "10 minutes" in released
    moved = engine.system_text("transferred", locale="sv", label="vårt dataskyddsteam", wait="30")
    assert "vårt dataskyddsteam" in moved and "30 minuter" in moved
    for key in ("resolved", "queued_ack", "reopened"):
        assert engine.system_text(key, locale="sv")
    # Nobody named: the line that names nobody, not a made-up "who".
    assert engine.system_text("resolved", locale="en").startswith("This case is now resolved.")
    named = engine.system_text("resolved", locale="en", label="a billing specialist")
    assert named.startswith("A billing specialist has marked this as resolved.")
    assert engine.queue_label("billing", locale="en") == "a billing specialist"
    assert engine.queue_wait_minutes("crisis") == 2


# -- speed ----------------------------------------------------------------------------------


POOL = [
    "I was charged twice for one session",
    "I want my money back",
    "How do I reset my password?",
    "that didn't work",
    "yes",
    "no",
    "thanks",
    "hello?",
    "agent please",
    "I want to end my life",
    "I'm fine now",
    "Should I increase my dose?",
    "Min terapeut dök inte upp",
    "THIS IS THE THIRD TIME!!!",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(POOL), st.text(max_size=80)), min_size=1, max_size=8),
    st.lists(st.sampled_from(["bot", "queued", "agent"]), min_size=8, max_size=8),
)
def test_any_conversation_keeps_the_promises(messages: list[str], phases: list[str]) -> None:
    engine = _engine()
    state: ConversationState | None = None
    for k, text in enumerate(messages):
        phase = phases[k] if state is not None and state.handed_off else "bot"
        was_urgent = state is not None and state.urgent
        d = engine.respond(text, state, phase=phase, now=NOW + k)  # type: ignore[arg-type]
        for reply in d.replies:
            assert questions(reply) <= 1, reply
        if d.understanding.safety == "urgent":
            assert d.replies and re.search(r"\b(988|911|112|90101|116 123)\b", d.replies[0])
            assert (d.handoff is not None and d.handoff.queue == "crisis") or d.escalate
        if was_urgent:
            assert d.state.urgent  # nothing said later cancels it
        if phase == "agent" and d.understanding.safety != "urgent":
            assert d.replies == ()
        assert len(d.state.turns) <= MAX_TURNS
        state = d.state
