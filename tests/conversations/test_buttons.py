"""Button values: what the bot puts on buttons reads back as the same thing, fits Telegram's
64 bytes of callback data, and nothing anyone else makes up is taken for one of ours."""

from __future__ import annotations

import random

import pytest

from adapters import telegram
from bot.config import DEFAULT_CATEGORIES
from conversations.buttons import (
    BROADCAST_ACTIONS,
    CHECK_ANSWERS,
    MAX_ID,
    MAX_POLL_OPTIONS,
    MAX_STEP_BYTES,
    MAX_VALUE_BYTES,
    BroadcastAction,
    ButtonValue,
    FollowUpAnswer,
    OTHER,
    OpenDirectMessage,
    Picked,
    PollAnswer,
    StepAnswer,
    decode,
    decode_pick,
    encode,
    encode_pick,
)
from conversations.context import Summary
from conversations.engine import DONE, MORE, SHARE_LOCATION, SKIP
from conversations.flows import all_steps
from conversations.messages import Choice
from conversations.refs import PREFIXES
from conversations.steps import Ask, Choose
from tests.engine_support import Conversation, MemoryLookup

STEP_IDS = sorted(all_steps(), key=len)
LONGEST_STEP = STEP_IDS[-1]
KINDS = tuple(PREFIXES)


def every_kind_of_value() -> list[ButtonValue]:
    """The largest value of every kind the bot makes, and every action and answer."""
    values: list[ButtonValue] = [OpenDirectMessage()]
    values += [BroadcastAction(id_, action) for id_ in (1, MAX_ID) for action in BROADCAST_ACTIONS]
    values += [FollowUpAnswer(kind, id_, answer) for kind in KINDS for id_ in (1, MAX_ID) for answer in CHECK_ANSWERS]
    values += [PollAnswer(id_, option) for id_ in (1, MAX_ID) for option in (*range(MAX_POLL_OPTIONS), OTHER)]
    # Option values: the engine's own, the largest submission picks, step ids (the "what
    # would you like to change?" options), the default categories and the widest allowed.
    options = [MORE, DONE, SKIP, SHARE_LOCATION, *DEFAULT_CATEGORIES, *STEP_IDS, "ü" * (MAX_VALUE_BYTES // 2)]
    options += [encode_pick(Picked(kind, MAX_ID)) for kind in KINDS]
    values += [StepAnswer(step, option) for step in STEP_IDS for option in options]
    values.append(StepAnswer("a" * (MAX_STEP_BYTES - 2) + ".b", "x" * MAX_VALUE_BYTES))
    return values


def test_every_value_fits_telegrams_callback_data_once_wrapped() -> None:
    for value in every_kind_of_value():
        data = telegram.callback_data(Choice(encode(value), "label"))  # raises over 64 bytes
        assert len(data.encode()) <= telegram.MAX_CALLBACK_DATA


def test_the_flows_step_ids_keep_within_the_bound() -> None:
    assert len(LONGEST_STEP) <= MAX_STEP_BYTES, f"{LONGEST_STEP} is too long for a button"
    assert encode(StepAnswer(LONGEST_STEP, LONGEST_STEP))  # raises for a step id it could not read back


def test_every_value_reads_back_as_itself() -> None:
    for value in every_kind_of_value():
        assert decode(encode(value)) == value


def test_submission_picks_read_back_as_themselves() -> None:
    for kind in KINDS:
        for id_ in (1, 12, MAX_ID):
            assert decode_pick(encode_pick(Picked(kind, id_))) == Picked(kind, id_)
    assert decode_pick("not_listed") is None


def test_the_wire_forms_stay_as_buttons_already_sent_carry_them() -> None:
    """People press buttons on messages sent before an upgrade: the strings must not change."""
    assert encode(StepAnswer("explorer.category", "parks")) == "explorer.category|parks"
    assert encode(BroadcastAction(12, "shared")) == "bc:12|shared"
    assert encode(BroadcastAction(12, "stop")) == "bc:12|stop"
    assert encode(FollowUpAnswer("problem", 12, "still")) == "fu:P-12|still"
    assert encode(PollAnswer(12, 3)) == "pl:12|3" and encode(PollAnswer(12, "other")) == "pl:12|other"
    assert encode(OpenDirectMessage()) == "_open_dm"
    assert encode_pick(Picked("problem", 12)) == "p:12" and encode_pick(Picked("idea", 7)) == "i:7"


FORGED = [
    None, "", "|", "gone", "home.role", "home.role|", "|explorer", "Home.Role|explorer", "home role|x",
    "c:home.role|explorer", "home.role|" + "x" * (MAX_VALUE_BYTES + 1), "a" * (MAX_STEP_BYTES + 1) + ".b|x",
    "home.role|\ud800", "bc:", "bc:12", "bc:12|", "bc:12|launch", "bc:|shared", "bc:0|shared", "bc:012|shared",
    "bc:-1|stop", "bc:²|shared", "bc:１２|shared", f"bc:{MAX_ID + 1}|shared", "bc:1|shared|stop", "bc:1|Shared",
    "bc:1|shared\n", " bc:1|shared", "fu:P-12|", "fu:P-12|maybe", "fu:Q-12|still", "fu:p-12|still", "fu:P12|still",
    "fu:P-²|still", f"fu:P-{MAX_ID + 1}|still", "fu:P-12|still|worse", "fu:|still", "_open_dm ", "_OPEN_DM",
    "pl:", "pl:12", "pl:12|", "pl:12|10", "pl:12|-1", "pl:12|03", "pl:12|Other", "pl:0|1", f"pl:{MAX_ID + 1}|1",
    "pl:12|1|2", "pl:12|²", "pl:|1",
]  # fmt: skip


@pytest.mark.parametrize("raw", FORGED, ids=repr)
def test_forged_and_malformed_values_are_not_ours(raw: str | None) -> None:
    assert decode(raw) is None


@pytest.mark.parametrize("raw", ["p:", "p:0", "p:x", "q:12", "P:12", "p:12 ", "p:²", f"p:{MAX_ID + 1}", "p:1:2"])
def test_forged_picks_are_none(raw: str) -> None:
    assert decode_pick(raw) is None


@pytest.mark.parametrize("seed", range(20))
def test_decoding_any_string_never_raises_and_only_reads_back_what_it_could_make(seed: int) -> None:
    """Random strings and mutations of real values: None, or a value that encodes to exactly
    the string read (so nothing forged is read as something else)."""
    rng = random.Random(seed)
    real = [encode(v) for v in every_kind_of_value()[::7]]
    alphabet = "ab.|:_-019²１PpbcfuIDx \n\t\x00é🙂\ud800"
    for _ in range(2000):
        if rng.random() < 0.5:
            raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        else:
            chars = list(rng.choice(real))
            for _ in range(rng.randint(1, 3)):
                position = rng.randrange(len(chars) + 1)
                chars[position:position + rng.randint(0, 1)] = rng.choice(alphabet) * rng.randint(0, 2)
            raw = "".join(chars)
        value = decode(raw)
        assert value is None or encode(value) == raw, raw
        pick = decode_pick(raw)
        assert pick is None or encode_pick(pick) == raw, raw


@pytest.mark.parametrize(
    "value",
    [
        StepAnswer("not a step", "x"),
        StepAnswer("", "x"),
        StepAnswer("home.role", ""),
        StepAnswer("home.role", "x" * (MAX_VALUE_BYTES + 1)),
        StepAnswer("a" * MAX_STEP_BYTES + ".b", "x"),
        BroadcastAction(0, "stop"),
        BroadcastAction(MAX_ID + 1, "stop"),
        BroadcastAction(1, "launch"),  # type: ignore[arg-type]
        FollowUpAnswer("problem", 1, "maybe"),  # type: ignore[arg-type]
        FollowUpAnswer("petition", 1, "still"),
        PollAnswer(1, MAX_POLL_OPTIONS),
        PollAnswer(1, -1),
        PollAnswer(0, 1),
        PollAnswer(1, True),
        PollAnswer(1, "maybe"),  # type: ignore[arg-type]
    ],
    ids=repr,
)
def test_a_value_that_could_not_be_read_back_is_refused_when_made(value: ButtonValue) -> None:
    with pytest.raises(ValueError):
        encode(value)


def _leads_elsewhere(step: object) -> bool:
    """A free question whose button goes to another dialog (the walk must also answer it)."""
    return isinstance(step, Ask) and bool(step.instead)


def test_every_button_the_flows_show_is_ours_and_fits() -> None:
    """Walk the dialogs at random with ids as large as the database allows: every button
    shown answers the question it was shown with and fits Telegram once wrapped, and the
    walk goes through every question that has buttons."""
    big = [MAX_ID - n for n in range(12)]
    problems = [(Summary("problem", n, f"P-{n}", f"Pothole {n}", "new", category="roads"), "A pothole on Main St")
                for n in big]  # fmt: skip
    ideas = [Summary("idea", n, f"I-{n}", f"Idea {n}", "new") for n in big]
    lookup = MemoryLookup(problems=problems, ideas=ideas, staff=True, audience=MAX_ID)
    # The answer most free questions take has contact details, so confirming asks about them.
    texts = ["There is a deep pothole on Main St, ask ana@example.org", "/menu", "/back", "/language", "/inbox", "/broadcast", "/forget", "2", "Skip", "/poll", "Yes\nNo\nMaybe"]
    shown_at: set[str] = set()
    steps = all_steps()
    for seed in range(15):
        rng = random.Random(seed)
        conversation = Conversation(lookup=lookup, capabilities=frozenset({"buttons", "photo", "location"}))
        result = conversation.send("/start")
        for _ in range(150):
            buttons = [c for r in result.replies for c in r.choices]
            for choice in buttons:
                pressed = decode(choice.value)
                assert isinstance(pressed, StepAnswer) and pressed.step == result.state.step
                assert len(telegram.callback_data(choice).encode()) <= telegram.MAX_CALLBACK_DATA
                shown_at.add(pressed.step)
            if rng.random() < 0.1:
                result = conversation.send(rng.choice(texts))
            elif buttons and not (_leads_elsewhere(steps.get(result.state.step or "")) and rng.random() < 0.5):
                result = conversation.send(choice=rng.choice(buttons).value)  # half the time only, where a button leaves
            else:
                result = conversation.send(texts[0])  # an answer most free questions take
    with_buttons = {
        id_ for id_, step in all_steps().items()
        if isinstance(step, Choose) or (isinstance(step, Ask) and (step.skippable or step.accepts_location))
    }  # fmt: skip
    assert sorted(with_buttons - shown_at) == []


TO_THE_PLACE_QUESTION = ("/start", "I agree", "Explorer — report a problem you've noticed", "A bench by the pond is broken")


def test_a_share_location_button_asks_for_the_location_and_no_other_does() -> None:
    conversation = Conversation(capabilities=frozenset({"buttons", "location"}))
    for text in TO_THE_PLACE_QUESTION:
        conversation.send(text)
    where = conversation.send("Parks and green spaces").replies[-1].choices
    assert [(decode(c.value), c.request) for c in where] == [
        (StepAnswer("explorer.place", SHARE_LOCATION), "location"),
        (StepAnswer("explorer.place", SKIP), None),
    ]


def test_where_no_location_can_be_sent_no_button_asks_for_one() -> None:
    conversation = Conversation(capabilities=frozenset({"buttons"}))
    for text in TO_THE_PLACE_QUESTION:
        conversation.send(text)
    where = conversation.send("Parks and green spaces").replies[-1].choices
    assert [(decode(c.value), c.request) for c in where] == [(StepAnswer("explorer.place", SKIP), None)]


def test_a_choice_keeps_its_request_through_the_outbox_json() -> None:
    share = Choice(encode(StepAnswer("explorer.place", SHARE_LOCATION)), "📍", request="location")
    plain = Choice(encode(StepAnswer("explorer.place", SKIP)), "Skip")
    assert [Choice.from_json(c.to_json()) for c in (share, plain)] == [share, plain]
    assert plain.to_json() == {"value": "explorer.place|_skip", "label": "Skip"}  # as rows always were
    assert Choice.from_json({"value": "v", "label": "l", "request": "phone"}).request is None
