"""Pieces several role flows share: categories, summaries with Confirm / Edit / Cancel,
the "saved as P-12, next update by ..." sentence, and lists of submissions."""

from __future__ import annotations

from typing import Callable, Sequence

from conversations.buttons import Picked, decode_pick, encode_pick
from conversations.context import Page, Summary
from conversations.effects import AddSupport, Additions, Receipts, ScheduleFollowUp
from conversations.i18n import T, Text
from conversations.refs import make_ref
from conversations.steps import AwaitReceipts, Choose, Label, Move, Option, Options, Turn, fixed

MAX_TITLE = 80


def title_of(description: str) -> str:
    """A short title for lists: the first line, cut at a word boundary."""
    first_line = description.strip().splitlines()[0].strip()
    if len(first_line) <= MAX_TITLE:
        return first_line
    cut = first_line[: MAX_TITLE - 1].rsplit(" ", 1)[0] or first_line[: MAX_TITLE - 1]
    return cut.rstrip(" ,.;:") + "…"


def category_label(turn: Turn, category: str) -> Label:
    """Catalog categories are translated; a category added in CATEGORIES shows as written."""
    key = f"category.{category}"
    return T(key) if turn.ctx.catalogs.has(key) else category.replace("_", " ").capitalize()


def category_options(turn: Turn) -> Options:
    return Options(tuple(Option(c, category_label(turn, c)) for c in turn.ctx.settings.categories))


def next_update_text(turn: Turn, ref: str, saved_key: str) -> Text:
    offsets = turn.ctx.settings.followup_after
    if not offsets:
        return T(f"{saved_key}.no_followup", ref=ref)
    when = (turn.ctx.now + offsets[0]).date()
    return T(saved_key, ref=ref, date=turn.ctx.catalogs.date(turn.language, when))


def saved_receipt(role: str, kind: str) -> AwaitReceipts:
    """Waits for the new reference (of this kind), thanks the person with it ("<role>.saved")
    and offers what comes next."""

    def on_receipts(turn: Turn, receipts: Receipts) -> Move:
        saved = [r for r in receipts.items if r.kind == kind]
        say = tuple(next_update_text(turn, r.ref, f"{role}.saved") for r in saved)
        offsets = turn.ctx.settings.followup_after
        follow_ups = tuple(
            ScheduleFollowUp(kind, r.id, tuple(turn.ctx.now + offset for offset in offsets)) for r in saved if offsets
        )
        return Move("home.after", say=say, effects=follow_ups, seed={"role": role})

    return AwaitReceipts("saved", on_receipts)


def support_move(kind: str, target_id: int, role: str, additions: Additions | None = None) -> Move:
    return Move("home.supported", effects=(AddSupport(kind, target_id, additions),), seed={"role": role})


def summary_steps(
    *,
    summary: Callable[[Turn], Sequence[Text]],
    editable: Callable[[Turn], Sequence[tuple[str, Text]]],
    on_confirm: Callable[[Turn], Move],
    flow_name: str,
) -> tuple[Choose, Choose]:
    """A summary with Confirm / Edit / Cancel, and the "what would you like to change?" list."""

    def on_summary(turn: Turn) -> str | Move:
        pick = turn.answers["decision"]
        if pick == "confirm":
            return on_confirm(turn)
        if pick == "edit":
            return f"{flow_name}.edit"
        return Move("home.role", say=(T("dialog.cancelled"),))

    def edit_options(turn: Turn) -> Options:
        return Options(tuple(Option(step, label) for step, label in editable(turn)))

    def on_edit(turn: Turn) -> Move:
        return Move(turn.answers["edit"], seed={"_return_to": f"{flow_name}.confirm"})

    return (
        Choose(
            "confirm",
            summary,
            fixed(
                Option("confirm", T("summary.confirm")),
                Option("edit", T("summary.edit")),
                Option("cancel", T("summary.cancel")),
            ),
            field="decision",
            next=on_summary,
        ),
        Choose("edit", lambda _turn: (T("summary.which"),), edit_options, field="edit", next=on_edit),
    )


def summary_options(page: Page, *, show: Callable[[Summary], Text]) -> tuple[Option, ...]:
    return tuple(submission_option(s.kind, s.id, show(s)) for s in page.items)


def submission_option(kind: str, id_: int, label: Label) -> Option:
    return Option(encode_pick(Picked(kind, id_)), label)


def submission_text(turn: Turn, kind: str, id_: int) -> Text | str:
    """ "P-3 — Broken streetlight" for summaries; just the reference if it is gone."""
    found = turn.ctx.lookup.submission(kind=kind, id=id_)
    ref = make_ref(kind, id_)
    return T("summary.submission", ref=ref, title=found.title) if found else ref


def picked(value: str) -> Picked:
    """The submission an answer picked. Answers are option values the person was shown, so
    anything else is a mistake in a flow."""
    found = decode_pick(value)
    if found is None:
        raise ValueError(f"not a submission option: {value!r}")
    return found


def picked_id(value: str) -> int:
    return picked(value).id
