"""Reading the ticker out of HTML pages: the flashes, all of them, and nothing after the block."""

import pytest

from streamer.codec import make_snapshot
from streamer.core.extract import Profiles, ticker_lines
from tests.pages import page_html, page_text

FLASHES = ["Dutch Police: Rotterdam gunman arrested", "Ceasefire in Gaza takes effect"]


def lines(html: str) -> list[str] | None:
    page = make_snapshot(url="https://news.example/live", fetched_at="2025-03-03T08:00:00Z",
                         content=html, content_type="text/html")
    return ticker_lines(page, Profiles.load(None))


def page(ticker: str, article: str = "<p>Ministers meet on Monday.</p>") -> str:
    return (f"<html><body><nav><ul><li>News</li></ul></nav><div><h2>BREAKING</h2>{ticker}</div>"
            f"<article>{article}</article></body></html>")


@pytest.mark.parametrize("ticker", [
    "<ul><li>{0}</li><li>{1}</li></ul>",
    "<UL class='t'><LI>{0}<LI>{1}</UL>",
    "<p>{0}</p><p>{1}</p>",
    # a closing tag hidden in a comment, a script or a declaration does not end the block
    "<ul><li>{0}</li><!-- </ul> --><li>{1}</li></ul>",
    "<ul><li>{0}</li><script>document.write('</ul>')</script><li>{1}</li></ul>",
    "<ul><li>{0}</li><![CDATA[ x ]]><li>{1}</li></ul>",
    # a tag merely starting with a container's name is not one
    "<ul><li>{0}</li><div-x></div-x><li>{1}</li></ul>",
])
def test_every_flash_of_the_block_and_nothing_after_it(ticker: str) -> None:
    html = page(ticker.format(*FLASHES), article="<h1>Not a flash</h1><p>Ministers meet.</p>")
    assert lines(html) == FLASHES


def test_the_article_after_the_block_does_not_change_what_is_read() -> None:
    ticker = "<ul>" + "".join(f"<li>{f}</li>" for f in FLASHES) + "</ul>"
    pages = [page(ticker, article=f"<p>Updated {minute:02d}:00</p>") for minute in range(60)]
    assert all(lines(html) == FLASHES for html in pages)


def test_a_block_closed_right_after_the_marker_is_empty_and_the_next_marker_is_tried() -> None:
    html = ("<html><body><div><h2>BREAKING</h2></div><p>Quiet day</p>"
            "<section><h2>BREAKING</h2><ul><li>{0}</li><li>{1}</li></ul></section></body></html>")
    assert lines(html.format(*FLASHES)) == FLASHES


@pytest.mark.parametrize("ticker", [
    # entities are text: a newline entity is a space, escaped markup is not a tag
    "<ul><li>Dutch Police:&#10;Rotterdam gunman arrested</li><li>{1}</li></ul>",
    "<ul><li>Dutch Police: Rotterdam &lt;b&gt;gunman&lt;/b&gt; arrested</li><li>{1}</li></ul>",
    # a line break inside a flash's markup is a space; a control character in the page too
    "<ul><li>Dutch Police:\nRotterdam gunman arrested</li>\x01<li>{1}</li></ul>",
])
def test_entities_and_line_breaks_inside_a_flash_stay_inside_it(ticker: str) -> None:
    got = lines(page(ticker.format(*FLASHES)))
    assert got is not None
    assert [" ".join(g.replace("\x01", "").split()) for g in got][1:] == FLASHES[1:]
    assert got[0] in ("Dutch Police: Rotterdam gunman arrested",
                      "Dutch Police: Rotterdam <b>gunman</b> arrested")


# The default profile knows the ticker labels of the languages streamer matches in, and a few
# more: a site in another language needs no profile of its own to be read.
@pytest.mark.parametrize("marker", [
    "Breaking news", "BREAKING:", "Urgent", "Just in", "Newsflash", "Eilmeldung",
    "Dernière minute", "ALERTE INFO",
    "Última hora", "ÚLTIMA HORA", "Urgente", "Ultim'ora", "SON DAKİKA", "Son dakika", "Срочно",
    "Молния", "عاجل", "خبر عاجل", "فوري", "فوری", "מבזק", "突发", "快讯", "速報",
])
def test_a_ticker_under_another_languages_label_is_read(marker: str) -> None:
    text = make_snapshot(url="https://news.example/", fetched_at="2025-03-03T08:00:00Z",
                         content=page_text(FLASHES, marker), content_type="text/plain")
    assert ticker_lines(text, Profiles.load(None)) == FLASHES
    assert lines(page_html(FLASHES, marker)) == FLASHES


@pytest.mark.parametrize("line", ["Urgente reunión del gabinete", "Just in time for the summit",
                                  "عاجل جدا"])
def test_a_label_word_inside_a_line_is_not_a_marker(line: str) -> None:
    html = (f"<html><body><div><h2>{line}</h2><ul><li>{FLASHES[0]}</li></ul></div>"
            "</body></html>")
    assert lines(html) is None


# Tickers written as elements one after another rather than as a list: every flash is read.
@pytest.mark.parametrize("ticker", [
    "<span>BREAKING</span><a href='/1'>{0}</a><a href='/2'>{1}</a>",
    "<b>URGENT:</b><marquee><a href='/1'>{0}</a> | <a href='/2'>{1}</a></marquee>",
    "<a href='/live'>BREAKING</a> <a href='/1'>{0}</a> • <a href='/2'>{1}</a>",
    "<span class='label'>Breaking news</span><span class='item'>{0}</span>"
    "<span class='item'>{1}</span>",
    "<h3>BREAKING</h3><div class='item'><a>{0}</a></div>\n<div class='item'><a>{1}</a></div>",
    "<h3>BREAKING</h3><div><a>{0}</a></div><div><a>{1}</a></div>",
    "<span>BREAKING</span><div class='slides'><div class='slide' data-index='0'><a>{0}</a></div>"
    "<div class='slide' data-index='1'><a>{1}</a></div></div>",
    "<b>BREAKING:</b><br>{0}<br>{1}",
])
def test_a_ticker_of_elements_in_a_row_gives_every_flash(ticker: str) -> None:
    html = (f"<html><body><nav><ul><li>News</li></ul></nav><div class='ticker'>"
            f"{ticker.format(*FLASHES)}</div><article><p>Ministers meet.</p></article>"
            "</body></html>")
    assert lines(html) == FLASHES


@pytest.mark.parametrize("ticker", [
    # a link inside a flash stays in it; so do differently styled spans
    "<ul><li>Dutch Police: <a href='/r'>Rotterdam</a> gunman arrested</li><li>{1}</li></ul>",
    "<ul><li><span class='who'>Dutch Police:</span> <span class='what'>Rotterdam gunman "
    "arrested</span></li><li>{1}</li></ul>",
])
def test_markup_inside_a_flash_does_not_split_it(ticker: str) -> None:
    assert lines(page(ticker.format(*FLASHES))) == FLASHES


@pytest.mark.parametrize("html", [
    "<div class='ticker'><h2>BREAKING</h2><p>{0}</p><p>{1}</p></div>"
    "<div class='content'><p>Ministers meet to discuss the grid</p></div>",
    "<h2>BREAKING</h2><div class='item'>{0}</div><div class='item'>{1}</div>"
    "<div class='content'><p>Ministers meet to discuss the grid</p></div>",
])
def test_the_ticker_ends_with_its_container_when_other_content_follows(html: str) -> None:
    assert lines(f"<html><body>{html.format(*FLASHES)}</body></html>") == FLASHES


def text_lines(block: str) -> list[str] | None:
    content = "Example News\n  • Politics\n  • Economy\n" + block + "\nMinisters meet\n"
    page = make_snapshot(url="https://news.example/", fetched_at="2025-03-03T08:00:00Z",
                         content=content, content_type="text/plain")
    return ticker_lines(page, Profiles.load(None))


# Text dumps of pages (html2text, a reader's Markdown) lay the ticker out in their own way.
@pytest.mark.parametrize("block", [
    "BREAKING\n  • {0}\n  • {1}\n",  # list bullets
    "BREAKING\n- {0}\n- {1}\n",
    "## Breaking News\n* {0}\n* {1}\n",  # Markdown
    "**URGENT:**\n{0}\n{1}\n",
])
def test_a_text_dumps_layout_around_the_ticker_is_not_part_of_it(block: str) -> None:
    assert text_lines(block.format(*FLASHES)) == FLASHES


def test_a_minus_sign_is_not_a_bullet() -> None:
    assert text_lines("BREAKING\n-5C in the capital tonight\n") == ["-5C in the capital tonight"]
