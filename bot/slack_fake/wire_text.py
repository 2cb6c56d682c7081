"""What a person's typed text looks like on Slack's wire.

Slack escapes `&`, `<` and `>` in what people type and turns typed mentions into
control sequences ("@alex" -> "<@U0AGENT1>", "@channel" -> "<!channel>"), see
docs.slack.dev/messaging/formatting-message-text. Apps read that form in events, so the
fake delivers it too: an app that forgets to unescape, or that echoes a mention
verbatim, shows the bug here first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_BROADCAST = re.compile(r"(?<![\w@])@(channel|here|everyone)\b")
_MENTION = re.compile(r"(?<![\w@.])@([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_sent_by_slack(text: str, user_ids_by_name: Mapping[str, str]) -> str:
    """Typed text as Slack stores and delivers it (escaped, mentions encoded)."""
    wire = _BROADCAST.sub(r"<!\1>", escape(text))

    def mention(match: re.Match[str]) -> str:
        user_id = user_ids_by_name.get(match.group(1).lower().rstrip("."))
        return f"<@{user_id}>" if user_id else match.group(0)

    return _MENTION.sub(mention, wire)
