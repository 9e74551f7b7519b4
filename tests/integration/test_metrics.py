"""`/metrics` of a real worker on the real broker: counters agree with what reached the topics."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_worker import produce
from tests.integration.workers import REPO, read_all, running_worker, wait_committed

pytestmark = pytest.mark.timeout(120)

NewTopics = Callable[..., Awaitable[list[str]]]
KEEP = {"retention.ms": "-1"}  # the sample pages are dated 2025


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_count_what_the_worker_did(kafka_bootstrap: str, new_topics: NewTopics,
                                                 tmp_path: Path) -> None:
    topics = await new_topics(count=3, partitions=2, config=KEEP)
    async with running_worker(kafka_bootstrap, topics, tmp_path) as worker:
        await worker.wait_ready()
        sent = subprocess.run(
            [sys.executable, "-m", "streamer", "publish", "--bootstrap-servers", kafka_bootstrap,
             "--input-topic", topics[0], "examples/"], cwd=REPO, capture_output=True, timeout=60)
        assert sent.returncode == 0, sent.stderr
        await produce(kafka_bootstrap, topics[0], [(b"k", b"{not json", [], None),
                                                    (b"k", b'{"url": "u"}', [], None)])
        await wait_committed(kafka_bootstrap, worker.app_id, topics[0], worker)
        got = scrape(worker.port)
        events = Counter(json.loads(r.value)["kind"] for r in
                         await read_all(kafka_bootstrap, topics[1]))
        dlq = await read_all(kafka_bootstrap, topics[2])

    def value(name: str, **labels: str) -> float:
        return got[(name, tuple(sorted(labels.items())))]

    assert value("streamer_events_total", kind="new") == events["new"] == 54
    assert value("streamer_events_total", kind="revised") == events["revised"] == 18
    assert value("streamer_dlq_records_total", reason="invalid_json") == 1
    assert value("streamer_dlq_records_total", reason="missing_field") == 1
    assert value("streamer_bad_records_total") == len(dlq) == 2
    assert value("streamer_snapshots_total", result="dead_lettered") == 2
    assert (value("streamer_snapshots_total", result="processed")
            + value("streamer_snapshots_total", result="no_ticker")) == 315
    assert value("streamer_ticker_lines_total", decision="new") == 54
    assert value("streamer_ticker_lines_total", decision="revised") == 18
    assert value("streamer_ticker_lines_total", decision="duplicate") > 0
    assert value("streamer_engine_seconds_count") == 317
    assert value("streamer_snapshot_to_publish_seconds_count") == 317
    assert value("streamer_live_flashes") == 54
    assert sum(v for (name, _), v in got.items() if name == "streamer_source_live_flashes") == 54
    assert value("streamer_restore_seconds_count") == 2  # one per partition
    assert value("streamer_state_records_written_total") > 0
    assert value("streamer_engine_starts_total") == 1
    assert value("streamer_ready") == 1
    lag = [v for (name, _), v in got.items() if name == "streamer_consumer_lag_records"]
    assert len(lag) == 2  # every assigned partition, read from or not
    assert all(v == 0 for v in lag)
