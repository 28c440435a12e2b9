"""The staff inbox (/inbox): the newest submissions waiting for review, one opened with its
text, language, supporters, where it is, who is affected, its photo, what it is for, who
sent it and its history, and buttons that move it on (with a note)."""

from __future__ import annotations

from conversations import validation
from conversations.context import Details, Facts, HistoryEntry, OfferTerms, Submitter
from conversations.effects import ChangeStatus, Moderate, Outcome, Receipts
from conversations.flows.common import picked, submission_text, summary_options
from conversations.i18n import T, Text
from conversations.refs import STATUSES, make_ref, parse_ref
from conversations.steps import Ask, AwaitReceipts, Choose, Move, Option, Options, Step, Turn, says, staff_flow
from conversations.visible import for_staff

NOTE_ONLY, BACK = "note_only", "back"
HIDE, APPROVE = "hide", "approve"  # moderation: whether other residents see it


def _opened(turn: Turn) -> tuple[str, int]:
    item = picked(turn.answers["item"])
    return item.kind, item.id


def _list_options(turn: Turn) -> Options:
    size = turn.ctx.settings.page_size
    page = turn.ctx.lookup.inbox(offset=int(turn.answers.get("_page:list", 0)) * size, limit=size)
    show = lambda s: T("inbox.item", ref=s.ref, title=for_staff(s.title), status=T(f"status.{s.status}"))  # noqa: E731
    return Options(summary_options(page, show=show), page.has_more)


def _empty(turn: Turn) -> Move:
    return Move("home.role", say=(*_ready(turn), T("inbox.empty")))


def _list_prompt(turn: Turn) -> tuple[Text, ...]:
    """A team member's inbox says whose work it shows (`cocreate teams add --member`)."""
    mine = turn.ctx.lookup.my_teams()
    title = T("inbox.title_teams", teams=", ".join(mine)) if mine else T("inbox.title")
    return (*_ready(turn), title)


def _ready(turn: Turn) -> tuple[Text, ...]:
    """Ideas ready to form a design team, above the submissions waiting for review."""
    ready = turn.ctx.lookup.ready_for_team()
    if not ready:
        return ()
    items = tuple(
        T("inbox.ready_item", ref=i.ref, title=for_staff(i.title), supporters=i.supporters, offers=i.offers) for i in ready
    )
    return (T("inbox.ready", ideas=items),)


def _history_line(turn: Turn, entry: HistoryEntry) -> Text:
    when = turn.ctx.catalogs.date(turn.language, entry.at, turn.ctx.now.tzinfo)
    change = T(f"status.{entry.to_status}")
    if entry.from_status is not None and entry.from_status != entry.to_status:
        change = T("inbox.moved", previous=T(f"status.{entry.from_status}"), status=T(f"status.{entry.to_status}"))
    note = T("inbox.history_note", note=for_staff(entry.note)) if entry.note else ""
    return T("inbox.history_line", date=when, change=change, by=for_staff(entry.by), note=note)


def _details_text(turn: Turn, details: Details) -> Text:
    item = details.summary
    offer = details.facts.offer
    return T(
        "inbox.details",
        ref=item.ref,
        title=for_staff(item.title),
        status=T(f"status.{item.status}"),
        language=details.language,
        supporters=item.supporters,
        description=_offer_lines(turn, offer) if offer else for_staff(details.description),
        facts=_fact_lines(turn, details.facts),
        history=tuple(_history_line(turn, entry) for entry in details.history),
    )


def _line(label: Text, value: Text | str) -> Text:
    return T("summary.line", label=label, value=value)


def _fact_lines(turn: Turn, facts: Facts) -> tuple[Text, ...]:
    """Where, who is affected, the photo, what it is for and who sent it: each line only
    when the submission has it."""
    lines: list[Text] = []
    if facts.place or facts.location:
        lines.append(_line(T("explorer.label.place"), _place(facts)))
    if facts.affected:
        affected = _worded(turn, f"inbox.affected.{facts.affected}", facts.affected)
        lines.append(_line(T("explorer.label.affected"), affected))
    if facts.photo:
        lines.append(_line(T("explorer.label.photo"), T("summary.photo_yes")))
    if facts.for_item:
        lines.append(_line(T("inbox.label.for"), submission_text(turn, *facts.for_item)))
    if facts.submitter:
        lines.append(_line(T("inbox.label.submitter"), _submitter(facts.submitter)))
    if facts.offer is None:
        seen = T("inbox.visibility.private") if facts.private else T(f"inbox.visibility.{facts.moderation}")
        lines.append(_line(T("inbox.label.visibility"), seen))
    return tuple(lines)


def _place(facts: Facts) -> Text | str:
    """The place as typed, and a shared location as its coordinates."""
    where = facts.location
    if where is None:
        return facts.place or ""
    shown = T("summary.location", latitude=f"{where.latitude:.5f}", longitude=f"{where.longitude:.5f}")
    return T("inbox.place_and_location", place=facts.place, location=shown) if facts.place else shown


def _submitter(person: Submitter) -> Text | str:
    return T("inbox.submitter", name=person.name, identity=person.identity) if person.name else person.identity


def _offer_lines(turn: Turn, offer: OfferTerms) -> tuple[Text, ...]:
    """A design offer's skills, hours and consent to be contacted, in the staff member's words."""
    skills = [_worded(turn, f"designer.skill.{skill}", skill) for skill in offer.skills]
    shown = ", ".join(turn.ctx.catalogs.render(turn.language, s) if isinstance(s, Text) else s for s in skills)
    return (
        _line(T("inbox.label.skills"), shown or T("summary.none")),
        _line(T("inbox.label.hours"), _worded(turn, f"designer.hours.{offer.hours}", offer.hours)),
        _line(T("inbox.label.contact"), T("designer.contact.yes") if offer.contact_ok else T("designer.contact.no")),
    )


def _worded(turn: Turn, key: str, code: str) -> Text | str:
    """A stored code in words; a code the catalogs do not know (yet) shows as stored."""
    return T(key) if turn.ctx.catalogs.has(key) else code


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
    return Options((*statuses, *_moderation_options(details), Option(NOTE_ONLY, T("inbox.note_only")), Option(BACK, T("inbox.back"))))


def _moderation_options(details: Details | None) -> tuple[Option, ...]:
    """Hide (unless hidden) and Approve (unless shown): design offers carry no text to moderate."""
    if details is None or details.facts.offer is not None:
        return ()
    moderation = details.facts.moderation
    hide = (Option(HIDE, T("inbox.hide")),) if moderation != "hidden" else ()
    approve = (Option(APPROVE, T("inbox.approve")),) if moderation != "shown" else ()
    return (*approve, *hide)


def _on_action(turn: Turn) -> str | Move:
    action = turn.answers["action"]
    if action == BACK:
        return Move("inbox.list", seed={"_page:list": turn.answers.get("_page:list", 0)})
    if action == NOTE_ONLY:
        return "inbox.memo"
    if action == HIDE:
        return "inbox.hide_reason"
    if action == APPROVE:
        return _moderate(turn)
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


def _moderate(turn: Turn) -> Move:
    kind, id_ = _opened(turn)
    return Move("inbox.moderated", effects=(Moderate(kind, id_, turn.answers["action"], turn.answers.get("note")),))


def _moderated(turn: Turn, receipts: Receipts) -> Move:
    say: list[Text] = []
    for receipt in receipts.items:
        if receipt.outcome == Outcome.CHANGED:
            say.append(T(f"inbox.moderated.{turn.answers['action']}", ref=receipt.ref))
        else:
            say.append(T("inbox.not_changed", ref=receipt.ref, reason=receipt.reason))
    return Move("inbox.open", say=tuple(say), seed={"action": None, "note": None})


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
        Choose("list", _list_prompt, _list_options, field="item", next="inbox.open", paged=True, when_empty=_empty),
        Choose("open", _open_prompt, _action_options, field="action", next=_on_action),
        Ask("original", says(T("inbox.ask_original")), field="original", next=_check_original, validate=_ref),
        Ask("note", says(T("inbox.ask_note")), field="note", next=_change, validate=validation.description, skippable=True),
        Ask("reason", says(T("inbox.ask_reason")), field="note", next=_change, validate=validation.description),
        Ask("memo", says(T("inbox.ask_memo")), field="note", next=_change, validate=validation.description),
        AwaitReceipts("changed", _changed),
        Ask("hide_reason", says(T("inbox.ask_hide_reason")), field="note", next=_moderate, validate=validation.description, skippable=True),
        AwaitReceipts("moderated", _moderated),
    )
