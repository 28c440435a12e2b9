"""The engine alone: no database, no clock, an in-memory world."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from types import MappingProxyType

import pytest

from conversations.buttons import BroadcastAction, StepAnswer, decode, encode
from conversations.context import Following, Person, Summary
from conversations.effects import (
    AddSupport,
    Additions,
    Outcome,
    QueueBroadcast,
    Receipt,
    Receipts,
    RecordReach,
    SaveProblem,
    SetLanguage,
    SetRole,
    StopUpdates,
)
from conversations.i18n import Catalogs
from conversations.messages import Location, Photo
from tests.engine_support import CATALOGS, Conversation, MemoryLookup


def option_of(value: str) -> str:
    """The option a button's value answers with."""
    pressed = decode(value)
    assert isinstance(pressed, StepAnswer)
    return pressed.value


def consented(**kwargs: object) -> Conversation:
    conversation = Conversation(**kwargs)  # type: ignore[arg-type]
    conversation.send("/start")
    conversation.send("I agree")
    return conversation


def at_description(**kwargs: object) -> Conversation:
    conversation = consented(**kwargs)
    conversation.send("Explorer — report a problem you've noticed")
    assert conversation.state.step == "explorer.description"
    return conversation


def text_of(conversation: Conversation, result) -> str:
    return conversation.said(result)


def test_a_new_person_is_welcomed_and_asked_for_consent_whatever_they_say_first() -> None:
    conversation = Conversation()
    result = conversation.send("there is a pothole on my street")
    assert result.state.step == "welcome.consent"
    assert "I agree" in [c.label for c in result.replies[0].choices]
    assert result.effects == ()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("x" * 3_000, "That's too long. Please keep it under 2,000 characters (you wrote 3,000)."),
        # Longer than any channel carries: refused before the step reads it, limit stated.
        ("x" * 100_000, "That message is too long for me: I read at most 4,096 characters at a time (it had 100,000)."),
        ("broken\x1b[A light", "Your message contains invisible control characters. Please type it again."),
        ("   ", "I didn't get anything there. Please type your answer."),
        ("🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂", "Please describe it in words"),
        ("too short", "That's a bit short. Please write at least 10 characters (you wrote 9)."),
    ],
)
def test_bad_text_gets_a_clear_answer_and_the_same_question(typed: str, expected: str) -> None:
    conversation = at_description()
    result = conversation.send(typed)
    said = text_of(conversation, result)
    assert said.startswith(expected)
    assert said.endswith("What is the problem? Describe it in a few sentences (at least 10 characters).")
    assert result.state.step == "explorer.description"
    assert result.effects == ()


def test_the_longest_allowed_description_and_sql_looking_text_are_kept_verbatim() -> None:
    conversation = at_description()
    description = ("Robert'); DROP TABLE problem;-- " * 70)[:2000]
    for answer in (description, "Roads and pavements", "Skip", "The whole city"):
        conversation.send(answer)
    result = conversation.send("Confirm")
    (effect,) = result.effects
    assert isinstance(effect, SaveProblem)
    assert effect.problem.description == description.strip()
    assert effect.problem.title.endswith("…") and len(effect.problem.title) <= 80


def test_a_sticker_where_text_is_expected_is_explained() -> None:
    conversation = at_description()
    result = conversation.send(None)  # a sticker, voice note or document: no text at all
    assert text_of(conversation, result).startswith("Sorry, I can't use that here. Please answer in words.")
    assert result.state.step == "explorer.description"


def test_a_stale_button_press_gets_the_current_question_again() -> None:
    conversation = at_description()
    conversation.send("A broken bench in the park by the pond")
    result = conversation.send(choice="p:99")  # a button from an older message
    said = text_of(conversation, result)
    assert said.startswith("That button belongs to an earlier question.")
    assert "Which category fits best?" in said
    assert result.state.step == "explorer.category"


def test_button_presses_pick_by_value() -> None:
    conversation = at_description()
    conversation.send("A broken bench in the park by the pond")
    result = conversation.send(choice=encode(StepAnswer("explorer.category", "parks")))
    assert result.state.answers["category"] == "parks"


def test_a_button_from_another_question_with_the_same_value_is_not_taken_as_an_answer() -> None:
    idea = Summary("idea", 3, "I-3", "Solar lamps in the alley", "new")
    conversation = consented(lookup=MemoryLookup(ideas=[idea]))
    conversation.send("Not sure — help me choose")
    conversation.send("I have skills and some time to help")
    suggestion = conversation.send("Yes, let's start")  # that button was home.suggest|yes
    for answer in ("1", "Design", "Done", "About an hour"):
        conversation.send(answer)
    assert conversation.state.step == "designer.contact" and "yes" in conversation.state.shown
    result = conversation.send(choice=encode(StepAnswer("home.suggest", "yes")))  # the old "Yes, let's start" again
    assert text_of(conversation, result).startswith("That button belongs to an earlier question.")
    assert "contact" not in result.state.answers
    assert suggestion.state.step == "designer.pick_idea"


def test_open_problems_come_five_at_a_time_with_more() -> None:
    problems = [
        (Summary("problem", n, f"P-{n}", f"Problem number {n}", "new", supporters=n), "text") for n in range(1, 13)
    ]
    conversation = consented(lookup=MemoryLookup(problems=problems))
    conversation.send("Ideator — suggest a solution to a known problem")
    first = conversation.send("Propose an idea").replies[0].choices
    assert [option_of(c.value) for c in first] == ["p:12", "p:11", "p:10", "p:9", "p:8", "not_listed", "_more"]
    second = conversation.send("More…").replies[0].choices
    assert [option_of(c.value) for c in second] == ["p:7", "p:6", "p:5", "p:4", "p:3", "not_listed", "_more"]
    third = conversation.send(choice=encode(StepAnswer("ideator.pick_problem", "_more"))).replies[0].choices
    assert [option_of(c.value) for c in third] == ["p:2", "p:1", "not_listed"]
    result = conversation.send("1")
    assert result.state.step == "ideator.idea" and result.state.answers["problem_id"] == 2


def test_several_choices_at_once_and_done_needs_at_least_one() -> None:
    conversation = consented()
    conversation.send("Diffuser — spread updates in your community")
    assert text_of(conversation, conversation.send("Done")).startswith("Please choose at least one option")
    result = conversation.send("1, 3")
    assert result.state.answers["topics"] == ["roads", "waste"]
    assert [c.label for c in result.replies[0].choices][:3] == ["✓ Roads and pavements", "Street lighting", "✓ Waste and cleanliness"]
    result = conversation.send("Waste and cleanliness")  # typing the label toggles it off again
    assert result.state.answers["topics"] == ["roads"]


def test_telegram_people_can_share_a_location_and_a_photo() -> None:
    conversation = at_description(capabilities=frozenset({"buttons", "photo", "location"}))
    conversation.send("The fountain in the square leaks everywhere")
    result = conversation.send("Parks and green spaces")
    assert "Share your location" in text_of(conversation, result)
    assert [c.label for c in result.replies[0].choices] == ["📍 Share my location", "Skip"]
    conversation.send(location=Location(40.4168, -3.7038))
    said = text_of(conversation, conversation.send("no photo, sorry"))
    assert said.startswith("Please send a photo, or choose Skip.")
    conversation.send(photo=Photo("AgACAgQAAxkBAAIB", 48213))
    conversation.send("My neighbourhood")
    (effect,) = conversation.send("Confirm").effects
    assert effect.problem.location == Location(40.4168, -3.7038)
    assert effect.problem.photo == Photo("AgACAgQAAxkBAAIB", 48213)


def test_the_terminal_is_never_asked_for_a_photo() -> None:
    conversation = at_description()
    conversation.send("The fountain in the square leaks everywhere")
    conversation.send("Parks and green spaces")
    result = conversation.send("Skip")
    assert result.state.step == "explorer.affected"
    assert conversation.send("/back").state.step == "explorer.place"


def test_likely_duplicates_in_the_same_category_are_offered_before_saving() -> None:
    existing = [
        (Summary("problem", 7, "P-7", "Big pothole on Main Street", "new", category="roads"), "Big pothole on Main Street near the school"),
        (Summary("problem", 8, "P-8", "Pothole on Main Street", "new", category="parks"), "Big pothole on Main Street near the school"),
        (Summary("problem", 9, "P-9", "Bins overflowing", "new", category="roads"), "The bins on Elm Road overflow every weekend"),
    ]
    conversation = at_description(lookup=MemoryLookup(problems=existing))
    for answer in ("There's a big pothole on Main Street near the school gate", "Roads and pavements", "Skip", "My street"):
        conversation.send(answer)
    result = conversation.send("Confirm")
    assert result.effects == ()
    assert [decode(c.value) for c in result.replies[0].choices] == [
        StepAnswer("explorer.duplicate", "p:7"),
        StepAnswer("explorer.duplicate", "different"),
    ]
    result = conversation.send("Same as P-7 — add my support")
    # What they wrote goes along, into P-7's history.
    assert result.effects == (AddSupport("problem", 7, Additions("There's a big pothole on Main Street near the school gate")),)
    result = conversation.apply(conversation.engine.step(result.state, Receipts((Receipt("problem", 7, "P-7", Outcome.ADDED),)), conversation.context()))
    assert text_of(conversation, result).startswith("Thank you — you now support P-7.")


def test_a_saved_report_gets_its_reference_and_the_date_of_the_next_update() -> None:
    conversation = at_description()
    for answer in ("Streetlight on Elm Road is out", "2", "1", "3"):
        conversation.send(answer)
    saving = conversation.send("1")
    assert saving.state.step == "explorer.saved"
    result = conversation.apply(conversation.engine.step(saving.state, Receipts((Receipt("problem", 12, "P-12"),)), conversation.context()))
    assert text_of(conversation, result).startswith("Thank you! Your report is P-12.")
    assert "by December 1, 2026" in text_of(conversation, result)  # 3 days after 28 November
    assert result.state.step == "home.after"


def test_choosing_a_role_takes_it_on() -> None:
    conversation = consented()
    result = conversation.send("3")
    assert SetRole("designer") in result.effects


def test_deep_link_before_consent_continues_into_that_dialog() -> None:
    conversation = Conversation()
    conversation.send("/start report")
    result = conversation.send("I agree")
    assert result.state.step == "explorer.description"


def test_language_interrupts_and_resumes_in_the_new_language() -> None:
    spanish = {"explorer.ask_category": "¿Qué categoría encaja mejor?", "language.changed": "Hecho."}
    catalogs = Catalogs(MappingProxyType({"en": CATALOGS.messages["en"], "es": MappingProxyType(spanish)}))
    conversation = at_description()
    conversation.send("A broken bench in the park by the pond")
    settings = replace(conversation.context().settings, languages=("en", "es"))
    step = conversation.engine.step

    def send(text: str):
        context = replace(conversation.context(), settings=settings, catalogs=catalogs)
        return conversation.apply(step(conversation.state, conversation_event(conversation, text), context))

    result = send("/language")
    assert [c.label for c in result.replies[0].choices] == ["English", "Español"]
    result = send("2")
    assert SetLanguage("es") in result.effects
    assert result.state.step == "explorer.category"
    assert result.replies[0].text == "Hecho.\n\n¿Qué categoría encaja mejor?"
    # Missing Spanish texts fall back to English rather than failing.
    assert result.replies[0].choices[0].label == "Roads and pavements"


def conversation_event(conversation: Conversation, text: str):
    from conversations.messages import Inbound
    from tests.engine_support import ADDRESS

    conversation.counter += 1
    return Inbound(ADDRESS, str(conversation.counter), text=text)


def test_unknown_commands_and_commands_before_consent_are_answered_politely() -> None:
    conversation = Conversation()
    conversation.send("/start")
    said = text_of(conversation, conversation.send("/my"))
    assert said.startswith("Before we start, please read this and tell me if you agree.")
    conversation.send("1")
    said = text_of(conversation, conversation.send("/frobnicate now"))
    assert said.startswith("Sorry, I don't know the command /frobnicate.")


def test_the_engine_imports_no_io_libraries() -> None:
    code = (
        "import sys, conversations.engine, conversations.flows;"
        "bad = [m for m in ('sqlmodel', 'sqlalchemy', 'telegram', 'slack_bolt', 'apscheduler', 'httpx')"
        " if m in sys.modules];"
        "print(','.join(bad))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert output == ""


def test_i_shared_it_asks_how_many_then_returns_to_the_question() -> None:
    conversation = at_description(lookup=MemoryLookup(sent=frozenset({12})))
    result = conversation.send(choice=encode(BroadcastAction(12, "shared")))
    assert text_of(conversation, result).startswith("Thank you for passing it on! About how many people")
    assert text_of(conversation, conversation.send("lots")).startswith("Please type a number of people")
    result = conversation.send("about 40")
    assert result.effects == (RecordReach(12, 40),)
    counted = Receipts((Receipt("reach", 12, "B-12", Outcome.ADDED, people=40),))
    result = conversation.apply(conversation.engine.step(result.state, counted, conversation.context()))
    said = text_of(conversation, result)
    assert said.startswith("Thanks — that's about 40 more people who know.")
    assert said.endswith("What is the problem? Describe it in a few sentences (at least 10 characters).")
    assert result.state.step == "explorer.description"


def test_stop_these_updates_unsubscribes_in_one_line_and_the_dialog_goes_on() -> None:
    conversation = at_description(lookup=MemoryLookup(followed=Following(("roads",))))
    result = conversation.send(choice=encode(BroadcastAction(12, "stop")))
    assert result.effects == (StopUpdates(),)
    assert text_of(conversation, result).startswith("Done — you won't get these updates any more.")
    assert result.state.step == "explorer.description"


def test_only_staff_can_broadcast_and_only_after_confirming() -> None:
    citizen = consented()
    refused = citizen.send("/broadcast")
    assert text_of(citizen, refused).startswith("Sorry, that command is only for the city team.")
    assert refused.effects == () and refused.state.step == "home.role"

    staff = consented(lookup=MemoryLookup(staff=True, audience=1234))
    staff.send("/broadcast")
    staff.send("The library reopens on Monday with longer hours")
    preview = text_of(staff, staff.send("All diffusers"))
    assert preview.startswith("This will go to All diffusers: 1,234 recipients.")
    result = staff.send("Send")
    assert result.effects == (QueueBroadcast("The library reopens on Monday with longer hours", None),)
    result = staff.apply(staff.engine.step(result.state, Receipts((Receipt("broadcast", 3, "B-3", Outcome.QUEUED, people=1234),)), staff.context()))
    assert text_of(staff, result).startswith("Queued B-3 for 1,234 recipients.")


@pytest.mark.parametrize(
    ("language", "preview", "queued"),
    [
        ("en", "This will go to All diffusers: 1,234 recipients.", "Queued B-3 for 1,234 recipients."),
        ("de", "Das geht an Alle Verbreiter:innen: 1.234 Empfänger:innen.", "B-3 für 1.234 Empfänger:innen eingereiht."),
    ],
)
def test_staff_read_counts_written_their_languages_way(language: str, preview: str, queued: str) -> None:
    staff = Conversation(lookup=MemoryLookup(staff=True, audience=1234), person=Person(consented=True, language=language))
    for answer in ("/broadcast", "The library reopens on Monday with longer hours", "1"):
        result = staff.send(answer)
    assert text_of(staff, result).startswith(preview)
    result = staff.send("1")
    receipts = Receipts((Receipt("broadcast", 3, "B-3", Outcome.QUEUED, people=1234),))
    result = staff.apply(staff.engine.step(result.state, receipts, staff.context()))
    assert text_of(staff, result).startswith(queued)


def test_a_too_long_text_is_explained_with_numbers_in_the_persons_language() -> None:
    conversation = Conversation(person=Person(consented=True, language="de"))
    conversation.send("/start report")
    said = text_of(conversation, conversation.send("Loch " * 500))
    assert said.startswith("Das ist zu lang. Bitte bleib unter 2.000 Zeichen (du hast 2.499 geschrieben).")


def test_back_after_supporting_an_idea_never_lands_on_a_silent_step() -> None:
    idea = Summary("idea", 3, "I-3", "Solar lamps in the alley", "new")
    conversation = consented(lookup=MemoryLookup(ideas=[idea]))
    for answer in ("Ideator — suggest a solution to a known problem", "Support an existing idea"):
        conversation.send(answer)
    supporting = conversation.send("1")
    receipt = Receipts((Receipt("idea", 3, "I-3", Outcome.ADDED),))
    conversation.apply(conversation.engine.step(supporting.state, receipt, conversation.context()))
    assert conversation.state.step == "home.after"
    result = conversation.send("/back")
    assert text_of(conversation, result).startswith("We're at the first question of this dialog already.")
    assert result.state.step == "home.after"
