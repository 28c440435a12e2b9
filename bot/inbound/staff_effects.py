"""Staff actions that come as a flow's effects (a status change, moderation, a sign-in
link, a broadcast or a poll from the chat), carried out in the event's transaction. Rights
are checked again here, when the action happens, not only when the dialog began."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel import Session

from bot.operations import broadcasting, moderation, polling, sign_in, status_changes
from bot.operations.reach import JoinLinks
from bot.outbound.notices import Notices
from conversations.context import FlowSettings
from conversations.effects import ChangeStatus, Moderate, Outcome, QueueBroadcast, QueuePoll, Receipt
from conversations.i18n import Catalogs, T
from conversations.messages import Address, Outbound
from conversations.refs import make_ref
from storage import outbox, staff
from storage.broadcasts import Audience
from storage.models import Citizen


@dataclass
class Work:
    """What carrying out one event's effects works on."""

    session: Session
    citizen: Citizen
    address: Address
    now: datetime
    language: str  # the person's language for this event (stored, the channel's, or the default)
    forgotten: bool = False  # they were just forgotten (/forget): nothing more is kept of them


@dataclass(frozen=True)
class StaffDesk:
    """What the service's staff effects need (ConversationService._desk)."""

    staff: tuple[str, ...]  # CHANNEL:ID from STAFF, besides those in the database
    notices: Notices
    catalogs: Catalogs
    settings: FlowSettings
    zone: tzinfo
    web_url: str
    join_links: JoinLinks | None

    def change_status(self, work: Work, effect: ChangeStatus) -> Receipt:
        ref = make_ref(effect.kind, effect.target_id)
        citizen = work.citizen
        if not staff.is_staff(work.session, address=work.address, configured=self.staff):
            return Receipt(effect.kind, effect.target_id, ref, Outcome.FAILED, reason="staff only")
        try:
            with work.session.begin_nested():  # a refused change leaves nothing behind
                changed = status_changes.change_status(
                    work.session, ref=ref, status=effect.status, note=effect.note,
                    by=f"{citizen.channel}:{citizen.channel_user_id}", duplicate_of=effect.duplicate_of,
                    now=work.now, notices=self.notices, via="chat",
                )  # fmt: skip
        except status_changes.StaffActionError as error:
            return Receipt(effect.kind, effect.target_id, ref, Outcome.FAILED, reason=str(error))
        outcome = Outcome.NOTED if changed.noted_only else Outcome.CHANGED
        return Receipt(effect.kind, effect.target_id, ref, outcome, people=changed.notified)

    def moderate(self, work: Work, effect: Moderate) -> Receipt:
        ref = make_ref(effect.kind, effect.target_id)
        citizen = work.citizen
        if not staff.is_staff(work.session, address=work.address, configured=self.staff):
            return Receipt(effect.kind, effect.target_id, ref, Outcome.FAILED, reason="staff only")
        try:
            with work.session.begin_nested():  # a refused change leaves nothing behind
                moderation.moderate(
                    work.session, ref=ref, action=effect.action, note=effect.note,
                    by=f"{citizen.channel}:{citizen.channel_user_id}", now=work.now, notices=self.notices, via="chat",
                )  # fmt: skip
        except status_changes.StaffActionError as error:
            return Receipt(effect.kind, effect.target_id, ref, Outcome.FAILED, reason=str(error))
        return Receipt(effect.kind, effect.target_id, ref, Outcome.CHANGED)

    def send_sign_in_link(self, work: Work) -> None:
        """Queue a console sign-in link to this chat, if the person is staff right now."""
        identity = f"{work.address.channel}:{work.address.user_id}"
        try:
            link = sign_in.issue_link(
                work.session, identity=identity, configured=self.staff, base_url=self.web_url, now=work.now,
                actor=identity, via="chat",
            )  # fmt: skip
            text = T("web.link", link=link)
        except sign_in.NotStaff:
            text = T("staff.refused")
        reply = Outbound(self.catalogs.render(work.language, text))
        outbox.enqueue(work.session, address=work.address, replies=[reply], citizen_id=work.citizen.id, now=work.now)

    def queue_broadcast(self, work: Work, effect: QueueBroadcast) -> Receipt:
        session, citizen, now = work.session, work.citizen, work.now
        if not staff.is_staff(session, address=work.address, configured=self.staff):
            # Checked now, not only when the dialog began: staff may be removed meanwhile.
            return Receipt("broadcast", 0, "", Outcome.FAILED, reason="staff only")
        broadcast = broadcasting.queue(
            session,
            text=effect.text,
            audience=Audience(topic=effect.topic),
            created_by=f"{citizen.channel}:{citizen.channel_user_id}",
            now=now,
            catalogs=self.catalogs,
            settings=self.settings,
            send_after=self.notices.quiet.release(now),
            via="chat",
            links=self.join_links,
        )
        assert broadcast.id is not None
        return Receipt("broadcast", broadcast.id, f"B-{broadcast.id}", Outcome.QUEUED, people=broadcast.recipients)

    def queue_poll(self, work: Work, effect: QueuePoll) -> Receipt:
        if not staff.is_staff(work.session, address=work.address, configured=self.staff):
            return Receipt("poll", 0, "", Outcome.FAILED, reason="staff only")  # checked now, as for broadcasts
        return polling.queue_from_chat(
            work.session, effect=effect, created_by=f"{work.citizen.channel}:{work.citizen.channel_user_id}",
            now=work.now, catalogs=self.catalogs, settings=self.settings, zone=self.zone,
            send_after=self.notices.quiet.release(work.now),
        )  # fmt: skip
