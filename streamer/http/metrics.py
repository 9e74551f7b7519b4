"""Prometheus metrics of `streamer serve` (own registry: nothing global, any number of apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "ServeMetrics"]


class ServeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.subscribers = Gauge("streamer_serve_subscribers", "SSE clients connected",
                                 registry=r)
        self.events_sent = Counter("streamer_serve_events_sent_total",
                                   "events sent to SSE clients", registry=r)
        self.dropped = Counter("streamer_serve_clients_dropped_total",
                               "SSE clients dropped for falling a buffer behind", registry=r)
        self.read = Counter("streamer_serve_records_read_total",
                            "event-topic records read (the window's backlog included)",
                            registry=r)
        self.read_age = Histogram("streamer_serve_read_age_seconds",
                                  "record timestamp (an event's first_seen, at most its write "
                                  "time) to read by serve", registry=r,
                                  buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60))
        self.skipped = Counter("streamer_serve_records_skipped_total",
                               "event-topic records that were not event JSON", registry=r)
        self.deliveries = Counter("streamer_webhook_deliveries_total",
                                  "webhook POST attempts by outcome",
                                  ["subscription", "outcome"], registry=r)
        self.delivery_lag = Gauge("streamer_webhook_delivery_lag_seconds",
                                  "time from an event's record timestamp to its accepted "
                                  "delivery, last delivery", ["subscription"], registry=r)
        self.delivery_seconds = Histogram("streamer_webhook_delivery_seconds",
                                          "record timestamp to accepted delivery",
                                          ["subscription"], registry=r)
        self.enabled = Gauge("streamer_webhook_subscription_enabled",
                             "1 while a subscription delivers, 0 once a 410 disabled it",
                             ["subscription"], registry=r)

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
