"""The worker's Prometheus metrics, served at `/metrics` on its web port (prometheus_client).

Names follow Prometheus conventions: one `streamer_` prefix, base units (seconds), `_total`
counters, labels with few values (a decision, an event kind, a reason class, a partition). What
the engine process counts reaches the worker with each reply (`wire.Tally`), so one scrape of the
worker covers both processes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from streamer.kafka.statestore import RestoreStats
from streamer.kafka.wire import Tally

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_SOURCE_LABELS = 50  # live flashes per source only while there are at most this many sources

# dead-letter reason (its start) -> its class, the label of streamer_dlq_records_total
_REASONS = (
    ("invalid JSON", "invalid_json"),
    ("envelope must be", "invalid_json"),
    ("not UTF-8", "not_utf8"),
    ("page is not UTF-8", "not_utf8"),
    ("header ", "not_utf8"),
    ("record value of", "too_large"),
    ("missing ", "missing_field"),
    ("empty record", "missing_field"),
    ("raw page without", "missing_field"),
    ("content must be", "missing_field"),
    ("fetched_at", "bad_time"),
    ("unparseable fetched_at", "bad_time"),
    ("unsupported content_type", "bad_content_type"),
    ("internal error", "internal_error"),
)
REASON_CLASSES = sorted({cls for _, cls in _REASONS} | {"other"})


def reason_class(reason: str) -> str:
    """A dead-letter reason's class: few values, whatever the reason's details."""
    for start, cls in _REASONS:
        if reason.startswith(start):
            return cls
    return "other"


class WorkerMetrics:
    """Every metric of one worker, in a registry of its own (several apps in one test process
    must not share counters)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.snapshots = Counter("streamer_snapshots", "Input records, by what they came to",
                                 ["result"], registry=r)
        self.lines = Counter("streamer_ticker_lines", "Ticker lines, by the engine's decision",
                             ["decision"], registry=r)
        self.events = Counter("streamer_events", "Events published, by kind", ["kind"],
                              registry=r)
        self.dlq = Counter("streamer_dlq_records", "Records sent to the dead-letter topic, by "
                           "reason class", ["reason"], registry=r)
        self.bad = Counter("streamer_bad_records", "Input records that are not valid snapshots "
                           "(dead-lettered; engine errors are not counted here)", registry=r)
        self.evictions = Counter("streamer_evicted_flashes", "Flashes forgotten (TTL or the "
                                 "per-source cap)", registry=r)
        self.state_writes = Counter("streamer_state_records_written", "Records sent to the "
                                    "state topic", registry=r)
        self.engine_starts = Counter("streamer_engine_starts", "Engine processes started by "
                                     "this worker", registry=r)
        self.latency = Histogram(
            "streamer_snapshot_to_publish_seconds", "From an input record's timestamp to the "
            "broker's acknowledgement of everything it produced", registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
        self.engine_seconds = Histogram(
            "streamer_engine_seconds", "Engine time per snapshot (decoding included), measured "
            "in the engine process", registry=r,
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                     0.25, 0.5, 1))
        self.restore_seconds = Histogram(
            "streamer_restore_seconds", "Time to restore one partition's dedup state from "
            "Kafka", registry=r, buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
        for decision in ("new", "duplicate", "revised"):
            self.lines.labels(decision)
        for kind in ("new", "revised"):
            self.events.labels(kind)
        for result in ("processed", "no_ticker", "dead_lettered"):
            self.snapshots.labels(result)
        for cls in REASON_CLASSES:
            self.dlq.labels(cls)
        self.live: dict[str, int] = {}  # source -> live flashes, for the sources held
        self.lag: Callable[[], Mapping[int, int]] = dict  # partition -> records behind
        self.ready: Callable[[], bool] = lambda: False  # what /ready says

    def tallied(self, tally: Tally) -> None:
        """What the engine counted for one record."""
        self.engine_seconds.observe(tally.seconds)
        if tally.new:
            self.lines.labels("new").inc(tally.new)
        if tally.duplicate:
            self.lines.labels("duplicate").inc(tally.duplicate)
        if tally.revised:
            self.lines.labels("revised").inc(tally.revised)
        if tally.evicted:
            self.evictions.inc(tally.evicted)

    def processed(self, source: str, tally: Tally) -> None:
        self.tallied(tally)
        self.snapshots.labels("no_ticker" if tally.no_ticker else "processed").inc()
        if source:
            self.live[source] = tally.live

    def dead_lettered(self, reason: str, tally: Tally) -> None:
        self.tallied(tally)
        self.snapshots.labels("dead_lettered").inc()
        cls = reason_class(reason)
        self.dlq.labels(cls).inc()
        if cls != "internal_error":
            self.bad.inc()

    def restored(self, stats: RestoreStats) -> None:
        self.restore_seconds.observe(stats.seconds)
        self.live.update(stats.live)

    def expose(self) -> bytes:
        return generate_latest(self.registry)


class LiveCollector(Collector):
    """Gauges read at scrape time: readiness, live flashes and consumer lag."""

    def __init__(self, metrics: WorkerMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("streamer_ready", "1 while /ready answers 200 (consuming, state "
                                "restored), else 0", value=1.0 if self.metrics.ready() else 0.0)
        live = self.metrics.live
        yield GaugeMetricFamily("streamer_live_flashes", "Flashes in the dedup index of the "
                                "sources this worker holds", value=sum(live.values()))
        if len(live) <= MAX_SOURCE_LABELS:
            per = GaugeMetricFamily("streamer_source_live_flashes", "Live flashes per source "
                                    f"(only while there are at most {MAX_SOURCE_LABELS} "
                                    "sources)", labels=["source"])
            for source, count in sorted(live.items()):
                per.add_metric([source], count)
            yield per
        lag = GaugeMetricFamily("streamer_consumer_lag_records", "Input records not yet read, "
                                "per assigned partition", labels=["partition"])
        for partition, behind in sorted(self.metrics.lag().items()):
            lag.add_metric([str(partition)], behind)
        yield lag


def worker_metrics() -> WorkerMetrics:
    metrics = WorkerMetrics()
    metrics.registry.register(LiveCollector(metrics))
    return metrics
