"""Staff change a submission's status: history is kept, and the submitter and supporters
hear about it in Telegram (the fake Bot API on 127.0.0.1)."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.operations.status_changes import StaffActionError, change_status
from conversations.messages import Address, Inbound
from storage import submissions
from storage.models import StatusChange
from tests.bot.test_telegram_channel import serving
from tests.fakes.telegram_api import FakeTelegram

ANA, BOB, CID = 401, 402, 403
pytestmark = pytest.mark.telegram


def say(app: App, user: int, *texts: str) -> None:
    for n, text in enumerate(texts):
        app.service.handle(Inbound(Address("telegram", str(user), str(user)), f"{user}-{n}-{text}", text=text))


def report(app: App, user: int, description: str) -> None:
    say(app, user, "/start", "I agree", "1", description, "4", "Skip", "Skip", "2", "1")


def change(app: App, ref: str, status: str, note: str | None = None, of: str | None = None):
    with Session(app.database) as session, session.begin():
        return change_status(
            session, ref=ref, status=status, note=note, by="cli", duplicate_of=of, now=app.clock(), notices=app.notices, via="cli",
        )  # fmt: skip


def test_a_status_change_reaches_the_submitter_and_a_supporter(app: App, fake: FakeTelegram) -> None:
    report(app, ANA, "Broken swing in Elm Park playground")
    say(app, BOB, "/start", "I agree")
    with Session(app.database) as session, session.begin():
        submissions.add_support(session, citizen_id=2, kind="problem", target_id=1)  # BOB supports P-1
    changed = change(app, "P-1", "accepted", note="The parks team will replace it in spring")
    assert (changed.previous, changed.status, changed.notified) == ("new", "accepted", 2)

    async def scenario() -> None:
        async with serving(app):
            await asyncio.to_thread(fake.wait_until, lambda f: any("now accepted" in m["text"] for m in f.sent(BOB)))
            await asyncio.to_thread(fake.wait_until, lambda f: any("now accepted" in m["text"] for m in f.sent(ANA)))

    asyncio.run(scenario())
    (news,) = [m for m in fake.sent(ANA) if "now accepted" in m["text"]]
    assert news["text"].startswith("News about P-1 — Broken swing in Elm Park playground: it is now accepted.")
    assert "“The parks team will replace it in spring”" in news["text"]
    with Session(app.database) as session:
        (history,) = session.exec(select(StatusChange).where(StatusChange.from_status == "new")).all()
    assert (history.to_status, history.note, history.changed_by) == ("accepted", "The parks team will replace it in spring", "cli")


def test_marking_a_duplicate_moves_its_supporters_to_the_original(app: App) -> None:
    report(app, ANA, "Broken swing in Elm Park playground")
    report(app, CID, "Graffiti all over the library wall")  # a different problem, P-2
    with Session(app.database) as session, session.begin():
        submissions.add_support(session, citizen_id=1, kind="problem", target_id=2)
    change(app, "P-2", "duplicate", of="P-1")
    with Session(app.database) as session:
        original = submissions.summary_of(session, kind="problem", id=1)
    assert original.supporters == 1  # CID, P-2's submitter (ANA already owns P-1)


@pytest.mark.parametrize(
    ("ref", "status", "note", "of", "message"),
    [
        ("P-1", "declined", None, None, "Declining needs a reason"),
        ("P-1", "duplicate", None, None, "Marking a duplicate needs --of"),
        ("P-1", "new", None, None, "P-1 is already new"),
        ("P-9", "done", None, None, "P-9 does not exist"),
        ("P-1", "finished", None, None, "'finished' is not a status"),
    ],
)
def test_changes_that_cannot_be_made_are_explained(app: App, ref: str, status: str, note, of, message: str) -> None:
    report(app, ANA, "Broken swing in Elm Park playground")
    with pytest.raises(StaffActionError, match=message):
        change(app, ref, status, note, of)
