"""What staff see about a submission: where a problem is, who it affects, its photo, who sent
it (name and channel identity), what an idea or a design offer is for, and an offer's
skills, hours and consent to be contacted — in /inbox in the staff member's language, and
in `cocreate submissions` (table, json, csv) as stable codes."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any, Callable

import pytest
from sqlmodel import Session

from bot.app import App
from conversations.flows.explorer import AFFECTED
from conversations.i18n import load_catalogs
from conversations.messages import Address, Location, Photo
from storage import submissions
from storage.models import DesignOfferCreate
from tests.bot.test_service import say
from tests.conftest import Clock, Cocreate

ANA = Address("telegram", "5001", "5001")  # reports P-1 with a shared location and a photo
BOB = Address("telegram", "5002", "5002")  # proposes I-1 for P-1
DAN = Address("telegram", "5003", "5003")  # offers D-1 for I-1; his app gave no name
SAM = Address("telegram", "5009", "5009")  # staff, in English
LUZ = Address("telegram", "5010", "5010")  # staff, in Spanish
PROBLEM = "The swing in Elm Park is broken"
IDEA = "Put a new chain on the swing and check it monthly"
PHOTO = "AgACAgQAAxkBAAIB"
Listed = Callable[..., str]  # `cocreate submissions ARGS` -> what it printed
pytestmark = pytest.mark.postgres


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"staff": ("telegram:5009", "telegram:5010")}  # SAM and LUZ


def answer(app: App, address: Address, *steps: str | Location | Photo, name: str | None = None) -> str:
    """Answer each step in turn (a text, a shared location or a photo); the last reply."""
    reply = ""
    for step in steps:
        if isinstance(step, Location):
            reply = say(app, address=address, location=step, display_name=name)
        elif isinstance(step, Photo):
            reply = say(app, address=address, photo=step, display_name=name)
        else:
            reply = say(app, step, address=address, display_name=name)
    return reply


def submit_problem_idea_and_offer(app: App, clock: Clock) -> None:
    """P-1, then I-1 a minute later, then D-1: the inbox lists D-1, I-1, P-1."""
    reported = answer(
        app, ANA, "/start", "I agree", "1", PROBLEM, "4", Location(41.38702, 2.17004), Photo(PHOTO, 48213), "2", "1",
        name="Ana",
    )  # fmt: skip
    assert reported.startswith("Thank you! Your report is P-1."), reported
    clock.now += timedelta(minutes=1)
    proposed = answer(app, BOB, "/start", "I agree", "2", "1", "1", IDEA, "Children in the park", "1", name="Bob")
    assert proposed.startswith("Thank you! Your idea is I-1."), proposed
    clock.now += timedelta(minutes=1)
    offered = answer(app, DAN, "/start", "I agree", "3", "1", "1,2", "7", "2", "1", "1")
    assert offered.startswith("Thank you! Your offer is D-1."), offered


def open_in_inbox(app: App, staff: Address, label: str, *, locale: str = "en") -> str:
    for text in ("/start", "1", "/inbox"):  # "1" agrees, in whichever language
        say(app, text, address=staff, locale_hint=locale)
    return say(app, label, address=staff)


def test_an_opened_problem_says_where_who_is_affected_the_photo_and_who_sent_it(app: App, clock: Clock) -> None:
    submit_problem_idea_and_offer(app, clock)
    opened = open_in_inbox(app, SAM, f"P-1 — {PROBLEM} (new)")
    assert f"supporters: 0\n\n{PROBLEM}\n\n" in opened
    assert (
        "Where: shared location (41.38702, 2.17004)\n"
        "Affected: their street\n"
        "Photo: attached\n"
        "Sent by: Ana (telegram:5001)\nSeen by residents: yes\n\nHistory:"
    ) in opened
    assert PHOTO not in opened  # the kept reference is for exports, not for reading


def test_an_idea_names_its_problem_and_an_offer_its_idea_and_terms_in_words(app: App, clock: Clock) -> None:
    submit_problem_idea_and_offer(app, clock)
    idea = open_in_inbox(app, SAM, f"I-1 — {IDEA} (new)")
    assert f"{IDEA}\n\nFor: P-1 — {PROBLEM}\nSent by: Bob (telegram:5002)\nSeen by residents: yes\n\nHistory:" in idea
    assert "Where:" not in idea and "Photo:" not in idea
    say(app, "/inbox", address=SAM)
    offer = say(app, f"D-1 — {IDEA} (new)", address=SAM)
    assert offer.startswith(f"D-1 — {IDEA}\nStage: new")
    assert (
        "Skills: Design, Software\n"
        "Time a week: 2 to 4 hours\n"
        "Contact: Yes, contact me\n\n"
        f"For: I-1 — {IDEA}\n"
        "Sent by: telegram:5003\n\nHistory:"  # Dan's app gave no name: his identity alone
    ) in offer
    assert "True" not in offer and "contact:" not in offer


def test_staff_read_the_facts_in_their_own_language(app: App, clock: Clock) -> None:
    submit_problem_idea_and_offer(app, clock)
    # Numbers, not labels: a typed label in English would be taken for English.
    problem = open_in_inbox(app, LUZ, "3", locale="es")
    assert "Dónde: ubicación compartida (41.38702, 2.17004)\nAfecta a: a su calle\nFoto: adjunta\n" in problem
    assert "Enviado por: Ana (telegram:5001)" in problem
    say(app, "/inbox", address=LUZ)
    offer = say(app, "1", address=LUZ)
    assert offer.startswith("D-1")
    assert "Habilidades: Diseño, Software\nTiempo a la semana: De 2 a 4 horas\nContacto: Sí, contactadme\n" in offer


def test_an_offer_with_a_skill_the_catalogs_do_not_know_shows_the_stored_code(app: App, clock: Clock) -> None:
    submit_problem_idea_and_offer(app, clock)
    with Session(app.database) as session, session.begin():
        offer_in = DesignOfferCreate(idea_id=1, skills=["welding"], hours="3h", contact_ok=False, language="en")
        submissions.create_design_offer(session, citizen_id=3, offer_in=offer_in)
    opened = open_in_inbox(app, SAM, f"D-2 — {IDEA} (new)")
    assert opened.startswith("D-2")
    assert "Skills: welding\nTime a week: 3h\nContact: No, not for now\n" in opened


@pytest.fixture
def exported(app: App, clock: Clock, cocreate: Cocreate) -> Listed:
    """`cocreate submissions ...` once P-1, I-1 and D-1 came in: what it prints."""
    submit_problem_idea_and_offer(app, clock)

    def listed(*args: str) -> str:
        result = cocreate("submissions", *args, COLUMNS="250")
        assert result.exit_code == 0, result.output
        return result.output

    return listed


def test_json_has_the_place_the_people_the_photo_what_each_is_for_and_the_offer_as_codes(exported: Listed) -> None:
    problem, idea, offer = json.loads(exported("--format", "json"))
    assert {k: problem[k] for k in ("ref", "place", "latitude", "longitude", "affected", "photo", "submitter")} == {
        "ref": "P-1", "place": None, "latitude": 41.38702, "longitude": 2.17004, "affected": "street",
        "photo": PHOTO, "submitter": "Ana (telegram:5001)",
    }  # fmt: skip
    assert (problem["for_ref"], problem["skills"], problem["hours"], problem["contact"]) == (None, None, None, None)
    assert (idea["ref"], idea["for_ref"], idea["submitter"]) == ("I-1", "P-1", "Bob (telegram:5002)")
    assert idea["channel"] == "telegram"  # the existing fields stay
    assert (offer["ref"], offer["for_ref"], offer["submitter"]) == ("D-1", "I-1", "telegram:5003")
    assert (offer["skills"], offer["hours"], offer["contact"]) == (["design", "software"], "2-4", "yes")
    assert offer["description"] == "" and offer["title"] == IDEA


def test_csv_has_the_same_fields_with_skills_joined_by_semicolons(exported: Listed) -> None:
    rows = list(csv.DictReader(io.StringIO(exported("--format", "csv"))))
    assert [row["ref"] for row in rows] == ["P-1", "I-1", "D-1"]
    problem, idea, offer = rows
    assert (problem["latitude"], problem["longitude"], problem["affected"], problem["photo"]) == (
        "41.38702", "2.17004", "street", PHOTO,
    )  # fmt: skip
    assert (problem["place"], problem["skills"], problem["for_ref"]) == ("", "", "")
    assert (idea["for_ref"], idea["submitter"]) == ("P-1", "Bob (telegram:5002)")
    assert (offer["for_ref"], offer["skills"]) == ("I-1", "design;software")
    assert (offer["hours"], offer["contact"]) == ("2-4", "yes")


def test_the_table_shows_where_what_for_and_who(exported: Listed) -> None:
    table = exported()
    header = table.splitlines()[0].split()
    assert {"where", "submitter"} <= set(header)
    rows = {row.split()[0]: row for row in table.split("\n") if row[:2] in ("P-", "I-", "D-")}
    blocks = dict(zip(rows, _row_blocks(table)))  # a row with the line under its title
    assert "41.38702, 2.17004" in blocks["P-1"] and "affects: street" in blocks["P-1"]
    assert "Ana (telegram:5001)" in blocks["P-1"]
    assert "for P-1" in blocks["I-1"] and "Bob" in blocks["I-1"]
    assert "for I-1" in blocks["D-1"] and "telegram:5003" in blocks["D-1"]


def _row_blocks(table: str) -> list[str]:
    """Each submission's lines: from its ref to the next ref."""
    blocks: list[str] = []
    for line in table.splitlines()[2:]:
        if line[:2] in ("P-", "I-", "D-"):
            blocks.append(line)
        elif blocks:
            blocks[-1] += "\n" + line
    return blocks


def test_every_way_a_problem_can_affect_people_is_worded_for_staff() -> None:
    """The inbox words `affected` with inbox.affected.<code>; English has each (and the
    catalog test holds every language to English's keys)."""
    english = load_catalogs().messages["en"]
    assert all(english.get(f"inbox.affected.{code}") for code in AFFECTED)
