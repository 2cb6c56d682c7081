"""The person's side of a conversation: start it, take a message, answer, hand off.

A message is stored before it is acknowledged, and the bot's reply, any hand-off and the
Slack side effects are written in the same transaction as the message itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.batching import Lanes
from bot.bus import Bus
from bot.clock import Clock
from bot.conversation.engine import Engine
from bot.conversation.types import ConversationState, Decision
from bot.errors import Forbidden, Gone, Invalid, NotFound, TooLarge, Unauthorized
from bot.handoff import announce_handoff, copy_to_thread, escalate_to_crisis, queue_case
from bot.privacy.redact import redact
from bot.routing import Routing
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database
from bot.store.models import Case, HandOff, Message
from bot.tokens import TokenError, issue_token, verify_token

SUPPORTED_LOCALES = ("en", "sv")
DEFAULT_REGION_FOR_LOCALE = {"sv": "SE"}
CLIENT_ID_MAX = 64
# Batches of posts written at once on PostgreSQL (see bot/batching.py's Lanes). SQLite has
# one writer, so there one batch at a time.
POSTGRES_WRITE_LANES = 2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    case: Case
    token: str
    messages: list[Message]


@dataclass(frozen=True)
class Posted:
    case: Case
    messages: list[Message]  # new bot/system messages for the person
    user_message: Message
    decision: Decision | None  # None when the message was a re-send already handled


@dataclass(frozen=True)
class _PostRequest:
    case_id: str
    text: str  # validated
    client_id: str | None


@dataclass(frozen=True)
class _Draft:
    """An answered message whose follow-up waits for the batch's flush (see _follow_up)."""

    posted: Posted
    queued: HandOff | None  # added by queue_case; announced once it has its id
    covered: int  # the last seq the hand-off's summary covers


@dataclass(frozen=True)
class _Written:
    posted: Posted
    outbox_work: bool


def erased() -> Gone:
    """A conversation emptied by the person's erasure request: it takes no more messages;
    what they write next starts a new one, which their next request can find."""
    return Gone("conversation_erased", "This conversation was erased; start a new one.")


def parse_locale(tag: str | None) -> tuple[str | None, str | None]:
    """ "sv-SE" → ("sv", "SE"); None or unsupported language → (None, region or None)."""
    if not tag:
        return None, None
    parts = tag.replace("_", "-").split("-")
    language = parts[0].lower()
    region = parts[1].upper() if len(parts) > 1 and len(parts[1]) == 2 else None
    if language not in SUPPORTED_LOCALES:
        raise Invalid("locale_unsupported", f"Supported locales: {', '.join(SUPPORTED_LOCALES)}.")
    return language, region


def page_language(tag: str | None) -> str | None:
    """The language of a page's tag ("sv-SE" -> "sv") if the bot speaks it, else None."""
    if not tag:
        return None
    language = tag.replace("_", "-").split("-")[0].lower()
    return language if language in SUPPORTED_LOCALES else None


class ChatService:
    def __init__(
        self,
        *,
        db: Database,
        engine: Engine,
        routing: Routing,
        bus: Bus,
        clock: Clock,
        token_secret: str,
        token_ttl_s: int,
        max_chars: int,
        default_region: str,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.routing = routing
        self.bus = bus
        self.clock = clock
        self.token_secret = token_secret
        self.token_ttl_s = token_ttl_s
        self.max_chars = max_chars
        self.default_region = default_region
        self.on_outbox = on_outbox
        self._posts: Lanes[_PostRequest, Posted] = Lanes(
            self._write_posts,
            key=lambda request: request.case_id,
            lanes=POSTGRES_WRITE_LANES if db.is_postgres else 1,
        )

    async def close(self) -> None:
        """Finish writing the messages already accepted."""
        await self._posts.close()

    # -- access --------------------------------------------------------------------------

    def authorize(self, case_id: str, token: str | None) -> None:
        if not token:
            raise Unauthorized("token_missing", "Send the conversation token as a Bearer token.")
        try:
            verify_token(token, case_id, secret=self.token_secret, now=self.clock().timestamp())
        except TokenError as exc:
            if exc.code == "token_wrong_conversation":
                raise Forbidden("forbidden", "This token belongs to another conversation.") from exc
            raise Unauthorized(exc.code, "The conversation token is invalid or expired.") from exc

    def validate_text(self, text: object) -> str:
        if not isinstance(text, str):
            raise Invalid("text_required", "`text` must be a string.")
        if not text.strip():
            raise Invalid("text_empty", "The message is empty.")
        # PostgreSQL refuses NUL, and UTF-8 cannot encode a lone surrogate.
        if "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
            raise Invalid(
                "invalid_characters", "Text must not contain NUL characters or unpaired surrogates."
            )
        if len(text) > self.max_chars:
            raise TooLarge(
                "text_too_long", f"A message can be at most {self.max_chars} characters."
            )
        return text.strip()

    # -- the conversation ----------------------------------------------------------------

    async def start(
        self,
        *,
        locale: str | None = None,
        page_locale: str | None = None,
        person_ref: str | None = None,
    ) -> Started:
        """A new conversation and its greeting. `locale` forces the language (and region)
        of every answer; `page_locale`, the language the page around the chat shows, only
        picks the greeting's (answers then follow what the person writes). A page language
        the bot does not speak is no error: the greeting is in English."""
        language, region = parse_locale(locale)
        greeting_language = language or page_language(page_locale) or "en"
        now = self.clock()
        state = ConversationState(
            locale=language,
            # Unknown until the person says or writes: with no locale, the engine takes the
            # region from the language it detects in each message ("sv" -> Sweden's crisis
            # numbers), and the deployment's default region only when that says nothing.
            region=region
            or (DEFAULT_REGION_FOR_LOCALE.get(language, self.default_region) if language else None),
        )
        async with self.db.transaction() as session:
            case = await case_store.create_case(
                session,
                now=now,
                locale=greeting_language,
                region=state.region,
                person_ref=person_ref,
            )
            # The forced locale (if any) sticks; otherwise it is detected per message.
            case.engine_state = {**state.to_dict(), "extra": {"forced_locale": language}}
            session.add(case)
            greeting = await message_store.add_message(
                session,
                case_id=case.id,
                sender="bot",
                text=self.engine.system_text("greeting", locale=greeting_language),
                now=now,
            )
            await case_store.add_event(
                session, case_id=case.id, kind="conversation_started", actor="person", now=now
            )
        token = issue_token(
            case.id, secret=self.token_secret, ttl_s=self.token_ttl_s, now=now.timestamp()
        )
        return Started(case=case, token=token, messages=[greeting])

    async def post(self, *, case_id: str, text: object, client_id: str | None = None) -> Posted:
        """Store the person's message with the bot's answer; returns once both are committed.

        Messages posted while another batch is being written are written together, in one
        transaction (bot/batching.py); each is handled exactly as it would be alone.
        """
        clean = self.validate_text(text)
        if client_id is not None and (
            not isinstance(client_id, str) or not 0 < len(client_id) <= CLIENT_ID_MAX
        ):
            raise Invalid(
                "client_id_invalid",
                f"`client_id` must be a non-empty string of at most {CLIENT_ID_MAX} characters.",
            )
        return await self._posts.submit(_PostRequest(case_id, clean, client_id))

    def write_lane(self, case_id: str) -> int:
        """The lane that writes this conversation's messages: only messages in one lane
        can share a batch."""
        return self._posts.lane_of(_PostRequest(case_id, "", None))

    async def _write_posts(self, requests: list[_PostRequest]) -> list[Posted | BaseException]:
        try:
            # Optimistically, none is a re-send: a client id already stored (a message the
            # client re-sent after a reconnect) breaks the unique key on (case, client id)
            # and the batch is written again, looking re-sends up. Re-sends are rare; the
            # look-up before every batch cost a statement while the cases were locked.
            return await self._write_together(requests, find_resends=False)
        except Exception as exc:
            resent = isinstance(exc, IntegrityError) and message_store.broke_client_id_key(exc)
            if len(requests) == 1 and not resent:
                raise
            if resent and len(requests) > 1:
                log.info("a batch of %d posts held a re-send; writing it again", len(requests))
                try:
                    return await self._write_together(requests, find_resends=True)
                except Exception:
                    log.warning("batch of %d posts failed again", len(requests), exc_info=True)
        # One of them failed the shared transaction (a unique key another instance took
        # first, a deadlock, or a re-send alone): each is written on its own, so it fails
        # alone.
        if len(requests) > 1:
            log.warning("batch of %d posts failed; writing them one by one", len(requests))
        outcomes: list[Posted | BaseException] = []
        for request in requests:
            try:
                outcomes.extend(await self._write_together([request], find_resends=True))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def _write_together(
        self, requests: list[_PostRequest], *, find_resends: bool
    ) -> list[Posted | BaseException]:
        now = self.clock()
        outcomes: list[Posted | BaseException] = []
        wrote: list[_Written] = []
        async with self.db.transaction() as session:
            cases, earlier = await message_store.cases_for_posting(
                session,
                case_ids=[request.case_id for request in requests],
                client_ids=[r.client_id for r in requests if r.client_id] if find_resends else [],
            )
            # Answers first, follow-ups (hand-off cards, thread copies) after one flush that
            # numbers every new row of the batch: a flush per hand-off made a batch's time
            # grow with its hand-offs. A case's follow-up still runs before its next
            # message in the batch is answered, so each is handled exactly as alone.
            drafts: list[_Draft] = []
            new_messages = message_store.NewMessages()

            async def follow_up() -> None:
                await new_messages.write(session)
                if drafts:
                    await session.flush()
                for draft in drafts:
                    wrote.append(await self._follow_up(session, draft, now=now))
                drafts.clear()

            for request in requests:
                case = cases.get(request.case_id)
                if case is None:
                    outcomes.append(NotFound("conversation_not_found", "No such conversation."))
                    continue
                if case.erased_at is not None:
                    outcomes.append(erased())
                    continue
                if any(draft.posted.case.id == case.id for draft in drafts):
                    await follow_up()
                key = (request.case_id, request.client_id)
                sent_before = earlier.get(key) if request.client_id else None
                if sent_before is not None:
                    answered = await self._answers_to(
                        session, case_id=case.id, after=sent_before.seq
                    )
                    outcomes.append(
                        Posted(
                            case=case, messages=answered, user_message=sent_before, decision=None
                        )
                    )
                    continue
                draft = await self._answer(
                    session,
                    new_messages,
                    case=case,
                    text=request.text,
                    now=now,
                    client_id=request.client_id,
                )
                if request.client_id:
                    earlier[key] = draft.posted.user_message
                outcomes.append(draft.posted)
                drafts.append(draft)
            await follow_up()
        latest: dict[str, int] = {}
        for written in wrote:
            latest[written.posted.case.id] = written.posted.case.last_seq
        await self.bus.publish_messages(latest)
        if any(written.outbox_work for written in wrote):
            self.on_outbox()
        return outcomes

    async def _answer(
        self,
        session: AsyncSession,
        new_messages: message_store.NewMessages,
        *,
        case: Case,
        text: str,
        now: datetime,
        client_id: str | None,
    ) -> _Draft:
        """The person's message and the bot's answer, on a case held locked. A hand-off is
        added here and announced in `_follow_up`, once the batch is flushed."""
        # The case row is held locked (see NewMessages): its seqs are ours to give.
        user_message = new_messages.append(
            case=case, sender="user", text=text, now=now, client_id=client_id
        )
        phase = {"queued": "queued", "agent": "agent"}.get(case.status, "bot")
        state = ConversationState.from_dict(case.engine_state)
        forced = state.extra.get("forced_locale")
        decision = self.engine.respond(
            text,
            state,
            phase=phase,  # type: ignore[arg-type]
            locale=forced if isinstance(forced, str) else None,
            now=now.timestamp(),
        )
        understanding = decision.understanding
        if case.status == "resolved":
            case.status = "bot"
            await case_store.add_event(
                session, case_id=case.id, kind="reopened", actor="person", now=now
            )
        case.engine_state = decision.state.to_dict()
        case.locale = understanding.locale
        if understanding.topic != "other" or case.topic is None:
            case.topic = understanding.topic
        case.updated_at = now
        session.add(case)
        replies = [
            new_messages.append(case=case, sender="bot", text=reply, now=now)
            for reply in decision.replies
        ]
        covered = case.last_seq
        queued = None
        if decision.handoff is not None and case.status == "bot":
            case.summary = redact(decision.summary)
            queued = queue_case(
                session,
                case=case,
                decision=decision.handoff,
                routing=self.routing,
                now=now,
                after_seq=covered,
            )
        posted = Posted(case=case, messages=replies, user_message=user_message, decision=decision)
        return _Draft(posted=posted, queued=queued, covered=covered)

    async def _follow_up(self, session: AsyncSession, draft: _Draft, *, now: datetime) -> _Written:
        """What an answer sets off, its rows numbered: the hand-off's card, the crisis lane,
        the audit trail, the copy of the message in the agent's thread."""
        case, decision = draft.posted.case, draft.posted.decision
        assert decision is not None
        handed_off_now = draft.queued is not None
        if draft.queued is not None:
            await announce_handoff(
                session, case=case, handoff=draft.queued, routing=self.routing, now=now
            )
        elif decision.escalate or (decision.handoff and decision.handoff.severity == "critical"):
            case.summary = redact(decision.summary)
            # Already in the crisis lane, the message still goes to the agent's thread
            # below: what a person in crisis writes must reach whoever holds the case.
            handed_off_now = await escalate_to_crisis(
                session, case=case, routing=self.routing, now=now, after_seq=draft.covered
            )
        if decision.understanding.safety == "urgent":
            await case_store.add_event(
                session,
                case_id=case.id,
                kind="safety_urgent",
                actor="bot",
                now=now,
                data={"kind": decision.understanding.safety_kind},
            )
        if case.status == "agent" and not handed_off_now:
            handoff = await case_store.open_handoff(session, case_id=case.id)
            if handoff is not None:
                await copy_to_thread(
                    session,
                    case=case,
                    handoff=handoff,
                    message=draft.posted.user_message,
                    now=now,
                )
                handed_off_now = True  # the outbox has work
        return _Written(posted=draft.posted, outbox_work=handed_off_now)

    @staticmethod
    async def _answers_to(session: AsyncSession, *, case_id: str, after: int) -> list[Message]:
        """The bot's answers to an earlier message, for a client that re-sends it."""
        answered = []
        for message in await message_store.messages_after(session, case_id=case_id, after=after):
            if message.sender == "user":
                break
            answered.append(message)
        return answered

    async def case(self, *, case_id: str) -> Case:
        async with self.db.read() as session:
            case = await case_store.get_case(session, case_id=case_id)
        if case is None:
            raise NotFound("conversation_not_found", "No such conversation.")
        if case.erased_at is not None:
            raise erased()
        return case

    async def history(self, *, case_id: str, after: int = 0) -> tuple[Case, list[Message]]:
        async with self.db.read() as session:
            # Messages first: where each statement sees the latest commit (PostgreSQL's
            # READ COMMITTED), the case read next is at least as new as the messages, so
            # a reader that has sent up to a seq has also seen the state that came with it.
            messages = await message_store.messages_after(session, case_id=case_id, after=after)
            case = await case_store.get_case(session, case_id=case_id)
        if case is None:
            raise NotFound("conversation_not_found", "No such conversation.")
        if case.erased_at is not None:
            raise erased()
        return case, messages
