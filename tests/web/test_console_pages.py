"""What staff do in the console, and what citizens in the terminal chat see of it: the inbox
and its filters, a submission's page, status changes, merges, internal notes, questions and
their answers, broadcasts, people and groups, insights."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlmodel import Session, func, select

from bot.app import App
from storage import broadcasts, community_groups, staff, submissions
from storage.models import OutboxMessage, ProblemCreate
from tests.conftest import Clock
from tests.web.support import client, csrf_of, follow, once_of, report, signed_in, terminal, visible_text

XSS = "Lamp <img src=x onerror=alert(1)> flickers all night long"
LIGHT = "The streetlight on Elm Street is out since Monday"
BINS = "Overflowing bins behind the market every weekend"
pytestmark = pytest.mark.postgres


def staff_session(app: App, *requests: tuple[str, str, dict[str, Any] | None]) -> list[httpx.Response]:
    """Sign in, then make these requests in order: (method, path, form). A form gets the
    CSRF token of the page fetched before it."""

    async def scenario() -> list[httpx.Response]:
        answers: list[httpx.Response] = []
        async with client(app) as http:
            await signed_in(http, app)
            token = csrf_of((await http.get("/people")).text)
            for method, path, form in requests:
                data = {"csrf": token, **form} if form is not None else None
                answers.append(await (http.post(path, data=data) if method == "POST" else http.get(path)))
        return answers

    return asyncio.run(scenario())


def status_of(app: App, kind: str, id_: int) -> str:
    with Session(app.database) as session:
        found = submissions.summary_of(session, kind=kind, id=id_)
    assert found is not None
    return found.status


def test_the_inbox_lists_terminal_submissions_newest_first_with_filters_and_counts(app: App, clock: Clock) -> None:
    report(app, "ana", LIGHT, category="2")
    clock.now += timedelta(hours=1)
    report(app, "bob", BINS, category="3", place="Market square")
    clock.now += timedelta(days=4)  # both were promised news after 3 days
    staff_session(app, ("POST", "/submissions/P-2/status", {"status": "under_review"}))
    inbox, lighting, market, by_ref, overdue, waiting, api = staff_session(
        app, ("GET", "/", None), ("GET", "/?category=lighting", None), ("GET", "/?area=market", None),
        ("GET", "/?q=p-2", None), ("GET", "/?overdue=1", None), ("GET", "/?status=new", None), ("GET", "/api/inbox?q=bins", None),
    )  # fmt: skip
    text = visible_text(inbox.text)
    assert text.index("P-2 Overflowing bins") < text.index("P-1 The streetlight")
    assert "All 2 new 1 under review 1 accepted 0" in text
    assert "Market square" in text and "Waste and cleanliness" in text and "4 d" in text
    assert '"/submissions/P-1"' in lighting.text and '"/submissions/P-2"' not in lighting.text
    assert '"/submissions/P-2"' in market.text and '"/submissions/P-1"' not in market.text
    assert '"/submissions/P-2"' in by_ref.text and '"/submissions/P-1"' not in by_ref.text
    assert '"/submissions/P-1"' in overdue.text and '"/submissions/P-2"' not in overdue.text  # P-2 moved on
    assert "1 submissions match" in visible_text(waiting.text) and '"/submissions/P-2"' not in waiting.text
    assert [row["ref"] for row in api.json()["rows"]] == ["P-2"]


def test_overdue_means_the_day_the_citizen_was_promised_news_by_has_ended(app: App, clock: Clock) -> None:
    said = report(app, "ana", LIGHT)  # Saturday 28 November, 10:00 UTC; FOLLOWUP_AFTER's first is 3 days
    assert "I'll tell you where it stands by December 1, 2026 at the latest" in said
    clock.now = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)  # past the 3 days, still the day promised
    (on_the_day,) = staff_session(app, ("GET", "/?overdue=1", None))
    clock.now = datetime(2026, 12, 2, 0, 1, tzinfo=timezone.utc)
    (the_day_after,) = staff_session(app, ("GET", "/?overdue=1", None))
    assert '"/submissions/P-1"' not in on_the_day.text
    assert '"/submissions/P-1"' in the_day_after.text


def test_rows_and_history_say_where_and_who_in_words_a_person_reads(app: App) -> None:
    report(app, "ana", LIGHT)  # affected: "My street"
    with Session(app.database) as session, session.begin():
        located = ProblemCreate(description="Pothole at the corner of Oak and 5th, deep enough to break a wheel",
                                title="Pothole at the corner of Oak and 5th", category="roads", language="en",
                                latitude=40.4168, longitude=-3.7038)  # fmt: skip
        submissions.create_problem(session, citizen_id=1, problem_in=located, now=app.clock())
    _, inbox, page = staff_session(
        app, ("POST", "/submissions/P-1/status", {"status": "accepted"}), ("GET", "/", None), ("GET", "/submissions/P-1", None)
    )
    listed = visible_text(inbox.text)
    assert "Pothole at the corner of Oak and 5th Roads and pavements Shared location: 40.41680, -3.70380 new" in listed
    shown = visible_text(page.text)
    assert "came in ana, console" in shown and "citizen:1" not in shown  # the history names people, not row ids
    assert "new → accepted console:boss" in shown
    assert "Who is affected their street" in shown


def test_citizen_text_is_shown_as_typed_and_never_runs(app: App) -> None:
    report(app, "ana", XSS)
    inbox, page = staff_session(app, ("GET", "/", None), ("GET", "/submissions/P-1", None))
    for html in (inbox.text, page.text):
        assert "<img src=x" not in html
        assert "Lamp &lt;img src=x onerror=alert(1)&gt; flickers" in html


def test_reversing_and_invisible_characters_in_citizen_text_cannot_disguise_it(app: App) -> None:
    report(app, "ana", "Broken lamp \u202eteertS mlE\u202c on the corner, wi\u200bres hanging")
    inbox, page = staff_session(app, ("GET", "/", None), ("GET", "/submissions/P-1", None))
    for html in (inbox.text, page.text):
        assert "\u2068Broken lamp \u202eteertS mlE\u202c on the corner, wi&lt;U+200B&gt;res hanging\u2069" in html
    with Session(app.database) as session:  # kept as typed
        assert "wi\u200bres" in submissions.details(session, kind="problem", id_=1).description  # type: ignore[union-attr]


def test_a_status_change_with_a_note_reaches_the_citizen_in_their_chat(app: App) -> None:
    report(app, "ana", LIGHT)
    changed, page = staff_session(
        app,
        ("POST", "/submissions/P-1/status", {"status": "accepted", "note": "A crew goes out on Thursday"}),
        ("GET", "/submissions/P-1", None),
    )
    assert changed.status_code == 303 and changed.headers["location"] == "/submissions/P-1?done=status#history"
    heard = terminal(app, "ana")
    assert f"News about P-1 — {LIGHT}: it is now accepted." in heard and "A crew goes out on Thursday" in heard
    assert "new → accepted console:boss A crew goes out on Thursday" in visible_text(page.text)


def test_declining_without_a_reason_is_explained_and_nothing_changes(app: App) -> None:
    report(app, "ana", LIGHT)
    (refused,) = staff_session(app, ("POST", "/submissions/P-1/status", {"status": "declined", "note": " "}))
    assert refused.status_code == 400 and "Declining needs a reason" in visible_text(refused.text)
    assert status_of(app, "problem", 1) == "new"


def test_merging_a_duplicate_moves_its_people_to_the_original(app: App) -> None:
    report(app, "ana", LIGHT)
    report(app, "bob", "Broken lamp on Oak Avenue near the school")
    merged, wrong = staff_session(
        app,
        ("POST", "/submissions/P-2/merge", {"original": "p1", "note": "Same lamp as P-1"}),
        ("POST", "/submissions/P-1/merge", {"original": "I-4"}),
    )
    assert merged.status_code == 303 and status_of(app, "problem", 2) == "duplicate"
    with Session(app.database) as session:
        assert submissions.summary_of(session, kind="problem", id=1).supporters == 1  # type: ignore[union-attr]
    assert "it is now duplicate" in terminal(app, "bob")
    assert wrong.status_code == 400 and "needs --of with another problem" in visible_text(wrong.text)


def test_an_internal_note_is_kept_in_the_history_and_nobody_is_told(app: App) -> None:
    report(app, "ana", LIGHT)
    before = terminal(app, "ana")
    noted, page = staff_session(
        app, ("POST", "/submissions/P-1/note", {"note": "Lamp is on the council's list"}), ("GET", "/submissions/P-1", None)
    )
    assert noted.status_code == 303 and "note console:boss Lamp is on the council's list" in visible_text(page.text)
    after = terminal(app, "ana")
    assert "council" not in before + after and status_of(app, "problem", 1) == "new"


def test_a_question_reaches_the_submitter_and_their_next_text_comes_back(app: App) -> None:
    report(app, "ana", LIGHT)
    asked, = staff_session(app, ("POST", "/submissions/P-1/question", {"question": "Which lamp post number is it?"}))
    assert asked.status_code == 303
    conversation = terminal(app, "ana", "Number 14, by the bakery", "1")
    assert f"The city team has a question about P-1 — {LIGHT}:\n“Which lamp post number is it?”" in conversation
    thanks = conversation.index("Thank you: your answer is attached to P-1")
    # The bot goes on with what she was doing: the question she was at is asked again, and
    # her next text is an answer to it, not to the city team.
    assert conversation[thanks:].startswith("Thank you: your answer is attached to P-1, and the city team will see it.\n\nWhat would you like to do?")
    assert "at least 10 characters" in conversation[conversation.index("> 1", thanks):]
    (page,) = staff_session(app, ("GET", "/submissions/P-1", None))
    text = visible_text(page.text)
    assert "Answer, " in text and "Number 14, by the bakery" in text
    assert "Answer from the submitter: Number 14, by the bakery" in text


def test_an_answer_typed_in_the_middle_of_a_report_is_attached_and_the_report_goes_on(app: App) -> None:
    report(app, "ana", LIGHT)
    started = terminal(app, "ana", "1")  # "Report another problem": she is asked to describe it
    assert started.count("What is the problem?") == 1
    staff_session(app, ("POST", "/submissions/P-1/question", {"question": "Which lamp post number is it?"}))
    bench = "Broken bench in Elm Park, the seat is gone"
    conversation = terminal(app, "ana", "Number 14, by the bakery", bench)
    thanks = conversation.index("Thank you: your answer is attached to P-1")
    after = conversation[thanks:]
    # The question she was at comes back, and her next text is the description it asks for.
    assert after.index("What is the problem?") < after.index(f"> {bench}") < after.index("Which category fits best?")
    (page,) = staff_session(app, ("GET", "/submissions/P-1", None))
    assert "Answer from the submitter: Number 14, by the bakery" in visible_text(page.text) and "Elm Park" not in page.text


def test_a_broadcast_shows_who_gets_which_language_then_queues_once_confirmed(app: App) -> None:
    follow(app, "eve")
    follow(app, "luis")
    terminal(app, "luis", "/language", "2")  # Español
    texts = {"text_en": "Line 7 starts on Monday", "text_es": "La línea 7 empieza el lunes", "topic": "lighting", "role": "diffuser"}
    (preview,) = staff_session(app, ("POST", "/broadcasts/preview", texts))
    (sent,) = staff_session(app, ("POST", "/broadcasts/send", {**texts, "once": once_of(preview.text)}))
    shown = visible_text(preview.text)
    assert "2 recipients." in shown and "en 1 the en text" in shown and "es 1 their translation" in shown
    assert "Send to 2 recipients" in shown
    assert sent.status_code == 303 and sent.headers["location"] == "/broadcasts/1"
    with Session(app.database) as session:
        (report_,) = broadcasts.reports(session)
    assert (report_.recipients, report_.pending, report_.sent) == (2, 2, 0)
    (progress,) = staff_session(app, ("GET", "/api/broadcasts/1", None))
    assert progress.json()["recipients"] == 2 and progress.json()["done"] is False
    assert "La línea 7 empieza el lunes" in terminal(app, "luis")


def test_a_confirm_form_sent_twice_sends_one_broadcast_and_shows_its_progress(app: App) -> None:
    follow(app, "eve")
    follow(app, "luis")
    texts = {"text_en": "Line 7 starts on Monday", "topic": "lighting"}

    async def scenario() -> list[httpx.Response]:
        async with client(app) as http:
            await signed_in(http, app)
            confirm = await http.post("/broadcasts/preview", data={"csrf": csrf_of((await http.get("/broadcasts/new")).text), **texts})
            form = {"csrf": csrf_of(confirm.text), "once": once_of(confirm.text), **texts}
            double_click = await asyncio.gather(http.post("/broadcasts/send", data=form), http.post("/broadcasts/send", data=form))
            replayed = await http.post("/broadcasts/send", data=form, follow_redirects=True)
            return [*double_click, replayed]

    first, second, replayed = asyncio.run(scenario())
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"] == "/broadcasts/1"
    assert replayed.url.path == "/broadcasts/1" and "Broadcast B-1" in visible_text(replayed.text)
    with Session(app.database) as session:
        (report_,) = broadcasts.reports(session)
    assert report_.recipients == 2
    with Session(app.database) as session:
        per_person = session.exec(select(OutboxMessage.citizen_id, func.count()).group_by(OutboxMessage.citizen_id)
                                  .where(OutboxMessage.kind == "broadcast")).all()  # fmt: skip
    assert sorted(count for _, count in per_person) == [1, 1]
    assert "Line 7 starts on Monday" in terminal(app, "eve")


def test_a_send_without_its_one_time_key_shows_the_confirmation_and_queues_nothing(app: App) -> None:
    follow(app, "eve")
    (confirm,) = staff_session(app, ("POST", "/broadcasts/send", {"text_en": "Line 7 starts on Monday"}))
    assert confirm.status_code == 200 and "Send to 1 recipients" in visible_text(confirm.text) and once_of(confirm.text)
    with Session(app.database) as session:
        assert broadcasts.reports(session) == []


def test_a_broadcast_without_a_text_in_the_default_language_is_refused(app: App) -> None:
    (refused,) = staff_session(app, ("POST", "/broadcasts/preview", {"text_es": "Solo en español"}))
    assert refused.status_code == 400 and "a text in the default language (en) is needed" in visible_text(refused.text)


def test_staff_and_community_groups_are_added_and_removed_as_with_the_command_line(app: App) -> None:
    added, bad, group, page = staff_session(
        app,
        ("POST", "/people/staff", {"identity": "telegram:12345"}),
        ("POST", "/people/staff", {"identity": "12345"}),
        ("POST", "/people/groups", {"identity": "slack:C0123", "topic": ["roads", "parks"]}),
        ("GET", "/people", None),
    )
    assert added.status_code == 303 and bad.status_code == 400 and "is not CHANNEL:ID" in visible_text(bad.text)
    with Session(app.database) as session:
        assert staff.staff_list(session) == ["telegram:12345"]
        (saved,) = community_groups.groups(session)
    assert (saved.chat_id, saved.topics) == ("C0123", ["roads", "parks"])
    assert "slack:C0123 — roads, parks" in visible_text(page.text)


def test_insights_have_tables_and_csv_downloads(app: App) -> None:
    report(app, "ana", LIGHT)
    report(app, "bob", "=HYPERLINK(\"http://x\") is written on the bus stop")
    page, funnel, top = staff_session(
        app, ("GET", "/insights", None), ("GET", "/insights/funnel.csv", None), ("GET", "/insights/top.csv", None)
    )
    text = visible_text(page.text)
    for title in ("Submissions per week by category", "Status funnel", "Days to first response and to done (middle half)",
                  "Supporters per category", "Diffusers' reach per broadcast", "Languages used"):  # fmt: skip
        assert title in text
    assert page.text.count("<svg") >= 3 and page.text.count("<table") == page.text.count("<svg")  # each chart has its table
    assert "Not computed yet: cocreate run computes it when it starts, then every hour." in text
    rows = list(csv.reader(io.StringIO(funnel.text)))
    assert rows[0] == ["Status", "Submissions"] and ["new", "2"] in rows
    assert funnel.headers["content-disposition"] == 'attachment; filename="cocreate-funnel.csv"'
    assert top.status_code == 200
