"""The frame every case modal shares: which case and channel it is about, title, buttons."""

from __future__ import annotations

import json
from typing import Any


def case_modal(
    *,
    callback_id: str,
    case_id: str,
    channel: str,
    title: str,
    submit: str,
    blocks: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        # Comes back with the submission, so it knows the case and where to answer.
        "private_metadata": json.dumps({"case_id": case_id, "channel": channel}),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
