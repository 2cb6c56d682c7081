"""Typing from the agent: the Reply box on a claimed card, and what the person sees of it.

Slack's Events API says nothing while someone writes in a thread, so the Reply box is the
source: opening it shows the person "{Name} is typing…", sending it relays the text exactly
as a thread reply would (`Desk.relay_reply`) and copies it into the case thread through the
outbox, and closing it unsent takes the indicator away at once.

Typing is ephemeral: never a Message, no seq, never replayed on resume. It travels only as a
bus notification that carries the whole frame (name and lifetime) to whichever instance
holds the person's socket; a notification lost on the way costs an indicator, nothing more.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote, unquote

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import handoff as handoffs
from bot.desk import Desk, Relayed, RelayOutcome
from bot.errors import Conflict, Forbidden, Invalid, TooLarge
from bot.privacy.redact import escape_slack, safe_for_slack
from bot.store import cases as case_store
from bot.store.models import Case

# How long the widget shows "{Name} is typing…" unless the box is sent or closed first:
# long enough for a few sentences, short enough that a box left open does not promise a
# reply for minutes.
TYPING_TTL_S = 30
TYPING_NOTICE = "typing/"
# The reply is stored with this in place of a Slack ts (Message.slack_ts, 32 characters),
# so a second submission of the same box is dropped like a retried thread reply.
REPLY_TS_PREFIX = "view:"
SLACK_TS_MAX = 32


class NotTheHolder(Forbidden):
    """Only the agent holding the case may use its Reply box.

    `message` is mrkdwn for an ephemeral (it mentions the holder); `plain` is for a modal's
    field error, where Slack shows text as typed.
    """

    def __init__(self, code: str, message: str, plain: str) -> None:
        super().__init__(code, message)
        self.plain = plain


def typing_notice(*, name: str | None, ttl_s: int) -> str:
    """The bus notification carrying a typing frame (`ttl_s=0` stops the indicator)."""
    # The PostgreSQL bus sends "kind:case_id" and splits at the first colon, so the name
    # travels percent-encoded.
    return f"{TYPING_NOTICE}{ttl_s}/{quote(name or '', safe='')}"


def typing_frame(notice: str) -> dict[str, Any] | None:
    """The socket frame for a typing notification; None for any other notification."""
    if not notice.startswith(TYPING_NOTICE):
        return None
    ttl, _, name = notice.removeprefix(TYPING_NOTICE).partition("/")
    if not ttl.isdigit():
        return None
    return {"type": "typing", "author": unquote(name) or None, "ttl_s": int(ttl)}


def _not_the_holder(case: Case) -> NotTheHolder:
    if case.status == "agent" and case.assignee:
        return NotTheHolder(
            "not_the_holder",
            f"{case.ref} is claimed by <@{case.assignee}>; only they can reply from the card.",
            f"{case.ref} is now with {case.assignee_name or 'another agent'}; "
            "only they can reply to the person.",
        )
    if case.status == "queued":
        text = f"{case.ref} is not claimed: claim it first, then reply."
        return NotTheHolder("not_claimed", text, text)
    text = f"{case.ref} is {case.status}, so nothing can be sent to the person."
    return NotTheHolder("case_closed", text, text)


async def held_case(desk: Desk, *, case_id: str, agent_id: str) -> Case:
    """The case, if `agent_id` holds it (claimed, not resolved); else NotTheHolder."""
    case = await desk.case_for_card(case_id=case_id)
    if case.status != "agent" or case.assignee != agent_id:
        raise _not_the_holder(case)
    return case


async def start_typing(desk: Desk, *, case: Case) -> None:
    """Tell the person the holder is writing, by the first name they joined with."""
    await desk.bus.publish(case.id, typing_notice(name=case.assignee_name, ttl_s=TYPING_TTL_S))


async def stop_typing(desk: Desk, *, case_id: str) -> None:
    await desk.bus.publish(case_id, typing_notice(name=None, ttl_s=0))


def check_reply(text: str, *, max_chars: int) -> str:
    """The reply as it will be sent, or Invalid / TooLarge saying what to fix."""
    body = text.strip()
    if not body:
        raise Invalid("reply_empty", "Write a reply first, or press Cancel.")
    if len(body) > max_chars:
        raise TooLarge(
            "reply_too_long",
            f"Keep it to {max_chars:,} characters, what the person's chat accepts "
            f"(this is {len(body):,}).",
        )
    return body


async def send_reply(
    desk: Desk, *, case_id: str, agent_id: str, text: str, reply_id: str, max_chars: int
) -> Relayed:
    """Relay the Reply box's text to the person and copy it into the case thread.

    Args:
        reply_id: the modal's view id; a second submission of the same box changes nothing.
        max_chars: the longest reply, the chat's own limit (Settings.max_message_chars).
    """
    body = check_reply(text, max_chars=max_chars)
    case = await held_case(desk, case_id=case_id, agent_id=agent_id)
    if not case.slack_channel or not case.slack_ts:
        raise Conflict("card_not_posted", f"{case.ref}'s card is not in Slack yet; try again.")
    # The relay reads text as Slack delivers a message (`&`, `<`, `>` escaped), so escaping
    # here hands the person exactly what the agent typed.
    relayed = await desk.relay_reply(
        channel=case.slack_channel,
        thread_ts=case.slack_ts,
        user=agent_id,
        user_name=case.assignee_name,
        text=escape_slack(body),
        ts=f"{REPLY_TS_PREFIX}{reply_id}"[:SLACK_TS_MAX],
        then=partial(_copy_to_thread, agent_id=agent_id, text=body, now=desk.clock()),
    )
    if relayed.outcome in ("relayed", "note"):
        desk.on_outbox()
    elif relayed.outcome != "duplicate":
        # The case changed hands or closed between the check above and the relay.
        raise _not_the_holder(await desk.case_for_card(case_id=case.id))
    await stop_typing(desk, case_id=case.id)
    return relayed


async def _copy_to_thread(
    session: AsyncSession,
    case: Case,
    outcome: RelayOutcome,
    *,
    agent_id: str,
    text: str,
    now: datetime,
) -> None:
    # The thread is the record: the line goes through the outbox, posted by the bot, and the
    # message listener ignores the bot's own posts, so it is never relayed a second time.
    # It is written in the relay's transaction: the person has the reply if and only if
    # the thread will have its copy.
    heading = (
        f":memo: <@{agent_id}> added a note (not sent to the person):"
        if outcome == "note"
        else f":speech_balloon: <@{agent_id}> replied to the person:"
    )
    # The person gets the agent's exact words; the thread's copy is redacted like any
    # text that may quote them.
    quoted = "\n".join(f">{line}" for line in safe_for_slack(text).splitlines())
    handoff = next(
        (
            h
            for h in reversed(await case_store.handoffs_for_case(session, case_id=case.id))
            if h.slack_channel == case.slack_channel and h.slack_ts == case.slack_ts
        ),
        None,
    )
    if handoff is None:
        return
    await handoffs.note_in_thread(
        session,
        case_id=case.id,
        handoff=handoff,
        text=f"{heading}\n{quoted}",
        now=now,
        priority=handoffs.priority_for(handoff.severity),
    )
