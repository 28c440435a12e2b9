"""The conversation service on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import Session, func, select

from bot.app import App
from conversations.messages import Address, Inbound, Location, Photo
from storage.models import Citizen, Conversation, OutboxMessage, Problem, ProcessedEvent
from storage.submissions import details, history
from tests.conftest import AppFactory

pytestmark = pytest.mark.postgres
ANA = Address("telegram", "5001", "5001")
_ids = itertools.count(1)


def say(app: App, text: str | None = None, *, address: Address = ANA, event_id: str | None = None, **fields) -> str:
    """Send one inbound event; return the newest reply text queued for that person."""
    inbound = Inbound(address, event_id or f"evt-{next(_ids)}", text=text, **fields)
    app.service.handle(inbound)
    with Session(app.database) as session:
        statement = select(OutboxMessage).where(OutboxMessage.chat_id == address.chat_id).order_by(OutboxMessage.id.desc())
        newest = session.exec(statement).first()
        return newest.text if newest else ""


def count(app: App, table) -> int:
    with Session(app.database) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def report_problem(app: App, address: Address = ANA) -> str:
    for text in ("/start", "1", "1", "Broken swing in Elm Park playground", "4", "Skip", "Skip", "2"):
        say(app, text, address=address, display_name="Ana")
    return say(app, "1", address=address)


def test_a_report_is_stored_with_its_reference_and_the_reply_is_queued(app: App) -> None:
    reply = report_problem(app)
    assert reply.startswith("Thank you! Your report is P-1.")
    with Session(app.database) as session:
        problem = session.exec(select(Problem)).one()
        assert (problem.category, problem.status, problem.affected) == ("parks", "new", "street")
        assert {m.status for m in session.exec(select(OutboxMessage))} == {"pending"}


def test_a_repeated_event_is_processed_once(app: App) -> None:
    say(app, "/start", event_id="update-1")
    before = count(app, OutboxMessage)
    app.service.handle(Inbound(ANA, "update-1", text="/start"))
    result = app.service.handle(Inbound(ANA, "update-1", text="/start"))
    assert result.duplicate
    assert count(app, OutboxMessage) == before
    assert count(app, ProcessedEvent) == 1


def test_nothing_about_a_person_but_channel_ids_is_stored_before_they_agree(app: App) -> None:
    say(app, "Hi, I am Ana from Elm Street 4", display_name="Ana Smith")
    say(app, "Tell me more", display_name="Ana Smith")
    with Session(app.database) as session:
        citizen = session.exec(select(Citizen)).one()
        # The chat id and the language they write in only, as the privacy notice says.
        assert (citizen.display_name, citizen.role, citizen.consented_at) == (None, None, None)
        assert citizen.language in (None, "en")
        conversation = session.exec(select(Conversation)).one()
        assert "Elm Street" not in str(conversation.state)
    say(app, "I agree", display_name="Ana Smith")
    with Session(app.database) as session:
        citizen = session.exec(select(Citizen)).one()
        assert citizen.display_name == "Ana Smith" and citizen.consented_at is not None


def test_a_restart_continues_the_dialog_where_it_was(app_factory: AppFactory) -> None:
    first = app_factory()
    for text in ("/start", "1", "1", "Overflowing bins behind the market"):
        say(first, text)
    first.close()

    second = app_factory()
    reply = say(second, "/start")
    assert reply.startswith("Welcome back — we were here:")
    assert "Which category fits best?" in reply
    say(second, "Waste and cleanliness")
    say(second, "Skip")  # where
    say(second, "Skip")  # photo (Telegram can send one)
    say(second, "The whole city")
    assert say(second, "Confirm").startswith("Thank you! Your report is P-1.")


def test_a_similar_report_is_offered_as_a_duplicate_and_support_is_counted(app: App) -> None:
    report_problem(app)
    bob = Address("telegram", "5002", "5002")
    for text in ("/start", "1", "1", "The swing in Elm Park playground is broken", "4", "Skip", "Skip", "2"):
        say(app, text, address=bob)
    offer = say(app, "Confirm", address=bob)
    assert "P-1 — Broken swing in Elm Park playground" in offer
    assert say(app, "1", address=bob).startswith("Thank you — you now support P-1.")
    assert count(app, Problem) == 1
    with Session(app.database) as session:
        from storage.submissions import summary_of

        assert summary_of(session, kind="problem", id=1).supporters == 1


def test_what_a_supporter_had_given_goes_into_the_history_of_the_problem_they_support(app: App) -> None:
    report_problem(app)
    bob = Address("telegram", "5002", "5002")
    for text in ("/start", "1", "1", "The swing in Elm Park playground is broken, the chain hangs loose", "4"):
        say(app, text, address=bob)
    say(app, address=bob, location=Location(41.38702, 2.17004))
    say(app, address=bob, photo=Photo("AgACAgQAAxkBAAIB", 48213))
    say(app, "2", address=bob)
    assert "P-1 — Broken swing in Elm Park playground" in say(app, "Confirm", address=bob)
    assert say(app, "1", address=bob).startswith("Thank you — you now support P-1.")
    with Session(app.database) as session:
        problem = session.exec(select(Problem)).one()
        found = details(session, kind="problem", id_=problem.id)
    assert found is not None and found.summary.status == "new"  # the stage does not move
    last = found.history[-1]
    assert (last.from_status, last.to_status, last.by) == ("new", "new", "telegram:5002")  # who, as staff read it
    assert last.note == (
        "Supporter added: The swing in Elm Park playground is broken, the chain hangs loose; "
        "location: 41.38702, 2.17004; photo: AgACAgQAAxkBAAIB"
    )
    assert count(app, Problem) == 1


def test_a_supporters_typed_place_is_kept_and_a_long_sentence_is_cut_to_fit(app: App) -> None:
    report_problem(app)
    bob = Address("console", "bob", "bob")
    words = "The swing in Elm Park playground is broken " + "and the chain hangs loose " * 90
    for text in ("/start", "1", "1", words.strip()[:1990], "4", "By the pond, Elm Park", "2"):
        say(app, text, address=bob)
    assert "P-1" in say(app, "Confirm", address=bob)
    say(app, "1", address=bob)
    with Session(app.database) as session:
        note = history(session, kind="problem", target_id=1)[-1].note
    assert note is not None and len(note) <= 2000
    assert note.startswith("Supporter added: The swing in Elm Park") and note.endswith("…; place: By the pond, Elm Park")


@pytest.mark.parametrize("answer", ["/my", "/help", "/privacy"])
def test_information_commands_repeat_the_current_question(app: App, answer: str) -> None:
    for text in ("/start", "1", "1"):
        say(app, text)
    reply = say(app, answer)
    assert reply.endswith("What is the problem? Describe it in a few sentences (at least 10 characters).")


@pytest.mark.parametrize("seed", range(4))
def test_random_conversations_through_the_database_always_get_an_answer(app_factory: AppFactory, seed: int) -> None:
    """Several people at once, random texts, commands and presses (current, stale, forged):
    every event is answered and nothing raises, effects and receipts included (in one
    instant of the test's clock: no flood limit, no daily limit)."""
    import random

    app = app_factory(flood_limit=0, submissions_per_day=0)

    from tests.conversations.test_robustness import INPUTS

    rng = random.Random(seed)
    people = [Address("telegram", str(6000 + n), str(6000 + n)) for n in range(4)]
    last_buttons: dict[Address, list[str]] = {person: [] for person in people}
    for _ in range(250):
        person = rng.choice(people)
        if last_buttons[person] and rng.random() < 0.45:
            handled = app.service.handle(Inbound(person, f"e{next(_ids)}", choice=rng.choice(last_buttons[person])))
        else:
            handled = app.service.handle(Inbound(person, f"e{next(_ids)}", text=rng.choice(INPUTS), display_name="P"))
        assert handled.replies, "every event gets an answer"
        last_buttons[person] = [c.value for c in handled.replies[-1].choices] or last_buttons[person]
