"""The Slack translation on recorded payload shapes (tests/fixtures/slack)."""

from __future__ import annotations

import copy

from adapters import slack
from conversations.buttons import StepAnswer, decode, encode
from conversations.messages import Address, Choice, Outbound
from tests.fakes.slack_api import fixture


def test_a_direct_message_becomes_text_with_slacks_escapes_undone() -> None:
    body = copy.deepcopy(fixture("event_message_im.json"))
    body["event"]["text"] = "Fence &amp; gate at &lt;Elm St&gt; broken"
    inbound = slack.to_inbound(body, bot_user_id="UBOT")
    assert inbound.address == Address("slack", "D0001", "U0001")
    assert (inbound.event_id, inbound.text) == ("Ev0A1B2C3D", "Fence & gate at <Elm St> broken")


def test_the_bots_own_and_other_bots_messages_are_ignored() -> None:
    assert slack.to_inbound(fixture("event_message_from_bot.json"), bot_user_id="UBOT") is None
    own = copy.deepcopy(fixture("event_message_im.json"))
    own["event"]["user"] = "UBOT"
    assert slack.to_inbound(own, bot_user_id="UBOT") is None


def test_a_mention_in_a_channel_is_answered_in_its_thread() -> None:
    mention = slack.to_inbound(fixture("event_app_mention.json"), bot_user_id="UBOT")
    assert mention == slack.Mention(Address("slack", "C0100", "U0001", "1764331201.000300"), "Ev0A1B2C3E")


def test_a_button_press_carries_its_value_and_the_message_to_update() -> None:
    press = slack.pressed(fixture("block_actions_payload.json"))
    assert press.inbound.choice == "explorer" and press.inbound.address == Address("slack", "D0001", "U0001")
    assert press.inbound.event_id == "action:D0001:1764331204.1"
    assert (press.message_ts, press.label) == ("1764331203.000500", "Explorer")
    assert slack.chosen(press.message_text, press.label).text == "What would you like to do?\n\n✓ Explorer"


def test_a_button_without_a_value_reaches_the_engine_as_nothing_it_made() -> None:
    payload = fixture("block_actions_payload.json")
    del payload["actions"][0]["value"]
    assert decode(slack.pressed(payload).inbound.choice) is None


def test_text_is_escaped_so_it_cannot_ping_or_link() -> None:
    confirm = Choice(encode(StepAnswer("explorer.confirm", "confirm")), "A & B")
    message = slack.to_channel(Outbound("Idea: <!channel> ping & <https://evil.example|click>", (confirm,)))
    assert message.blocks[0]["text"]["text"] == "Idea: &lt;!channel&gt; ping &amp; &lt;https://evil.example|click&gt;"
    assert message.text == message.blocks[0]["text"]["text"]
    button = message.blocks[1]["elements"][0]
    assert button["text"] == {"type": "plain_text", "text": "A & B", "emoji": True}  # plain text is not parsed
    assert (decode(button["value"]), button["action_id"]) == (StepAnswer("explorer.confirm", "confirm"), "choice-0")


def test_long_texts_and_many_buttons_fit_slacks_limits() -> None:
    text = "\n".join("<&> " * 200 for _ in range(20))
    choices = tuple(Choice(encode(StepAnswer("home.role", f"option_{n}")), f"Option {n}") for n in range(30))
    message = slack.to_channel(Outbound(text, choices))
    sections = [b for b in message.blocks if b["type"] == "section"]
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert all(len(b["text"]["text"]) <= slack.SECTION_LIMIT for b in sections) and len(sections) > 1
    assert [len(b["elements"]) for b in actions] == [25, 5]
