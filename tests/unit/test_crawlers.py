"""Crawler JSON records (scrapy-cluster, Nutch) as input: the same events as the same pages sent
as envelopes, by name or sniffed, and what is missing said in the reason."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from streamer.cli.main import main
from streamer.codec import BadRecord, encode_snapshot
from streamer.core.model import Snapshot
from streamer.inputs.crawlers import snapshot_from_json, sniff
from streamer.inputs.pages import Skipped
from streamer.kafka.envelope import snapshot_from_record
from tests.crawls import crawl, nutch_document, scrapy_cluster_item


def plain(snaps: list[Snapshot]) -> list[Snapshot]:
    """The crawl as crawlers see it: no snapshot ids."""
    return [replace(s, id=None) for s in snaps]


def run_dedup(capsysbinary: pytest.CaptureFixture[bytes], path: Path, *flags: str
              ) -> list[dict[str, object]]:
    assert main(["dedup", str(path), *flags]) == 0
    return [orjson.loads(line) for line in capsysbinary.readouterr().out.splitlines()]


@pytest.mark.parametrize("shape", ["scrapy-cluster", "nutch"])
@pytest.mark.parametrize("b64", [True, False])
@pytest.mark.parametrize("named", [True, False])
def test_crawler_records_give_the_events_of_the_same_envelopes(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], shape: str, b64: bool,
        named: bool) -> None:
    snaps = plain(crawl())
    write = scrapy_cluster_item if shape == "scrapy-cluster" else nutch_document
    records = tmp_path / "crawl.jsonl"
    records.write_bytes(b"\n".join(write(s, b64=b64) for s in snaps) + b"\n")
    envelopes = tmp_path / "envelopes.jsonl"
    envelopes.write_bytes(b"\n".join(encode_snapshot(s) for s in snaps) + b"\n")
    flags = ("--input-format", shape) if named else ()
    events = run_dedup(capsysbinary, records, *flags)
    assert len(events) >= 6
    assert events == run_dedup(capsysbinary, envelopes)


def test_each_shape_is_sniffed_from_its_fields() -> None:
    snap = plain(crawl())[0]
    assert sniff(json.loads(encode_snapshot(snap))) == "envelope"
    assert sniff(json.loads(scrapy_cluster_item(snap, b64=True))) == "scrapy-cluster"
    assert sniff(json.loads(nutch_document(snap, b64=False))) == "nutch"


def scrapy(**fields: object) -> bytes:
    base: dict[str, object] = {"crawlid": "c", "url": "https://a.example/", "status_code": 200,
                               "timestamp": "2025-03-01T08:00:00", "body": "BREAKING\nx y z",
                               "response_headers": {"content-type": ["text/plain"]}}
    return json.dumps({k: v for k, v in {**base, **fields}.items() if v is not None}).encode()


@pytest.mark.parametrize(("record", "fmt", "reason"), [
    (scrapy(timestamp=None), "auto", "scrapy-cluster record without timestamp"),
    (scrapy(body=None, url="x"), "scrapy-cluster", "scrapy-cluster record without body"),
    (scrapy(response_url=None, url=None), "scrapy-cluster", "missing url"),
    (b'{"url": ["https://a.example/"], "tstamp": ["Sat Mar 01 08:00:00 CET 2025"], '
     b'"content": ["BREAKING x"]}', "auto", "not in UTC"),
    (b'{"url": ["https://a.example/"], "digest": ["1"], "content": ["x"]}', "auto",
     "nutch document without tstamp"),
    (b'{"url": ["https://a.example/"], "tstamp": ["1740816000000"]}', "nutch",
     "without binaryContent or content"),
    (b'{"url": "https://a.example/", "fetched_at": "2025-03-01T08:00:00Z"}', "scrapy-cluster",
     "scrapy-cluster record without timestamp"),
])
def test_what_is_missing_is_the_reason(record: bytes, fmt: str, reason: str) -> None:
    with pytest.raises(BadRecord, match=reason):
        snapshot_from_json(record, fmt)


def test_a_crawled_404_or_image_is_not_a_page() -> None:
    with pytest.raises(Skipped, match="HTTP status 404"):
        snapshot_from_json(scrapy(status_code=404))
    with pytest.raises(Skipped, match="failed crawl: TimeoutError"):
        snapshot_from_json(scrapy(success=False, exception="TimeoutError('timed out')", body=""))
    with pytest.raises(Skipped, match="image/jpeg payload"):
        snapshot_from_json(scrapy(response_headers={"Content-Type": "image/jpeg"}))


def test_the_worker_dead_letters_what_is_not_a_page_and_raw_records_without_url() -> None:
    with pytest.raises(BadRecord, match="not a page: HTTP status 404"):
        snapshot_from_record(scrapy(status_code=404), [], 0.0, max_bytes=10_000)
    with pytest.raises(BadRecord, match="raw page without url header"):
        snapshot_from_record(b"BREAKING\nx", [], 0.0, max_bytes=10_000, fmt="raw")
    # named, the format wins over the url header that would make a record raw
    got = snapshot_from_record(scrapy(), [("url", b"https://other.example/")], 0.0,
                               max_bytes=10_000, fmt="scrapy-cluster")
    assert got.url == "https://a.example/"
    assert got.content == "BREAKING\nx y z"
