"""How long things are kept (RETENTION_DAYS and the daily retention job, bot/scheduling/).

- A reply's text is emptied as soon as it is delivered (storage/outbox.py): only until then
  does the delivery guarantee need it. So a cancelled dialog leaves nothing behind, not even
  the summary the bot echoed back.
- Messages the bot started itself (news about a submission, follow-ups, broadcasts) keep
  their text for the person's /mydata until they are RETENTION_DAYS old; then it goes.
- People who never agreed to the privacy notice are removed a day after they first wrote,
  with every message addressed to them (a "slow down" is queued to an address, not a
  person). Not a person staff blocked: removing them would lift the block.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage import reach_links
from storage.models import FORGOTTEN_CHANNEL, Citizen, Conversation, OutboxMessage

DELIVERED = ("sent", "failed", "blocked")


def purge_delivered_texts(session: Session, *, before: datetime) -> int:
    """Empty the texts (and buttons, and files) of messages delivered, queued before `before`."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status).in_(DELIVERED),
            col(OutboxMessage.created_at) < before,
            (col(OutboxMessage.text) != "") | col(OutboxMessage.document).is_not(None),
        )
        .values(text="", choices=[], document=None, document_name=None)
    )
    return result.rowcount or 0


def remove_unconsented(session: Session, *, before: datetime) -> int:
    """Remove the people who first wrote before `before` and never agreed: their
    conversation, the messages to them and themselves (they had nothing else). People staff
    blocked stay: the block is what keeps them out."""
    people = session.exec(
        select(Citizen.id, Citizen.channel, Citizen.chat_id).where(
            col(Citizen.consented_at).is_(None),
            col(Citizen.created_at) < before,
            col(Citizen.channel) != FORGOTTEN_CHANNEL,
            col(Citizen.blocked_at).is_(None),
        )
    ).all()
    if not people:
        return 0
    ids = [id_ for id_, _, _ in people]
    chats_by_channel: dict[str, list[str]] = {}
    for _, channel, chat_id in people:
        chats_by_channel.setdefault(channel, []).append(chat_id)
    session.execute(delete(Conversation).where(col(Conversation.citizen_id).in_(ids)))
    reach_links.forget_started(session, citizen_ids=ids)  # came through a link, never agreed
    session.execute(delete(OutboxMessage).where(col(OutboxMessage.citizen_id).in_(ids)))
    for channel, chats in chats_by_channel.items():  # rows queued to their address alone
        session.execute(
            delete(OutboxMessage).where(
                col(OutboxMessage.citizen_id).is_(None),
                col(OutboxMessage.channel) == channel,
                col(OutboxMessage.chat_id).in_(chats),
            )
        )
    session.execute(delete(Citizen).where(col(Citizen.id).in_(ids)))
    return len(ids)
