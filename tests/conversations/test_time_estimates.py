"""What a new report's reply says about how long similar reports took to fix, in each
language, from the figures the Lookup gives (conversations/time_estimates.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from conversations.context import Estimate, Person
from conversations.effects import Receipt, Receipts
from tests.engine_support import NOW, Conversation, MemoryLookup


def figures(done: tuple[float | None, float | None], finished: int = 12) -> Estimate:
    return Estimate("lighting", finished, 3, (0.5, 2.0), done, NOW)


def saved_reply(language: str, estimate: Estimate | None) -> str:
    """The reply to a lighting report saved as P-12, by someone speaking `language`."""
    lookup = MemoryLookup(estimates={"lighting": estimate} if estimate else {})
    conversation = Conversation(lookup=lookup, person=Person(consented=True, language=language, language_settled=True))
    conversation.send("/start report")
    for answer in ("The streetlight on Elm Road is out", "2", "1", "3"):  # 2: lighting
        conversation.send(answer)
    saving = conversation.send("1")  # confirm
    assert saving.state.step == "explorer.saved"
    saved = Receipts((Receipt("problem", 12, "P-12"),))
    return conversation.said(conversation.apply(conversation.engine.step(saving.state, saved, conversation.context())))


@pytest.mark.parametrize(
    ("language", "thanks", "estimate"),
    [
        ("en", "by December 1, 2026 at the latest.", "Similar reports took 9 to 21 days to fix (middle half)."),
        ("es", "el 1 de diciembre de 2026.", "Informes similares tardaron de 9 a 21 días en resolverse (la mitad central)."),
        ("fr", "le 1 décembre 2026.", "Les signalements similaires ont été réglés en 9 à 21 jours (moitié centrale)."),
        ("de", "am 1. Dezember 2026, wie es darum steht.", "Ähnliche Meldungen wurden in 9 bis 21 Tagen behoben (mittlere Hälfte)."),
        ("pt", "a 1 de dezembro de 2026.", "Relatos semelhantes demoraram 9 a 21 dias a ser resolvidos (metade central)."),
    ],
)
def test_the_reply_says_the_middle_half_after_the_follow_up_date(language: str, thanks: str, estimate: str) -> None:
    said = saved_reply(language, figures((8.6, 20.9)))  # whole days, to the nearest
    assert thanks in said and estimate in said
    assert said.index(thanks) < said.index(estimate)  # the promise of news first, then the estimate


@pytest.mark.parametrize(
    ("language", "one_day", "five_days"),
    [
        ("en", "Similar reports took 1 day to fix", "Similar reports took 5 days to fix"),
        ("es", "tardaron 1 día en resolverse", "tardaron 5 días en resolverse"),
        ("fr", "réglés en 1 jour (", "réglés en 5 jours ("),
        ("de", "in 1 Tag behoben", "in 5 Tagen behoben"),
        ("pt", "demoraram 1 dia a ser", "demoraram 5 dias a ser"),
    ],
)
def test_the_same_day_twice_is_said_once_in_the_singular_for_one(language: str, one_day: str, five_days: str) -> None:
    assert one_day in saved_reply(language, figures((0.2, 1.4)))  # under a day still says 1 day, never 0
    assert five_days in saved_reply(language, figures((4.6, 5.4)))


@pytest.mark.parametrize(
    ("language", "lower_bound"),
    [
        ("en", "A quarter of similar reports were fixed within 6 days; many others are taking longer."),
        ("es", "Una cuarta parte de los informes similares se resolvió en 6 días; muchos otros están tardando más."),
        ("fr", "Un quart des signalements similaires ont été réglés en 6 jours ; beaucoup d'autres prennent plus de temps."),
        ("de", "Ein Viertel ähnlicher Meldungen wurde innerhalb von 6 Tagen behoben; viele andere dauern länger."),
        ("pt", "Um quarto dos relatos semelhantes foi resolvido em 6 dias; muitos outros estão a demorar mais."),
    ],
)
def test_without_a_75th_percentile_only_the_lower_bound_is_said(language: str, lower_bound: str) -> None:
    assert lower_bound in saved_reply(language, figures((6.0, None)))


def test_below_ten_fixed_or_without_figures_only_the_date_is_said() -> None:
    stale = replace(figures((9.0, 21.0)), computed_at=NOW - timedelta(days=8))  # no `cocreate run` for a week
    for estimate in (None, figures((9.0, 21.0), finished=9), figures((None, None)), stale):
        said = saved_reply("en", estimate)
        assert said.startswith("Thank you! Your report is P-12.") and "by December 1, 2026 at the latest." in said
        assert "similar reports" not in said.lower()
    assert "Similar reports took 9 to 21 days" in saved_reply("en", figures((9.0, 21.0), finished=10))
