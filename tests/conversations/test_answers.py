"""The city team's question to a submitter (asked from the staff console): the next free text
answers it, the person hears that it was attached, and the dialog goes on where it was."""

from __future__ import annotations

from conversations.context import OpenQuestion
from conversations.effects import AnswerQuestion
from tests.engine_support import Conversation


def in_the_middle_of_a_report() -> Conversation:
    talk = Conversation()
    for text in ("/start", "1", "1"):  # agree, Explorer: now asked what the problem is
        talk.send(text)
    assert talk.state.step == "explorer.description"
    talk.lookup.question = OpenQuestion(7, "P-3")
    return talk


def test_the_next_text_answers_the_question_and_the_dialog_goes_on() -> None:
    talk = in_the_middle_of_a_report()
    before = len(talk.effects)
    result = talk.send("Number 14, by the bakery")
    assert talk.effects[before:] == [AnswerQuestion(7, "Number 14, by the bakery")]
    said = talk.said(result)
    assert said.startswith("Thank you: your answer is attached to P-3, and the city team will see it.")
    assert "What is the problem?" in said and talk.state.step == "explorer.description"


def test_a_text_that_cannot_be_an_answer_is_explained_and_the_question_stays_open() -> None:
    talk = in_the_middle_of_a_report()
    before = len(talk.effects)
    result = talk.send("👍👍")
    assert talk.effects[before:] == [] and talk.said(result).startswith("Please describe it in words")


def test_commands_and_buttons_still_work_while_a_question_waits() -> None:
    talk = in_the_middle_of_a_report()
    before = len(talk.effects)
    result = talk.send("/help")
    assert talk.effects[before:] == [] and "Thank you: your answer" not in talk.said(result)
