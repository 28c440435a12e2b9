"""Polls in the staff console: the list, a poll's live results (never a group of fewer than
5 people), the "Other" texts escaped, and the line on what the city will do, which sends the
results of a closed poll waiting for it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.app import App
from bot.operations import polling
from conversations.messages import Address
from storage import citizens, polls
from storage.broadcasts import Audience
from storage.models import AuditEntry, OutboxMessage
from storage.poll_models import Poll
from tests.conftest import Clock
from tests.web.support import once_of, visible_text
from tests.web.test_console_pages import staff_session

pytestmark = pytest.mark.postgres
XSS = "<script>alert(1)</script> on Sundays"


def poll_with_answers(app: App) -> Poll:
    """Six followers (five in Centro, one in Peñarol) answered: Yes 3, No 2, Other 1."""
    with Session(app.database, expire_on_commit=False) as session, session.begin():
        people = []
        for n, area in enumerate(["Centro"] * 5 + ["Peñarol"]):
            person = citizens.citizen_for(session, address=Address("telegram", str(500 + n), str(500 + n)))
            person.language, person.consented_at = "en", app.clock()
            session.add(person)
            session.flush()
            citizens.subscribe(session, citizen_id=person.id, topics=("roads",), area=area)
            people.append((person.id, area))
        texts = polling.PollTexts({"en": "Move the market?"}, {"en": ["Yes", "No"]})
        poll = polling.queue(
            session, texts=texts, other=True, closes_at=app.clock() + timedelta(days=1), audience=Audience(),
            created_by="test", now=app.clock(), catalogs=app.catalogs, settings=app.service.settings,
            zone=app.settings.zone, via="cli",
        )  # fmt: skip
        for (citizen_id, area), option in zip(people, [0, 0, 1, None, 1, 0]):
            polls.record_response(session, poll_id=poll.broadcast_id, citizen_id=citizen_id, option=option,
                                  other_text=XSS if option is None else None, language="en", area=area, now=app.clock())  # fmt: skip
        return poll


def test_staff_see_live_results_and_give_the_line_that_sends_them(app: App, clock: Clock) -> None:
    poll = poll_with_answers(app)
    listed, page = staff_session(app, ("GET", "/polls", None), ("GET", f"/polls/{poll.broadcast_id}", None))
    assert "B-1" in visible_text(listed.text) and "Move the market?" in visible_text(listed.text)
    shown = visible_text(page.text)
    assert "6 people answered." in shown and "3 (50 %)" in shown
    assert "Centro 5 2 (40 %) 2 (40 %) 1 (20 %)" in shown and "Peñarol fewer than 5" in shown
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text

    clock.now += timedelta(days=2)
    closed, = staff_session(app, ("POST", f"/polls/{poll.broadcast_id}/close", {}))
    assert closed.status_code == 303
    with Session(app.database) as session:
        assert session.get(Poll, poll.broadcast_id).closed_at is not None  # type: ignore[union-attr]
    empty, given = staff_session(
        app, ("POST", f"/polls/{poll.broadcast_id}/outcome", {"outcome": " "}),
        ("POST", f"/polls/{poll.broadcast_id}/outcome", {"outcome": "We move it in June."}),
    )  # fmt: skip
    assert empty.status_code == 400 and given.status_code == 303
    with Session(app.database) as session:
        results = session.exec(select(OutboxMessage.text).where(OutboxMessage.kind == "notification")).all()
        actions = session.exec(
            select(AuditEntry.detail).where(AuditEntry.action == "poll", AuditEntry.via == "console").order_by(AuditEntry.id)
        ).all()
    assert len(results) == 6 and all("We move it in June." in text for text in results)
    assert sum("In Centro (5 people):" in text for text in results) == 5
    assert actions == ["closed; results to 0", "line given; results to 6"]
    again, = staff_session(app, ("POST", f"/polls/{poll.broadcast_id}/outcome", {"outcome": "Changed my mind."}))
    assert again.status_code == 409 and "its results went out already" in visible_text(again.text)


def test_an_unknown_poll_is_a_polite_404(app: App) -> None:
    missing, = staff_session(app, ("GET", "/polls/99", None))
    assert missing.status_code == 404 and "There is no such poll." in visible_text(missing.text)


def test_staff_send_a_poll_from_the_console_once_per_form(app: App) -> None:
    poll_with_answers(app)  # six followers of roads
    (form,) = staff_session(app, ("GET", "/polls/new", None))
    once = once_of(form.text)
    fields = {"question": "A new bus stop on Elm Road?", "options": "Yes\nNo\n", "other": "yes", "days": "14",
              "outcome": "The transport office decides in March.", "topic": "roads", "once": once}  # fmt: skip
    one_option, sent, again = staff_session(
        app, ("POST", "/polls/new", {**fields, "options": "Yes", "once": "x" * 24}), ("POST", "/polls/new", fields),
        ("POST", "/polls/new", fields),
    )  # fmt: skip
    assert one_option.status_code == 400 and "a poll needs 2 to 10 options in en; it has 1" in visible_text(one_option.text)
    assert sent.status_code == again.status_code == 303 and sent.headers["location"] == again.headers["location"] == "/polls/2"
    with Session(app.database) as session:
        created = session.get(Poll, 2)
        assert created is not None and (created.options, created.other) == ([{"en": "Yes"}, {"en": "No"}], True)
        assert created.closes_at - app.clock() == timedelta(days=14)
        assert session.exec(select(Poll)).all()[-1].broadcast_id == 2  # the second POST queued nothing more
        queued = session.exec(select(OutboxMessage).where(OutboxMessage.broadcast_id == 2)).all()
    assert len(queued) == 6 and "A new bus stop on Elm Road?" in queued[0].text
