"""The city team's questions to a submitter (asked from the staff console): the person's next
free text is the answer. It is attached to the submission, and the person carries on where
they were, as with the buttons under a follow-up."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from conversations import validation
from conversations.context import OpenQuestion
from conversations.effects import AnswerQuestion
from conversations.i18n import Text, T
from conversations.steps import Turn

if TYPE_CHECKING:
    from conversations.engine import FlowEngine, Result

# Room for the answer and its label in the history line (which holds 2,000 characters).
MAX_ANSWER = 1800
_checked = validation.text_between(1, MAX_ANSWER)


def answer_question(engine: FlowEngine, turn: Turn, question: OpenQuestion, text: str) -> Result:
    """Attach the answer and repeat what the person was doing; a text that cannot be an
    answer (no words, too long) is explained and the question stays open."""
    answer = _checked(text)
    if isinstance(answer, Text):
        return engine.ask_again(turn, answer)
    result = engine.ask_again(turn, T("question.thanks", ref=question.ref))
    return replace(result, effects=(AnswerQuestion(question.id, answer), *result.effects))
