"""The session cookie cannot be forged, altered or kept past its time; the language follows
an explicit choice, then the remembered one, then the browser."""

from __future__ import annotations

from web.i18n import MESSAGES, pick_language
from web.identity import SessionCookie


def test_a_session_cookie_names_its_session_only_with_this_secret():
    cookie = SessionCookie(b"secret")
    sealed = cookie.seal("s-123")
    assert cookie.open(sealed) == "s-123"
    session_id, signature = sealed.rsplit(".", 1)
    assert cookie.open(f"s-124.{signature}") is None
    assert cookie.open(f"{session_id}.{'0' * len(signature)}") is None
    assert cookie.open(f"{session_id}.{'é' * len(signature)}") is None
    assert SessionCookie(b"another secret").open(sealed) is None
    assert cookie.open("garbage") is None
    assert cookie.open(None) is None


def test_language_choice_order():
    assert pick_language(None, None, "fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert pick_language(None, None, "de-DE,en;q=0.5,fr;q=0.7") == "fr"
    assert pick_language(None, None, "de-DE") == "en"
    assert pick_language(None, "fr", "en-GB") == "fr"
    assert pick_language("en", "fr", "fr-FR") == "en"
    assert pick_language("xx", None, None) == "en"


def test_every_label_exists_in_both_languages():
    assert MESSAGES["en"].keys() == MESSAGES["fr"].keys()
    untranslated = [k for k in MESSAGES["en"] if MESSAGES["en"][k] == MESSAGES["fr"][k]]
    assert set(untranslated) <= {"instrument", "sort.instrument", "cnrs", "tranches"}, untranslated
