"""The hand-off decision (DESIGN.md "Hand-off → When"): who takes over, why, how urgently."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.conversation.decide import decide_handoff, plan_turn
from bot.conversation.queues import QueueRouting
from bot.conversation.types import ConversationState, HandoffDecision, Understanding
from bot.datafiles import PACKAGED_DATA_DIR, DataFileError

BASE = Understanding(
    topic="billing",
    emotions=(),
    intensity=0.0,
    safety="none",
    wants_human=False,
    locale="en",
)


@pytest.fixture(scope="module")
def routing() -> QueueRouting:
    return QueueRouting.load()


def u(**changes: object) -> Understanding:
    return replace(BASE, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("understanding", "expected"),
    [
        (u(safety="urgent"), HandoffDecision("crisis", "urgent_safety", "critical")),
        # Urgent beats everything, even a person asking for a human about billing.
        (
            u(safety="urgent", wants_human=True, intents=("refund_request",)),
            HandoffDecision("crisis", "urgent_safety", "critical"),
        ),
        (u(topic="clinical"), HandoffDecision("clinical", "clinical", "high")),
        (u(topic="other", wants_human=True), HandoffDecision("general", "wants_human", "normal")),
        (u(wants_human=True), HandoffDecision("billing", "wants_human", "normal")),
        (
            u(topic="session", wants_human=True, emotions=("angry",), intensity=0.9),
            HandoffDecision("sessions", "wants_human", "high"),
        ),
        (
            u(topic="privacy", intents=("privacy_export",)),
            HandoffDecision("privacy", "privacy_request", "normal"),
        ),
        (
            u(topic="privacy", intents=("privacy_erase",)),
            HandoffDecision("privacy", "privacy_request", "normal"),
        ),
        (
            u(topic="account", intents=("privacy_breach",)),
            HandoffDecision("privacy", "privacy_breach", "high"),
        ),
        (u(intents=("refund_request",)), HandoffDecision("billing", "money_decision", "normal")),
        (
            u(topic="scheduling", intents=("fee_waiver",)),
            HandoffDecision("care", "money_decision", "normal"),
        ),
        (
            u(topic="session", intents=("session_credit",)),
            HandoffDecision("sessions", "money_decision", "normal"),
        ),
        # A refund asked for under no particular topic goes to billing.
        (
            u(topic="other", intents=("refund_request",)),
            HandoffDecision("billing", "money_decision", "normal"),
        ),
        (
            u(topic="other", signals=("shouting", "nth_time")),
            HandoffDecision("general", "frustration", "high"),
        ),
        (u(signals=("repeat",)), HandoffDecision("billing", "frustration", "high")),
        (u(signals=("abrupt_leave",)), HandoffDecision("billing", "frustration", "high")),
        (u(signals=("no_progress",)), HandoffDecision("billing", "no_progress", "normal")),
    ],
)
def test_handoff_rules(
    routing: QueueRouting, understanding: Understanding, expected: HandoffDecision
) -> None:
    assert decide_handoff(understanding, ConversationState(), routing) == expected


@pytest.mark.parametrize(
    "understanding",
    [
        u(),
        u(intents=("howto_reset_password",), topic="account"),
        u(intents=("howto_receipt",)),
        u(safety="check_in", topic="other"),
        u(signals=("shouting",)),  # one burst of capitals is not yet "rising"
        u(topic="privacy", emotions=("anxious",)),  # a question about privacy, not a request
    ],
)
def test_no_handoff_without_a_reason(routing: QueueRouting, understanding: Understanding) -> None:
    assert decide_handoff(understanding, ConversationState(), routing) is None


def test_frustration_rises_over_turns(routing: QueueRouting) -> None:
    once = ConversationState(extra={"frustrated_turns": 1})
    assert decide_handoff(u(signals=("shouting",)), once, routing) == HandoffDecision(
        "billing", "frustration", "high"
    )


def test_selfserve_gets_steps_first_then_a_person_when_still_stuck(
    routing: QueueRouting,
) -> None:
    first = plan_turn(
        u(topic="account", intents=("howto_reset_password",)), ConversationState(), routing
    )
    assert first.action == "selfserve" and first.handoff is None
    after_steps = ConversationState(
        selfserve_given=["howto_reset_password"],
        awaiting_confirmation=True,
        extra={"asked": "worked"},
    )
    for stuck in (
        u(topic="account", intents=("still_stuck",)),
        u(topic="account", intents=("deny",)),
        u(topic="account", intents=("howto_reset_password",)),  # asked again
    ):
        plan = plan_turn(stuck, after_steps, routing)
        assert plan.handoff == HandoffDecision("account", "still_stuck", "normal")
    worked = plan_turn(u(topic="account", intents=("affirm",)), after_steps, routing)
    assert worked.action == "thanks" and worked.handoff is None


def test_a_no_to_did_i_get_that_right_asks_what_was_missed_then_hands_off(
    routing: QueueRouting,
) -> None:
    asked = ConversationState(awaiting_confirmation=True, extra={"asked": "confirm"})
    assert plan_turn(u(intents=("deny",)), asked, routing).action == "repair"
    asked_again = ConversationState(
        awaiting_confirmation=True, extra={"asked": "confirm"}, bot_turns_without_progress=1
    )
    plan = plan_turn(u(intents=("deny",)), asked_again, routing)
    assert plan.handoff == HandoffDecision("billing", "no_progress", "normal")


def test_a_yes_to_did_i_get_that_right_brings_in_the_person_offered(
    routing: QueueRouting,
) -> None:
    asked = ConversationState(awaiting_confirmation=True, extra={"asked": "confirm"})
    plan = plan_turn(u(topic="session", intents=("affirm",)), asked, routing)
    assert plan.handoff == HandoffDecision("sessions", "confirmed", "normal")


def test_check_in_is_a_question_not_a_handoff(routing: QueueRouting) -> None:
    plan = plan_turn(u(safety="check_in"), ConversationState(), routing)
    assert plan.action == "check_in" and plan.handoff is None


def test_once_urgent_always_urgent(routing: QueueRouting) -> None:
    plan = plan_turn(u(intents=("thanks",)), ConversationState(urgent=True), routing)
    assert plan.handoff == HandoffDecision("crisis", "urgent_safety", "critical")


def test_a_routing_file_without_a_queue_the_engine_names_is_refused(tmp_path: Path) -> None:
    shipped = (PACKAGED_DATA_DIR / "queues.yaml").read_text(encoding="utf-8")
    without_clinical = shipped.replace(
        "  clinical:\n    channel: support-clinical\n", "  x:\n    channel: x\n"
    )
    without_clinical = without_clinical.replace("  clinical: clinical\n", "  clinical: general\n")
    (tmp_path / "queues.yaml").write_text(without_clinical, encoding="utf-8")
    with pytest.raises(DataFileError, match=r"queues.yaml:\d+: missing queue\(s\) \['clinical'\]"):
        QueueRouting.load(data_dir=tmp_path)


def test_routing_labels_and_waits(routing: QueueRouting) -> None:
    assert routing.for_topic("cancellation") == "billing"
    assert routing.for_topic("nonsense") == "general"
    assert routing.label("privacy", locale="sv") == "vårt dataskyddsteam"
    assert routing.wait_minutes("clinical") == 30
