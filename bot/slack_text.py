"""Between Slack's mrkdwn and the person's plain text."""

from __future__ import annotations

import re

_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_MENTION = re.compile(r"<[@#!][^>]*>")


def slack_to_plain(text: str) -> str:
    """Turn an agent's Slack message into what the person reads.

    Slack sends `&`, `<` and `>` escaped and wraps links and mentions in angle brackets;
    the person sees the link's label and address, no internal mentions, and the literal
    characters the agent typed.
    """

    def _link(match: re.Match[str]) -> str:
        url, label = match.group(1), match.group(2)
        address = url.removeprefix("mailto:")
        return f"{label} ({address})" if label and label != address else address

    text = _LINK.sub(_link, text)
    text = _MENTION.sub("", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


NOTE_PREFIX = re.compile(r"^\s*note\s*:", re.IGNORECASE)


def is_internal_note(text: str) -> bool:
    return NOTE_PREFIX.match(text) is not None
