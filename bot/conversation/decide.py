"""What the bot does with one message: answer it, or hand the person to a human (and why).

The hand-off rules are DESIGN.md "Hand-off → When", in order of precedence: urgent safety
(at once, critical, the crisis queue); a clinical question (the clinical queue); the person
asking for a person; a privacy request (export, erase, breach); a money decision (refund,
fee waiver, session credit); rising frustration; the bot making no progress. Self-serve
how-tos get the steps first and go to a person when the person is still stuck.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.conversation.queues import QueueRouting
from bot.conversation.types import ConversationState, HandoffDecision, Severity, Understanding

Action = Literal[
    "crisis",  # urgent safety: crisis resources, a human now
    "check_in",  # ambiguous distress: reflect and ask gently, no hand-off for that alone
    "handoff",  # reflect, then say who is coming and when
    "selfserve",  # the steps for a common how-to
    "offer",  # reflect, own, say who can help and when, ask if we got it right
    "repair",  # "did I get that right?" -> "no": ask what was missed
    "thanks",  # it worked / thank you
    "greeting",  # only a greeting: invite them to say what's going on
    "check_in_safe",  # a safe yes/no to the check-in question: thank them, carry on
]

MONEY_INTENTS: tuple[str, ...] = ("refund_request", "fee_waiver", "session_credit")
PRIVACY_REQUESTS: tuple[str, ...] = ("privacy_export", "privacy_erase")
SELFSERVE_INTENTS: tuple[str, ...] = (
    "howto_reset_password",
    "howto_reschedule",
    "howto_switch_therapist",
    "howto_cancel",
    "howto_receipt",
)
# Signals that on their own show the person is past patience: they are repeating
# themselves, they say so ("third time"), or they are giving up on the bot ("forget it").
STRONG_FRUSTRATION: frozenset[str] = frozenset({"repeat", "nth_time", "abrupt_leave"})
# Signals that count as frustration; two at once, or one on two turns, is "rising".
FRUSTRATION: frozenset[str] = STRONG_FRUSTRATION | {"shouting", "burst"}
# Turns where the bot asked and was told it had it wrong, before a person takes over.
MAX_TURNS_WITHOUT_PROGRESS = 2
# Money goes to billing unless the topic has its own queue (a session credit for a
# dropped session is for the sessions team).
MONEY_TOPICS: frozenset[str] = frozenset({"billing", "cancellation", "session", "scheduling"})
# Emotional intensity (0-1) above which an angry hand-off is marked high.
HIGH_INTENSITY = 0.7

# state.extra keys
EXTRA_ASKED = "asked"  # which question the last bot reply asked: confirm / worked / repair
EXTRA_FRUSTRATED_TURNS = "frustrated_turns"


@dataclass(frozen=True)
class Plan:
    action: Action
    handoff: HandoffDecision | None = None
    selfserve: str | None = None  # the how-to intent answered


def plan_turn(u: Understanding, state: ConversationState, routing: QueueRouting) -> Plan:
    """Decide what to do with a message while the bot has the conversation.

    Args:
        u: the understanding of the new message.
        state: the conversation so far (before this message).
        routing: the queue routing, for the topic's queue.
    """
    if u.safety == "urgent" or state.urgent:
        return Plan("crisis", HandoffDecision("crisis", "urgent_safety", "critical"))
    handoff = decide_handoff(u, state, routing)
    if handoff is not None:
        return Plan("handoff", handoff)
    if u.safety == "check_in":
        return Plan("check_in")
    if state.extra.get(EXTRA_ASKED) == "check_in" and {"affirm", "deny"} & set(u.intents):
        return Plan("check_in_safe")  # the engine already read a dangerous answer as urgent
    asked = state.extra.get(EXTRA_ASKED) if state.awaiting_confirmation else None
    if asked == "confirm" and "deny" in u.intents:
        return Plan("repair")
    if "thanks" in u.intents or (asked == "worked" and "affirm" in u.intents):
        return Plan("thanks")
    howto = next((i for i in u.intents if i in SELFSERVE_INTENTS), None)
    if howto is not None:
        return Plan("selfserve", selfserve=howto)
    if "greeting" in u.intents and u.topic == "other" and len(u.intents) == 1:
        return Plan("greeting")
    return Plan("offer")


def decide_handoff(
    u: Understanding, state: ConversationState, routing: QueueRouting
) -> HandoffDecision | None:
    """The hand-off this message calls for, with its reason and severity, or None.

    Args:
        u: the understanding of the new message.
        state: the conversation before this message.
        routing: maps the topic to its queue.
    """
    topic_queue = routing.for_topic(u.topic)
    upset = bool({"angry", "frustrated"} & set(u.emotions)) and u.intensity >= HIGH_INTENSITY
    normal: Severity = "high" if upset else "normal"
    if u.safety == "urgent":
        return HandoffDecision("crisis", "urgent_safety", "critical")
    if u.topic == "clinical":
        return HandoffDecision("clinical", "clinical", "high")
    if u.wants_human:
        return HandoffDecision(topic_queue, "wants_human", normal)
    if "privacy_breach" in u.intents:
        return HandoffDecision("privacy", "privacy_breach", "high")
    if any(i in u.intents for i in PRIVACY_REQUESTS):
        return HandoffDecision("privacy", "privacy_request", normal)
    if any(i in u.intents for i in MONEY_INTENTS):
        queue = topic_queue if u.topic in MONEY_TOPICS else routing.for_topic("billing")
        return HandoffDecision(queue, "money_decision", normal)
    if frustration_rising(u, state):
        return HandoffDecision(topic_queue, "frustration", "high")
    asked = state.extra.get(EXTRA_ASKED) if state.awaiting_confirmation else None
    stuck = "still_stuck" in u.intents or (asked == "worked" and "deny" in u.intents)
    repeated_howto = any(i in state.selfserve_given for i in u.intents)
    if state.selfserve_given and (stuck or repeated_howto):
        return HandoffDecision(topic_queue, "still_stuck", normal)
    denied = asked in ("confirm", "repair") and "deny" in u.intents
    # After "what did I miss?" the person's answer is progress, whatever the turn count.
    signalled = "no_progress" in u.signals and asked != "repair"
    if signalled or (denied and state.bot_turns_without_progress + 1 >= MAX_TURNS_WITHOUT_PROGRESS):
        return HandoffDecision(topic_queue, "no_progress", normal)
    if asked == "confirm" and "affirm" in u.intents:
        # The person confirmed our reading, and our reply said who would take it on.
        return HandoffDecision(topic_queue, "confirmed", normal)
    return None


def frustration_rising(u: Understanding, state: ConversationState) -> bool:
    """Frustration that calls for a person: said outright, doubled, or sustained."""
    now = FRUSTRATION & set(u.signals)
    if now & STRONG_FRUSTRATION or len(now) >= 2:
        return True
    earlier = int(state.extra.get(EXTRA_FRUSTRATED_TURNS, 0) or 0)  # type: ignore[call-overload]
    return bool(now) and earlier >= 1
