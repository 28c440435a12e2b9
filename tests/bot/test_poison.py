"""Poison input never wedges a person or the process.

An update that fails inside its transaction (here: a trigger in the database refuses the
step, as a bug or bad data would) is rolled back, tried a few times at once, and then the
person gets an apology in their language, their dialog is still at its last question, and
the update is recorded as processed. It never holds up other people's updates. Text that
cannot be encoded (lone surrogates) gets the usual "control characters" answer."""

from __future__ import annotations

import asyncio
import copy
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from adapters import slack
from bot.app import App
from bot.channels import terminal_chat
from bot.channels.telegram_channel import MAX_FAILURES, TelegramChannel
from bot.outbound.ratelimit import UNLIMITED
from conversations.messages import Inbound
from storage.models import Conversation, ProcessedEvent
from tests.bot.test_bad_day import RecordedWaits, serving
from tests.bot.test_telegram_channel import press, reply_to, text_update
from tests.conftest import UNSET, AppFactory, Cocreate
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]

ALICE, BOB = 111111, 222222
DESCRIPTION = "El banco del parque lleva semanas roto"
APOLOGY_ES = "Lo siento: algo falló por nuestra parte con tu último mensaje y no pude usarlo."
CONTROL_CHARACTERS = "Your message contains invisible control characters. Please type it again."
pytestmark = pytest.mark.telegram


def poison(database: Engine) -> None:
    """From now on, saving any conversation that reaches the category question fails."""
    with database.begin() as connection:
        if database.dialect.name == "sqlite":
            connection.execute(text(
                "CREATE TRIGGER poison BEFORE UPDATE ON conversation WHEN NEW.state LIKE '%explorer.category%' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
            ))  # fmt: skip
        else:
            connection.execute(text(
                "CREATE FUNCTION poisoned() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.state::text LIKE '%explorer.category%' THEN RAISE EXCEPTION 'poisoned'; END IF; "
                "RETURN NEW; END $$"
            ))  # fmt: skip
            connection.execute(text("CREATE TRIGGER poison BEFORE UPDATE ON conversation FOR EACH ROW EXECUTE FUNCTION poisoned()"))


def cure(database: Engine) -> None:
    with database.begin() as connection:
        connection.execute(text("DROP TRIGGER poison" if database.dialect.name == "sqlite" else "DROP TRIGGER poison ON conversation"))


async def to_the_description(fake: FakeTelegram) -> None:
    """Bob, whose app is in Spanish, agrees and chooses Explorer: asked for the problem."""
    consent = await reply_to(fake, text_update("/start", BOB, "es"), BOB)
    roles = await reply_to(fake, press(consent, "Acepto", BOB, "es"), BOB)
    ask = await reply_to(fake, press(roles, "Exploradora/or: informar de un problema que has visto", BOB, "es"), BOB)
    assert ask["text"].startswith("¿Cuál es el problema?")


def step_of(database: Engine) -> list[str | None]:
    with Session(database) as session:
        return [c.state.get("step") for c in session.exec(select(Conversation))]


@pytest.mark.postgres
def test_a_failing_update_gets_an_apology_keeps_the_question_and_holds_nobody_up(app: App, fake: FakeTelegram) -> None:
    waits = RecordedWaits()

    async def scenario() -> None:
        async with serving(app, waits):
            await to_the_description(fake)
        poison(app.database)
        # One batch: Bob's message that cannot be handled, and Alice's /start.
        poisoned = fake.push(text_update(DESCRIPTION, BOB, "es"))
        fake.push(text_update("/start", ALICE))
        async with serving(app, waits) as channel:
            channel.retry_delay = 3600  # were a failing update waited for, this test would time out
            await asyncio.to_thread(fake.wait_for_messages, 1, ALICE)
            apology = (await asyncio.to_thread(fake.wait_for_messages, 4, BOB))[3]
            assert apology["text"].startswith(APOLOGY_ES)
            cure(app.database)
            # The dialog is where it was: the same answer now moves it on.
            again = await reply_to(fake, text_update(DESCRIPTION, BOB, "es"), BOB)
            assert again["text"].startswith("¿Qué categoría encaja mejor?")
        with Session(app.database) as session:
            processed = session.exec(select(ProcessedEvent).where(ProcessedEvent.event_id == str(poisoned))).all()
        assert len(processed) == 1

    asyncio.run(scenario())
    assert waits.waits == []  # nobody waited: the failing update was tried again at once
    assert fake.sent(ALICE)[0]["text"].startswith("Hello!")
    assert len(fake.sent(BOB)) == 5


@pytest.mark.postgres  # on PostgreSQL webhook updates go through bot/inbound/ordering.py
def test_webhook_mode_gives_up_after_the_same_tries_with_an_apology(
    app_factory: AppFactory, fake: FakeTelegram, unused_port: int
) -> None:
    app = app_factory(
        telegram_webhook_url="https://bot.example.org/tg-hook", telegram_webhook_secret="s3cret-Token",
        telegram_webhook_port=unused_port,
    )  # fmt: skip
    url = f"http://127.0.0.1:{unused_port}/tg-hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token"}
    statuses: list[int] = []

    async def post(client: httpx.AsyncClient, update: dict[str, Any]) -> int:
        return (await client.post(url, json=update, headers=headers)).status_code

    async def scenario() -> None:
        # Unlimited: at Telegram's pace of a message a second per chat, its four would wait 3 s.
        channel = TelegramChannel.build(app.settings, app.channel_hooks(), limits=UNLIMITED)
        await channel.start()
        tasks = [asyncio.create_task(channel.serve_webhook()), asyncio.create_task(channel.worker.run())]
        await asyncio.to_thread(fake.wait_until, lambda f: bool(f.calls_of("setWebhook")))
        async with httpx.AsyncClient(timeout=60) as client:  # a loaded machine answers slowly
            await post(client, {**text_update("/start", BOB, "es"), "update_id": 800_000})
            await asyncio.to_thread(fake.wait_for_messages, 1, BOB)
            consent = fake.sent(BOB)[0]
            await post(client, {**press(consent, "Acepto", BOB, "es"), "update_id": 800_010})
            roles = (await asyncio.to_thread(fake.wait_for_messages, 2, BOB))[1]
            explorer = press(roles, "Exploradora/or: informar de un problema que has visto", BOB, "es")
            await post(client, {**explorer, "update_id": 800_020})
            await asyncio.to_thread(fake.wait_for_messages, 3, BOB)
            poison(app.database)
            poisoned = {**text_update(DESCRIPTION, BOB, "es"), "update_id": 800_030}
            for _ in range(MAX_FAILURES + 1):  # Telegram delivers it again after each 500
                statuses.append(await post(client, poisoned))
            await asyncio.to_thread(fake.wait_for_messages, 4, BOB)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await channel.stop()

    asyncio.run(scenario())
    assert statuses == [500] * (MAX_FAILURES - 1) + [200, 200]  # then it is processed: no more tries
    texts = [m["text"] for m in fake.sent(BOB)]
    assert len(texts) == 4 and texts[3].startswith(APOLOGY_ES)


@pytest.mark.postgres
def test_a_lone_surrogate_in_a_telegram_message_gets_the_control_characters_answer(app: App, fake: FakeTelegram) -> None:
    broken_name = copy.deepcopy(text_update("/start"))
    broken_name["message"]["from"]["first_name"] = "Ana\ud800"

    async def scenario() -> None:
        async with serving(app, RecordedWaits()):
            consent = await reply_to(fake, broken_name)
            roles = await reply_to(fake, press(consent, "I agree"))
            ask = await reply_to(fake, press(roles, "Explorer — report a problem you've noticed"))
            refused = await reply_to(fake, text_update("The fountain \ud800 in the park is broken"))
            assert refused["text"].startswith(CONTROL_CHARACTERS)
            assert refused["text"].endswith(ask["text"])  # the same question again
            categories = await reply_to(fake, text_update("The fountain in the park is broken"))
            assert categories["text"].startswith("Which category")

    asyncio.run(scenario())
    assert step_of(app.database) == ["explorer.category"]


def test_slack_text_with_a_lone_surrogate_is_marked_for_refusal() -> None:
    body = fixture_slack_message()
    body["event"]["text"] = "broken \udc80 text"
    inbound = slack.to_inbound(body)
    assert isinstance(inbound, Inbound) and inbound.text == "broken \x1a text"  # a control character: refused


def fixture_slack_message() -> dict[str, Any]:
    return {
        "event_id": "Ev1", "type": "event_callback",
        "event": {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "hello", "ts": "1.0"},
    }  # fmt: skip


def test_bytes_that_are_not_utf8_in_the_terminal_are_refused_and_the_chat_goes_on(
    tmp_path: Path, sqlite_url: str, app_factory: AppFactory
) -> None:
    typed = b"1\n1\n\xff\xfe The bus shelter roof is broken\nThe bus shelter on Park Road has no roof\n"
    # A terminal whose stdin decodes strictly (a UTF-8 locale): `cocreate chat` reads on.
    first = _chat(tmp_path, sqlite_url, typed, "utf-8:strict")
    assert first.returncode == 0 and b"Traceback" not in first.stderr, first.stderr
    out = first.stdout.decode()
    assert CONTROL_CHARACTERS in out and "Which category fits best?" in out
    # And every later start works, with what was said kept (the C locale: surrogateescape).
    app = app_factory()
    stdin = io.TextIOWrapper(io.BytesIO(b"\xff\n"), encoding="utf-8", errors="surrogateescape")
    stdout = io.StringIO()
    asyncio.run(terminal_chat.chat(app.channel_hooks(), name="ana", stdin=stdin, stdout=stdout))
    assert "Welcome back" in stdout.getvalue() and CONTROL_CHARACTERS in stdout.getvalue()


def _chat(tmp_path: Path, database_url: str, stdin: bytes, decoding: str) -> subprocess.CompletedProcess[bytes]:
    """A real `cocreate chat` process (how its stdin decodes is what is tested), bytes in."""
    environment = {k: v for k, v in os.environ.items() if k not in UNSET}
    environment.update(DATABASE_URL=database_url, PYTHONPATH=str(ROOT), PYTHONIOENCODING=decoding)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--as", "ana"], input=stdin, capture_output=True, cwd=tmp_path,
        env=environment, timeout=60,
        check=False,
    )


def test_an_unusable_database_ends_the_chat_with_one_line(sqlite_url: str, cocreate: Cocreate) -> None:
    Path(sqlite_url.removeprefix("sqlite:///")).write_bytes(b"this is not a database " * 20)
    result = cocreate("chat", "--as", "ana", stdin="1\n")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Cannot use the database (DATABASE_URL): DatabaseError: file is not a database"
