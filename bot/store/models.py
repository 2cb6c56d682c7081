"""The case store's tables. Every hand-off and every side effect is a row here."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Numbers each new row of the busiest tables within its INSERT, so that SQLite can write
# many rows in one statement and still match the ids it returns to them (SQLAlchemy's
# "insert sentinel": without one it falls back to one INSERT per row on SQLite, each a
# hop to the driver's thread). It only has to be unique within one statement. Not on
# tables read in id order within a case (outbox items, the audit trail): with a sentinel,
# PostgreSQL gets a plain multi-row VALUES, whose ids follow the rows' order in practice
# but not by any promise; without one SQLAlchemy uses a form that orders them.
_next_sentinel = itertools.count(1).__next__
SENTINEL = "sentinel"


def sentinel_field() -> Any:
    return Field(
        default=None,
        sa_column=Column(SENTINEL, BigInteger, insert_sentinel=True, default=_next_sentinel),
    )


class CaseBase(SQLModel):
    ref: str = Field(index=True, unique=True, max_length=16)
    person_ref: str | None = Field(default=None, index=True, max_length=255)
    locale: str = Field(default="en", max_length=16)
    region: str | None = Field(default=None, max_length=8)
    topic: str | None = Field(default=None, max_length=32)
    severity: str | None = Field(default=None, max_length=16)
    status: str = Field(default="bot", index=True, max_length=16)  # bot|queued|agent|resolved
    queue: str | None = Field(default=None, max_length=32)
    assignee: str | None = Field(default=None, max_length=32)
    assignee_name: str | None = Field(default=None, max_length=80)
    urgent: bool = False
    summary: str | None = Field(default=None, sa_column=Column(Text))
    preferred_contact: str | None = Field(default=None, max_length=32)
    # Set by the agent who resolves the case (bot/data/root_causes.yaml).
    root_cause: str | None = Field(default=None, max_length=48)
    # The person's rating after resolution (1..5), one per resolved case.
    csat_score: int | None = None
    incident_id: int | None = Field(default=None, index=True)


class Case(CaseBase, table=True):
    __table_args__ = (UniqueConstraint("slack_channel", "slack_ts", name="uq_case_slack_card"),)
    id: str = Field(primary_key=True, max_length=32)
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    last_seq: int = 0
    engine_state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    csat_at: datetime | None = None
    # Set by a person's erasure request: the conversation takes no more messages (what
    # they wrote next would be stored unlinked from them, out of reach of their requests).
    erased_at: datetime | None = None


class CasePublic(CaseBase):
    id: str
    created_at: datetime
    resolved_at: datetime | None


class Message(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_message_seq"),
        UniqueConstraint("case_id", "client_id", name="uq_message_client_id"),
        UniqueConstraint("case_id", "slack_ts", name="uq_message_slack_ts"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=32)
    seq: int
    sender: str = Field(max_length=8)  # user|bot|agent|system
    text: str = Field(sa_column=Column(Text, nullable=False))
    # Agent notes stay in Slack and the store; the person never sees them.
    internal: bool = False
    author_id: str | None = Field(default=None, max_length=32)
    author_name: str | None = Field(default=None, max_length=80)
    client_id: str | None = Field(default=None, max_length=64)
    slack_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime
    sentinel: int | None = sentinel_field()


class HandOff(SQLModel, table=True):
    __table_args__ = (Index("ix_handoff_case_status", "case_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", max_length=32)
    queue: str = Field(max_length=32)
    reason: str = Field(max_length=64)
    severity: str = Field(max_length=16)
    status: str = Field(default="open", max_length=16)  # open|claimed|resolved|transferred
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    claimed_by: str | None = Field(default=None, max_length=32)
    resolved_by: str | None = Field(default=None, max_length=32)
    pings: int = 0
    # The case's last message number when the hand-off opened: what the person writes
    # after it, while waiting, is copied to the thread on claim.
    after_seq: int = 0
    created_at: datetime
    posted_at: datetime | None = None
    claimed_at: datetime | None = None
    first_agent_reply_at: datetime | None = None
    resolved_at: datetime | None = None
    last_pinged_at: datetime | None = None
    sentinel: int | None = sentinel_field()


class CaseEvent(SQLModel, table=True):
    """The audit trail: who did what to a case, and when."""

    __table_args__ = (
        Index("ix_caseevent_kind_created", "kind", "created_at"),
        Index("ix_caseevent_handoff", "handoff_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="case.id", index=True, max_length=32)
    handoff_id: int | None = Field(default=None, foreign_key="handoff.id")
    kind: str = Field(max_length=48)
    actor: str = Field(max_length=48)  # "bot", "system", "person", or a Slack user id
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime


class OutboxItem(SQLModel, table=True):
    """A side effect (a Slack call) written in the same transaction as the change behind it."""

    __table_args__ = (
        Index("ix_outbox_pending", "status", "priority", "id"),
        Index("ix_outbox_ordering", "ordering_key", "status", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    # Items sharing a key are delivered strictly in id order (one case's card, then its
    # updates and thread messages).
    ordering_key: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)
    priority: int = 0  # higher first; crisis items jump the queue
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = Field(default="pending", max_length=16)  # pending|done|parked
    attempts: int = 0
    next_attempt_at: datetime
    locked_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=255)
    created_at: datetime
    done_at: datetime | None = None


class SeenKey(SQLModel, table=True):
    """Idempotency keys: Slack event ids and request signatures we have already handled."""

    key: str = Field(primary_key=True, max_length=128)
    created_at: datetime = Field(index=True)


class Lease(SQLModel, table=True):
    """A named lease: periodic work runs on whichever one instance holds it."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=64)
    expires_at: datetime


class ChannelPace(SQLModel, table=True):
    """When each Slack channel may next be posted to, shared by every instance."""

    channel: str = Field(primary_key=True, max_length=64)
    next_at: datetime


class Compensation(SQLModel, table=True):
    """A fee waiver or a session credit: who, how much, why, when, and who approved it."""

    id: str = Field(primary_key=True, max_length=32)  # also the billing idempotency key
    case_id: str = Field(foreign_key="case.id", index=True, max_length=32)
    kind: str = Field(max_length=16)  # waiver|credit
    amount_cents: int
    currency: str = Field(max_length=3)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", index=True, max_length=16)  # pending|applied|declined
    requested_by: str = Field(max_length=32)
    decided_by: str | None = Field(default=None, max_length=32)
    created_at: datetime
    decided_at: datetime | None = None


class Incident(SQLModel, table=True):
    """A known problem many people hit at once; linked cases get proactive updates."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(index=True, unique=True, max_length=16)
    title: str = Field(max_length=200)
    topic: str | None = Field(default=None, max_length=32)
    status: str = Field(default="open", index=True, max_length=16)  # open|resolved
    started_by: str = Field(max_length=32)
    update_every_s: int
    updates_sent: int = 0
    next_update_at: datetime
    started_at: datetime
    resolved_by: str | None = Field(default=None, max_length=32)
    resolved_at: datetime | None = None


class IncidentUpdate(SQLModel, table=True):
    """One proactive update: the unique (incident, number) lets only one instance send it."""

    __table_args__ = (UniqueConstraint("incident_id", "number", name="uq_incident_update"),)
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    number: int
    holder: str = Field(max_length=64)
    sent_at: datetime
