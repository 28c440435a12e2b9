"""The Telegram translation on recorded payload shapes (tests/fixtures/telegram)."""

from __future__ import annotations

import html

import pytest

from adapters import telegram
from conversations.buttons import BroadcastAction, StepAnswer, decode, encode
from conversations.messages import Address, Choice, Location, Outbound, Photo
from tests.fakes.telegram_api import fixture

ALICE = Address("telegram", "111111", "111111")


def translate(name: str) -> telegram.Translated:
    return telegram.to_inbound(fixture(name), bot_username="cocreate_bot")


def test_a_text_message_becomes_text_with_the_language_hint() -> None:
    inbound = translate("update_text")
    assert inbound.address == ALICE and inbound.event_id == "500003"
    assert inbound.text == "La farola de mi calle está rota"
    assert (inbound.locale_hint, inbound.display_name) == ("es", "Alice")


def test_a_location_and_a_photo_keep_coordinates_and_the_largest_file_id() -> None:
    assert translate("update_location").location == Location(52.520008, 13.404954)
    assert translate("update_photo").photo == Photo("AgACAgIAAxkBAAIBlarge", 98000)


@pytest.mark.parametrize("name", ["update_sticker", "update_voice"])
def test_things_that_are_not_text_arrive_empty(name: str) -> None:
    inbound = translate(name)
    assert (inbound.text, inbound.choice, inbound.location, inbound.photo) == (None, None, None, None)


def test_a_button_press_carries_its_value_and_what_to_edit() -> None:
    pressed = translate("update_callback_query")
    assert isinstance(pressed, telegram.Pressed)
    assert pressed.inbound.choice == "explorer" and pressed.inbound.address == ALICE
    assert (pressed.callback_query_id, pressed.chat_id, pressed.message_id) == ("4382bfdwdsb323b2d9", "111111", 10)
    assert pressed.label == "Explorer"
    assert telegram.pressed_text(pressed.message_text, pressed.label) == "What would you like to do?\n\n✓ Explorer"


@pytest.mark.parametrize("data", ["DROP TABLE", "c:DROP TABLE", "c:bc:1|launch", "", "bc:12|stop"])
def test_forged_button_data_reaches_the_engine_as_nothing_it_made(data: str) -> None:
    update = fixture("update_callback_query")
    update["callback_query"]["data"] = data
    assert decode(telegram.to_inbound(update, bot_username="cocreate_bot").inbound.choice) is None


def test_our_callback_data_carries_the_buttons_value_unchanged() -> None:
    update = fixture("update_callback_query")
    value = encode(BroadcastAction(12, "stop"))
    update["callback_query"]["data"] = telegram.callback_data(Choice(value, "Stop these updates"))
    pressed = telegram.to_inbound(update, bot_username="cocreate_bot")
    assert decode(pressed.inbound.choice) == BroadcastAction(12, "stop")


def test_blocking_edits_and_group_chatter_are_told_apart() -> None:
    assert translate("update_my_chat_member_blocked") == telegram.BotBlocked(ALICE)
    assert translate("update_edited_message") is None
    group = translate("update_group_command")
    assert group == telegram.GroupCall(Address("telegram", "-1001234567890", "111111"), "es")
    chatter = fixture("update_group_command")
    chatter["message"]["text"] = "anyone seen the new bus timetable?"
    assert telegram.to_inbound(chatter, bot_username="cocreate_bot") is None
    chatter["message"]["text"] = "@CoCreate_bot can you help?"
    assert isinstance(telegram.to_inbound(chatter, bot_username="cocreate_bot"), telegram.GroupCall)


def test_the_deep_link_start_keeps_its_argument() -> None:
    assert translate("update_command_start_deeplink").text == "/start grp-42"


def test_a_deep_links_parameter_is_passed_on_as_the_referral_and_nothing_else_is() -> None:
    assert translate("update_command_start_deeplink").referral == "grp-42"
    assert translate("update_command_start").referral is None
    assert translate("update_text").referral is None


def test_user_text_is_escaped_for_html_and_never_breaks_the_message() -> None:
    value = encode(StepAnswer("explorer.confirm", "confirm"))
    outbound = Outbound("Problem: <b>Elm & 4th</b> </pre>", (Choice(value, "Confirm <ok>"),))
    (chunk,) = telegram.to_channel(outbound)
    assert chunk.text == "Problem: &lt;b&gt;Elm &amp; 4th&lt;/b&gt; &lt;/pre&gt;"
    button = chunk.reply_markup.to_dict()["inline_keyboard"][0][0]
    assert button == {"text": "Confirm <ok>", "callback_data": f"c:{value}"}  # labels are not parsed


def test_long_texts_are_split_within_the_limit_with_the_keyboard_last() -> None:
    text = "\n".join(f"line {n} & more" for n in range(600)) + "\n" + "x" * 9000
    chunks = telegram.to_channel(Outbound(text, (Choice(encode(StepAnswer("explorer.confirm", "confirm")), "A"),)))
    assert len(chunks) > 2
    assert all(len(html.unescape(c.text)) <= telegram.MAX_TEXT for c in chunks)
    assert "".join(html.unescape(c.text) for c in chunks).replace("\n", "") == text.replace("\n", "")
    assert [c.reply_markup is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]


def test_a_location_question_gets_a_share_location_button() -> None:
    share = Choice(encode(StepAnswer("explorer.place", "_location")), "📍 Share my location", request="location")
    outbound = Outbound("Where is it?", (share, Choice(encode(StepAnswer("explorer.place", "_skip")), "Skip")))
    markup = telegram.to_channel(outbound)[0].reply_markup.to_dict()
    assert markup["keyboard"] == [[{"text": "📍 Share my location", "request_location": True}], [{"text": "Skip"}]]
    assert markup["one_time_keyboard"] is True


def test_callback_data_over_64_bytes_is_refused_before_telegram_refuses_it() -> None:
    with pytest.raises(ValueError):
        telegram.callback_data(Choice("x" * 70, "label"))
