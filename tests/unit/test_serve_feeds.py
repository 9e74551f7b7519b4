"""Feeds, webhook subscriptions and signatures of `streamer serve`, without a broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from multidict import MultiDict
from standardwebhooks import Webhook

from streamer.http import feeds, gone
from streamer.http.filters import EventFilter
from streamer.http.subscriptions import (
    BadSubscriptions,
    PublicResolver,
    Subscription,
    check_target,
    is_public,
    load,
)
from streamer.http.webhooks import backoff, outcome_of, signed_headers
from streamer.http.window import Window
from streamer.settings import Settings

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def window_of(count: int) -> Window:
    window = Window(100, [0])
    for i in range(count):
        ev = {"event_id": f"ev{i}", "kind": "new", "source": "site.example",
              "text": f"Flash {i} <b>bold</b> & co", "attribution": "Police",
              "first_seen": f"2026-12-01T10:{i:02d}:00Z", "url": "https://site.example/live",
              "snapshot": "s"}
        if i == count - 1:
            ev.update(kind="revised", revision_of="ev0", previous_text="Flash 0 <b>bold</b>")
        window.append(0, i, 1_000_000 + i * 60_000, json.dumps(ev).encode())
    return window


def test_feeds_page_newest_first_and_link_revisions() -> None:
    window = window_of(5)
    items, more = feeds.page(window.entries, EventFilter(), 3, None)
    assert [e.event_id for e in items] == ["ev4", "ev3", "ev2"]
    rest, end = feeds.page(window.entries, EventFilter(), 3, more)
    assert [e.event_id for e in rest] == ["ev1", "ev0"]
    assert end is None
    base = "http://serve.example"
    nxt = feeds.next_link(base, "/feed.json", EventFilter.build(q="flash"), 3, more)
    assert nxt is not None
    assert nxt.startswith(base + "/feed.json?q=flash&limit=3&before=")

    doc = json.loads(feeds.json_feed(items, base, base + "/feed.json", nxt))
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["next_url"] == nxt
    revised = doc["items"][0]
    assert revised["id"] == "ev4"
    assert revised["title"].startswith("Revised: Flash 4")
    assert revised["external_url"] == base + "/events/ev0"
    assert revised["date_published"] == "2026-12-01T10:04:00Z"
    assert revised["authors"] == [{"name": "Police"}]

    atom = feedparser.parse(feeds.atom_feed(items, base, base + "/feed.atom", nxt))
    assert not atom.bozo, atom.bozo_exception
    assert [e.id for e in atom.entries] == ["urn:streamer:event:ev4", "urn:streamer:event:ev3",
                                            "urn:streamer:event:ev2"]
    assert atom.entries[0].title == "Revised: Flash 4 <b>bold</b> & co"
    related = [link for link in atom.entries[0].links if link.rel == "related"]
    assert related[0].href == base + "/events/ev0"
    assert [link.href for link in atom.feed.links if link.rel == "next"] == [nxt]


def test_an_event_without_lang_is_unknown_to_a_lang_filter_and_has_no_feed_language() -> None:
    window = Window(100, [0])
    base = {"kind": "new", "source": "ar.example", "attribution": None, "snapshot": "s",
            "first_seen": "2026-12-01T10:00:00Z", "url": "https://ar.example/live"}
    before_lang = {**base, "event_id": "old", "text": "عاجل: انقطاع الكهرباء في المدينة"}
    english = {**base, "event_id": "new", "text": "Power cut in the city", "lang": "en"}
    for offset, ev in enumerate((before_lang, english)):
        window.append(0, offset, 1_000_000, json.dumps(ev).encode())

    def ids(query: dict[str, str]) -> list[str]:
        items, _ = feeds.page(window.entries, EventFilter.from_query(MultiDict(query)), 50, None)
        return [e.event_id for e in items]

    assert ids({"lang": "en"}) == ["new"]
    assert ids({"lang": "ar"}) == []
    assert ids({}) == ["new", "old"]
    items, _ = feeds.page(window.entries, EventFilter(), 50, None)
    doc = json.loads(feeds.json_feed(items, "http://s", "http://s/feed.json", None))
    assert [item.get("language") for item in doc["items"]] == ["en", None]


def test_a_bad_page_position_is_refused() -> None:
    with pytest.raises(ValueError, match="page position"):
        feeds.decode_key("nonsense")


def write(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "webhooks.toml"
    path.write_text(text)
    return Settings(webhooks_file=path)


def test_subscriptions_take_secrets_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    settings = write(tmp_path, '[[subscription]]\nname = "alerts"\n'
                     'url = "https://hooks.example.com/x"\nsecret = "${HOOK_SECRET}"\n'
                     'kind = "revised"\nq = "Gaza"\n')
    (sub,) = load(settings)
    assert sub.secret == SECRET
    assert sub.group("streamer") == "streamer-webhook-alerts"
    assert sub.filter.kinds == {"revised"}
    assert sub.filter.words == ("gaza",)
    monkeypatch.delenv("HOOK_SECRET")
    with pytest.raises(BadSubscriptions, match="HOOK_SECRET is not set"):
        load(settings)


@pytest.mark.parametrize(("body", "reason"), [
    ('url = "http://127.0.0.1:9/x"', "not a public address"),
    ('url = "http://[::ffff:10.0.0.1]/x"', "not a public address"),
    ('url = "http://169.254.169.254/latest"', "not a public address"),
    ('url = "file:///etc/passwd"', "http:// or https://"),
    ('url = "https://ok.example/x"\nbogus = 1', "unknown key 'bogus'"),
])
def test_bad_subscriptions_are_refused_with_the_reason(tmp_path: Path, body: str,
                                                       reason: str) -> None:
    settings = write(tmp_path, f'[[subscription]]\nname = "a"\nsecret = "{SECRET}"\n{body}\n')
    with pytest.raises(BadSubscriptions, match=reason):
        load(settings)


def test_a_410_gone_disables_its_url_until_reenabled_at(tmp_path: Path) -> None:
    url = "https://hooks.example.com/x?token=private"
    at = datetime(2026, 12, 1, 23, 40, 12, tzinfo=UTC)
    note = gone.mark(url, at.replace(microsecond=500))
    assert "token" not in note  # the url itself is not written into Kafka

    def sub(extra: str = "", where: str = url) -> Subscription:
        text = f'[[subscription]]\nname = "a"\nurl = "{where}"\nsecret = "{SECRET}"\n{extra}\n'
        (one,) = load(write(tmp_path, text))
        return one

    assert gone.recorded(sub(), ["", note, "something else"]) == gone.Gone(at)
    assert gone.recorded(sub(where="https://hooks.example.com/y"), [note]) is None
    assert gone.recorded(sub("reenabled_at = 2026-12-02T00:00:00Z"), [note]) is None
    assert gone.recorded(sub("reenabled_at = 2026-12-01T23:40:12Z"), [note]) is None
    assert gone.recorded(sub('reenabled_at = "2026-12-02T00:00:00+01:00"'), [note]) == gone.Gone(at)
    assert gone.recorded(sub("reenabled_at = 2026-12-01T12:00:00"), [note]) == gone.Gone(at)
    assert gone.recorded(sub(), [f"gone {gone.fingerprint(url)} soon", "gone"]) is None
    with pytest.raises(BadSubscriptions, match="reenabled_at must be a date-time"):
        sub("reenabled_at = 2026-12-02")


def test_a_secret_that_is_not_base64_is_refused(tmp_path: Path) -> None:
    settings = write(tmp_path, '[[subscription]]\nname = "a"\nurl = "https://ok.example/x"\n'
                     f'secret = "whsec_{"a" * 25}"\n')
    with pytest.raises(BadSubscriptions, match="Standard Webhooks secret"):
        load(settings)


def test_private_targets_only_when_allowed() -> None:
    check_target("http://127.0.0.1:8000/hook", allow_private=True)
    with pytest.raises(ValueError, match="public"):
        check_target("http://10.1.2.3/hook", allow_private=False)
    assert is_public("93.184.216.34")
    assert not is_public("192.168.1.1")
    assert not is_public("fe80::1")
    assert not is_public("::1")


async def test_a_name_that_resolves_to_loopback_is_refused() -> None:
    resolver = PublicResolver()
    try:
        with pytest.raises(OSError, match="not a public address"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()


def test_deliveries_are_signed_per_standard_webhooks() -> None:
    body = '{"event_id":"ev1"}'
    headers = signed_headers(Webhook(SECRET), "ev1", body, datetime.now(UTC))
    assert headers["webhook-id"] == "ev1"
    assert Webhook(SECRET).verify(body, headers) == {"event_id": "ev1"}
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 32).verify(body, headers)


def test_retry_policy() -> None:
    assert [outcome_of(s) for s in (200, 204, 500, 503, 429, 408, None, 410, 400, 301)] == [
        "delivered", "delivered", "failed", "failed", "failed", "failed", "failed", "gone",
        "rejected", "rejected"]
    assert [backoff(a, 1.0, 10.0, 0.999) for a in range(6)] == pytest.approx(
        [1.0, 2.0, 4.0, 8.0, 10.0, 10.0], rel=1e-3)
    assert backoff(3, 1.0, 10.0, 0.0) == 4.0  # jitter picks from the upper half
