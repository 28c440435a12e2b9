"""Insights: each figure as a chart, a table with the same numbers, and a CSV download."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Callable

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web import charts
from bot.web.charts import Cell, Figure
from bot.web.console import Console, SignedIn, staff_only
from bot.web.formatting import Formatter
from bot.web.texts import WebTexts
from conversations.context import Estimate
from conversations.refs import STATUSES, make_ref
from conversations.time_estimates import MIN_FINISHED, whole_days
from storage import broadcasts, estimates, insights

WEEKS = 12
TOP_SUPPORTED = 10


def routes() -> list[Route]:
    return [Route("/insights", insights_page), Route("/insights/{name}.csv", insight_csv)]


def _week_start(at: datetime, zone: object) -> str:
    day = at.astimezone(zone).date()  # type: ignore[arg-type]
    return (day - timedelta(days=day.weekday())).isoformat()


def _weekly(session: Session, t: WebTexts, fmt: Formatter, now: datetime, categories: tuple[str, ...]) -> Figure:
    since = now - timedelta(weeks=WEEKS)
    weeks = [_week_start(now - timedelta(weeks=n), fmt.zone) for n in range(WEEKS - 1, -1, -1)]
    seen = {week: {c: 0 for c in categories} for week in weeks}
    others = {week: 0 for week in weeks}
    for at, category in insights.problems_since(session, since=since):
        week = _week_start(at, fmt.zone)
        if week in seen:
            if category in seen[week]:
                seen[week][category] += 1
            else:
                others[week] += 1
    rows = tuple((week, *(seen[week][c] for c in categories), others[week]) for week in weeks)
    columns = (t("web.insights.week"), *(fmt.category(c) for c in categories), t("web.insights.no_category"))
    return Figure("weekly", t("web.insights.weekly"), t("web.insights.weekly_help"), columns, rows, stacked=True)


def _funnel(session: Session, t: WebTexts, fmt: Formatter) -> Figure:
    counts = insights.status_funnel(session)
    rows = tuple((fmt.status(s), counts.get(s, 0)) for s in STATUSES)
    return Figure("funnel", t("web.insights.funnel"), t("web.insights.funnel_help"), (t("web.insights.status"), t("web.insights.submissions")), rows)


def _kept_days(days: float | None, t: WebTexts) -> Cell:
    """A percentile as a new report's reply says it (whole days), or "not yet"."""
    return t("web.insights.not_reached") if days is None else whole_days(days)


def _when(kept: list[Estimate], t: WebTexts, fmt: Formatter) -> str:
    if not kept:
        return t("web.insights.not_computed")
    return t("web.insights.computed", when=fmt.moment(max(estimate.computed_at for estimate in kept)))


def _timings(kept: list[Estimate], t: WebTexts, fmt: Formatter) -> Figure:
    """The middle half to the first response and to done, per category, as the scheduler
    last computed it (bot/operations/survival.py): this process never loads lifelines."""
    rows = tuple(
        (fmt.category(e.category), *(_kept_days(days, t) for days in (*e.first_response, *e.done))) for e in kept
    )
    columns = (t("web.insights.category"), t("web.insights.first_from"), t("web.insights.first_to"),
               t("web.insights.done_from"), t("web.insights.done_to"))  # fmt: skip
    described = f"{t('web.insights.timings_help', minimum=MIN_FINISHED)} {_when(kept, t, fmt)}"
    return Figure("timings", t("web.insights.timings"), described, columns, rows)


def _cases(kept: list[Estimate], t: WebTexts, fmt: Formatter) -> Figure:
    rows = tuple((fmt.category(e.category), e.finished, e.still_open) for e in kept)
    columns = (t("web.insights.category"), t("web.insights.finished"), t("web.insights.still_open"))
    described = f"{t('web.insights.cases_help')} {_when(kept, t, fmt)}"
    return Figure("cases", t("web.insights.cases"), described, columns, rows)


def _supporters(session: Session, t: WebTexts, fmt: Formatter) -> Figure:
    rows = tuple((fmt.category(c), n) for c, n in sorted(insights.supporters_by_category(session).items(), key=lambda i: -i[1]))
    return Figure("supporters", t("web.insights.supporters"), t("web.insights.supporters_help"), (t("web.insights.category"), t("web.insights.supports")), rows)


def _top(session: Session, t: WebTexts) -> Figure:
    rows = tuple((f"{make_ref(kind, id_)} {title[:40]}", n) for kind, id_, title, n in insights.most_supported(session, limit=TOP_SUPPORTED))
    return Figure("top", t("web.insights.top"), t("web.insights.top_help"), (t("web.insights.submission"), t("web.insights.supports")), rows)


def _reach(session: Session, t: WebTexts) -> Figure:
    rows = tuple((f"B-{r.id}", r.sent, r.reach) for r in broadcasts.reports(session)[-20:])
    columns = (t("web.insights.broadcast"), t("web.insights.sent"), t("web.insights.reach"))
    return Figure("reach", t("web.insights.reach_title"), t("web.insights.reach_help"), columns, rows)


def _languages(session: Session, t: WebTexts) -> Figure:
    rows = tuple((lang, people, written) for lang, (people, written) in insights.languages_used(session).items())
    columns = (t("web.insights.language"), t("web.insights.people"), t("web.insights.submissions"))
    return Figure("languages", t("web.insights.languages"), t("web.insights.languages_help"), columns, rows)


def _figures(console: Console, texts: WebTexts) -> Callable[[Session], list[Figure]]:
    now, categories = console.now(), console.app.settings.categories
    fmt = Formatter(console.app.catalogs, texts, console.app.settings.zone, now)

    def read(session: Session) -> list[Figure]:
        kept = estimates.all_estimates(session)
        return [
            _weekly(session, texts, fmt, now, categories), _funnel(session, texts, fmt), _timings(kept, texts, fmt),
            _cases(kept, texts, fmt), _supporters(session, texts, fmt), _top(session, texts), _reach(session, texts),
            _languages(session, texts),
        ]  # fmt: skip

    return read


@staff_only
async def insights_page(request: Request, console: Console, _who: SignedIn) -> Response:
    figures = await console.read(_figures(console, console.texts_for(request)))
    return console.page(request, "insights.html", figures=[(figure, charts.draw(figure)) for figure in figures])


@staff_only
async def insight_csv(request: Request, console: Console, _who: SignedIn) -> Response:
    figures = {figure.name: figure for figure in await console.read(_figures(console, console.texts_for(request)))}
    figure = figures.get(request.path_params["name"])
    if figure is None:
        return Response(status_code=404)
    out = io.StringIO()
    csv.writer(out).writerows(charts.csv_rows(figure))
    headers = {"Content-Disposition": f'attachment; filename="cocreate-{figure.name}.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
