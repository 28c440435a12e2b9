"""People own their data: /mydata gives them everything kept about them, /forget deletes
it (their submissions stay, anonymous, unless they choose otherwise), replies are not kept
once delivered, and staff handle requests with `cocreate people export|forget`. Telegram
runs for real against the fake Bot API; the terminal chat as `cocreate chat` runs it."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select as select_columns
from sqlmodel import Session, SQLModel, select

from bot.app import App, utc_now
from bot.channels.terminal_chat import chat
from storage.models import Citizen, OutboxMessage, Problem, Support
from tests.bot.test_service import say
from tests.bot.test_telegram_channel import press, reply_to, serving, text_update
from tests.conftest import Cocreate
from tests.fakes.telegram_api import FakeTelegram

pytestmark = [pytest.mark.postgres, pytest.mark.telegram]

ANA = 7713501  # reports P-1 (Bob supports it) and P-2 (nobody does), follows roads
BOB = 7713502
ANA_NAME = "Anastasia Quellwater"  # distinctive, so a search of the database finds only her
PHONE = "+34 600 917 233"


def named(update: dict[str, Any], name: str) -> dict[str, Any]:
    sender = update["message"]["from"] if "message" in update else update["callback_query"]["from"]
    sender["first_name"], sender["username"] = name, name.replace(" ", "_").lower()
    sender.pop("last_name", None)
    return update


def everything_stored(app: App) -> str:
    """Every column of every row of every table, as one text to search."""
    values: list[str] = []
    with app.database.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(select_columns(table)):
                values.extend(repr(value) for value in row)
    return "\n".join(values)


def names_id(text: str, identifier: int | str) -> bool:
    """Whether `text` holds this id as a whole number: a timestamp's microseconds (500905)
    must not count as a mention of 5009."""
    return re.search(rf"(?<!\d){re.escape(str(identifier))}(?!\d)", text) is not None


async def report(fake: FakeTelegram, user: int, name: str, description: str) -> dict[str, Any]:
    """A whole report by text and buttons; returns the "Thank you" message."""
    sent = await reply_to(fake, named(text_update("/start", user), name), user)
    if "I agree" in json.dumps(sent.get("reply_markup")):
        sent = await reply_to(fake, named(press(sent, "I agree", user), name), user)
    sent = await reply_to(fake, named(press(sent, "Explorer — report a problem you've noticed", user), name), user)
    sent = await reply_to(fake, named(text_update(description, user), name), user)
    sent = await reply_to(fake, named(press(sent, "Roads and pavements", user), name), user)
    sent = await reply_to(fake, named(text_update("Skip", user), name), user)  # where (a reply keyboard)
    sent = await reply_to(fake, named(text_update("Skip", user), name), user)  # photo
    sent = await reply_to(fake, named(press(sent, "My street", user), name), user)
    return await reply_to(fake, named(press(sent, "Confirm", user), name), user)


def test_mydata_sends_a_summary_and_a_json_document_with_everything_kept(app: App, fake: FakeTelegram) -> None:
    async def scenario() -> dict[str, Any]:
        async with serving(app):
            thanks = await report(fake, ANA, ANA_NAME, "The pavement on Quell Street is broken")
            assert thanks["text"].startswith("Thank you! Your report is P-1."), thanks["text"]
            summary = await reply_to(fake, named(text_update("/mydata", ANA), ANA_NAME), ANA)
            await asyncio.to_thread(fake.wait_until, lambda f: len(f.documents) == 1)
            return summary

    summary = asyncio.run(scenario())
    assert summary["text"].startswith("What we keep about you:\nName: Anastasia Quellwater\nLanguage: English")
    assert "Submissions: 1 · supports: 0" in summary["text"]
    document = fake.documents[0]
    assert document["chat_id"] == str(ANA) and document["filename"].endswith(".json")
    assert document["caption"] == "Everything we keep about you (JSON)."
    data = json.loads(document["content"])
    assert data["identities"] == [{"channel": "telegram", "user_id": str(ANA), "chat_id": str(ANA)}]
    assert data["name"] == ANA_NAME and data["role"] == "explorer" and data["consented_at"]
    assert data["language"] == "en" and data["language_set"] in ("detected", "from the app")
    [problem] = data["submissions"]
    assert problem["ref"] == "P-1" and problem["description"] == "The pavement on Quell Street is broken"
    assert [h["to"] for h in problem["history"]] == ["new"]
    assert {"subscriptions", "supports", "messages"} <= set(data)
    with Session(app.database) as session:  # the file went out; its copy in the outbox is gone
        assert not session.exec(select(OutboxMessage).where(OutboxMessage.document != None)).all()  # noqa: E711


def test_forget_leaves_nothing_that_names_the_person_and_they_come_back_as_someone_new(
    app: App, fake: FakeTelegram
) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with serving(app):
            await report(fake, ANA, ANA_NAME, "The pavement on Quell Street is broken")
            await report(fake, ANA, ANA_NAME, "Graffiti covers the railway bridge wall")
            await report(fake, BOB, "Bob", "A bin near the school is always full")
            asking = await reply_to(fake, named(text_update("/forget", ANA), ANA_NAME), ANA)
            farewell = await reply_to(fake, named(press(asking, "Forget me, keep my submissions", ANA), ANA_NAME), ANA)
            await asyncio.to_thread(fake.wait_until, lambda f: _outbox_empty_of_farewells(app))
            return asking, farewell

    asking, farewell = asyncio.run(scenario())
    assert "Your submissions (2) stay, as written by \"a resident\"" in asking["text"]
    assert farewell["text"].startswith("Done: I have forgotten you.")
    stored = everything_stored(app)
    for trace in (ANA_NAME, "anastasia", str(ANA)):
        assert trace not in stored, f"{trace!r} is still in the database"
    with Session(app.database) as session:
        assert len(session.exec(select(Problem)).all()) == 3  # her reports stay, anonymous
    # Writing again: a new person, asked to agree as anyone the first time.
    assert say(app, "/start", address=_telegram(ANA)).startswith("Hello! I'm cocreate")


def test_forget_can_also_delete_the_submissions_nobody_else_supports(app: App) -> None:
    ana, bob = _telegram(ANA), _telegram(BOB)
    for text in ("/start", "1", "1", "The pavement on Quell Street is broken", "1", "Skip", "Skip", "2", "1"):
        say(app, text, address=ana, display_name=ANA_NAME)
    for text in ("/menu", "1", "Graffiti covers the railway bridge wall", "1", "Skip", "Skip", "2", "1"):
        say(app, text, address=ana, display_name=ANA_NAME)
    with Session(app.database) as session, session.begin():
        bob_id = _citizen(session, bob, "Bob")
        session.add(Support(citizen_id=bob_id, kind="problem", target_id=1))  # Bob supports P-1 only
    asking = say(app, "/forget", address=ana)
    assert "Also delete the 1 nobody else supports" in _labels(app, ana)
    assert asking.endswith("Shall I forget you?")
    say(app, "2", address=ana)
    with Session(app.database) as session:
        assert [p.id for p in session.exec(select(Problem))] == [1]  # P-2 went with her; P-1 stays for Bob
    assert ANA_NAME not in everything_stored(app)


def test_a_cancelled_dialog_leaves_nothing_once_its_replies_are_delivered(app: App, tmp_path: Path) -> None:
    typed = ["1", "1", f"Call my neighbour on {PHONE} about the broken fence", "1", "Skip", "2", "/cancel"]
    printed = _terminal(app, "quentin", typed, tmp_path)
    assert PHONE in printed  # the summary echoed it back...
    assert "Cancelled — nothing from this dialog was saved." in printed
    assert PHONE not in everything_stored(app)  # ...and once delivered, it is kept nowhere


def test_mydata_in_the_terminal_writes_a_file_and_prints_its_path(app: App, tmp_path: Path) -> None:
    printed = _terminal(app, "quentin", ["1", "/mydata"], tmp_path / "exports")
    [written] = (tmp_path / "exports").glob("cocreate-mydata-*.json")
    assert f"Everything we keep about you (JSON).\n  {written.resolve()}" in printed
    assert json.loads(written.read_text())["identities"][0] == {"channel": "console", "user_id": "quentin", "chat_id": "quentin"}
    assert written.stat().st_mode & 0o077 == 0  # personal data: readable by its owner only


def test_staff_export_and_forget_someone_and_the_audit_keeps_the_row_not_the_identity(
    app: App, cocreate: Cocreate
) -> None:
    ana = _telegram(ANA)
    for text in ("/start", "1", "1", "The pavement on Quell Street is broken", "1", "Skip", "Skip", "2", "1"):
        say(app, text, address=ana, display_name=ANA_NAME)
    exported = cocreate("people", "export", f"telegram:{ANA}")
    assert exported.exit_code == 0 and json.loads(exported.stdout)["name"] == ANA_NAME
    assert cocreate("status", "P-1", "accepted").exit_code == 0
    assert cocreate("people", "block", f"telegram:{ANA}", "--reason", f"{ANA_NAME} posts other people's numbers").exit_code == 0
    refused = cocreate("people", "forget", f"telegram:{ANA}", stdin="n\n")
    assert refused.exit_code == 2 and "Nothing was deleted." in refused.stderr
    forgotten = cocreate("people", "forget", f"telegram:{ANA}", "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    assert ANA_NAME not in everything_stored(app) and str(ANA) not in everything_stored(app)
    listed = cocreate("audit", "--json").stdout.splitlines()
    actions = [json.loads(line)["action"] for line in listed]
    assert actions == ["forget", "block", "status", "export"]
    assert all(json.loads(line)["via"] == "cli" for line in listed)
    submitters = json.loads(cocreate("submissions", "--format", "json").stdout)
    assert submitters[0]["submitter"] == "a resident (forgotten)"
    unknown = cocreate("people", "forget", f"telegram:{ANA}", "--yes")
    assert unknown.exit_code == 2 and "Nobody is known as" in unknown.stderr


def test_retention_empties_old_texts_and_removes_people_who_never_agreed(app_factory: Any, clock: Any) -> None:
    clock.now = utc_now()  # people's rows are dated by the real clock when first seen
    app = app_factory(clock=clock, retention_days=30, flood_limit=2)
    ana = _telegram(ANA)
    for text in ("/start", "1"):
        say(app, text, address=ana, display_name=ANA_NAME)
    for _ in range(3):  # never agrees, and writes fast enough to be told to slow down
        say(app, "/start", address=_telegram(BOB))
    assert "slow down" in everything_stored(app)
    with Session(app.database) as session, session.begin():
        citizen = session.exec(select(Citizen).where(Citizen.channel_user_id == str(ANA))).one()
        session.add(OutboxMessage(channel="telegram", chat_id=str(ANA), user_id=str(ANA), citizen_id=citizen.id,
                                  text="P-1 is now accepted", kind="notification", status="sent", created_at=clock.now))  # fmt: skip
    job = app.scheduler.job_context()
    clock.now += timedelta(days=2)
    from bot.scheduling import jobs

    assert asyncio.run(jobs.apply_retention(job)) == (0, 1)  # Bob goes; Ana's news stays for now
    assert str(BOB) not in everything_stored(app)  # with the "slow down" queued to his address
    clock.now += timedelta(days=30)
    assert asyncio.run(jobs.apply_retention(job)) == (1, 0)
    assert "P-1 is now accepted" not in everything_stored(app)
    with Session(app.database) as session:
        assert [c.channel_user_id for c in session.exec(select(Citizen))] == [str(ANA)]


def _outbox_empty_of_farewells(app: App) -> bool:
    with Session(app.database) as session:
        return not session.exec(select(OutboxMessage).where(OutboxMessage.kind == "farewell")).all()


def _telegram(user: int) -> Any:
    from conversations.messages import Address

    return Address("telegram", str(user), str(user))


def _citizen(session: Session, address: Any, name: str) -> int:
    from storage import citizens

    citizen, _ = citizens.person_for(session, address=address)
    citizen.display_name = name
    assert citizen.id is not None
    return citizen.id


def _labels(app: App, address: Any) -> str:
    with Session(app.database) as session:
        newest = session.exec(
            select(OutboxMessage).where(OutboxMessage.chat_id == address.chat_id).order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
        ).first()
        return json.dumps(newest.choices if newest else [], ensure_ascii=False)


def _terminal(app: App, name: str, typed: list[str], exports: Path) -> str:
    stdin = io.StringIO("".join(f"{line}\n" for line in typed))
    stdout = io.StringIO()
    asyncio.run(chat(app.channel_hooks(), name=name, stdin=stdin, stdout=stdout, export_dir=exports))
    return stdout.getvalue()


@pytest.mark.parametrize(
    ("language", "kept", "who"),
    [
        ("en", "after 30 days", "Who sees it"),
        ("es", "a los 30 días", "Quién lo ve"),
        ("fr", "après 30 jours", "Qui le voit"),
        ("de", "nach 30 Tagen", "Wer es sieht"),
        ("pt", "após 30 dias", "Quem vê"),
    ],
)
def test_privacy_says_what_is_kept_how_long_who_sees_it_and_how_to_get_or_delete_it(
    app_factory: Any, fake: FakeTelegram, language: str, kept: str, who: str
) -> None:
    app = app_factory(retention_days=30)

    async def scenario() -> tuple[str, str]:
        async with serving(app):
            privacy = await reply_to(fake, text_update("/privacy", ANA, language=language), ANA)
            consent = await reply_to(fake, text_update("/start", BOB, language=language), BOB)
            more = [b for row in consent["reply_markup"]["inline_keyboard"] for b in row][1]  # "Tell me more"
            told = await reply_to(fake, press(consent, more["text"], BOB, language=language), BOB)
            return privacy["text"], told["text"]

    for text in asyncio.run(scenario()):
        assert kept in text and who in text, text
        assert "/mydata" in text and "/forget" in text
