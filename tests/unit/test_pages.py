"""A page's bytes into text: the charset the HTTP header, the page or the bytes themselves say."""

from __future__ import annotations

import pytest

from streamer.inputs.pages import Skipped, decode_body, page_type

RU = "Москва: в центре города введён режим ЧС, метро работает в обычном режиме"


def test_the_http_charset_wins_over_the_meta_charset() -> None:
    body = ('<meta charset="utf-8"><p>' + RU + "</p>").encode("cp1251")
    assert RU in decode_body(body, "text/html; charset=windows-1251")


def test_the_meta_charset_is_used_when_http_says_nothing() -> None:
    body = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=koi8-r'>"
            f"</head><body>{RU}</body></html>").encode("koi8_r")
    assert RU in decode_body(body, "text/html")


def test_a_wrong_declaration_is_passed_over_not_trusted_into_mojibake() -> None:
    assert decode_body(RU.encode("utf-8"), "text/html; charset=utf-16-nope") == RU
    page = '<meta charset="windows-1252"><p>Météo: vigilance orange à Lyon</p>'
    assert decode_body(page.encode("cp1252"), "text/html; charset=utf-8") == page


def test_latin_1_labels_mean_windows_1252_as_in_browsers() -> None:
    assert decode_body("l’autoroute".encode("cp1252"), "text/html; charset=iso-8859-1") == (
        "l’autoroute")


def test_undeclared_non_utf8_text_is_detected() -> None:
    text = (RU + " ") * 5
    assert decode_body(text.encode("cp1251"), None) == text


@pytest.mark.parametrize(("ctype", "expected"), [
    ("text/html; charset=utf-8", "text/html"), ("application/xhtml+xml", "text/html"),
    ("TEXT/PLAIN", "text/plain"), (None, None), ("", None)])
def test_page_types(ctype: str | None, expected: str | None) -> None:
    assert page_type(ctype) == expected


def test_other_media_types_are_not_pages() -> None:
    with pytest.raises(Skipped, match="application/pdf payload"):
        page_type("application/pdf")
