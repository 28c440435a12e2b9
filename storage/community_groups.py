"""Group chats (Slack channels) that get broadcasts on their topics as one post.
Keyword-only functions over a caller-owned Session."""

from __future__ import annotations

from typing import Sequence

from sqlmodel import Session, col, select

from storage.models import CommunityGroup


def set_group(session: Session, *, channel: str, chat_id: str, topics: Sequence[str]) -> None:
    found = session.exec(select(CommunityGroup).where(CommunityGroup.channel == channel, CommunityGroup.chat_id == chat_id)).first()
    group = found or CommunityGroup(channel=channel, chat_id=chat_id)
    group.topics = list(topics)
    session.add(group)


def remove_group(session: Session, *, channel: str, chat_id: str) -> bool:
    found = session.exec(select(CommunityGroup).where(CommunityGroup.channel == channel, CommunityGroup.chat_id == chat_id)).first()
    if found is not None:
        session.delete(found)
    return found is not None


def groups(session: Session) -> list[CommunityGroup]:
    return list(session.exec(select(CommunityGroup).order_by(col(CommunityGroup.id))))
