"""Nothing in the flows fails silently: a saved step that no longer exists, receipts that
no step waits for and a flow that loops are logged as errors with the event id, and the
person still gets an answer."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from sqlmodel import Session, select

from bot.app import App
from conversations.effects import AddSupport, Receipt, Receipts
from conversations.engine import FlowEngine
from conversations.flows import all_steps
from conversations.i18n import T
from conversations.messages import Address, Inbound
from conversations.state import State
from conversations.steps import Ask, AwaitReceipts, Move, says
from storage import submissions
from storage.models import Citizen, Conversation, OutboxMessage, ProblemCreate
from tests.engine_support import Conversation as EngineConversation

pytestmark = pytest.mark.postgres
ANA = Address("telegram", "7001", "7001")
LOST = "Sorry, I lost track of where we were."


def consented(app: App) -> None:
    for event_id, text in (("e-start", "/start"), ("e-agree", "1")):
        app.service.handle(Inbound(ANA, event_id, text=text, display_name="Ana"))


def put_at_step(app: App, step: str) -> None:
    with Session(app.database) as session, session.begin():
        citizen = session.exec(select(Citizen).where(Citizen.channel_user_id == ANA.user_id)).one()
        conversation = session.exec(select(Conversation).where(Conversation.citizen_id == citizen.id)).one()
        conversation.state = State(step=step).to_json()
        session.add(conversation)


def newest_reply(app: App) -> str:
    with Session(app.database) as session:
        statement = select(OutboxMessage).where(OutboxMessage.chat_id == ANA.chat_id).order_by(OutboxMessage.id.desc())
        return session.exec(statement).first().text


def errors_about(caplog: pytest.LogCaptureFixture, event_id: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and event_id in r.getMessage()]


def test_a_saved_step_that_no_longer_exists_is_logged_and_the_person_is_taken_to_the_menu(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    consented(app)
    put_at_step(app, "explorer.renamed_step")
    app.service.handle(Inbound(ANA, "e-lost", text="hello"))
    assert LOST in newest_reply(app)
    [error] = errors_about(caplog, "e-lost")
    assert "explorer.renamed_step" in error and "no longer exists" in error


def test_receipts_that_no_step_waits_for_are_an_error_of_the_result() -> None:
    conversation = EngineConversation()
    conversation.send("/start")
    receipts = Receipts((Receipt("problem", 3, "P-3"),))
    result = conversation.engine.step(conversation.state, receipts, conversation.context())
    [error] = result.errors
    assert "P-3" in error.detail and "no step waits" in error.detail
    assert result.state == conversation.state


def test_a_flow_that_keeps_producing_receipts_is_stopped_and_logged(app: App, caplog: pytest.LogCaptureFixture) -> None:
    with Session(app.database) as session, session.begin():
        problem = submissions.create_problem(
            session, citizen_id=_citizen_id(app), problem_in=ProblemCreate(description="Bench broken", title="Bench broken", category="parks", language="en"),
        )
        problem_id = problem.id
    # A faulty flow: every support it adds produces a receipt, which it answers with another.
    support = Move("loop.wait", effects=(AddSupport("problem", problem_id),))
    steps = {
        **all_steps(),
        "loop.ask": Ask("loop.ask", says(T("resume.lost")), "x", lambda _turn: support, lambda text: text),
        "loop.wait": AwaitReceipts("loop.wait", lambda _turn, _receipts: support),
    }
    service = replace(app.service, flows=FlowEngine(steps))
    put_at_step(app, "loop.ask")
    service.handle(Inbound(ANA, "e-loop", text="go"))
    [error] = errors_about(caplog, "e-loop")
    assert "engine steps" in error and "loop.wait" in error


def _citizen_id(app: App) -> int:
    consented(app)
    with Session(app.database) as session:
        citizen = session.exec(select(Citizen).where(Citizen.channel_user_id == ANA.user_id)).one()
        assert citizen.id is not None
        return citizen.id
