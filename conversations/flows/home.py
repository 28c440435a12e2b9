"""Welcome and consent, the role guide ("What would you like to do?"), what comes after a
dialog, support receipts and the language choice."""

from __future__ import annotations

from babel import Locale

from conversations.commands import my_texts, privacy_text, role_move
from conversations.effects import GiveConsent, Receipts, SetLanguage
from conversations.i18n import T, Text
from conversations.messages import Inbound
from conversations.steps import AwaitReceipts, Choose, Move, Option, Options, Step, Turn, fixed, flow, says

ROLES = ("explorer", "ideator", "designer", "diffuser")
# "Not sure": what is closest to you -> the role we suggest.
LEANINGS = {"noticed": "explorer", "solution": "ideator", "skills": "designer", "spread": "diffuser"}


def _agree(turn: Turn) -> Move:
    name = turn.event.display_name if isinstance(turn.event, Inbound) else None
    target = turn.answers.get("start_with")
    consent = GiveConsent(display_name=name)
    if target:
        move = role_move(turn, target, say=(T("consent.thanks"),))
        return Move(move.to, say=move.say, effects=(consent, *move.effects))
    return Move("home.role", say=(T("consent.thanks"),), effects=(consent,))


def _consent_answer(turn: Turn) -> str | Move:
    choice = turn.answers["consent"]
    if choice == "agree":
        return _agree(turn)
    if choice == "more":
        return "welcome.more"
    return Move("welcome.consent", say=(T("consent.declined"),), ask=False)


def _role_answer(turn: Turn) -> str | Move:
    role = turn.answers["role"]
    if role == "not_sure":
        return "home.unsure"
    return role_move(turn, role)


def _suggest_prompt(turn: Turn) -> tuple[Text, ...]:
    role = turn.answers["suggested"]
    return (T("unsure.suggest", role=T(f"role.{role}.name"), explanation=T(f"role.{role}.explain")),)


def _suggest_answer(turn: Turn) -> str | Move:
    if turn.answers["accept"] == "yes":
        return role_move(turn, turn.answers["suggested"])
    return "home.role"


def _after_options(turn: Turn) -> Options:
    role = turn.answers.get("role") or turn.ctx.person.role
    items = [Option("again", T(f"after.again.{role}"))] if role in ROLES else []
    items += [Option("role", T("after.other_role")), Option("my", T("after.my"))]
    return Options(tuple(items))


def _after_answer(turn: Turn) -> str | Move:
    pick = turn.answers["next"]
    role = turn.answers.get("role") or turn.ctx.person.role
    if pick == "again" and role in ROLES:
        return role_move(turn, role)
    if pick == "my":
        return Move("home.after", say=my_texts(turn), seed={"role": role})
    return "home.role"


def _supported(turn: Turn, receipts: Receipts) -> Move:
    say = tuple(T(f"support.{r.outcome}", ref=r.ref) for r in receipts.items)
    return Move("home.after", say=say, seed={"role": turn.answers.get("role")})


def _language_options(turn: Turn) -> Options:
    available = [lang for lang in turn.ctx.settings.languages if lang in turn.ctx.catalogs.languages]
    return Options(tuple(Option(lang, Locale.parse(lang).get_display_name(lang).capitalize()) for lang in available))


def _language_answer(turn: Turn) -> Move:
    language = turn.answers["language"]
    return Move("resume", say=(T("language.changed"),), effects=(SetLanguage(language),))


def steps() -> dict[str, Step]:
    return {
        **flow(
            "welcome",
            Choose(
                "consent",
                says(T("consent.ask")),
                fixed(Option("agree", T("consent.agree")), Option("more", T("consent.more"))),
                field="consent",
                next=_consent_answer,
            ),
            Choose(
                "more",
                lambda turn: (privacy_text(turn),),
                fixed(Option("agree", T("consent.agree")), Option("decline", T("consent.decline"))),
                field="consent",
                next=_consent_answer,
            ),
        ),
        **flow(
            "home",
            Choose(
                "role",
                says(T("role.ask")),
                fixed(
                    *(Option(role, T(f"role.{role}.option")) for role in ROLES),
                    Option("not_sure", T("role.not_sure.option")),
                ),
                field="role",
                next=_role_answer,
            ),
            Choose(
                "unsure",
                says(T("unsure.ask")),
                fixed(*(Option(key, T(f"unsure.{key}")) for key in LEANINGS)),
                field="leaning",
                next=lambda turn: Move("home.suggest", seed={"suggested": LEANINGS[turn.answers["leaning"]]}),
            ),
            Choose(
                "suggest",
                _suggest_prompt,
                fixed(Option("yes", T("unsure.accept")), Option("all", T("unsure.show_all"))),
                field="accept",
                next=_suggest_answer,
            ),
            Choose("after", says(T("after.ask")), _after_options, field="next", next=_after_answer),
            AwaitReceipts("supported", _supported),
        ),
        **flow(
            "settings",
            Choose("language", says(T("language.ask")), _language_options, field="language", next=_language_answer),
        ),
    }
