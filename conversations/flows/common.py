"""Pieces several role flows share: categories, summaries with Confirm / Edit / Cancel,
the "saved as P-12, next update by ..." sentence, and lists of submissions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Callable, Mapping, Sequence

from conversations.buttons import Picked, decode_pick, encode_pick
from conversations.context import Page, Summary
from conversations.effects import AddSupport, Additions, Receipts, ScheduleFollowUp
from conversations.i18n import T, Text
from conversations.moderation import PENDING, initial_moderation
from conversations.contact_details import has_contact_details, without_contact_details
from conversations.refs import make_ref
from conversations.steps import AwaitReceipts, Choose, Label, Move, Option, Options, Turn, fixed

MAX_TITLE = 80
# A person's free-text answers by field, as the contact details check reads them.
FreeTexts = Callable[["Turn"], Mapping[str, str]]
CHECKED, PRIVATE = "_contact_checked", "_private"
DAY = timedelta(days=1)


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


def is_private(turn: Turn) -> bool:
    """The person chose to keep contact details in it for the city team only."""
    return bool(turn.answers.get(PRIVATE))


def is_held(turn: Turn, texts: Sequence[str]) -> bool:
    """Whether a submission with these texts waits for staff before others see it."""
    settings = turn.ctx.settings
    return initial_moderation(texts, mode=settings.moderation, terms=settings.abusive_terms) == PENDING


def saved_receipt(
    role: str, kind: str, free_texts: FreeTexts | None = None, also_say: Callable[[Turn], Sequence[Text]] | None = None
) -> AwaitReceipts:
    """Waits for the new reference (of this kind), thanks the person with it ("<role>.saved"),
    adds what `also_say` says after the thanks, says who will see it when not everyone does
    yet, and offers what comes next."""

    def on_receipts(turn: Turn, receipts: Receipts) -> Move:
        saved = [r for r in receipts.items if r.kind == kind]
        say: tuple[Text, ...] = tuple(next_update_text(turn, r.ref, f"{role}.saved") for r in saved)
        if saved and also_say is not None:
            say = (*say, *also_say(turn))
        if saved and free_texts is not None:
            if is_private(turn):
                say = (*say, T("privacy.saved_private"))
            elif is_held(turn, list(free_texts(turn).values())):
                say = (*say, T("moderation.saved_held"))
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
    free_texts: FreeTexts | None = None,
    counted: bool = False,
) -> tuple[Choose, ...]:
    """A summary with Confirm / Edit / Cancel, and the "what would you like to change?" list.

    With `free_texts`, confirming first asks about contact details found in them (Remove /
    Keep it private to the city team). `counted`: confirming saves a submission, of which a
    person may send SUBMISSIONS_PER_DAY a day; past that they stay at the summary."""

    def on_summary(turn: Turn) -> str | Move:
        pick = turn.answers["decision"]
        if pick == "confirm":
            limit = turn.ctx.settings.submissions_per_day
            if counted and limit and turn.ctx.lookup.submitted_since(since=turn.ctx.now - DAY) >= limit:
                return Move(f"{flow_name}.confirm", say=(T("limit.submissions_per_day", limit=limit),))
            region = turn.ctx.settings.phone_region
            texts = free_texts(turn) if free_texts is not None and not turn.answers.get(CHECKED) else {}
            if any(has_contact_details(text, region=region) for text in texts.values()):
                return f"{flow_name}.contact_details"
            return on_confirm(turn)
        if pick == "edit":
            return f"{flow_name}.edit"
        return Move("home.role", say=(T("dialog.cancelled"),))

    def edit_options(turn: Turn) -> Options:
        return Options(tuple(Option(step, label) for step, label in editable(turn)))

    def on_edit(turn: Turn) -> Move:
        # An edited text is checked for contact details again.
        return Move(turn.answers["edit"], seed={"_return_to": f"{flow_name}.confirm", CHECKED: None, PRIVATE: None})

    def on_contact_details(turn: Turn) -> Move:
        assert free_texts is not None
        seed: dict[str, object] = {CHECKED: True, PRIVATE: turn.answers["contact_details"] == "private"}
        if not seed[PRIVATE]:
            region = turn.ctx.settings.phone_region
            seed.update({f: without_contact_details(t, region=region) for f, t in free_texts(turn).items()})
        checked = Turn(turn.state.with_answers(**seed), turn.ctx, turn.event)
        move = on_confirm(checked)
        return replace(move, seed={**seed, **move.seed}) if move.to.startswith(f"{flow_name}.") else move

    contact_step = Choose(
        "contact_details",
        lambda _turn: (T("privacy.contact_details"),),
        fixed(Option("remove", T("privacy.remove")), Option("private", T("privacy.keep_private"))),
        field="contact_details",
        next=on_contact_details,
    )
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
        *((contact_step,) if free_texts is not None else ()),
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
