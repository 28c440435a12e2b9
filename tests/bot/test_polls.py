"""Polls: staff send one with the real CLI (in-process); people answer in the terminal chat
(a letter or the label of the poll's buttons), change their answer, write "Other"; staff
read the results; the scheduler's job closes the poll and everyone who answered hears the
results in their language, their area's figures only where 5 or more of it answered."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.app import App, utc_now
from bot.scheduling import jobs
from conversations.buttons import PollAnswer, encode
from conversations.messages import Address, Inbound
from storage.models import AuditEntry, Citizen, OutboxMessage
from storage.poll_models import Poll, PollResponse
from tests.conftest import AppFactory, Clock, Cocreate
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


def test_staff_compose_a_poll_in_the_chat_and_it_goes_out_like_a_broadcast(app_factory: AppFactory) -> None:
    app = app_factory(staff=("console:boss",))
    follower(app, "ana", "Centro")
    run_chat(app, "boss", ["1"])  # agrees
    typed = ["/broadcast", "Ask a question instead", QUESTION, "Yes; No; yes", "Yes; No", "1", "2",
             "We decide in May.", "1", "1"]  # fmt: skip
    said = run_chat(app, "boss", typed)
    assert "1) Ask a question instead" in said and "What is the question?" in said
    assert "Please send 2 to 10 different options" in said  # "Yes" twice
    assert "This poll goes to All diffusers: 1 recipients, open until" in said and "• Other" in said
    assert "Queued poll B-1 for 1 recipients." in said
    with Session(app.database) as session:
        poll = session.exec(select(Poll)).one()
        assert (poll.options, poll.other, poll.outcome) == ([{"en": "Yes"}, {"en": "No"}], True, {"en": "We decide in May."})
        assert poll.closes_at - app.clock() == timedelta(days=3)
        audited = session.exec(select(AuditEntry.actor, AuditEntry.via).where(AuditEntry.action == "poll")).all()
    assert audited == [("console:boss", "chat")]
    assert "a) Yes" in run_chat(app, "ana", [])
    assert "What is the question?" in run_chat(app, "boss", ["/poll"])  # straight to it


def test_a_press_counts_only_for_a_poll_sent_to_the_person(app: App, cocreate: Cocreate, clock: Clock) -> None:
    clock.now = utc_now() - timedelta(minutes=5)
    follower(app, "ana", "Centro")
    run_chat(app, "bob", ["1"])  # agreed, follows nothing: not sent the poll
    poll = send_poll(app, cocreate, clock)
    forged = app.service.handle(Inbound(Address("console", "bob", "bob"), "forged-1",
                                        choice=encode(PollAnswer(poll.broadcast_id, 0))))  # fmt: skip
    assert forged.replies[0].text.startswith("Sorry, I can't find that poll")
    missing = app.service.handle(Inbound(Address("console", "ana", "ana"), "missing-1",
                                         choice=encode(PollAnswer(poll.broadcast_id + 1, 0))))  # fmt: skip
    assert missing.replies[0].text.startswith("Sorry, I can't find that poll")
    with Session(app.database) as session:
        assert session.exec(select(PollResponse)).all() == []


def test_poll_commands_say_what_is_wrong_in_one_line(app: App, cocreate: Cocreate, tmp_path: Path) -> None:
    follower(app, "ana", "Centro")
    cases = {
        ("poll", "Q?", "--option", "Only one", "--yes"): "a poll needs 2 to 10 options in en; it has 1",
        ("poll", "--option", "A", "--option", "B", "--yes"): "a question in the default language (en) is needed",
        ("poll", "Q?", "--option", "A", "--option", "a", "--yes"): "two en options read the same",
        ("poll", "Q?", "--option", "A", "--option", "B", "--option-text", "es=Sí", "--yes"): "es has 1 options",
        ("poll", "Q?", "--option", "A", "--option", "B", "--text", "xx=Q", "--yes"): "xx is not in LANGUAGES",
        ("poll", "Q?", "--option", "A", "--option", "B", "--closes", "soon", "--yes"): "--closes: 'soon' is not a duration",
        ("poll", "Q?", "--option", "A", "--option", "B", "--closes", "400d", "--yes"): "between 1 minute and 365 days",
        ("poll", "Q?", "--option", "A", "--option", "B", "--topic", "nope", "--yes"): "--topic 'nope' is unknown",
        ("polls", "X-1"): "'X-1' is not a poll ID",
        ("polls", "7"): "There is no poll B-7",
        ("polls", "--close"): "need a poll ID",
        ("poll", "Q?", "--option", "A", "--option", "B", "--then-text", "es=Sí", "--yes"): "needs the default language (en)",
    }
    for args, message in cases.items():
        result = cocreate(*args)
        assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1, (args, result.output)
    texts = tmp_path / "poll.txt"
    texts.write_text("[en]\nquestion: Q?\noption: A\nsurprise: B\n", encoding="utf-8")
    from_file = cocreate("poll", "--texts", str(texts), "--yes")
    assert from_file.exit_code == 2 and "line 4 is not question:, option: or then:" in from_file.output


def test_a_texts_file_gives_every_language_and_the_line_can_come_later(
    app: App, cocreate: Cocreate, clock: Clock, tmp_path: Path
) -> None:
    clock.now = utc_now() - timedelta(minutes=5)
    for n in range(5):
        follower(app, f"p{n}", "Centro")
    texts = tmp_path / "poll.txt"
    texts.write_text(
        "[en]\nquestion: More benches in the park?\noption: Yes\noption: No\n"
        "[fr]\nquestion: Plus de bancs au parc ?\noption: Oui\noption: Non\n", encoding="utf-8",
    )  # fmt: skip
    sent = cocreate("poll", "--texts", str(texts), "--closes", "1h", "--yes")
    assert sent.exit_code == 0 and "Queued poll B-1 for 5 recipients" in sent.output, sent.output
    clock.now = utc_now() + timedelta(seconds=1)
    for n in range(5):
        run_chat(app, f"p{n}", ["a"])
    clock.now += timedelta(hours=2)
    assert close_polls(app) == 0  # closed, but the results wait for the staff line
    assert "closed, results wait for the line (--then)" in cocreate("polls", "1").output
    only_french = cocreate("polls", "1", "--then-text", "fr=Dix bancs au printemps.")
    assert only_french.exit_code == 2 and "needs the default language (en)" in only_french.output
    late = cocreate("polls", "1", "--then", "Ten new benches in spring.", "--then-text", "fr=Dix bancs au printemps.")
    assert late.exit_code == 0 and "results queued for 5 people" in late.output, late.output
    assert "Yes: 100% (5)" in results_to(app, "p0")[0] and "Ten new benches in spring." in results_to(app, "p0")[0]
    again = cocreate("polls", "1", "--then", "Something else.")
    assert cocreate("polls", "1", "--then-text", "fr=Autre chose.").exit_code == 2
    assert again.exit_code == 2 and "went out already" in again.output


def test_a_persons_answers_are_in_their_data_and_go_when_they_are_forgotten(
    app: App, cocreate: Cocreate, clock: Clock
) -> None:
    clock.now = utc_now() - timedelta(minutes=5)
    follower(app, "ana", "Centro")
    poll = send_poll(app, cocreate, clock)
    run_chat(app, "ana", ["c", "On Sunday mornings only"])
    exported = cocreate("people", "export", "console:ana")
    assert exported.exit_code == 0 and f'"poll": "B-{poll.broadcast_id}"' in exported.output
    assert '"other": "On Sunday mornings only"' in exported.output and '"area": "Centro"' in exported.output
    assert cocreate("people", "forget", "console:ana", "--yes").exit_code == 0
    with Session(app.database) as session:
        assert session.exec(select(PollResponse)).all() == []


def test_a_poll_message_still_waiting_when_the_poll_closes_is_not_sent(app: App, cocreate: Cocreate, clock: Clock) -> None:
    clock.now = utc_now() - timedelta(minutes=5)
    follower(app, "ana", "Centro")
    poll = send_poll(app, cocreate, clock, "--then", "We decide in May.")
    clock.now = poll.closes_at + timedelta(minutes=1)  # ana never opened the chat: the poll is still queued for her
    assert close_polls(app) == 0  # nobody answered
    with Session(app.database) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.broadcast_id == poll.broadcast_id)).one()
        closed = session.get(Poll, poll.broadcast_id)
    assert (row.status, row.last_error) == ("blocked", "the poll closed before it was sent")
    assert closed is not None and closed.closed_at is not None and closed.results_sent_at is not None
    assert QUESTION not in run_chat(app, "ana", [])
