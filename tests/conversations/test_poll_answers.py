"""Answering a poll in the engine: a press of a poll sent to the person and still open counts
(as an AnswerPoll effect), "Other" asks for a few words and comes back, typing an option's
label answers the latest poll when it answers nothing the current question asks, and anything
else gets a polite answer."""

from __future__ import annotations

from datetime import timedelta

from conversations.buttons import OTHER, PollAnswer, encode
from conversations.context import PollView
from conversations.effects import AnswerPoll
from conversations.flows.poll_answer import poll_choices
from tests.engine_support import NOW, Conversation, MemoryLookup

OPEN = PollView(7, ("Yes", "No"), True, NOW + timedelta(days=3), False)


def agreed(**lookup: object) -> Conversation:
    conversation = Conversation(lookup=MemoryLookup(**lookup))  # type: ignore[arg-type]
    for text in ("/start", "I agree"):
        conversation.send(text)
    return conversation


def test_a_press_answers_and_the_dialog_stays_where_it_was() -> None:
    conversation = agreed(polls={7: OPEN})
    conversation.send("Explorer — report a problem you've noticed")
    result = conversation.send(choice=encode(PollAnswer(7, 1)))
    assert result.effects == (AnswerPoll(7, 1),) and result.replies == ()  # the service confirms it
    assert result.state.step == "explorer.description"


def test_other_asks_for_a_few_words_then_goes_back_to_the_question() -> None:
    conversation = agreed(polls={7: OPEN})
    conversation.send("Explorer — report a problem you've noticed")
    asked = conversation.send(choice=encode(PollAnswer(7, OTHER)))
    assert conversation.said(asked).startswith("What would you answer?")
    refused = conversation.send("?")
    assert refused.state.step == "poll.other" and refused.effects == ()
    back = conversation.send("Every other Sunday")
    assert back.effects == (AnswerPoll(7, None, "Every other Sunday"),)
    assert back.state.step == "explorer.description" and conversation.said(back).startswith("What is the problem?")


def test_presses_that_cannot_count_get_a_polite_answer_and_change_nothing() -> None:
    closed = PollView(8, ("Yes", "No"), False, NOW - timedelta(days=1), True)
    conversation = agreed(polls={7: OPEN, 8: closed})
    for value, said in [
        (PollAnswer(9, 0), "Sorry, I can't find that poll"),  # not sent to them (or no such poll)
        (PollAnswer(8, 0), "Sorry, this poll has closed"),
        (PollAnswer(8, OTHER), "Sorry, this poll has closed"),
        (PollAnswer(7, 5), "That button belongs to an earlier question"),  # no option 5
    ]:
        result = conversation.send(choice=encode(value))
        assert conversation.said(result).startswith(said) and result.effects == (), value


def test_typing_a_label_answers_the_latest_poll_when_it_answers_no_question() -> None:
    parks = PollView(7, ("Parks and green spaces", "Not this year"), False, NOW + timedelta(days=3), False)
    conversation = agreed(polls={7: parks}, notice_buttons=poll_choices(7, parks.options, other=None))
    conversation.send("Explorer — report a problem you've noticed")
    conversation.send("The fountain in the park is broken")  # asks the category
    assert conversation.send("  not THIS year ").effects == (AnswerPoll(7, 1),)  # no category is called that
    answered = conversation.send("parks and green spaces")  # the question's own option comes first
    assert answered.effects == () and answered.state.step != "explorer.category"
    free = conversation.send("Not this year")  # a free answer (the place) is the dialog's
    assert free.effects == () and free.state.step != "explorer.place"
    assert Conversation(lookup=MemoryLookup(notice_buttons=poll_choices(7, parks.options, other=None))).send(
        "Not this year"
    ).effects == ()  # before agreeing, nothing is answered
