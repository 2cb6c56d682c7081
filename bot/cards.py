"""The hand-off card an agent sees in Slack (Block Kit), updated in place.

Minimum necessary: the case ref, severity, topic, reason, language, wait, the bot's
reflected summary with personal data redacted, how many earlier cases the person has and
their preferred contact route. Never the transcript, a name, an email, a phone or a card.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.privacy.redact import escape_slack
from bot.store.models import Case

SEVERITY_BADGE = {
    "critical": ":rotating_light: CRITICAL",
    "high": ":large_orange_circle: High",
    "normal": ":large_blue_circle: Normal",
    "low": ":white_circle: Low",
}
LANGUAGES = {"en": "English", "sv": "Swedish"}
# Slack rejects section text over 3000 characters; we stay well below.
SUMMARY_MAX_CHARS = 600
# Enough to spot a pattern; `/case REF` shows the rest.
EARLIER_REFS_SHOWN = 5


@dataclass(frozen=True)
class CardView:
    case_id: str
    ref: str
    status: str  # queued | agent | resolved | transferred
    queue: str
    queue_label: str
    severity: str
    topic: str | None
    reason: str
    locale: str
    summary: str  # already redacted
    created_at: datetime
    earlier_cases: int
    preferred_contact: str | None
    assignee: str | None = None
    resolved_by: str | None = None
    ping: str | None = None  # a user-group mention for crisis cards
    moved_to: str | None = None  # the channel a transferred case went to
    earlier_refs: tuple[str, ...] = ()  # the person's earlier cases, newest first


def _slack_date(moment: datetime) -> str:
    epoch = int(moment.timestamp())
    fallback = moment.strftime("%H:%M UTC")
    return f"<!date^{epoch}^{{time}}|{fallback}>"


def channel_mention(channel: str) -> str:
    """A channel id links as <#C…>; a configured name is shown as #name."""
    if channel[:1] in ("C", "G") and channel[1:].isalnum() and channel.isupper():
        return f"<#{channel}>"
    return f"#{channel.lstrip('#')}"


def earlier_line(view: CardView) -> str:
    if not view.earlier_refs:
        return str(view.earlier_cases)
    shown = ", ".join(view.earlier_refs[:EARLIER_REFS_SHOWN])
    return f"{view.earlier_cases} ({shown}; `/case REF`)"


def earlier_cases_text(earlier: Sequence[Case]) -> str:
    """The thread note listing a person's earlier cases (refs, topics, states; no text)."""
    lines = [
        f"• {c.ref} — {c.topic or 'other'}, {c.status}, {c.created_at:%Y-%m-%d}"
        + (f", root cause {c.root_cause}" if c.root_cause else "")
        for c in earlier
    ]
    return (
        ":card_index: *Earlier cases for this person*\n"
        + "\n".join(lines)
        + ("\nUse `/case REF` for details.")
    )


def status_line(view: CardView) -> str:
    if view.status == "agent" and view.assignee:
        return f":raising_hand: Claimed by <@{view.assignee}>"
    if view.status == "resolved":
        who = f" by <@{view.resolved_by}>" if view.resolved_by else ""
        return f":white_check_mark: Resolved{who}"
    if view.status == "transferred":
        if view.moved_to:
            return f":arrow_right: Moved to {channel_mention(view.moved_to)}"
        return ":arrow_right: Moved to another queue"
    return f":hourglass_flowing_sand: Unclaimed — waiting since {_slack_date(view.created_at)}"


def card_text(view: CardView) -> str:
    """The notification text (what a phone shows); a crisis card pings its on-call group."""
    prefix = f"{view.ping} " if view.ping and view.status == "queued" else ""
    return (
        f"{prefix}{view.severity.upper()} hand-off {view.ref} ({view.queue}): {status_line(view)}"
    )


def build_card(view: CardView) -> list[dict[str, Any]]:
    summary = escape_slack(view.summary[:SUMMARY_MAX_CHARS]) or "_No summary._"
    title = "Crisis — a person may be at risk" if view.severity == "critical" else "Hand-off"
    fields = [
        f"*Case*\n{view.ref}",
        f"*Severity*\n{SEVERITY_BADGE.get(view.severity, view.severity)}",
        f"*Topic*\n{view.topic or 'other'}",
        f"*Reason*\n{view.reason.replace('_', ' ')}",
        f"*Language*\n{LANGUAGES.get(view.locale, view.locale)}",
        f"*Queue*\n{view.queue}",
        f"*Earlier cases*\n{earlier_line(view)}",
        f"*Contact*\n{view.preferred_contact or 'chat'}",
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"{title} · {view.ref}"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Summary*\n{summary}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": status_line(view)}]},
    ]
    buttons = _buttons(view)
    if buttons:
        blocks.append({"type": "actions", "block_id": "case_actions", "elements": buttons})
    return blocks


def _button(action_id: str, text: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _buttons(view: CardView) -> list[dict[str, Any]]:
    if view.status == "queued":
        return [
            _button("claim", "Claim", view.case_id, "primary"),
            _button("transfer", "Transfer", view.case_id),
            _button("resolve", "Resolve", view.case_id),
        ]
    if view.status == "agent":
        return [
            # Only the holder may use it (bot/typing.py); others are told who has the case.
            _button("reply", "Reply", view.case_id),
            _button("resolve", "Resolve", view.case_id, "primary"),
            _button("resolve_cause", "Resolve with cause", view.case_id),
            _button("transfer", "Transfer", view.case_id),
            _button("release", "Release", view.case_id),
            _button("make_it_right", "Make it right", view.case_id),
            _button("offer_callback", "Offer callback", view.case_id),
        ]
    return []
