"""Checked when it happens: the engine asks whether the person is staff at every question of a
staff dialog, however the question comes back (an answer, /help, /back, the way back after
"I shared it"), and a reach the service refuses is asked again."""

from __future__ import annotations

import pytest

from conversations.buttons import BroadcastAction, encode
from conversations.context import Summary
from conversations.effects import Outcome, Receipt, Receipts
from conversations.flows import all_steps
from conversations.flows.broadcast_dialog import IMPLAUSIBLE
from tests.engine_support import Conversation, MemoryLookup

NO_LONGER = "Sorry — this is only for the city team, and you're no longer on the staff list, so I've stopped here."


def staff_at(step: str) -> Conversation:
    problem = (Summary("problem", 1, "P-1", "Broken swing", "new", category="parks"), "Broken swing in Elm Park")
    conversation = Conversation(lookup=MemoryLookup(problems=[problem], staff=True, audience=3, sent=frozenset({7})))
    answers = {
        "inbox.open": ("/start", "I agree", "/inbox", "1"),
        "staff.confirm": ("/start", "I agree", "/broadcast", "The library reopens on Monday", "1"),
    }[step]
    for answer in answers:
        conversation.send(answer)
    assert conversation.state.step == step
    conversation.lookup.staff = False  # `cocreate staff remove` meanwhile
    return conversation


@pytest.mark.parametrize("step", ["inbox.open", "staff.confirm"])
@pytest.mark.parametrize("text", ["/help", "/back", "1"])
def test_a_removed_staff_member_is_taken_out_whatever_they_send(step: str, text: str) -> None:
    conversation = staff_at(step)
    result = conversation.send(text)
    said = conversation.said(result)
    assert NO_LONGER in said and said.endswith("What would you like to do?")
    assert "P-1" not in said and "library" not in said  # nothing of the staff dialog is shown
    assert result.state.step == "home.role" and result.effects == ()


def test_coming_back_to_a_staff_question_after_i_shared_it_asks_again() -> None:
    conversation = staff_at("staff.confirm")
    conversation.lookup.staff = True
    conversation.send(choice=encode(BroadcastAction(7, "shared")))
    answered = conversation.send("12")
    conversation.lookup.staff = False
    counted = Receipts((Receipt("reach", 7, "B-7", Outcome.ADDED, people=12),))
    result = conversation.apply(conversation.engine.step(answered.state, counted, conversation.context()))
    said = conversation.said(result)
    assert said.startswith("Thanks — that's about 12 more people who know.")
    assert NO_LONGER in said and result.state.step == "home.role"


def test_every_step_of_the_staff_dialogs_is_marked() -> None:
    for key, step in all_steps().items():
        assert step.staff_only == key.startswith(("staff.", "staffpoll.", "inbox.")), key


def test_a_number_the_service_finds_implausible_is_asked_again() -> None:
    conversation = Conversation(lookup=MemoryLookup(sent=frozenset({7})))
    for text in ("/start", "I agree"):
        conversation.send(text)
    conversation.send(choice=encode(BroadcastAction(7, "shared")))
    answered = conversation.send("40")
    refused = Receipts((Receipt("reach", 7, "B-7", Outcome.FAILED, reason=IMPLAUSIBLE),))
    result = conversation.apply(conversation.engine.step(answered.state, refused, conversation.context()))
    assert conversation.said(result).startswith("Please type a number of people")
    assert result.state.step == "reach.people"
