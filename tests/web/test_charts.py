"""The insights' charts and downloads (bot/web/charts.py): what a reader sees of a long label,
and what a spreadsheet makes of a cell that looks like a formula."""

from __future__ import annotations

from bot.web import charts
from bot.web.charts import Figure

LONG = "P-12 The streetlight on Elm Street is out since Monday"


def test_a_long_row_label_is_shortened_in_the_chart_and_whole_in_its_tip() -> None:
    figure = Figure("top", "Most supported", "", ("Submission", "Supporters"), ((LONG, 3), ("P-2 Bins", 1)))
    chart = charts.draw(figure)
    labels = [c.text for c in chart.captions if c.anchor == "end"]
    assert labels[1] == "P-2 Bins"
    assert labels[0].endswith("…") and LONG.startswith(labels[0][:-1])
    assert all(len(label) * charts.CHARACTER_WIDTH <= charts.LABEL_WIDTH - 8 for label in labels)  # none runs off the left
    assert chart.shapes[0].tip == f"{LONG} — Supporters: 3"


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_inert() -> None:
    cells = ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "P-1 =1+1")
    figure = Figure("top", "t", "", ("Label", "Count"), tuple((cell, -1) for cell in cells))
    written = [row[0] for row in charts.csv_rows(figure)[1:]]
    assert written == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain", "P-1 =1+1"]
    assert [row[1] for row in charts.csv_rows(figure)[1:]] == [-1] * len(cells)  # numbers stay numbers
