"""Ideator: propose an idea for an open problem (or one described now), or support an idea."""

from __future__ import annotations

from conversations import validation
from conversations.context import Summary
from conversations.effects import SaveIdea
from conversations.flows.common import (
    category_label,
    category_options,
    is_held,
    is_private,
    picked_id,
    saved_receipt,
    summary_options,
    submission_text,
    summary_steps,
    support_move,
    title_of,
)
from conversations.flows.explorer import new_problem
from conversations.i18n import T, Text
from conversations.steps import Ask, Choose, Move, Option, Options, Step, Turn, fixed, flow, says


def listed(summary: Summary) -> Text:
    return T("list.item", ref=summary.ref, title=summary.title, supporters=summary.supporters)


def _page(turn: Turn, step_id: str) -> int:
    return int(turn.answers.get(f"_page:{step_id}", 0))


def _problem_options(turn: Turn) -> Options:
    size = turn.ctx.settings.page_size
    page = turn.ctx.lookup.open_problems(offset=_page(turn, "pick_problem") * size, limit=size)
    if not page.items:
        return Options(())
    return Options((*summary_options(page, show=listed), Option("not_listed", T("ideator.not_listed"))), page.has_more)


def _no_problems(_turn: Turn) -> Move:
    return Move("ideator.problem_description", say=(T("ideator.no_problems"),))


def _problem_prompt(turn: Turn) -> tuple[Text, ...]:
    return (T("ideator.pick_problem"),)


def _problem_answer(turn: Turn) -> str | Move:
    pick = turn.answers["problem"]
    if pick == "not_listed":
        return "ideator.problem_description"
    return Move("ideator.idea", seed={"problem_id": picked_id(pick)})


def _idea_options(turn: Turn) -> Options:
    size = turn.ctx.settings.page_size
    page = turn.ctx.lookup.open_ideas(offset=_page(turn, "pick_idea") * size, limit=size)
    return Options(summary_options(page, show=listed), page.has_more)


def _no_ideas(turn: Turn) -> Move:
    return Move("ideator.action", say=(T("ideator.no_ideas"),))


def _problem_text(turn: Turn) -> Text | str:
    if turn.answers.get("problem_id") is not None:
        return submission_text(turn, "problem", turn.answers["problem_id"])
    return T(
        "ideator.new_problem",
        description=turn.answers["problem_description"],
        category=category_label(turn, turn.answers["problem_category"]),
    )


def _summary(turn: Turn) -> tuple[Text, ...]:
    return (
        T(
            "ideator.summary",
            problem=_problem_text(turn),
            idea=turn.answers["idea"],
            benefit=turn.answers["benefit"],
        ),
    )


def _editable(turn: Turn) -> list[tuple[str, Text]]:
    fields = [("ideator.idea", T("ideator.field.idea")), ("ideator.benefit", T("ideator.field.benefit"))]
    if turn.answers.get("problem_id") is None:
        fields.insert(0, ("ideator.problem_description", T("ideator.field.problem")))
    return fields


def _free_texts(turn: Turn) -> dict[str, str]:
    """What the person wrote in their own words, checked for contact details before saving."""
    texts = {"idea": turn.answers["idea"], "benefit": turn.answers["benefit"]}
    if turn.answers.get("problem_id") is None:
        texts["problem_description"] = turn.answers["problem_description"]
    return texts


def _on_confirm(turn: Turn) -> Move:
    problem_id = turn.answers.get("problem_id")
    idea = SaveIdea(
        description=turn.answers["idea"],
        title=title_of(turn.answers["idea"]),
        benefit=turn.answers["benefit"],
        language=turn.language,
        problem_id=problem_id,
        new_problem=None if problem_id is not None else new_problem(turn, prefix="problem_"),
        private=is_private(turn),
        held=is_held(turn, [turn.answers["idea"], turn.answers["benefit"]]),
    )
    return Move("ideator.saved", effects=(idea,))


def steps() -> dict[str, Step]:
    return flow(
        "ideator",
        Choose(
            "action",
            says(T("ideator.ask_action")),
            fixed(Option("propose", T("ideator.propose")), Option("support", T("ideator.support"))),
            field="action",
            next=lambda turn: "ideator.pick_problem" if turn.answers["action"] == "propose" else "ideator.pick_idea",
        ),
        Choose(
            "pick_problem",
            _problem_prompt,
            _problem_options,
            field="problem",
            next=_problem_answer,
            paged=True,
            when_empty=_no_problems,
        ),
        Ask(
            "problem_description",
            says(T("ideator.ask_problem")),
            field="problem_description",
            next="ideator.problem_category",
            validate=validation.description,
        ),
        Choose(
            "problem_category",
            says(T("explorer.ask_category")),
            category_options,
            field="problem_category",
            next="ideator.idea",
        ),
        Ask("idea", says(T("ideator.ask_idea")), field="idea", next="ideator.benefit", validate=validation.description),
        Ask("benefit", says(T("ideator.ask_benefit")), field="benefit", next="ideator.confirm", validate=validation.short_text),
        *summary_steps(
            summary=_summary, editable=_editable, on_confirm=_on_confirm, flow_name="ideator",
            free_texts=_free_texts, counted=True,
        ),  # fmt: skip
        saved_receipt("ideator", kind="idea", free_texts=_free_texts),
        Choose(
            "pick_idea",
            says(T("ideator.pick_idea")),
            _idea_options,
            field="idea_pick",
            next=lambda turn: support_move("idea", picked_id(turn.answers["idea_pick"]), "ideator"),
            paged=True,
            when_empty=_no_ideas,
        ),
    )
