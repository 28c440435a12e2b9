"""Forming a design team around a ready idea (`cocreate ideas form`): the team's space in
Slack (a channel with the idea, its problem and each designer's skills and hours pinned)
and/or Telegram (an invite link to a group staff named), then a message to each designer in
their language: where to meet, who else joined (first names only), and the staff owner.

Each step's result is committed as soon as it is known (storage/design_teams.py), so a run
cut off half way is simply run again: no second channel, pinned post or message."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session
from telegram import Bot

from bot.operations import sign_in
from bot.operations.team_spaces import SlackSpace, SpaceError, telegram_invite_link
from bot.outbound.notices import Notices
from conversations.i18n import T, Text
from conversations.refs import parse_ref
from storage import audit, citizens, design_teams
from storage.citizens import Concerned
from storage.design_team_models import DesignTeam
from storage.design_teams import Designer, IdeaText

R = TypeVar("R")


class TeamError(ValueError):
    """Why a team cannot be formed (yet); one line for the command line."""


@dataclass(frozen=True)
class Spaces:
    """Where the team meets: a Slack channel (`slack`), and/or a Telegram group, by its
    invite link or by the chat id the bot makes one for."""

    slack: SlackSpace | None = None
    telegram_link: str | None = None
    telegram_chat: str | None = None
    telegram_bot: Bot | None = None


@dataclass(frozen=True)
class Formed:
    ref: str
    slack_channel: str | None
    telegram_link: str | None
    told: int  # designers messaged now (0 when the team had been formed before)
    before: bool = False


@dataclass(frozen=True)
class Request:
    ref: str
    owner: str  # a staff identity, CHANNEL:ID
    by: str  # who forms it (cli:alice)
    via: str


def form(database: Engine, request: Request, spaces: Spaces, *, notices: Notices, staff: Sequence[str],
         min_supporters: int, clock: Callable[[], datetime]) -> Formed:  # fmt: skip
    """Form the team for `request.ref`, or finish forming it; raises TeamError (or
    SpaceError, with what was done kept) with the reason."""
    idea, members = _checked(database, request, staff=staff, min_supporters=min_supporters)
    team = _write(database, lambda s: design_teams.start_team(
        s, idea_id=idea.id, owner=request.owner, formed_by=request.by, now=clock()))  # fmt: skip
    if team.formed_at is not None:
        return Formed(idea.ref, team.slack_channel_name, team.telegram_invite_link, 0, before=True)
    owner = _write(database, lambda s: design_teams.name_of(s, identity=request.owner))
    if spaces.slack is not None:
        _slack(database, spaces.slack, idea, members, owner, notices)
    if spaces.telegram_link or spaces.telegram_chat:
        _telegram(database, spaces, idea)

    def tell(session: Session) -> Formed:
        formed = design_teams.team_of(session, idea_id=idea.id, lock=True)  # two runs at once tell once
        assert formed is not None
        if formed.formed_at is not None:
            return Formed(idea.ref, formed.slack_channel_name, formed.telegram_invite_link, 0, before=True)
        now = clock()
        for member in members:
            text = _invitation(member, members, idea, owner, formed.slack_channel_name, formed.telegram_invite_link)
            notices.send(session, to=_concerned(member), text=text, now=now)
        design_teams.mark_formed(session, team=formed, now=now)
        spaces_used = [f"slack #{formed.slack_channel_name}"] if formed.slack_channel_name else []
        spaces_used += ["telegram"] if formed.telegram_invite_link else []
        detail = f"{len(members)} designers; owner {request.owner}; spaces {', '.join(spaces_used) or 'none'}"
        audit.record(session, actor=request.by, via=request.via, action="team_form", target=idea.ref, detail=detail, now=now)
        return Formed(idea.ref, formed.slack_channel_name, formed.telegram_invite_link, len(members))

    return _write(database, tell)


def _write(database: Engine, work: Callable[[Session], R]) -> R:
    """One step, committed at once: what it recorded survives a later step's failure."""
    with Session(database, expire_on_commit=False) as session, session.begin():
        return work(session)


def _checked(
    database: Engine, request: Request, *, staff: Sequence[str], min_supporters: int
) -> tuple[IdeaText, list[Designer]]:
    parsed = parse_ref(request.ref)
    if parsed is None or parsed[0] != "idea":
        raise TeamError(f"{request.ref!r} is not an idea's reference such as I-7")
    with Session(database) as session:
        idea = design_teams.idea_text(session, idea_id=parsed[1])
        if idea is None:
            raise TeamError(f"There is no idea {request.ref}")
        if not sign_in.is_staff_identity(session, identity=request.owner, configured=staff):
            raise TeamError(f"--owner {request.owner} is not staff (see `cocreate staff list`)")
        if not idea.shown:
            raise TeamError(f"{idea.ref} is not shown to residents (held, hidden or private): its team would see it")
        ideas = design_teams.ideas_for_teams(session, min_supporters=min_supporters)
        found = next((i for i in ideas if i.id == idea.id), None)
        members = design_teams.designers(session, idea_id=idea.id)
    if found is None:
        raise TeamError(f"{idea.ref} is no longer open")
    if not found.ready and not found.formed:
        raise TeamError(f"{idea.ref} is not ready: {found.supporters} of {min_supporters} supporters (TEAM_SUPPORTERS), "
                        f"{found.offers} of {design_teams.MIN_OFFERS} design offers whose designers may be contacted")  # fmt: skip
    return idea, members


def _slack(
    database: Engine, slack: SlackSpace, idea: IdeaText, members: list[Designer], owner: str, notices: Notices
) -> None:
    """Channel, invitations, the pinned post: each created once, its id or ts kept at once."""
    team = _team(database, idea.id)
    channel_id, ts = team.slack_channel_id, team.slack_pinned_ts
    if channel_id is None:
        channel = slack.create_channel(idea.ref, idea.title)
        channel_id = channel.id
        _write(
            database,
            lambda s: design_teams.record(
                s, idea_id=idea.id, slack_channel_id=channel.id, slack_channel_name=channel.name
            ),
        )
    slack.invite(channel_id, [m.user_id for m in members if m.channel == "slack"])
    if ts is None:
        language = notices.default_language
        skills = {
            m.citizen_id: ", ".join(notices.catalogs.render(language, T(f"designer.skill.{s}")) for s in m.skills)
            for m in members
        }
        posted = slack.post(channel_id, notices.catalogs.render(language, _pinned(idea, members, skills, owner)))
        _write(database, lambda s: design_teams.record(s, idea_id=idea.id, slack_pinned_ts=posted))
        ts = posted
    slack.pin(channel_id, ts)


def _team(database: Engine, idea_id: int) -> DesignTeam:
    team = _write(database, lambda s: design_teams.team_of(s, idea_id=idea_id))
    assert team is not None, "begun by form()"
    return team


def _telegram(database: Engine, spaces: Spaces, idea: IdeaText) -> None:
    team = _team(database, idea.id)
    if team.telegram_invite_link is not None and not spaces.telegram_link:
        return
    link = spaces.telegram_link
    if link is None:
        assert spaces.telegram_chat is not None
        if spaces.telegram_bot is None:
            raise SpaceError("--telegram-chat needs TELEGRAM_BOT_TOKEN (the bot makes the invite link)")
        link = asyncio.run(
            telegram_invite_link(spaces.telegram_bot, chat_id=spaces.telegram_chat, name=f"{idea.ref} design team")
        )
    _write(
        database,
        lambda s: design_teams.record(
            s, idea_id=idea.id, telegram_chat_id=spaces.telegram_chat, telegram_invite_link=link
        ),
    )


def _pinned(idea: IdeaText, members: list[Designer], skills: dict[int, str], owner: str) -> Text:
    lines = tuple(
        T("team.designer", name=m.first_name or T("team.someone"), skills=skills[m.citizen_id] or "—",
          hours=T(f"designer.hours.{m.hours}"))
        for m in members
    )  # fmt: skip
    problem = T("team.problem", problem=idea.problem) if idea.problem else T("team.no_problem")
    return T(
        "team.pinned",
        ref=idea.ref,
        title=idea.title,
        idea=idea.description,
        problem=problem,
        designers=lines,
        owner=owner,
    )


def _invitation(member: Designer, members: list[Designer], idea: IdeaText, owner: str,
                slack_channel: str | None, telegram_link: str | None) -> Text:  # fmt: skip
    others = ", ".join(m.first_name or "?" for m in members if m.citizen_id != member.citizen_id)
    if member.channel == "slack" and slack_channel:
        where = T("team.where.slack", channel=slack_channel)
    elif member.channel == "telegram" and telegram_link:
        where = T("team.where.telegram", link=telegram_link)
    else:
        where = T("team.where.owner")
    return T("team.invitation", ref=idea.ref, title=idea.title, where=where, others=others, owner=owner)


def _concerned(member: Designer) -> Concerned:
    return citizens.Concerned(
        member.citizen_id, member.channel, member.chat_id, member.user_id, member.thread_id, member.language
    )
