"""Insights: each figure as a chart, a table with the same numbers, and a CSV download."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from statistics import median
from typing import Callable

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web import charts
from bot.web.charts import Figure
from bot.web.console import Console, SignedIn, staff_only
from bot.web.formatting import Formatter
from bot.web.texts import WebTexts
from conversations.refs import STATUSES, make_ref
from storage import broadcasts, insights

WEEKS = 12
TIMING_DAYS = 365
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


def _days(spans: list[timedelta]) -> float:
    return round(median(span.total_seconds() for span in spans) / 86400, 1) if spans else 0.0


def _timings(session: Session, t: WebTexts, fmt: Formatter, now: datetime) -> Figure:
    by_category: dict[str, tuple[list[timedelta], list[timedelta]]] = {}
    for timing in insights.problem_timings(session, since=now - timedelta(days=TIMING_DAYS)):
        first, done = by_category.setdefault(timing.category, ([], []))
        if timing.first_response_at:
            first.append(timing.first_response_at - timing.created_at)
        if timing.done_at:
            done.append(timing.done_at - timing.created_at)
    rows = tuple((fmt.category(c), _days(first), _days(done)) for c, (first, done) in sorted(by_category.items()))
    columns = (t("web.insights.category"), t("web.insights.first_response_days"), t("web.insights.done_days"))
    return Figure("timings", t("web.insights.timings"), t("web.insights.timings_help"), columns, rows)


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
        return [
            _weekly(session, texts, fmt, now, categories), _funnel(session, texts, fmt), _timings(session, texts, fmt, now),
            _supporters(session, texts, fmt), _top(session, texts), _reach(session, texts), _languages(session, texts),
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
