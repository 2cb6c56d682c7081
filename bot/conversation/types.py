"""The conversation engine's vocabulary: what goes in, what comes out.

These shapes are a contract: `analyze`, the chat service, the REST API and the tests all
read them. Labels follow DESIGN.md "Understanding".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Topic = Literal[
    "billing",
    "cancellation",
    "session",
    "account",
    "matching",
    "scheduling",
    "privacy",
    "clinical",
    "other",
]
Emotion = Literal["frustrated", "angry", "anxious", "sad", "confused"]
Safety = Literal["none", "check_in", "urgent"]
Severity = Literal["low", "normal", "high", "critical"]
Sender = Literal["user", "bot", "agent", "system"]

TOPICS: tuple[Topic, ...] = (
    "billing",
    "cancellation",
    "session",
    "account",
    "matching",
    "scheduling",
    "privacy",
    "clinical",
    "other",
)
EMOTIONS: tuple[Emotion, ...] = ("frustrated", "angry", "anxious", "sad", "confused")

# Intents beside the topic. Money decisions and privacy requests go to a person;
# how-tos get self-serve steps first; the rest steer the dialogue.
INTENTS: tuple[str, ...] = (
    "refund_request",  # wants money back
    "fee_waiver",  # wants a fee or late-cancellation charge waived
    "session_credit",  # wants a free / replacement session
    "privacy_export",  # wants a copy of their data
    "privacy_erase",  # wants data deleted
    "privacy_breach",  # reports their data was exposed / account used by someone else
    "howto_reset_password",
    "howto_reschedule",
    "howto_switch_therapist",
    "howto_cancel",
    "howto_receipt",
    "greeting",
    "thanks",  # thanks / it worked
    "affirm",  # yes / that's right
    "deny",  # no / that's not it
    "still_stuck",  # the steps did not help
)


@dataclass(frozen=True)
class Understanding:
    topic: Topic
    emotions: tuple[Emotion, ...]
    intensity: float
    safety: Safety
    wants_human: bool
    locale: str
    signals: tuple[str, ...] = ()
    # Why safety fired (e.g. "ideation_passive"); for audit only, never shown in Slack.
    safety_kind: str | None = None
    # Finer-grained requests the decision needs, drawn from INTENTS.
    intents: tuple[str, ...] = ()


@dataclass(frozen=True)
class HandoffDecision:
    queue: str  # a queue name from the routing file: billing, clinical, crisis, general, ...
    reason: str  # a short machine-readable reason: wants_human, urgent_safety, clinical, ...
    severity: Severity


@dataclass(frozen=True)
class Turn:
    sender: Sender
    text: str
    at: float  # seconds since the epoch


@dataclass
class ConversationState:
    """Everything the engine remembers between turns. JSON-serialisable via to_dict."""

    locale: str | None = None  # forced locale, or the last detected one
    region: str | None = None  # e.g. "US", "GB", "SE": picks crisis numbers
    turns: list[Turn] = field(default_factory=list)  # recent turns, bounded by the engine
    used_templates: list[str] = field(default_factory=list)
    handed_off: bool = False  # a hand-off is open (queued or with an agent)
    urgent: bool = False  # once urgent, stays urgent until a human clears it
    selfserve_given: list[str] = field(default_factory=list)  # self-serve answers shown
    awaiting_confirmation: bool = False  # the last reply asked "did I get that right?"
    bot_turns_without_progress: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "locale": self.locale,
            "region": self.region,
            "turns": [{"sender": t.sender, "text": t.text, "at": t.at} for t in self.turns],
            "used_templates": list(self.used_templates),
            "handed_off": self.handed_off,
            "urgent": self.urgent,
            "selfserve_given": list(self.selfserve_given),
            "awaiting_confirmation": self.awaiting_confirmation,
            "bot_turns_without_progress": self.bot_turns_without_progress,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, object] | None) -> ConversationState:
        if not data:
            return cls()
        turns_raw = data.get("turns") or []
        assert isinstance(turns_raw, list)
        return cls(
            locale=data.get("locale"),  # type: ignore[arg-type]
            region=data.get("region"),  # type: ignore[arg-type]
            turns=[Turn(t["sender"], t["text"], float(t["at"])) for t in turns_raw],
            used_templates=list(data.get("used_templates") or []),  # type: ignore[call-overload]
            handed_off=bool(data.get("handed_off")),
            urgent=bool(data.get("urgent")),
            selfserve_given=list(data.get("selfserve_given") or []),  # type: ignore[call-overload]
            awaiting_confirmation=bool(data.get("awaiting_confirmation")),
            bot_turns_without_progress=int(data.get("bot_turns_without_progress") or 0),  # type: ignore[call-overload]
            extra=dict(data.get("extra") or {}),  # type: ignore[call-overload]
        )


@dataclass(frozen=True)
class Decision:
    """The engine's answer to one message."""

    understanding: Understanding
    # Bot messages to show the person, in order (crisis resources first when urgent).
    # Empty when the bot should stay quiet (an agent has the conversation).
    replies: tuple[str, ...]
    handoff: HandoffDecision | None  # a NEW hand-off to open now, or None
    state: ConversationState  # the state after this turn
    # One-line reflected summary of the issue for the agent's card (the chat service
    # redacts personal data before it leaves).
    summary: str
    # True when this turn escalates an already-open hand-off to critical (urgent while
    # queued or with an agent): the chat service re-routes the case to the crisis lane.
    escalate: bool = False
