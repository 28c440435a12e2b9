"""Designer: pick an idea that needs hands, skills, hours a week, consent to be contacted."""

from __future__ import annotations

from conversations.effects import SaveDesignOffer
from conversations.flows.common import picked_id, saved_receipt, submission_text, summary_options, summary_steps
from conversations.flows.ideator import listed
from conversations.i18n import T, Text
from conversations.steps import Choose, Move, Option, Options, Step, Turn, fixed, flow, says

SKILLS = ("design", "software", "research", "organising", "legal", "other")
HOURS = ("1", "2-4", "5-10", "10+")


def _idea_options(turn: Turn) -> Options:
    size = turn.ctx.settings.page_size
    page = turn.ctx.lookup.open_ideas(offset=int(turn.answers.get("_page:pick_idea", 0)) * size, limit=size)
    return Options(summary_options(page, show=listed), page.has_more)


def _no_ideas(_turn: Turn) -> Move:
    return Move("home.after", say=(T("designer.no_ideas"),), seed={"role": "designer"})


def _summary(turn: Turn) -> tuple[Text, ...]:
    answers = turn.answers
    return (
        T(
            "designer.summary",
            idea=submission_text(turn, "idea", picked_id(answers["idea"])),
            skills=", ".join(turn.ctx.catalogs.render(turn.language, T(f"designer.skill.{s}")) for s in answers["skills"]),
            hours=T(f"designer.hours.{answers['hours']}"),
            contact=T(f"designer.contact.{answers['contact']}"),
        ),
    )


def _editable(_turn: Turn) -> list[tuple[str, Text]]:
    return [
        ("designer.skills", T("designer.field.skills")),
        ("designer.hours", T("designer.field.hours")),
        ("designer.contact", T("designer.field.contact")),
    ]


def _on_confirm(turn: Turn) -> Move:
    answers = turn.answers
    offer = SaveDesignOffer(
        idea_id=picked_id(answers["idea"]),
        skills=tuple(answers["skills"]),
        hours=answers["hours"],
        contact_ok=answers["contact"] == "yes",
        language=turn.language,
    )
    return Move("designer.saved", effects=(offer,))


def steps() -> dict[str, Step]:
    return flow(
        "designer",
        Choose(
            "pick_idea",
            says(T("designer.pick_idea")),
            _idea_options,
            field="idea",
            next="designer.skills",
            paged=True,
            when_empty=_no_ideas,
        ),
        Choose(
            "skills",
            says(T("designer.ask_skills")),
            fixed(*(Option(s, T(f"designer.skill.{s}")) for s in SKILLS)),
            field="skills",
            next="designer.hours",
            multi=True,
        ),
        Choose(
            "hours",
            says(T("designer.ask_hours")),
            fixed(*(Option(h, T(f"designer.hours.{h}")) for h in HOURS)),
            field="hours",
            next="designer.contact",
        ),
        Choose(
            "contact",
            says(T("designer.ask_contact")),
            fixed(Option("yes", T("designer.contact.yes")), Option("no", T("designer.contact.no"))),
            field="contact",
            next="designer.confirm",
        ),
        *summary_steps(summary=_summary, editable=_editable, on_confirm=_on_confirm, flow_name="designer", counted=True),
        saved_receipt("designer", kind="design"),
    )
