"""Whatever people send, in whatever order, the engine answers and never crashes."""

from __future__ import annotations

import random

import pytest

from dataclasses import replace

from conversations.buttons import (
    BROADCAST_ACTIONS,
    CHECK_ANSWERS,
    BroadcastAction,
    FollowUpAnswer,
    StepAnswer,
    encode,
)
from conversations.context import Summary
from conversations.effects import (
    AddSupport,
    ChangeStatus,
    Moderate,
    QueueBroadcast,
    Outcome,
    RecordReach,
    Receipt,
    Receipts,
    SaveDesignOffer,
    SaveIdea,
    SaveProblem,
)
from conversations.engine import Result
from conversations.messages import Location, Photo
from tests.engine_support import Conversation, MemoryLookup


class WithReceipts(Conversation):
    """Answers effects with receipts in the same turn, as the conversation service does."""

    def send(self, text: str | None = None, **fields: object) -> Result:
        result = super().send(text, **fields)
        receipts = tuple(r for r in map(_receipt, result.effects) if r is not None)
        if not receipts:
            return result
        after = self.apply(self.engine.step(self.state, Receipts(receipts), self.context()))
        return replace(after, replies=(*result.replies, *after.replies), effects=(*result.effects, *after.effects))


def _receipt(effect: object) -> Receipt | None:
    if isinstance(effect, SaveProblem):
        return Receipt("problem", 99, "P-99")
    if isinstance(effect, SaveIdea):
        return Receipt("idea", 99, "I-99")
    if isinstance(effect, SaveDesignOffer):
        return Receipt("design", 99, "D-99")
    if isinstance(effect, AddSupport):
        return Receipt(effect.kind, effect.target_id, f"X-{effect.target_id}", Outcome.ADDED)
    if isinstance(effect, RecordReach):
        return Receipt("reach", effect.broadcast_id, f"B-{effect.broadcast_id}", Outcome.ADDED, people=effect.people)
    if isinstance(effect, QueueBroadcast):
        return Receipt("broadcast", 1, "B-1", Outcome.QUEUED, people=12)
    if isinstance(effect, ChangeStatus):
        return Receipt(effect.kind, effect.target_id, f"P-{effect.target_id}", Outcome.CHANGED, people=2)
    if isinstance(effect, Moderate):
        return Receipt(effect.kind, effect.target_id, f"P-{effect.target_id}", Outcome.CHANGED)
    return None

INPUTS = [
    "1", "2", "3", "5", "9", "0", "1,2", "Done", "Skip", "More…", "", "   ", "🙂", "x" * 3000,
    "Robert'); DROP TABLE problem;--", "The bench by the pond is broken again", "/start", "/help", "/menu",
    "/role", "/my", "/language", "/privacy", "/cancel", "/back", "/broadcast", "/inbox", "/start report", "/nope", "P-3", "P-4",
    "bad\x00byte", "I agree", "Confirm", "Edit", "Cancel", "about 40",
]  # fmt: skip


# Button values nobody made: malformed, out of range, of another kind, or from an older bot.
FORGED = [
    "", "|", "gone", "home.role", "home.role|", "|explorer", "Home.Role|explorer", "c:home.role|explorer",
    "home.role|explorer|extra", "bc:1|x", "bc:|shared", "bc:0|shared", "bc:01|stop", "bc:²|shared",
    "bc:99999999999|shared", "bc:1|shared|stop", "fu:P-1|x", "fu:Q-1|still", "fu:P-²|still", "fu:P1|still",
    "fu:P-1|still\n", "_open_dm", "p:3", "\ud800|\udfff", "x" * 5000, "home.role|" + "x" * 5000,
]  # fmt: skip


# What language detection may report for a text: nothing, a confident offered or unoffered
# language, or a split.
DETECTED = [(), (), (("es", 0.99),), (("it", 1.0),), (("en", 0.5), ("de", 0.5)), (("de", 0.9), ("en", 0.1))]


def world() -> MemoryLookup:
    problems = [(Summary("problem", n, f"P-{n}", f"Problem {n}", "new", supporters=n % 4, category="roads"),
                 f"Problem {n} on Main Street") for n in range(1, 9)]  # fmt: skip
    ideas = [Summary("idea", n, f"I-{n}", f"Idea {n}", "new", supporters=n % 3) for n in range(1, 8)]
    return MemoryLookup(problems=problems, ideas=ideas, staff=True, audience=12, sent=frozenset({1, 2}))


@pytest.mark.parametrize("seed", range(60))
def test_random_conversations_always_get_an_answer(seed: int) -> None:
    rng = random.Random(seed)
    capabilities = rng.choice([frozenset(), frozenset({"buttons", "photo", "location"})])
    conversation = WithReceipts(lookup=world(), capabilities=capabilities)
    for _ in range(300):
        last = conversation.state
        conversation.language_candidates = rng.choice(DETECTED)
        roll = rng.random()
        if roll < 0.25 and last.shown:
            # Press one of the buttons on screen, or one of an older question.
            value = rng.choice([*last.shown, "gone"])
            step = str(last.step) if rng.random() < 0.9 else "old.step"
            result = conversation.send(choice=encode(StepAnswer(step, value)))
        elif roll < 0.3:
            result = conversation.send(location=Location(52.5, 13.4))
        elif roll < 0.35:
            result = conversation.send(photo=Photo("file-id", 1000))
        elif roll < 0.4:
            result = conversation.send(choice=encode(BroadcastAction(rng.randint(1, 3), rng.choice(BROADCAST_ACTIONS))))
        elif roll < 0.41:
            answer = FollowUpAnswer("problem", rng.randint(1, 9), rng.choice(CHECK_ANSWERS))
            result = conversation.send(choice=encode(answer))
        elif roll < 0.44:
            result = conversation.send(choice=rng.choice(FORGED))
        elif roll < 0.45:
            result = conversation.send(None)  # a sticker
        else:
            result = conversation.send(rng.choice(INPUTS))
        assert result.replies, f"no answer at {last.step} (seed {seed})"
        assert result.state.step in conversation.engine.steps
        assert all(r.text for r in result.replies)
