"""What staff and diffusers read of design teams and measured reach: /inbox names the ideas
ready to form a design team, /my tells a diffuser what their personal links brought."""

from __future__ import annotations

from conversations.context import MyReach, ReadyIdea, Summary
from tests.engine_support import Conversation, MemoryLookup

READY = ReadyIdea("I-4", "Shade for the bus stop", 12, 2)


def test_the_staff_inbox_opens_with_the_ideas_ready_to_form_a_design_team() -> None:
    problem = (Summary("problem", 1, "P-1", "Broken swing", "new", category="parks"), "Broken swing in Elm Park")
    conversation = Conversation(lookup=MemoryLookup(problems=[problem], staff=True, ready=[READY]))
    for answer in ("/start", "I agree"):
        conversation.send(answer)
    said = conversation.said(conversation.send("/inbox"))
    assert "Ready to form a design team" in said
    assert "• I-4 — Shade for the bus stop (12 supporters, 2 designers who may be contacted)" in said
    assert said.index("I-4") < said.index("Waiting for review")


def test_an_empty_inbox_still_names_the_ready_ideas() -> None:
    conversation = Conversation(lookup=MemoryLookup(staff=True, ready=[READY]))
    for answer in ("/start", "I agree"):
        conversation.send(answer)
    assert "I-4 — Shade for the bus stop" in conversation.said(conversation.send("/inbox"))


def test_my_tells_a_diffuser_what_their_links_brought_and_nobody_else_hears_of_it() -> None:
    diffuser = Conversation(lookup=MemoryLookup(measured=MyReach(started=3, submitted=2)))
    for answer in ("/start", "I agree"):
        diffuser.send(answer)
    assert "people who started the bot: 3; what they have sent so far: 2." in diffuser.said(diffuser.send("/my"))
    someone = Conversation()
    for answer in ("/start", "I agree"):
        someone.send(answer)
    assert "personal links" not in someone.said(someone.send("/my"))
