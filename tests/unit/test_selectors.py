"""Site profiles with CSS selectors: three differently built tickers read item by item, time
stamps and badges dropped, JSON in a script walked; bad selectors refused at load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from streamer.codec import make_snapshot
from streamer.core.engine import Deduplicator
from streamer.core.extract import Profiles, ticker_lines
from tests.pages import T0
from tests.tickers import PAGES, PROFILES, ticker_snap

FLASHES = ["Dutch Police: Rotterdam gunman arrested", "Ceasefire in Gaza takes effect",
           "Airspace closed at Ramon Airport"]


@pytest.fixture
def profiles(tmp_path: Path) -> Profiles:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(PROFILES))
    return Profiles.load(path)


@pytest.mark.parametrize("source", sorted(PAGES))
def test_each_markup_gives_its_flashes_top_first_without_stamps_or_badges(
        profiles: Profiles, source: str) -> None:
    assert ticker_lines(ticker_snap(source, FLASHES), profiles) == FLASHES


def test_the_default_profile_does_not_read_these_tickers_as_they_are(profiles: Profiles) -> None:
    # what the selectors are for: with the marker rule, stamps and badges come along or no
    # ticker is found at all
    default = Profiles.load()
    assert ticker_lines(ticker_snap("list.example", FLASHES), default) is None
    assert ticker_lines(ticker_snap("json.example", FLASHES), default) is None
    marquee = ticker_lines(ticker_snap("marquee.example", FLASHES), default) or []
    assert marquee != FLASHES


def test_a_page_without_the_container_has_no_ticker(profiles: Profiles) -> None:
    page = make_snapshot(url="https://list.example/about", fetched_at=T0,
                         content="<html><body><ul><li>About us and our long history</li></ul>"
                                 "</body></html>", content_type="text/html")
    assert ticker_lines(page, profiles) is None


def test_text_pages_of_a_selector_site_still_go_by_its_marker(profiles: Profiles) -> None:
    page = make_snapshot(url="https://json.example/live.txt", fetched_at=T0,
                         content="Menu\nEN DIRECT\nMétéo: vigilance orange à Lyon\n\nMore\n",
                         content_type="text/plain")
    assert ticker_lines(page, profiles) == ["Météo: vigilance orange à Lyon"]


@pytest.mark.parametrize("source", sorted(PAGES))
def test_the_engine_sees_new_revised_and_repeated_flashes_the_same_way_in_every_markup(
        profiles: Profiles, source: str) -> None:
    engine = Deduplicator(profiles=profiles)
    first = engine.process(ticker_snap(source, FLASHES[1:], 0)).events
    again = engine.process(ticker_snap(source, FLASHES[1:], 5)).events
    revised = ["Ceasefire in Gaza takes effect at 8 pm", *FLASHES[2:]]
    later = engine.process(ticker_snap(source, [FLASHES[0], *revised], 10)).events
    assert [e.text for e in first] == [FLASHES[2], FLASHES[1]]  # oldest first
    assert again == []
    assert sorted((e.kind.value, e.text) for e in later) == [
        ("new", FLASHES[0]), ("revised", "Ceasefire in Gaza takes effect at 8 pm")]


@pytest.mark.parametrize(("conf", "message"), [
    ({"container": "ul[[", "items": "li"}, "container 'ul[[' is not a CSS selector"),
    ({"container": "ul", "items": "li", "drop": ["::nope("]}, "drop '::nope(' is not"),
    ({"container": "ul"}, "needs items or json_items"),
    ({"items": "li"}, "need a container"),
])
def test_a_bad_selector_profile_is_refused_at_load_with_its_name(
        tmp_path: Path, conf: dict[str, object], message: str) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps({"sites": {"x.example": conf}}))
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        Profiles.load(path)
    assert "x.example" in str(info.value)
