"""Pages the way crawlers write them, through the worker on a real broker: a WARC file sent by
`streamer publish`, scrapy-cluster items and Nutch documents produced as those crawlers do. The
event topic must hold the events of the same pages sent as envelopes, and the crawler records
that are not pages or lack a field must be dead letters with the reason."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from streamer.core.model import Snapshot
from streamer.kafka.envelope import DLQ_REASON
from tests.crawls import as_read, crawl, nutch_document, scrapy_cluster_item, write_warc
from tests.integration.test_worker import (
    KEEP,
    READY,
    NewTopics,
    events_by_source,
    expected_events,
    produce,
)
from tests.integration.workers import REPO, read_all, running_worker, wait_committed

pytestmark = pytest.mark.timeout(120)


def moved(snaps: list[Snapshot], prefix: str) -> list[Snapshot]:
    """The crawl on other hosts (its own dedup state), as a crawler sees it: no snapshot ids."""
    return [replace(s, url=s.url.replace("://", f"://{prefix}-"), source=f"{prefix}-{s.source}",
                    id=None) for s in snaps]


async def test_warc_scrapy_cluster_and_nutch_give_the_events_of_their_envelopes(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    topics = await new_topics(3, partitions=2, config=KEEP)
    warc_pages = as_read(crawl())  # the revisit is the unchanged page again
    scrapy_pages, nutch_pages = moved(crawl(), "scrapy"), moved(crawl(), "nutch")

    warc = write_warc(tmp_path / "crawl.warc.gz", crawl(), gz=True)
    sent = subprocess.run(
        [sys.executable, "-m", "streamer", "publish", "--bootstrap-servers", kafka_bootstrap,
         "--input-topic", topics[0], str(warc)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert sent.returncode == 0, sent.stderr
    assert "sent 7, bad 0" in sent.stderr
    assert "7 records were not pages" in sent.stderr  # the requests and the 404

    records: list[tuple[bytes, bytes | None, list[tuple[str, bytes]], int | None]] = []
    for n, (s, d) in enumerate(zip(scrapy_pages, nutch_pages, strict=True)):
        records.append((s.source.encode(), scrapy_cluster_item(s, b64=n % 2 == 0), [], None))
        records.append((d.source.encode(), nutch_document(d, b64=n % 2 == 1), [], None))
    gone = json.loads(scrapy_cluster_item(scrapy_pages[0], b64=False))
    records.append((b"scrapy-a.example", json.dumps({**gone, "status_code": 404}).encode(),
                    [], None))
    undated = json.loads(nutch_document(nutch_pages[0], b64=False))
    del undated["tstamp"]
    records.append((b"nutch-a.example", json.dumps(undated).encode(), [], None))
    await produce(kafka_bootstrap, topics[0], records)

    expected = expected_events(warc_pages + scrapy_pages + nutch_pages)
    assert len(expected) == 12  # four sites in each of the three crawls
    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        await worker.wait_ready(READY)
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        assert events_by_source(await read_all(kafka_bootstrap, topics[1])) == expected
        dead: list[Any] = await read_all(kafka_bootstrap, topics[2])
        assert worker.stop() == 0, worker.output()
    reasons = sorted(dict(r.headers)[DLQ_REASON].decode() for r in dead)
    assert reasons == ["not a page: HTTP status 404",
                       "nutch document without tstamp (index-basic adds it)"]
