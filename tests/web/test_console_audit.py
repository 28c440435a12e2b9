"""Every staff action is accounted for: what staff do in the console, in a chat and on the
command line lands in the audit log with who, from where and on what (`cocreate audit`),
and forgetting a person keeps the rows but not their identity."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.app import App
from conversations.messages import Address
from tests.bot.test_data_rights import everything_stored, names_id
from tests.bot.test_service import say
from tests.conftest import Cocreate
from tests.web.support import client, csrf_of, follow, once_of, report, signed_in
from tests.web.test_console_pages import staff_session

pytestmark = pytest.mark.postgres
SAM = Address("telegram", "5009", "5009")


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"staff": ("console:boss", "telegram:5009")}


def audit(cocreate: Cocreate, *args: str) -> list[dict[str, str]]:
    listed = cocreate("audit", "--json", *args)
    assert listed.exit_code == 0, listed.output
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_console_chat_and_command_line_actions_are_in_the_audit_log(app: App, cocreate: Cocreate) -> None:
    report(app, "ana", "The streetlight on Elm Street is out since Monday")
    report(app, "bob", "Overflowing bins behind the market every weekend", category="3")
    staff_session(
        app,
        ("POST", "/submissions/P-1/status", {"status": "accepted", "note": "A crew goes out on Thursday"}),
        ("POST", "/submissions/P-2/merge", {"original": "P-1", "note": ""}),
        ("POST", "/people/staff", {"identity": "telegram:12345"}),
        ("POST", "/people/groups", {"identity": "slack:C0123", "topic": ["roads"]}),
    )
    for text in ("/start", "1", "/web"):  # a sign-in link from a chat
        say(app, text, address=SAM)
    assert cocreate("staff", "remove", "telegram:12345").exit_code == 0
    rows = [(r["via"], r["actor"], r["action"], r["target"]) for r in reversed(audit(cocreate))]
    assert rows == [
        ("cli", "cli:test", "sign_in_link", "console:boss"),  # tests/web/support.py signs the boss in
        ("console", "console:boss", "sign_in", ""),
        ("console", "console:boss", "status", "P-1"),
        ("console", "console:boss", "merge", "P-2"),
        ("console", "console:boss", "staff_add", "telegram:12345"),
        ("console", "console:boss", "group_add", "slack:C0123"),
        ("chat", "telegram:5009", "sign_in_link", "telegram:5009"),
        ("cli", rows[-1][1], "staff_remove", "telegram:12345"),
    ]
    assert rows[-1][1].startswith("cli:")
    assert [r["action"] for r in audit(cocreate, "--who", "telegram:5009")] == ["sign_in_link"]
    assert audit(cocreate, "--since", "2999-01-01") == []
    accepted = next(r for r in audit(cocreate) if r["action"] == "status")
    assert accepted["detail"] == "new -> accepted: A crew goes out on Thursday"


def test_forgetting_a_staff_member_keeps_their_audit_rows_without_their_identity(app: App, cocreate: Cocreate) -> None:
    for text in ("/start", "1", "/web"):
        say(app, text, address=SAM)
    assert cocreate("people", "forget", "telegram:5009", "--yes").exit_code == 0
    rows = audit(cocreate)
    assert [r["action"] for r in rows] == ["forget", "sign_in_link"]
    assert not names_id(json.dumps(rows), 5009)
    assert rows[1]["actor"] == rows[1]["target"] == "(a forgotten person)"


def test_forgetting_a_staff_member_leaves_their_identity_nowhere_in_the_database(app: App, cocreate: Cocreate) -> None:
    """What a staff member did stays (the broadcast, the question, the history) but no longer
    names them: nor does the console language they chose."""
    report(app, "ana", "The streetlight on Elm Street is out since Monday")
    follow(app, "eve")
    for text in ("/start", "1"):
        say(app, text, address=SAM)

    async def in_the_console() -> None:
        async with client(app) as http:
            await signed_in(http, app, "telegram:5009")
            token = csrf_of((await http.get("/people")).text)
            await http.post("/language", data={"csrf": token, "language": "de", "back": "/"})
            asked = await http.post("/submissions/P-1/question", data={"csrf": token, "question": "Which lamp post is it?"})
            assert asked.status_code == 303
            texts = {"csrf": token, "text_en": "Line 7 starts on Monday", "topic": "lighting"}
            preview = await http.post("/broadcasts/preview", data=texts)
            sent = await http.post("/broadcasts/send", data={**texts, "once": once_of(preview.text)})
            assert sent.status_code == 303

    asyncio.run(in_the_console())
    assert "telegram:5009" in everything_stored(app)
    assert cocreate("people", "forget", "telegram:5009", "--yes").exit_code == 0
    assert not names_id(everything_stored(app), 5009)
    assert [r["action"] for r in audit(cocreate)][:3] == ["forget", "broadcast", "note"]  # a question is audited as a note
