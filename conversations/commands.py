"""Commands that work from any step: /start /help /menu /role /my /language /privacy /mydata
/forget /cancel /back /stop, plus the staff ones (/broadcast, /poll, /inbox, /web), and the buttons under messages the bot sent first."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from conversations.buttons import BroadcastAction, FollowUpAnswer
from conversations.effects import RecordCheck, SendMyData, SendSignInLink, SetRole, StopUpdates
from conversations.context import Summary
from conversations.i18n import T, Text
from conversations.refs import make_ref
from conversations.state import WELCOME
from conversations.steps import Move, Turn

if TYPE_CHECKING:
    from conversations.engine import FlowEngine, Result

# "/start", "/start report", and "/help@CityBot" as Telegram sends commands in groups.
_COMMAND = re.compile(r"^\s*/([A-Za-z_]+)(?:@\w+)?(?:\s+(.*))?\s*$", re.DOTALL)
# Deep-link or slash-command arguments that open a dialog directly: /start report
START_TARGETS = {
    "report": "explorer",
    "idea": "ideator",
    "design": "designer",
    "follow": "diffuser",
}
_ALLOWED_BEFORE_CONSENT = {"start", "help", "privacy", "language"}
_HOME_FLOWS = {None, "welcome", "home"}


def parse_command(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    match = _COMMAND.match(text)
    if match is None:
        return None
    return match.group(1).lower(), (match.group(2) or "").strip()


def handle_command(engine: FlowEngine, turn: Turn, name: str, argument: str) -> Result:
    consented = turn.ctx.person.consented
    if not consented and name not in _ALLOWED_BEFORE_CONSENT:
        return engine.go(turn, Move(WELCOME, say=(T("consent.needed_first"),)))
    handler = _HANDLERS.get(name)
    if handler is None:
        return engine.ask_again(turn, T("error.unknown_command", command=f"/{name}"))
    return handler(engine, turn, argument)


def _start(engine: FlowEngine, turn: Turn, argument: str) -> Result:
    if not turn.ctx.person.consented:
        return engine.go(turn, Move(WELCOME, seed={"start_with": START_TARGETS.get(argument.lower())}))
    target = START_TARGETS.get(argument.lower())
    if target is not None:
        return engine.go(turn, role_move(turn, target))
    if _in_dialog(turn):
        return engine.ask_again(turn, T("resume.welcome_back"))
    return engine.go(turn, Move("home.role", say=(T("resume.hello"),)))


def _help(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    return engine.ask_again(turn, T("help.text"))


def _privacy(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    return engine.ask_again(turn, privacy_text(turn))


def privacy_text(turn: Turn) -> Text:
    """What is kept, why, how long, who sees it, and /mydata and /forget."""
    return T("privacy.text", days=turn.ctx.settings.retention_days)


def _mydata(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    """Everything kept about the person: the service sends a summary and a file, then the
    current question comes again."""
    result = engine.ask_again(turn)
    return replace(result, effects=(SendMyData(), *result.effects))


def _forget(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    """Says what goes and what stays, and asks to confirm (conversations/flows/privacy.py);
    keeping everything goes back to where they were."""
    if turn.state.flow == "privacy":
        return engine.ask_again(turn)
    return engine.go(
        replace(turn, state=replace(turn.state, suspended=turn.state.to_json())),
        Move("privacy.forget"),
    )


def _menu(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    say = (T("dialog.left"),) if _in_dialog(turn) else ()
    return engine.go(turn, Move("home.role", say=say))


def _my(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    return engine.ask_again(turn, *my_texts(turn))


def _cancel(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    if not _in_dialog(turn):
        return engine.ask_again(turn, T("dialog.nothing_to_cancel"))
    return engine.go(turn, Move("home.role", say=(T("dialog.cancelled"),)))


def _back(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    state = turn.state
    if not state.history:
        return engine.ask_again(turn, T("dialog.at_start"))
    previous = replace(state, step=state.history[-1], history=state.history[:-1])
    return engine.ask_again(Turn(previous, turn.ctx, turn.event))


def _language(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    if turn.state.flow == "settings":
        return engine.ask_again(turn)
    return engine.go(
        replace(turn, state=replace(turn.state, suspended=turn.state.to_json())),
        Move("settings.language"),
    )


def _broadcast(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    if not turn.ctx.lookup.is_staff():
        return engine.ask_again(turn, T("staff.refused"))
    return engine.go(turn, Move("staff.text"))


def _poll(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    if not turn.ctx.lookup.is_staff():
        return engine.ask_again(turn, T("staff.refused"))
    return engine.go(turn, Move("staffpoll.question"))


def _stop(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    return _stop_updates(engine, turn)


def _stop_updates(engine: FlowEngine, turn: Turn) -> Result:
    """No more broadcasts until they follow topics again (/stop, "Stop these updates")."""
    if not turn.ctx.lookup.following().topics:
        return engine.ask_again(turn, T("broadcast.not_following"))
    result = engine.ask_again(turn, T("broadcast.stopped"))
    return replace(result, effects=(*result.effects, StopUpdates()))


def broadcast_button(engine: FlowEngine, turn: Turn, pressed: BroadcastAction) -> Result:
    """The buttons under a broadcast work whatever the person is doing: "I shared it" asks
    how many people (then comes back), "Stop these updates" unsubscribes in one line. A
    press counts only for a broadcast sent to the person, once: anyone can forge one."""
    if pressed.action == "stop":
        return _stop_updates(engine, turn)
    lookup = turn.ctx.lookup
    if not lookup.was_sent(broadcast_id=pressed.broadcast_id):
        return engine.ask_again(turn, T("broadcast.not_received"))
    earlier = lookup.reach_reported(broadcast_id=pressed.broadcast_id)
    if earlier is not None:
        return engine.ask_again(turn, T("broadcast.reach_already", people=earlier))
    suspended = replace(turn.state, suspended=turn.state.to_json())
    return engine.go(replace(turn, state=suspended), Move("reach.people", seed={"broadcast_id": pressed.broadcast_id}))


def follow_up_button(engine: FlowEngine, turn: Turn, pressed: FollowUpAnswer) -> Result:
    """ "Is it still a problem?" under a follow-up: the answer goes into the problem's history
    and the person carries on where they were."""
    mine = {(s.kind, s.id) for s in turn.ctx.lookup.my_submissions()}
    if (pressed.kind, pressed.id) not in mine:
        return engine.ask_again(turn, T("error.stale_choice"))
    result = engine.ask_again(turn, T(f"followup.thanks.{pressed.answer}", ref=make_ref(pressed.kind, pressed.id)))
    return replace(result, effects=(*result.effects, RecordCheck(pressed.kind, pressed.id, pressed.answer)))


def _inbox(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    if not turn.ctx.lookup.is_staff():
        return engine.ask_again(turn, T("staff.refused"))
    return engine.go(turn, Move("inbox.list"))


def _web(engine: FlowEngine, turn: Turn, _argument: str) -> Result:
    """A sign-in link to the staff console, sent to this private chat (the service checks
    again that the person is staff when it makes the link)."""
    if not turn.ctx.lookup.is_staff():
        return engine.ask_again(turn, T("staff.refused"))
    result = engine.ask_again(turn)
    return replace(result, effects=(SendSignInLink(), *result.effects))


def _in_dialog(turn: Turn) -> bool:
    return turn.state.flow not in _HOME_FLOWS


def role_move(turn: Turn, role: str, *, say: tuple[Text, ...] = ()) -> Move:
    """Start a role's dialog (and take on the role). A diffuser starts with the topics they
    already follow ticked."""
    first_step = {
        "explorer": "explorer.description",
        "ideator": "ideator.action",
        "designer": "designer.pick_idea",
        "diffuser": "diffuser.topics",
    }[role]
    seed: dict[str, object] = {}
    if role == "diffuser":
        followed = [t for t in turn.ctx.lookup.following().topics if t in turn.ctx.settings.categories]
        seed = {"topics": followed, "already_following": bool(followed)}
    return Move(first_step, say=say, effects=(SetRole(role),), seed=seed)


def my_texts(turn: Turn) -> tuple[Text, ...]:
    """/my: the person's submissions, then what they follow (if anything)."""
    items = turn.ctx.lookup.my_submissions()
    listed = T("my.list", items=tuple(_my_item(turn, s) for s in items)) if items else T("my.none")
    reach = turn.ctx.lookup.my_reach()
    measured = (T("my.reach", started=reach.started, submitted=reach.submitted),) if reach else ()
    followed = turn.ctx.lookup.following()
    if not followed.topics:
        return (listed, *measured)
    topics = ", ".join(topic_name(turn, t) for t in followed.topics)
    return listed, T("my.following", topics=topics, area=followed.area or T("diffuser.everywhere")), *measured


def topic_name(turn: Turn, topic: str) -> str:
    """A topic (a category) in the person's language; one added in CATEGORIES as written (as
    flows.common.category_label says it, which this module cannot import: the flows import it)."""
    key = f"category.{topic}"
    if turn.ctx.catalogs.has(key):
        return turn.ctx.catalogs.render(turn.language, T(key))
    return topic.replace("_", " ").capitalize()


def _my_item(turn: Turn, item: Summary) -> Text:
    def day(moment: datetime) -> str:
        return turn.ctx.catalogs.date(turn.language, moment, turn.ctx.now.tzinfo)

    changed = day(item.last_change) if item.last_change else "—"
    next_update = T("my.next", date=day(item.next_follow_up)) if item.next_follow_up else T("my.no_next")
    return T(
        "my.item",
        ref=item.ref,
        title=item.title,
        status=T(f"status.{item.status}"),
        supporters=item.supporters,
        changed=changed,
        next=next_update,
    )


_HANDLERS = {
    "start": _start,
    "help": _help,
    "privacy": _privacy,
    "mydata": _mydata,
    "forget": _forget,
    "menu": _menu,
    "role": _menu,
    "my": _my,
    "cancel": _cancel,
    "back": _back,
    "stop": _stop,
    "language": _language,
    "broadcast": _broadcast,
    "poll": _poll,
    "inbox": _inbox,
    "web": _web,
}
