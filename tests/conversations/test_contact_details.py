"""Contact details found before saving, in the five catalog languages, and the dialog that
asks about them (the engine alone, in memory)."""

from __future__ import annotations

import pytest

from conversations.effects import SaveProblem
from conversations.moderation import initial_moderation, is_abusive, load_abusive_terms
from conversations.contact_details import contact_details, without_contact_details
from tests.engine_support import Conversation

TERMS = load_abusive_terms()


@pytest.mark.parametrize(
    ("region", "text", "kinds"),
    [
        ("GB", "Write to ana.lopez@example.org about the lamp", ["email"]),
        ("GB", "Call me on 07911 123456 after six", ["phone"]),
        ("GB", "Ring +34 612 345 678 for the keys", ["phone"]),
        ("GB", "My neighbour John Smith at 12 leaves his bins out", ["person"]),
        ("GB", "Tom Baker lives at 4a and parks on the grass", ["person"]),
        ("ES", "Mi vecino Juan Pérez en el 12 tira basura; llamad al 612 345 678", ["person", "phone"]),
        ("FR", "Mon voisin Jean Dupont au 12 brûle ses déchets, 06 12 34 56 78", ["person", "phone"]),
        ("DE", "Mein Nachbar Hans Müller in Nr. 12 parkt falsch, Tel. 030 1234567", ["person", "phone"]),
        ("PT", "O meu vizinho João Silva no 12 deixa lixo, ligue 912 345 678", ["person", "phone"]),
    ],
)
def test_contact_details_are_found(region: str, text: str, kinds: list[str]) -> None:
    assert [found.kind for found in contact_details(text, region=region)] == kinds


@pytest.mark.parametrize(
    "text",
    [
        "Broken streetlight on Baker Street at 12 since 2024",
        "About 40 people use this crossing every day, 1,200 cars an hour",
        "The lamp at Main Street 12 is broken",
        "Bus 123 is late 3 times a week since March 2019",
        "desde 2019 pasan 1500 coches al día por la Calle Mayor 5",
    ],
)
def test_ordinary_reports_with_numbers_and_street_names_have_none(text: str) -> None:
    assert contact_details(text, region="ES") == ()


def test_removing_leaves_a_readable_sentence() -> None:
    text = "My neighbour John Smith at 12 dumps rubbish, call 07911 123456 or mail js@example.org"
    assert without_contact_details(text, region="GB") == "My neighbour […] at 12 dumps rubbish, call […] or mail […]"


def test_abusive_terms_hold_a_text_whatever_its_language_case_or_accents() -> None:
    assert set(TERMS) == {"en", "es", "fr", "de", "pt"} and all(TERMS.values())
    assert is_abusive("The council are IDIOTS", TERMS) and is_abusive("quel CRÉTIN", TERMS)
    assert is_abusive("hijo de puta", TERMS) and not is_abusive("Idiotically wide road", TERMS)
    assert initial_moderation(["Broken bench"], mode="post", terms=TERMS) == "shown"
    assert initial_moderation(["Broken bench"], mode="pre", terms=TERMS) == "pending"
    assert initial_moderation(["Scheiße, the bench is broken"], mode="post", terms=TERMS) == "pending"


def at_summary(description: str) -> Conversation:
    conversation = Conversation()
    for text in ("/start", "I agree", "Explorer", description, "Parks", "By the pond", "My street"):
        conversation.send(text)
    return conversation


def test_confirming_asks_about_contact_details_and_keep_marks_it_private() -> None:
    conversation = at_summary("Swing is broken, ask ana@example.org for the photos")
    asked = conversation.send("Confirm")
    assert conversation.said(asked).startswith("It looks like this contains contact details.")
    kept = conversation.send("Keep it private to the city team")
    (save, *_) = [e for e in kept.effects if isinstance(e, SaveProblem)]
    assert save.problem.private and "ana@example.org" in save.problem.description


def test_remove_saves_the_text_without_them_for_everyone() -> None:
    conversation = at_summary("Swing is broken, ask ana@example.org for the photos")
    conversation.send("Confirm")
    removed = conversation.send("Remove")
    (save,) = [e for e in removed.effects if isinstance(e, SaveProblem)]
    assert save.problem.description == "Swing is broken, ask […] for the photos" and not save.problem.private


def test_an_edited_text_is_checked_again() -> None:
    conversation = at_summary("The swing in the park is broken")
    conversation.send("Edit")
    conversation.send("1")  # the description
    conversation.send("The swing is broken, my number is 07911 123456")
    asked = conversation.send("Confirm")
    assert conversation.said(asked).startswith("It looks like this contains contact details.")
