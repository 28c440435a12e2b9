"""Polls: staff send one with the real CLI (in-process); people answer in the terminal chat
(a letter or the label of the poll's buttons), change their answer, write "Other"; staff
read the results; the scheduler's job closes the poll and everyone who answered hears the
results in their language, their area's figures only where 5 or more of it answered."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.app import App, utc_now
from bot.scheduling import jobs
from conversations.buttons import PollAnswer, encode
from conversations.messages import Address, Inbound
from storage import polls
from storage.models import AuditEntry, Citizen, OutboxMessage
from storage.poll_models import Poll, PollResponse
from tests.conftest import Clock, Cocreate
from tests.transcript import run_chat

# agree, Diffuser, Street lighting, Done; then the area is typed, then Confirm
LIGHTING = ["1", "4", "2", "8"]
QUESTION = "Should the Saturday market move to Sundays?"


def follower(app: App, name: str, area: str, *, language: str | None = None) -> None:
    run_chat(app, name, [*(["/language", language] if language else []), *LIGHTING, area, "1"])


def send_poll(app: App, cocreate: Cocreate, clock: Clock, *extra: str) -> Poll:
    """The poll through the CLI (which uses the real time); the app's clock then moves just past it."""
    sent = cocreate("poll", QUESTION, "--option", "Yes", "--option", "No", "--other", "--closes", "3d", "--yes", *extra)
    assert sent.exit_code == 0, sent.output
    clock.now = utc_now() + timedelta(seconds=1)
    with Session(app.database) as session:
        return session.exec(select(Poll)).one()


def close_polls(app: App) -> int:
    return asyncio.run(jobs.close_polls(app.scheduler.job_context()))


def results_to(app: App, name: str) -> list[str]:
    """The results this person was sent: notifications without buttons (an answer's
    confirmation carries the poll's)."""
    with Session(app.database) as session:
        rows = session.exec(
            select(OutboxMessage.text, OutboxMessage.choices)
            .join(Citizen, Citizen.id == OutboxMessage.citizen_id)  # type: ignore[arg-type]
            .where(Citizen.channel_user_id == name, OutboxMessage.kind == "notification")
        ).all()
    return [text for text, choices in rows if not choices]


@pytest.mark.postgres
def test_a_poll_answered_changed_and_closed_sends_each_answerer_the_results(
    app: App, cocreate: Cocreate, clock: Clock
) -> None:
    clock.now = utc_now() - timedelta(minutes=5)
    for n in range(5):
        follower(app, f"north{n}", "Peñarol Norte")
    follower(app, "south", "Centro", language="2")  # Español
    poll = send_poll(app, cocreate, clock, "--then", "The council decides in May with your answers.",
                     "--then-text", "es=El concejo decide en mayo con sus respuestas.",
                     "--option-text", "es=Sí", "--option-text", "es=No", "--text", "es=¿Pasamos el mercado al domingo?")

    first = run_chat(app, "north0", ["a", "b"])  # Yes, then changed to No, on the confirmation's buttons
    assert QUESTION in first and "a) Yes" in first and "c) Other" in first
    assert "Thank you! Your answer: Yes." in first and "Changed — your answer is now: No." in first
    for n in range(1, 4):
        run_chat(app, f"north{n}", ["yes"])  # typing the label of the latest notice's button
    other = run_chat(app, "north4", ["c", "Every other Sunday"])
    assert "What would you answer?" in other and "Thank you! Your answer: Every other Sunday." in other
    spanish = run_chat(app, "south", ["b"])
    assert "¿Pasamos el mercado al domingo?" in spanish and "¡Gracias! Tu respuesta: No." in spanish

    with Session(app.database) as session:
        answers = session.exec(select(PollResponse.option, PollResponse.language, PollResponse.area)).all()
    assert sorted(answers, key=str) == sorted(
        [(1, "en", "Peñarol Norte"), (0, "en", "Peñarol Norte"), (0, "en", "Peñarol Norte"), (0, "en", "Peñarol Norte"),
         (None, "en", "Peñarol Norte"), (1, "es", "Centro")], key=str,
    )  # one row each: north0's change replaced their first answer

    live = cocreate("polls", str(poll.broadcast_id))
    assert live.exit_code == 0, live.output
    assert "6 people answered" in live.output and "Every other Sunday" in live.output
    assert "Peñarol Norte" in live.output and "Centro" in live.output and "fewer than 5" in live.output
    assert "50%" in live.output  # Yes: 3 of 6

    assert close_polls(app) == 0  # not yet due
    clock.now = poll.closes_at + timedelta(minutes=1)
    assert close_polls(app) == 6
    assert close_polls(app) == 0  # once

    north = results_to(app, "north1")
    assert len(north) == 1 and "6 people answered" in north[0] and "Yes: 50% (3)" in north[0]
    assert "In Peñarol Norte (5 people):" in north[0] and "Yes: 60% (3)" in north[0]
    assert "The council decides in May" in north[0]
    (south,) = results_to(app, "south") or [""]
    assert "Respondieron 6 personas" in south and "El concejo decide en mayo" in south
    assert "Sí: 50 % (3)" in south and "Centro" not in south  # one person in Centro: no figures of theirs

    late = run_chat(app, "north2", ["/start"])
    closed = app.service.handle(Inbound(Address("console", "north2", "north2"), "late-1",
                                        choice=encode(PollAnswer(poll.broadcast_id, 1))))  # fmt: skip
    assert "this poll has closed" in closed.replies[0].text and late
    with Session(app.database) as session:
        assert session.exec(select(AuditEntry.action).where(AuditEntry.action == "poll")).all() == ["poll"]
