"""The staff inbox (/inbox): the newest submissions waiting for review, one opened with its
text, language, supporters and history, and buttons that move it on (with a note)."""

from __future__ import annotations

from conversations import validation
from conversations.context import Details, HistoryEntry
from conversations.effects import ChangeStatus, Outcome, Receipts
from conversations.flows.common import picked, summary_options
from conversations.i18n import T, Text
from conversations.refs import STATUSES, make_ref, parse_ref
from conversations.steps import Ask, AwaitReceipts, Choose, Move, Option, Options, Step, Turn, says, staff_flow

NOTE_ONLY, BACK = "note_only", "back"


def _opened(turn: Turn) -> tuple[str, int]:
    item = picked(turn.answers["item"])
    return item.kind, item.id


def _list_options(turn: Turn) -> Options:
    size = turn.ctx.settings.page_size
    page = turn.ctx.lookup.inbox(offset=int(turn.answers.get("_page:list", 0)) * size, limit=size)
    show = lambda s: T("inbox.item", ref=s.ref, title=s.title, status=T(f"status.{s.status}"))  # noqa: E731
    return Options(summary_options(page, show=show), page.has_more)


def _empty(_turn: Turn) -> Move:
    return Move("home.role", say=(T("inbox.empty"),))


def _history_line(turn: Turn, entry: HistoryEntry) -> Text:
    when = turn.ctx.catalogs.date(turn.language, entry.at, turn.ctx.now.tzinfo)
    change = T(f"status.{entry.to_status}")
    if entry.from_status is not None and entry.from_status != entry.to_status:
        change = T("inbox.moved", previous=T(f"status.{entry.from_status}"), status=T(f"status.{entry.to_status}"))
    note = T("inbox.history_note", note=entry.note) if entry.note else ""
    return T("inbox.history_line", date=when, change=change, by=entry.by, note=note)


def _details_text(turn: Turn, details: Details) -> Text:
    item = details.summary
    return T(
        "inbox.details",
        ref=item.ref,
        title=item.title,
        status=T(f"status.{item.status}"),
        language=details.language,
        supporters=item.supporters,
        description=details.description,
        history=tuple(_history_line(turn, entry) for entry in details.history),
    )


def _details(turn: Turn) -> Details | None:
    kind, id_ = _opened(turn)
    return turn.ctx.lookup.details(kind=kind, id=id_)


def _open_prompt(turn: Turn) -> tuple[Text, ...]:
    details = _details(turn)
    return (_details_text(turn, details),) if details else (T("inbox.gone"),)


def _action_options(turn: Turn) -> Options:
    details = _details(turn)
    current = details.summary.status if details else None
    statuses = tuple(Option(s, T(f"status.{s}")) for s in STATUSES if s not in {"new", current}) if details else ()
    return Options((*statuses, Option(NOTE_ONLY, T("inbox.note_only")), Option(BACK, T("inbox.back"))))


def _on_action(turn: Turn) -> str | Move:
    action = turn.answers["action"]
    if action == BACK:
        return Move("inbox.list", seed={"_page:list": turn.answers.get("_page:list", 0)})
    if action == NOTE_ONLY:
        return "inbox.memo"
    if action == "declined":
        return "inbox.reason"
    if action == "duplicate":
        return "inbox.original"
    return "inbox.note"


def _ref(raw: str) -> str | Text:
    parsed = parse_ref(raw)
    return make_ref(*parsed) if parsed else T("inbox.original_invalid", example="P-12")


def _check_original(turn: Turn) -> str | Move:
    """The original must be another submission of the same kind."""
    kind, id_ = _opened(turn)
    parsed = parse_ref(turn.answers["original"])
    if parsed is None or parsed[0] != kind or parsed[1] == id_:
        return Move("inbox.original", say=(T("inbox.original_invalid", example=make_ref(kind, 1)),))
    return "inbox.note"


def _change(turn: Turn) -> Move:
    kind, id_ = _opened(turn)
    details = _details(turn)
    if details is None:
        return Move("inbox.list", say=(T("inbox.gone"),))
    action = turn.answers["action"]
    status = details.summary.status if action == NOTE_ONLY else action  # a note alone keeps the status
    effect = ChangeStatus(kind, id_, status, turn.answers.get("note"), turn.answers.get("original"))
    return Move("inbox.changed", effects=(effect,))


def _changed(turn: Turn, receipts: Receipts) -> Move:
    say: list[Text] = []
    for receipt in receipts.items:
        if receipt.outcome == Outcome.CHANGED:
            say.append(T("inbox.changed", ref=receipt.ref, people=receipt.people))
        elif receipt.outcome == Outcome.NOTED:
            say.append(T("inbox.noted", ref=receipt.ref))
        else:
            say.append(T("inbox.not_changed", ref=receipt.ref, reason=receipt.reason))
    return Move("inbox.open", say=tuple(say), seed={"action": None, "note": None, "original": None})


def steps() -> dict[str, Step]:
    return staff_flow(
        "inbox",
        Choose("list", says(T("inbox.title")), _list_options, field="item", next="inbox.open", paged=True, when_empty=_empty),
        Choose("open", _open_prompt, _action_options, field="action", next=_on_action),
        Ask("original", says(T("inbox.ask_original")), field="original", next=_check_original, validate=_ref),
        Ask("note", says(T("inbox.ask_note")), field="note", next=_change, validate=validation.description, skippable=True),
        Ask("reason", says(T("inbox.ask_reason")), field="note", next=_change, validate=validation.description),
        Ask("memo", says(T("inbox.ask_memo")), field="note", next=_change, validate=validation.description),
        AwaitReceipts("changed", _changed),
    )
