"""Staff members and community groups: add and remove, as `cocreate staff` and `cocreate
groups` do (storage/staff.py, storage/community_groups.py)."""

from __future__ import annotations

import re

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.console import Console, SignedIn, staff_only
from bot.operations import staff_membership
from storage import audit, community_groups, staff

IDENTITY = re.compile(r"^(telegram|slack|console):\S{1,120}$")
DONE = {
    "staff_added": "web.people.staff_added",
    "staff_removed": "web.people.staff_removed",
    "group_saved": "web.people.group_saved",
    "group_removed": "web.people.group_removed",
}


def routes() -> list[Route]:
    return [
        Route("/people", people),
        Route("/people/staff", add_staff, methods=["POST"]),
        Route("/people/staff/remove", remove_staff, methods=["POST"]),
        Route("/people/groups", save_group, methods=["POST"]),
        Route("/people/groups/remove", remove_group, methods=["POST"]),
    ]


def _listing(session: Session) -> tuple[list[str], list[tuple[str, list[str]]]]:
    stored = staff.staff_list(session)
    groups = [(f"{g.channel}:{g.chat_id}", list(g.topics)) for g in community_groups.groups(session)]
    return stored, groups


async def _page(request: Request, console: Console, *, error: str | None = None, form: dict[str, str] | None = None) -> Response:
    stored, groups = await console.read(_listing)
    done = DONE.get(request.query_params.get("done", ""))
    return console.page(
        request, "people.html", status_code=400 if error else 200, configured=console.app.settings.staff,
        stored=stored, groups=groups, categories=console.app.settings.categories, error=error,
        done=console.say(request, done) if done and not error else None, form=form or {},
    )  # fmt: skip


async def _identity(request: Request, console: Console, name: str = "identity") -> tuple[str | None, str | None, dict[str, str]]:
    """(identity, error, form): CHANNEL:ID as the command line takes it."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf"}
    value = form.get(name, "").strip()
    if not IDENTITY.match(value):
        return None, console.say(request, "web.people.bad_identity", value=value), form
    return value, None, form


@staff_only
async def people(request: Request, console: Console, _who: SignedIn) -> Response:
    return await _page(request, console)


@staff_only
async def add_staff(request: Request, console: Console, who: SignedIn) -> Response:
    identity, error, form = await _identity(request, console)
    if identity is None:
        return await _page(request, console, error=error, form=form)

    await console.write(staff_membership.add_staff, identity=identity, actor=who.identity, via="console", now=console.now())
    return RedirectResponse("/people?done=staff_added", status_code=303)


@staff_only
async def remove_staff(request: Request, console: Console, who: SignedIn) -> Response:
    """Their console sessions end with it (and every request checks that its person is staff)."""
    identity, error, form = await _identity(request, console)
    if identity is None:
        return await _page(request, console, error=error, form=form)
    await console.write(
        staff_membership.remove_staff, identity=identity, configured=console.app.settings.staff, actor=who.identity,
        via="console", now=console.now(),
    )  # fmt: skip
    return RedirectResponse("/people?done=staff_removed", status_code=303)


@staff_only
async def save_group(request: Request, console: Console, who: SignedIn) -> Response:
    identity, error, form = await _identity(request, console)
    if identity is None:
        return await _page(request, console, error=error, form=form)
    chosen = (await request.form()).getlist("topic")
    topics = [t for t in chosen if isinstance(t, str) and t in console.app.settings.categories]
    channel, chat_id = identity.split(":", 1)

    def save(session: Session) -> None:
        community_groups.set_group(session, channel=channel, chat_id=chat_id, topics=topics)
        audit.record(
            session, actor=who.identity, via="console", action="group_add", target=identity,
            detail=", ".join(topics) or "every topic", now=console.now(),
        )  # fmt: skip

    await console.write(save)
    return RedirectResponse("/people?done=group_saved", status_code=303)


@staff_only
async def remove_group(request: Request, console: Console, who: SignedIn) -> Response:
    identity, error, form = await _identity(request, console)
    if identity is None:
        return await _page(request, console, error=error, form=form)
    channel, chat_id = identity.split(":", 1)

    def remove(session: Session) -> None:
        community_groups.remove_group(session, channel=channel, chat_id=chat_id)
        audit.record(session, actor=who.identity, via="console", action="group_remove", target=identity, now=console.now())

    await console.write(remove)
    return RedirectResponse("/people?done=group_removed", status_code=303)
