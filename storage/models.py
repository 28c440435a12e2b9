"""SQLModel tables. Submissions follow Base -> Create -> table (FastAPI's full-stack template):
the Base holds what a person gives, Create is what the repository accepts, the table adds
what the system owns (ids, status, owner, timestamps)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from conversations.refs import OPEN_STATUSES, STATUSES  # noqa: F401 - re-exported for storage users
from conversations.validation import MAX_DESCRIPTION
from storage.types import UTCDateTime, utcnow


# A forgotten person's row keeps their submissions pointing somewhere: its channel is this,
# and staff see its author as A_RESIDENT (storage/personal_data.py).
FORGOTTEN_CHANNEL = "forgotten"
A_RESIDENT = "a resident"


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Citizen(SQLModel, table=True):
    """A person on one channel. Before consent only the channel ids are kept."""

    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    channel_user_id: str = Field(max_length=128)
    # The Address the bot uses to speak first (follow-ups, broadcasts).
    chat_id: str = Field(max_length=128)
    thread_id: str | None = Field(default=None, max_length=128)
    display_name: str | None = Field(default=None, max_length=256)
    language: str | None = Field(default=None, max_length=16)
    # How the language was settled: "chosen" (/language, wins over detection) or "detected".
    language_source: str | None = Field(default=None, max_length=16)
    role: str | None = Field(default=None, max_length=16)
    consented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    unreachable: bool = Field(default=False)
    # Blocked by staff (`cocreate people block`): what they send is neither handled nor kept;
    # they are told once (`block_notified`).
    blocked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    blocked_reason: str | None = Field(default=None, max_length=500)
    block_notified: bool = Field(default=False)
    created_at: datetime = _created()


class Conversation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", unique=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = Field(default=0)
    updated_at: datetime = _created()


class ProcessedEvent(SQLModel, table=True):
    """Channel event ids already handled, so a redelivered event is processed once."""

    __table_args__ = (UniqueConstraint("channel", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    event_id: str = Field(max_length=128)
    processed_at: datetime = _created()


class ProblemBase(SQLModel):
    description: str = Field(max_length=MAX_DESCRIPTION)
    title: str = Field(max_length=120)
    category: str = Field(max_length=64, index=True)
    language: str = Field(max_length=16)
    place: str | None = Field(default=None, max_length=300)
    latitude: float | None = None
    longitude: float | None = None
    photo_file_id: str | None = Field(default=None, max_length=256)
    photo_size: int | None = None
    affected: str | None = Field(default=None, max_length=32)


class ProblemCreate(ProblemBase):
    pass


class Problem(ProblemBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    status: str = Field(default="new", max_length=16, index=True)
    # Whether other residents see it (conversations/moderation.py): shown, pending, hidden;
    # `private` when its author kept contact details in it for the city team only.
    moderation: str = Field(default="shown", max_length=16)
    private: bool = Field(default=False)
    created_at: datetime = _created()


class IdeaBase(SQLModel):
    description: str = Field(max_length=MAX_DESCRIPTION)
    title: str = Field(max_length=120)
    benefit: str = Field(max_length=300)
    language: str = Field(max_length=16)
    problem_id: int | None = Field(default=None, foreign_key="problem.id", index=True)


class IdeaCreate(IdeaBase):
    pass


class Idea(IdeaBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    status: str = Field(default="new", max_length=16, index=True)
    # Whether other residents see it (conversations/moderation.py): shown, pending, hidden;
    # `private` when its author kept contact details in it for the city team only.
    moderation: str = Field(default="shown", max_length=16)
    private: bool = Field(default=False)
    created_at: datetime = _created()


class DesignOfferBase(SQLModel):
    idea_id: int = Field(foreign_key="idea.id", index=True)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    hours: str = Field(max_length=16)
    contact_ok: bool = False
    language: str = Field(max_length=16)


class DesignOfferCreate(DesignOfferBase):
    pass


class DesignOffer(DesignOfferBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    status: str = Field(default="new", max_length=16, index=True)
    created_at: datetime = _created()


class Support(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("citizen_id", "kind", "target_id"),
        Index("ix_support_target", "kind", "target_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id")
    kind: str = Field(max_length=16)
    target_id: int
    created_at: datetime = _created()


class Subscription(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("citizen_id", "topic"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id")
    topic: str = Field(max_length=64, index=True)
    area: str | None = Field(default=None, max_length=300)
    created_at: datetime = _created()


class StatusChange(SQLModel, table=True):
    """The history of every submission: who moved it from what to what, when, and why."""

    __table_args__ = (Index("ix_statuschange_target", "kind", "target_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    target_id: int
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    changed_by: str = Field(max_length=160)
    created_at: datetime = _created()


class OutboxMessage(SQLModel, table=True):
    """Every outgoing message. Lower priority numbers go first (replies before broadcasts)."""

    __table_args__ = (
        Index("ix_outbox_due", "status", "channel", "priority", "id"),
        # The daily broadcast cap asks, before each broadcast message, what this person was
        # sent in the last 24 hours: without it each check reads the whole outbox.
        Index("ix_outbox_broadcast_cap", "citizen_id", "kind", "status", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=128)
    user_id: str = Field(max_length=128)
    thread_id: str | None = Field(default=None, max_length=128)
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id")
    text: str
    choices: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kind: str = Field(default="reply", max_length=16)
    priority: int = Field(default=0)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _created()
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Who claimed it: the delivering leader's lease (holder#epoch), so a stale leader's late
    # outcome never changes a row a new leader took back (storage/outbox.py).
    claimed_by: str | None = Field(default=None, max_length=180)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    throttled: int = Field(default=0)  # 429 answers this row got (shown per broadcast)
    broadcast_id: int | None = Field(default=None, index=True)
    # A file that goes with the text (the person's /mydata export): its name and content.
    # Emptied, like the text of a reply, once the message is delivered.
    document_name: str | None = Field(default=None, max_length=128)
    document: str | None = None
    created_at: datetime = _created()


class Staff(SQLModel, table=True):
    """Staff identities added with `cocreate staff add` (STAFF in the environment adds more)."""

    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    user_id: str = Field(max_length=128)
    added_at: datetime = _created()


class Broadcast(SQLModel, table=True):
    """A staff message to an audience; its outbox rows carry its id."""

    # A confirm form sent twice (a double click, a replayed request) carries the same key:
    # the second finds the first broadcast instead of queueing another.
    __table_args__ = (Index("ix_broadcast_idempotency_key", "idempotency_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    text: str  # in the default language, and for any language without a translation
    translations: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))
    audience: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    recipients: int = Field(default=0)
    created_by: str = Field(max_length=160)
    created_at: datetime = _created()
    idempotency_key: str | None = Field(default=None, max_length=64)


class Reach(SQLModel, table=True):
    """How many people a diffuser says they passed a broadcast on to."""

    __table_args__ = (UniqueConstraint("broadcast_id", "citizen_id"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", index=True)
    citizen_id: int = Field(foreign_key="citizen.id")
    people: int
    created_at: datetime = _created()


class CommunityGroup(SQLModel, table=True):
    """A group chat (a Slack channel) that receives broadcasts on its topics as one post."""

    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=128)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    added_at: datetime = _created()


class FollowUp(SQLModel, table=True):
    """One scheduled "what happened to it" message about a submission, to its submitter.

    Written in the submission's own transaction; once due, the scheduler's claim job takes
    it (status, due_at: the index it reads) and marks it sent with its message."""

    __table_args__ = (
        UniqueConstraint("kind", "target_id", "number"),
        Index("ix_followup_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    target_id: int
    number: int  # 1 for the first offset of FOLLOWUP_AFTER, 2 for the second, ...
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="pending", max_length=16)  # pending | sent | cancelled
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """One staff action: who (`actor`), from where (`via`: cli, chat or console), what
    (`action`), on what (`target`), and anything worth knowing (`detail`). Written only by
    storage/audit.py, in the transaction of the action itself."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"), Index("ix_audit_entry_actor", "actor"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _created()
    actor: str = Field(max_length=160)
    via: str = Field(max_length=16)
    action: str = Field(max_length=32)
    target: str = Field(default="", max_length=160)
    detail: str = Field(default="", max_length=2000)


# The staff console's tables (and its inbox indexes) register with the same metadata.
import storage.console_models  # noqa: E402,F401
import storage.estimate_models  # noqa: E402,F401

# Webhooks and teams (storage/partner_models.py) register with the same metadata too.
import storage.partner_models  # noqa: E402,F401

# Measured reach (diffusers' personal links) registers with the same metadata.
import storage.reach_models  # noqa: E402,F401
# Design teams formed around ideas register with the same metadata.
import storage.design_team_models  # noqa: E402,F401

# The Open311 API's tables (partners' API keys and what they sent) register here too.
import storage.api_key_models  # noqa: E402,F401

# Polls (a question attached to a broadcast, and the answers) register with the same metadata.
import storage.poll_models  # noqa: E402,F401

# Replicas: leases and update arrivals (storage/replica_models.py).
import storage.replica_models  # noqa: E402,F401  (leases and update arrivals)
