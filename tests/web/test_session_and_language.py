"""The session cookie cannot be forged, altered or kept past its time; the language follows
an explicit choice, then the remembered one, then the browser."""

from __future__ import annotations

from web.i18n import MESSAGES, pick_language
from web.identity import SESSION_SECONDS, SessionCodec


def test_a_session_reads_back_only_as_issued_and_until_it_expires():
    codec = SessionCodec(b"secret")
    session, cookie = codec.issue("derci-martin", now=1_000_000)
    assert codec.read(cookie, now=1_000_001) == session
    assert codec.read(cookie, now=1_000_000 + SESSION_SECONDS + 1) is None
    payload, signature = cookie.rsplit(".", 1)
    assert codec.read(f"{payload}.{'0' * len(signature)}", now=1_000_001) is None
    assert SessionCodec(b"another secret").read(cookie, now=1_000_001) is None
    forged = SessionCodec(b"another secret").issue("derci-martin", now=1_000_000)[1]
    assert codec.read(forged, now=1_000_001) is None
    assert codec.read("garbage", now=1_000_001) is None
    assert codec.read(None) is None
    other, _ = codec.issue("derci-martin", now=1_000_000)
    assert other.csrf != session.csrf  # each sign-in its own CSRF token


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
