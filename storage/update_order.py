"""The order of one sender's updates across replicas (Telegram's update_id grows with every
update of a bot). An update is recorded when it arrives; it is handled only once no older
update of the same sender that arrived is still waiting, and its record goes in the
transaction that handles it. Records a crashed replica left are ignored after a while (and
pruned daily), so they hold nobody up for long."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select

from sqlmodel import Session, col

from storage.replica_models import UpdateArrival
from storage.upsert import insert_or_ignore


def arrived(session: Session, *, channel: str, sender: str, sequence: int, now: datetime) -> None:
    """Record that this update reached a replica (a redelivery's second record is ignored)."""
    values = {"channel": channel, "sender": sender, "sequence": sequence, "arrived_at": now}
    insert_or_ignore(session, UpdateArrival, values)


def older_waiting(session: Session, *, channel: str, sender: str, sequence: int, since: datetime) -> bool:
    """Whether an older update of this sender arrived (after `since`) and is not handled yet."""
    older = exists().where(
        col(UpdateArrival.channel) == channel,
        col(UpdateArrival.sender) == sender,
        col(UpdateArrival.sequence) < sequence,
        col(UpdateArrival.arrived_at) >= since,
    )
    return bool(session.execute(select(older)).scalar())


def handled(session: Session, *, channel: str, sequence: int) -> None:
    """This update is handled (in the caller's transaction): later ones need not wait for it."""
    session.execute(
        delete(UpdateArrival).where(col(UpdateArrival.channel) == channel, col(UpdateArrival.sequence) == sequence)
    )


def forget_arrivals_before(session: Session, *, cutoff: datetime) -> None:
    """Drop records a replica that died while handling them left behind."""
    session.execute(delete(UpdateArrival).where(col(UpdateArrival.arrived_at) < cutoff))
