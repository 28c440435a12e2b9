"""Typed answers to a choice: a label however it is cased or accented, a word of it or the
start of one, a reference shown in an option; anything else gets one short line and the
options again, never the whole question."""

from __future__ import annotations

import random

import pytest

from conversations.buttons import StepAnswer, decode
from conversations.context import Person, Summary
from conversations.effects import SetLanguage
from conversations.engine import Result
from conversations.i18n import T
from conversations.messages import Photo
from tests.conversations.test_robustness import DETECTED, INPUTS, WithReceipts, world
from tests.engine_support import CATALOGS, Conversation, MemoryLookup

CONSENT = CATALOGS.render("en", T("consent.ask"))
NO_MATCH = CATALOGS.render("en", T("choice.no_match"))
NO_MATCH_BEFORE_CONSENT = CATALOGS.render("en", T("choice.no_match.welcome"))
CATEGORIES = [
    "Roads and pavements", "Street lighting", "Waste and cleanliness", "Parks and green spaces",
    "Public transport", "Safety", "Something else",
]  # fmt: skip


def consented(language: str = "en", **kwargs: object) -> Conversation:
    return Conversation(person=Person(consented=True, language=language), **kwargs)  # type: ignore[arg-type]


def at_step(conversation: Conversation, *answers: str) -> Conversation:
    conversation.send("/menu")
    for answer in answers:
        conversation.send(answer)
    return conversation


def at_category() -> Conversation:
    return at_step(consented(), "1", "The streetlight by the school is out")


def labels(result: Result) -> list[str]:
    return [choice.label for choice in result.replies[-1].choices]


def options(result: Result) -> list[str]:
    values = []
    for choice in result.replies[-1].choices:
        pressed = decode(choice.value)
        assert isinstance(pressed, StepAnswer)
        values.append(pressed.value)
    return values


@pytest.mark.parametrize("typed", ["ideator", "IDEATOR", "  Ideator ", "idea", "suggest a solution"])
def test_a_role_by_its_name_a_word_or_the_start_of_one(typed: str) -> None:
    conversation = at_step(consented())
    result = conversation.send(typed)
    assert result.state.step == "ideator.action"


@pytest.mark.parametrize(
    ("typed", "category"),
    [("lighting", "lighting"), ("street", "lighting"), ("light", "lighting"), ("green", "parks"),
     ("TRANSPORT", "transport"), ("waste and", "waste")],
)  # fmt: skip
def test_a_category_by_a_word_of_its_label(typed: str, category: str) -> None:
    conversation = at_category()
    result = conversation.send(typed)
    assert result.state.answers["category"] == category
    assert result.state.step == "explorer.place"


@pytest.mark.parametrize(
    ("typed", "language"),
    [("espanol", "es"), ("ESPAÑOL", "es"), ("francais", "fr"), ("Fran", "fr"), ("deutsch", "de"), ("portugues", "pt")],
)
def test_a_language_without_its_accents(typed: str, language: str) -> None:
    conversation = at_step(consented())
    conversation.send("/language")
    result = conversation.send(typed)
    assert result.effects == (SetLanguage(language),)
    assert conversation.person.language == language


def test_yes_is_enough_for_yes_contact_me_in_every_language() -> None:
    idea = Summary("idea", 3, "I-3", "Solar lamps in the alley", "new")
    for language, yes in (("en", "yes"), ("es", "si"), ("fr", "oui"), ("de", "ja"), ("pt", "sim")):
        conversation = consented(language, lookup=MemoryLookup(ideas=[idea]))
        at_step(conversation, "3", "1", "1", "7", "1")  # Designer, the idea, a skill, Done, the hours
        assert conversation.state.step == "designer.contact"
        result = conversation.send(yes)
        assert (language, result.state.answers.get("contact")) == (language, "yes")


def test_a_reference_shown_in_an_option_picks_it() -> None:
    problems = [
        (Summary("problem", n, f"P-{n}", f"Problem number {n}", "new", supporters=n), "text") for n in (1, 12, 3)
    ]
    for typed in ("P-1", "p1", "p 1", " P-1 "):
        conversation = at_step(consented(lookup=MemoryLookup(problems=problems)), "2", "1")
        assert conversation.state.step == "ideator.pick_problem"
        result = conversation.send(typed)
        assert (typed, result.state.answers.get("problem_id")) == (typed, 1)  # not P-12
    conversation = at_step(consented(lookup=MemoryLookup(problems=problems)), "2", "1")
    result = conversation.send("P-7")  # no such option
    assert result.replies[-1].text == NO_MATCH
    assert conversation.state.step == "ideator.pick_problem"


@pytest.mark.parametrize("typed", ["my", "hours", "a", "x", "🙂", "Robert'); DROP TABLE problem;--", "the city is big"])
def test_an_answer_that_fits_no_option_or_several_gets_one_line_and_the_options(typed: str) -> None:
    conversation = at_step(consented(), "1", "The streetlight by the school is out", "2", "Skip")
    assert conversation.state.step == "explorer.affected"
    result = conversation.send(typed)
    assert conversation.state.step == "explorer.affected" and "affected" not in result.state.answers
    (reply,) = result.replies
    assert reply.text == NO_MATCH
    assert labels(result) == ["Just me", "My street", "My neighbourhood", "The whole city"]
    assert "/help" in reply.text and "/back" in reply.text and "/cancel" in reply.text


def test_several_topics_by_their_words_separated_by_commas() -> None:
    conversation = at_step(consented(), "4")
    assert conversation.state.step == "diffuser.topics"
    result = conversation.send("lighting, parks; transport")
    assert result.state.answers["topics"] == ["lighting", "parks", "transport"]
    result = conversation.send("waste, done")
    assert result.state.answers["topics"] == ["lighting", "parks", "transport", "waste"]
    assert result.state.step == "diffuser.area"


def test_a_list_with_one_part_that_fits_nothing_picks_nothing() -> None:
    conversation = at_step(consented(), "4")
    result = conversation.send("lighting, potholes")
    assert result.replies[0].text == NO_MATCH
    assert not result.state.answers.get("topics")
    assert labels(result)[:2] == CATEGORIES[:2]


def test_a_mistake_at_the_consent_step_does_not_reprint_the_notice() -> None:
    conversation = Conversation()
    assert conversation.send("/start").replies[0].text == CONSENT
    result = conversation.send("yes")
    (reply,) = result.replies
    assert reply.text == NO_MATCH_BEFORE_CONSENT
    assert labels(result) == ["I agree", "Tell me more"]
    assert result.state.step == "welcome.consent" and result.effects == ()
    assert conversation.send("agree").state.step == "home.role"


@pytest.mark.parametrize(("typed", "line"), [("9", "Please type a number from 1 to 7."), ("", None), (None, None)])
def test_wrong_numbers_empty_text_and_photos_get_one_line_and_the_options(typed: str | None, line: str | None) -> None:
    conversation = at_category()
    result = conversation.send(typed, photo=Photo("f1") if typed is None else None)
    (reply,) = result.replies
    assert "Which category fits best?" not in reply.text and "\n" not in reply.text
    if line is not None:
        assert reply.text == line
    assert labels(result) == CATEGORIES
    assert options(result)[:2] == ["roads", "lighting"]


def test_done_with_nothing_chosen_gets_one_line_and_the_options() -> None:
    conversation = at_step(consented(), "4")
    result = conversation.send("done")
    assert result.replies[0].text == "Please choose at least one option, then Done."
    assert labels(result) == [*CATEGORIES, "Done"]


@pytest.mark.parametrize("typed", ["hello", "1", "0", "I agree?"])
def test_after_declining_a_step_with_no_options_shown_never_asks_for_a_number(typed: str) -> None:
    conversation = Conversation()
    conversation.send("/start")
    conversation.send("Tell me more")
    declined = conversation.send("No, thanks")
    assert declined.replies[0].choices == () and declined.state.shown == ()
    result = conversation.send(typed)
    said = conversation.said(result)
    assert "number" not in said and "(1 to 0)" not in said
    assert said == CONSENT  # the question itself, as if they had just arrived
    assert labels(result) == ["I agree", "Tell me more"]
    assert conversation.send("1").state.step == "home.role"


ZERO_OPTIONS = {
    CATALOGS.render(language, T(key, count=0))
    for language in ("en", "es", "fr", "de", "pt")
    for key in ("error.pick_option", "error.out_of_range")
}


@pytest.mark.parametrize("seed", range(12))
def test_no_step_ever_asks_for_a_number_from_1_to_0(seed: int) -> None:
    rng = random.Random(seed)
    conversation = WithReceipts(lookup=world())
    typed = [*INPUTS, "ideator", "yes", "no", "lighting", "espanol", "P-1", "p2", "hours", "Tell me more", "No, thanks"]
    for _ in range(300):
        conversation.language_candidates = rng.choice(DETECTED)
        result = conversation.send(rng.choice(typed) if rng.random() < 0.9 else None)
        said = conversation.said(result)
        assert not any(zero in said for zero in ZERO_OPTIONS), f"at {conversation.state.step}: {said!r}"
