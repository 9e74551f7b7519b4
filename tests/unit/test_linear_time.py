"""Every pattern that reads page content is linear: 100 times the input takes about 100 times as
long (a quadratic pattern would take 10,000 times). Ratios, not wall times, so a slow or busy
machine does not fail the test; the inputs are built to break careless patterns
(bench/hostile.py)."""

import pytest

from bench.hostile import LINES, PAGES, best_time
from streamer.codec import make_snapshot
from streamer.core.clean import clean_line, strip_decorations
from streamer.core.extract import Profiles, ticker_lines
from streamer.core.markup import html_to_lines, ticker_window, window_lines

SMALL, LARGE = 10_000, 1_000_000
LINEAR = LARGE / SMALL
MAX_RATIO = 4 * LINEAR  # well below quadratic (100 x LINEAR) on a busy machine too
PROFILES = Profiles.load(None)


def ratio(make: object, run: object) -> float:
    small, large = make(SMALL), make(LARGE)  # type: ignore[operator]
    return best_time(lambda: run(large), rounds=2) / best_time(lambda: run(small))  # type: ignore[operator]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_extracting_an_adversarial_page_is_linear(name: str) -> None:
    ctype, make = PAGES[name]

    def extract(content: str) -> object:
        page = make_snapshot(url="https://news.example/live", fetched_at="2025-03-03T08:00:00Z",
                             content=content, content_type=ctype)
        return ticker_lines(page, PROFILES)

    assert ratio(make, extract) < MAX_RATIO


@pytest.mark.parametrize("name", ["html: '<a' without '>'", "html: one tag without '>'",
                                  "html: '<!' without '>'", "html: open comments"])
def test_html_to_lines_is_linear_on_a_whole_page(name: str) -> None:
    # (no ticker window here: the tokeniser on the whole adversarial markup)
    assert ratio(PAGES[name][1], html_to_lines) < MAX_RATIO


@pytest.mark.parametrize("name", [n for n in sorted(PAGES) if n.startswith("html")])
def test_splitting_ticker_items_is_linear_on_a_whole_page(name: str) -> None:
    assert ratio(PAGES[name][1], lambda page: window_lines(ticker_window(page))) < MAX_RATIO


@pytest.mark.parametrize("name", sorted(LINES))
def test_decoration_stripping_is_linear(name: str) -> None:
    assert ratio(LINES[name], strip_decorations) < MAX_RATIO


@pytest.mark.parametrize("name", sorted(LINES))
def test_a_snapshot_of_thirty_adversarial_lines_at_the_line_cap_is_cleaned_quickly(
        name: str) -> None:
    # the line cap is 1,000 characters: 30 such lines (a ticker's cap) against 30 short ones
    long_lines = [LINES[name](1000) + str(i) for i in range(30)]
    short_lines = [LINES[name](10) + str(i) for i in range(30)]
    t_long = best_time(lambda: [clean_line(x) for x in long_lines], rounds=2)
    t_short = best_time(lambda: [clean_line(x) for x in short_lines], rounds=2)
    assert t_long / t_short < 4 * 100


def test_a_marker_line_among_flashes_is_never_a_flash() -> None:
    page = make_snapshot(url="https://news.example/live", fetched_at="2025-03-03T08:00:00Z",
                         content="BREAKING\nBREAKING\nBreaking News:\nDutch Police: gunman held\n"
                         "URGENT\n\n", content_type="text/plain")
    assert ticker_lines(page, PROFILES) == ["Dutch Police: gunman held"]


@pytest.mark.parametrize("marker", ["Breaking news", "BREAKING NEWS:", "breaking", "Urgent"])
def test_the_default_marker_ignores_case(marker: str) -> None:
    page = make_snapshot(url="https://news.example/live", fetched_at="2025-03-03T08:00:00Z",
                         content=f"Menu\n{marker}\nDutch Police: gunman held\n\n",
                         content_type="text/plain")
    assert ticker_lines(page, PROFILES) == ["Dutch Police: gunman held"]
