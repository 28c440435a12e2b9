"""Charts drawn on the server as SVG geometry (no JavaScript): horizontal bars in groups, and
stacked columns. Each chart comes from a Figure, whose rows are also the page's table
alternative and its CSV download."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

Cell = str | int | float

LABEL_WIDTH = 190
BAR_AREA = 420
BAR_HEIGHT = 16
GROUP_GAP = 10
COLUMN_AREA_HEIGHT = 220
# Wide enough for any character at the chart's 12px font: a longer row label is shortened
# in the chart (whole in its tip, its table and its CSV) instead of running off the left edge.
CHARACTER_WIDTH = 7.5


@dataclass(frozen=True)
class Figure:
    """A titled table: `columns[0]` labels each row, the others hold numbers (the series), or
    a text where a row has no number for a series."""

    name: str
    title: str
    description: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    stacked: bool = False  # columns over time (rows) stacked by series, instead of bars


@dataclass(frozen=True)
class Shape:
    x: float
    y: float
    width: float
    height: float
    series: int  # the colour (CSS class s0, s1, ...)
    tip: str  # what the shape stands for, read by screen readers and shown on hover


@dataclass(frozen=True)
class Caption:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    shapes: tuple[Shape, ...]
    captions: tuple[Caption, ...]
    legend: tuple[str, ...]


def _number(value: Cell) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _shown(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def draw(figure: Figure) -> Chart:
    return _columns(figure) if figure.stacked else _bars(figure)


def _bars(figure: Figure) -> Chart:
    """One group per row, one bar per series, the value written after each bar."""
    series = figure.columns[1:]
    largest = max((_number(v) for row in figure.rows for v in row[1:]), default=0.0) or 1.0
    shapes: list[Shape] = []
    captions: list[Caption] = []
    y = 0.0
    for row in figure.rows:
        group_top = y
        for index, value in enumerate(row[1:]):
            if isinstance(value, str):  # a figure with no number here ("not yet"): said, not drawn as 0
                captions.append(Caption(LABEL_WIDTH + 6, y + BAR_HEIGHT - 4, value))
                y += BAR_HEIGHT + 2
                continue
            width = BAR_AREA * _number(value) / largest
            tip = f"{row[0]} — {series[index]}: {_shown(_number(value))}"
            shapes.append(Shape(LABEL_WIDTH, y, max(width, 1.0), BAR_HEIGHT, index, tip))
            captions.append(Caption(LABEL_WIDTH + width + 6, y + BAR_HEIGHT - 4, _shown(_number(value))))
            y += BAR_HEIGHT + 2
        captions.append(Caption(LABEL_WIDTH - 8, (group_top + y) / 2 + 4, fitted(str(row[0]), LABEL_WIDTH - 8), "end"))
        y += GROUP_GAP
    return Chart(LABEL_WIDTH + BAR_AREA + 70, max(y, 20.0), tuple(shapes), tuple(captions), series if len(series) > 1 else ())


def _columns(figure: Figure) -> Chart:
    """One column per row (a week), stacked by series (categories), its total on top."""
    series = figure.columns[1:]
    totals = [sum(_number(v) for v in row[1:]) for row in figure.rows]
    largest = max(totals, default=0.0) or 1.0
    step = 44.0
    shapes: list[Shape] = []
    captions: list[Caption] = []
    for column, row in enumerate(figure.rows):
        x = 10 + column * step
        top = COLUMN_AREA_HEIGHT + 16.0  # room above the tallest column for its total
        for index, value in enumerate(row[1:]):
            height = COLUMN_AREA_HEIGHT * _number(value) / largest
            if height > 0:
                top -= height
                shapes.append(Shape(x, top, step - 10, height, index, f"{row[0]} — {series[index]}: {_shown(_number(value))}"))
        captions.append(Caption(x + (step - 10) / 2, top - 4, _shown(totals[column]), "middle"))
        captions.append(Caption(x + (step - 10) / 2, COLUMN_AREA_HEIGHT + 32, str(row[0])[5:], "middle"))
    return Chart(20 + len(figure.rows) * step, COLUMN_AREA_HEIGHT + 40, tuple(shapes), tuple(captions), tuple(series))


def fitted(text: str, width: float) -> str:
    """The text, shortened with an ellipsis to fit `width` (in the chart's units)."""
    room = int(width // CHARACTER_WIDTH)
    return text if len(text) <= room else text[: max(room - 1, 1)].rstrip() + "…"


def csv_rows(figure: Figure) -> Sequence[Sequence[Cell]]:
    """The figure as CSV rows; text a spreadsheet would run as a formula is quoted with '."""
    return [[_inert(cell) for cell in row] for row in (figure.columns, *figure.rows)]


def _inert(cell: Cell) -> Cell:
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell
