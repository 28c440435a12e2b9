"""Explorer: report a problem — what, category, where, photo, who is affected; duplicates
are offered before saving."""

from __future__ import annotations

from conversations import validation
from conversations.context import Report
from conversations.effects import Additions, NewProblem, SaveProblem
from conversations.i18n import T, Text
from conversations.messages import Location, Photo
from conversations.similarity import likely_duplicates
from conversations.time_estimates import fix_estimate
from conversations.steps import Ask, Choose, Move, Option, Options, Step, Turn, fixed, flow, says
from conversations.flows.common import (
    category_label,
    category_options,
    is_held,
    is_private,
    picked_id,
    saved_receipt,
    submission_option,
    summary_steps,
    support_move,
    title_of,
)

AFFECTED = ("me", "street", "neighbourhood", "city")


def new_problem(turn: Turn, *, prefix: str = "") -> NewProblem:
    """The problem described in this flow's answers (`prefix` for the Ideator's own problem)."""
    answers = turn.answers
    description = answers[f"{prefix}description"]
    where = answers.get(f"{prefix}place")
    photo = answers.get(f"{prefix}photo")
    return NewProblem(
        description=description,
        title=title_of(description),
        category=answers[f"{prefix}category"],
        language=turn.language,
        place=where if isinstance(where, str) else None,
        location=Location(**where) if isinstance(where, dict) else None,
        photo=Photo(**photo) if isinstance(photo, dict) else None,
        affected=answers.get(f"{prefix}affected"),
        private=is_private(turn),
        held=is_held(turn, [description]),
    )


def free_texts(turn: Turn) -> dict[str, str]:
    """What the person wrote in their own words, checked for contact details before saving."""
    return {"description": turn.answers["description"]}


def _place_text(turn: Turn) -> Text | str:
    where = turn.answers.get("place")
    if isinstance(where, dict):
        return T("summary.location", latitude=f"{where['latitude']:.5f}", longitude=f"{where['longitude']:.5f}")
    return where or T("summary.none")


def _summary(turn: Turn) -> tuple[Text, ...]:
    answers = turn.answers
    lines = [
        ("description", answers["description"]),
        ("category", category_label(turn, answers["category"])),
        ("place", _place_text(turn)),
        ("photo", T("summary.photo_yes") if answers.get("photo") else T("summary.none")),
        ("affected", T(f"explorer.affected.{answers['affected']}")),
    ]
    if "photo" not in turn.ctx.capabilities:
        lines = [line for line in lines if line[0] != "photo"]
    shown = tuple(T("summary.line", label=T(f"explorer.label.{name}"), value=value) for name, value in lines)
    return (T("explorer.summary", lines=shown),)


def _editable(turn: Turn) -> list[tuple[str, Text]]:
    fields = [
        ("explorer.description", T("explorer.field.description")),
        ("explorer.category", T("explorer.field.category")),
        ("explorer.place", T("explorer.field.place")),
        ("explorer.photo", T("explorer.field.photo")),
        ("explorer.affected", T("explorer.field.affected")),
    ]
    if "photo" not in turn.ctx.capabilities:
        fields = [f for f in fields if f[0] != "explorer.photo"]
    return fields


def _on_confirm(turn: Turn) -> Move:
    problem = new_problem(turn)
    report = Report(problem.description, problem.language, problem.place, problem.location)
    duplicates = likely_duplicates(report, turn.ctx.lookup.problem_candidates(category=problem.category))
    if duplicates:
        return Move("explorer.duplicate", seed={"duplicates": [[d.id, d.ref, d.title] for d in duplicates]})
    return Move("explorer.saved", effects=(SaveProblem(new_problem(turn)),))


def _duplicate_prompt(turn: Turn) -> tuple[Text, ...]:
    listed = tuple(T("explorer.duplicate_item", ref=ref, title=title) for _, ref, title in turn.answers["duplicates"])
    return (T("explorer.duplicate", items=listed),)


def _duplicate_options(turn: Turn) -> Options:
    duplicates = turn.answers["duplicates"]
    same = tuple(submission_option("problem", id_, T("explorer.same_as", ref=ref)) for id_, ref, _ in duplicates)
    return Options((*same, Option("different", T("explorer.different"))))


def _duplicate_answer(turn: Turn) -> Move:
    pick = turn.answers["duplicate"]
    if pick == "different":
        return Move("explorer.saved", effects=(SaveProblem(new_problem(turn)),))
    # What they wrote, where and their photo go into the supported problem's history.
    problem = new_problem(turn)
    additions = Additions(problem.description, problem.place, problem.location, problem.photo)
    return support_move("problem", picked_id(pick), "explorer", additions)


def _fix_estimate(turn: Turn) -> tuple[Text, ...]:
    """How long similar reports took to fix, once the category has enough of them. The date
    of the first follow-up stays in the thanks before it: that is when the person hears
    about their report, whatever the estimate says about when it gets fixed."""
    said = fix_estimate(turn.ctx.lookup.estimate(category=turn.answers["category"]), now=turn.ctx.now)
    return (said,) if said else ()


def steps() -> dict[str, Step]:
    return flow(
        "explorer",
        Ask(
            "description",
            says(T("explorer.ask_description")),
            field="description",
            next="explorer.category",
            validate=validation.description,
        ),
        Choose("category", says(T("explorer.ask_category")), category_options, field="category", next="explorer.place"),
        Ask(
            "place",
            lambda turn: (T("explorer.ask_place_location") if "location" in turn.ctx.capabilities else T("explorer.ask_place"),),
            field="place",
            next="explorer.photo",
            validate=validation.short_text,
            skippable=True,
            accepts_location=True,
        ),
        Ask(
            "photo",
            says(T("explorer.ask_photo")),
            field="photo",
            next="explorer.affected",
            validate=validation.short_text,
            skippable=True,
            accepts_photo=True,
            applies=lambda ctx: "photo" in ctx.capabilities,
        ),
        Choose(
            "affected",
            says(T("explorer.ask_affected")),
            fixed(*(Option(a, T(f"explorer.affected.{a}")) for a in AFFECTED)),
            field="affected",
            next="explorer.confirm",
        ),
        *summary_steps(
            summary=_summary, editable=_editable, on_confirm=_on_confirm, flow_name="explorer",
            free_texts=free_texts, counted=True,
        ),  # fmt: skip
        Choose("duplicate", _duplicate_prompt, _duplicate_options, field="duplicate", next=_duplicate_answer),
        saved_receipt("explorer", kind="problem", free_texts=free_texts, also_say=_fix_estimate),
    )
