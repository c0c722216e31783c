"""Every message the code says exists in French (application/locale/fr/LC_MESSAGES/collab.po),
with the same placeholders and French typography; and the API, the CLI and the pages say a
refusal in the asker's language."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from application.language import _CATALOGUES, in_language, pick, said_in_code
from domain import wording
from domain.actors import Role
from domain.said import Day, Eur, Words, as_data, from_data, placeholders, said

ROOT = Path(__file__).resolve().parents[1]
FRENCH = _CATALOGUES["fr"]


def test_every_message_the_code_says_has_its_french():
    said_here = said_in_code(ROOT)
    assert len(said_here) > 150  # the extraction sees the domain's messages
    missing = {t: where for t, where in said_here.items() if not FRENCH.get(t)}
    assert not missing, "no French for:\n" + "\n".join(f"{w}: {t!r}" for t, w in missing.items())


def test_the_catalogue_holds_nothing_the_code_no_longer_says():
    stale = sorted(set(FRENCH) - set(said_in_code(ROOT)))
    assert not stale, stale


def test_a_translation_uses_the_same_values_as_its_english():
    wrong = {t: f for t, f in FRENCH.items() if placeholders(t) != placeholders(f)}
    assert not wrong, wrong


def test_french_typography_puts_a_space_before_colons_and_semicolons():
    glued = {t: f for t, f in FRENCH.items() if re.search(r"[^\s\u00a0\u202f][:;](\s|$)", f)}
    assert not glued, glued


def test_a_refusal_reads_in_french_with_its_values_said_the_french_way():
    message = said(
        "the project is suspended since {day}: {what} once it is resumed",
        day=Day(date(2027, 6, 1)),
        what=said("tranche {year} is paid", year=2),
    )
    assert (
        message
        == "the project is suspended since 1 June 2027: tranche 2 is paid once it is resumed"
    )
    assert in_language(message, "fr") == (
        "le projet est suspendu depuis le 1er juin 2027\u00a0: la tranche 2 sera versée à sa reprise"
    )
    refusal = said(
        "{role} {actor_id} may not {action}; only {allowed} may",
        role=wording.role(Role.INSTITUTE_OFFICER),
        actor_id="insb-lemaire",
        action=said("terminate the project"),
        allowed=wording.either([wording.a_role(Role.DERCI_OFFICER)]),
    )
    assert in_language(refusal, "fr") == (
        "chargé·e de mission d'institut insb-lemaire ne peut pas mettre fin au projet\u00a0; "
        "seul·e un·e chargé·e de mission DERCI le peut"
    )
    # amounts and counts as each language writes them
    assert in_language(Eur(12_000), "fr") == "12\u202f000\u00a0EUR" and Eur(12_000) == "12,000 EUR"
    assert in_language(wording.count(2, "review"), "fr") == "deux évaluations"
    assert in_language(Words(3), "en") == "three"
    # text that is no message (a name, what a person typed) is left as it is
    assert in_language("Géochimie des sols", "fr") == "Géochimie des sols"


def test_a_message_crosses_a_boundary_as_data_and_still_reads_in_french():
    message = said(
        "approval needs at least {min_reviews_to_approve}; {submitted}",
        min_reviews_to_approve=wording.count(2, "review"),
        submitted=said("one has been submitted"),
    )
    again = from_data(json.loads(json.dumps(as_data(message))))
    assert again == message and in_language(again, "fr") == in_language(message, "fr")
    assert in_language(again, "fr") == (
        "l'approbation demande au moins deux évaluations\u00a0; une a été rendue"
    )


def test_the_asked_language_is_read_from_accept_language():
    assert pick("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert pick("de-DE, en;q=0.5") == "en"
    assert pick(None) == "en"


def test_the_services_recorded_reasons_read_back_in_french_and_a_persons_words_do_not():
    """A reason the service gave is recorded in English; the pages say it in French by
    reading it back against the catalogue. What a person typed is left as they typed it."""
    from application.language import read_back

    assert in_language(read_back("automatic check of the instrument's rules"), "fr") == (
        "vérification automatique des règles de l'instrument"
    )
    recorded = "report term1-year1 not accepted by the tranche's due date 2027-06-01"
    assert in_language(read_back(recorded), "fr") == (
        "rapport term1-year1 non accepté à l'échéance de la tranche, le 2027-06-01"
    )
    assert in_language(read_back("IRL term 2 ended without a granted renewal"), "fr") == (
        "période 2 de l'IRL terminée sans renouvellement accordé"
    )
    for typed in ("strong reviews", "approved", "two workshops, one paper"):
        assert in_language(read_back(typed), "fr") == typed
