"""`streamer extract` as someone writing a profile uses it: a saved page in, what the profile
takes from it out (position, cleaned text, attribution, matching form)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streamer.cli.main import main
from tests.pages import page_html


def test_shows_each_ticker_line_with_position_attribution_and_matching_form(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "live.html"
    page.write_text(page_html(["Dutch Police: Two\u200b wounded in Rotterdam", "Ceasefire holds"]))
    assert main(["extract", str(page)]) == 0
    out = capsys.readouterr().out
    assert f"{page}: 2 ticker lines (source local, profile default)" in out
    assert "   0  Dutch Police: Two wounded in Rotterdam\n" in out
    assert "      raw:         Dutch Police: Two\u200b wounded in Rotterdam\n" in out  # zero-width
    assert "      attribution: Dutch Police\n" in out
    assert "      key:         2 wounded in rotterdam\n" in out
    assert "   1  Ceasefire holds\n" in out


def test_json_lines_and_another_sites_profile(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "live.txt"
    page.write_text("Menu\nEN DIRECT\nMétéo: vigilance orange à Lyon\nLIVE\n\nArticle\n")
    profiles = tmp_path / "profiles.json"
    profiles.write_text(json.dumps({"sites": {"fr.example": {
        "marker": "EN DIRECT", "skip": ["^LIVE$"]}}}))
    # the default profile finds no BREAKING line: exit 1, and says so
    assert main(["extract", str(page)]) == 1
    out = capsys.readouterr().out
    assert "no ticker lines" in out
    assert "no line is only the marker" in out
    assert main(["extract", str(page), "--json", "--source", "fr.example",
                 "--profiles", str(profiles)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["position"], r["text"], r["attribution"], r["profile"]) for r in rows] == [
        (0, "Météo: vigilance orange à Lyon", "Météo", "fr.example")]


def test_unloadable_profiles_are_a_usage_error(tmp_path: Path) -> None:
    page = tmp_path / "p.txt"
    page.write_text("BREAKING\nsomething happened today\n")
    bad = tmp_path / "profiles.json"
    bad.write_text('{"default": {"marker": "("}}')
    assert main(["extract", str(page), "--profiles", str(bad)]) == 2


def test_a_selector_profile_shows_items_without_their_badges_and_stamps(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.tickers import PROFILES, marquee_page

    page = tmp_path / "marquee.html"
    page.write_text(marquee_page(["Dutch Police: Rotterdam gunman arrested"]))
    profiles = tmp_path / "profiles.json"
    profiles.write_text(json.dumps(PROFILES))
    assert main(["extract", str(page), "--source", "marquee.example",
                 "--profiles", str(profiles)]) == 0
    out = capsys.readouterr().out
    assert "1 ticker lines (source marquee.example, profile marquee.example)" in out
    assert "   0  Dutch Police: Rotterdam gunman arrested\n" in out
    assert "LIVE" not in out


def test_it_says_when_a_selector_profile_finds_no_container(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.tickers import PROFILES

    page = tmp_path / "page.html"
    page.write_text(page_html(["Ceasefire in Gaza takes effect"]))
    profiles = tmp_path / "profiles.json"
    profiles.write_text(json.dumps(PROFILES))
    assert main(["extract", str(page), "--source", "list.example",
                 "--profiles", str(profiles)]) == 1
    assert "no element matches container 'section.latest ul.ticker'" in capsys.readouterr().out
