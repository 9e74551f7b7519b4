"""Webhook delivery: every wanted event POSTed once per subscription, in order, signed per
Standard Webhooks (the `standardwebhooks` package signs), retried with backoff and jitter.

Progress is the subscription's own Kafka consumer group: an event's offset is committed once
the receiver accepted it (2xx), so a restart resends at most the one event in flight and skips
none. Receivers de-duplicate on `webhook-id` (the event_id) for that one.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiokafka import ConsumerRebalanceListener
from standardwebhooks import Webhook

from streamer.http.metrics import ServeMetrics
from streamer.http.reader import connect_retrying
from streamer.http.subscriptions import PublicResolver, Subscription
from streamer.http.window import decode_event
from streamer.kafka.connection import stop_quietly
from streamer.settings import Settings

log = logging.getLogger("streamer.webhooks")

DELIVERED, FAILED, REJECTED, GONE = "delivered", "failed", "rejected", "gone"


def outcome_of(status: int | None) -> str:
    """2xx delivered; 410 gone (disables the subscription); 5xx, 408, 429 and no answer are
    failures to retry; any other status is a rejection of this one event (not retried)."""
    if status is None or status >= 500 or status in (408, 429):
        return FAILED
    if 200 <= status < 300:
        return DELIVERED
    return GONE if status == 410 else REJECTED


def backoff(attempt: int, first: float, most: float, draw: float) -> float:
    """Seconds before retry `attempt` (0-based): doubling from `first` up to `most`, with
    jitter: a `draw` in [0, 1) picks from the upper half of that."""
    ceiling = min(most, first * 2.0 ** min(attempt, 60))
    return ceiling * (0.5 + draw / 2)


def signed_headers(signer: Webhook, event_id: str, body: str, now: datetime) -> dict[str, str]:
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signer.sign(event_id, now, body),
        "content-type": "application/json",
        "user-agent": "streamer-webhooks",
    }


class Dispatcher:
    """Runs one delivery loop per subscription; a 410 ends that subscription's loop only."""

    def __init__(self, settings: Settings, subscriptions: Sequence[Subscription],
                 metrics: ServeMetrics) -> None:
        self.settings = settings
        self.subscriptions = list(subscriptions)
        self.metrics = metrics

    async def run(self) -> None:
        if not self.subscriptions:
            return
        public = aiohttp.TCPConnector(resolver=PublicResolver())
        async with aiohttp.ClientSession(connector=public) as guarded, \
                aiohttp.ClientSession() as unguarded:
            await asyncio.gather(*(
                self._run_one(sub, unguarded if sub.allow_private else guarded)
                for sub in self.subscriptions))

    async def _run_one(self, sub: Subscription, session: aiohttp.ClientSession) -> None:
        from aiokafka import AIOKafkaConsumer

        s = self.settings

        def make() -> Any:
            return AIOKafkaConsumer(
                **s.kafka_client_kwargs(), group_id=sub.group(s.app_id),
                client_id=f"{s.app_id}-webhook-{sub.name}", enable_auto_commit=False,
                auto_offset_reset="earliest" if sub.from_beginning else "latest",
                session_timeout_ms=int(s.session_timeout_seconds * 1000),
                heartbeat_interval_ms=int(s.session_timeout_seconds * 1000 / 3),
                # a receiver may be down for a long time: retrying it is not a stuck consumer
                max_poll_interval_ms=7 * 24 * 3600 * 1000, fetch_max_wait_ms=100)

        consumer, _ = await connect_retrying(make, s, s.output_topic)
        consumer.subscribe([s.output_topic], listener=_StartHere(consumer))
        self.metrics.enabled.labels(sub.name).set(1)
        try:
            await self._deliver_all(sub, session, consumer)
        finally:
            await stop_quietly(consumer)

    async def _deliver_all(self, sub: Subscription, session: aiohttp.ClientSession,
                           consumer: Any) -> None:
        signer = Webhook(sub.secret)
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    event = decode_event(record.value)
                    if event is None:
                        log.warning("webhooks %s: %s/%d@%d skipped: not an event JSON object",
                                    sub.name, tp.topic, tp.partition, record.offset)
                    wanted = event is not None and sub.filter.matches(event)
                    if (wanted and event is not None
                            and await self._deliver(sub, session, signer, event, record) == GONE):
                        self.metrics.enabled.labels(sub.name).set(0)
                        log.error("webhooks %s: the receiver answered 410 Gone; "
                                  "subscription disabled until restart", sub.name)
                        return
                    # each delivered event is committed at once; skipped ones with the batch
                    last = record is records[-1]
                    if (wanted or last) and not await _commit(sub, consumer, tp, record.offset):
                        break

    async def _deliver(self, sub: Subscription, session: aiohttp.ClientSession,
                       signer: Webhook, event: dict[str, Any], record: Any) -> str:
        """POST until the receiver accepts, rejects or is gone; the outcome."""
        s = self.settings
        body = bytes(record.value).decode("utf-8")
        event_id = str(event["event_id"])
        timeout = aiohttp.ClientTimeout(total=s.webhook_timeout_seconds)
        attempt = 0
        while True:
            headers = signed_headers(signer, event_id, body, datetime.now(UTC))
            status: int | None = None
            try:
                async with session.post(sub.url, data=body.encode("utf-8"), headers=headers,
                                        timeout=timeout, allow_redirects=False) as resp:
                    status = resp.status
                    await resp.read()
                reason = f"HTTP {status}"
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            outcome = outcome_of(status)
            self.metrics.deliveries.labels(sub.name, outcome).inc()
            if outcome == DELIVERED:
                lag = max(0.0, time.time() - record.timestamp / 1000)
                self.metrics.delivery_lag.labels(sub.name).set(lag)
                self.metrics.delivery_seconds.labels(sub.name).observe(lag)
                return outcome
            if outcome != FAILED:
                log.warning("webhooks %s: event %s %s (%s)", sub.name, event_id, outcome, reason)
                return outcome
            delay = backoff(attempt, s.webhook_backoff_seconds, s.webhook_backoff_max_seconds,
                            random.random())
            log.warning("webhooks %s: event %s attempt %d failed (%s); retrying in %.2f s",
                        sub.name, event_id, attempt + 1, reason, delay)
            attempt += 1
            await asyncio.sleep(delay)


class _StartHere(ConsumerRebalanceListener):  # type: ignore[misc]
    """A partition the subscription's group has no progress for yet gets its starting point
    committed at once: a subscription that starts "latest" and is restarted before its first
    delivery must not skip what was published meanwhile."""

    def __init__(self, consumer: Any) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        fresh = {}
        for tp in assigned:
            if await self.consumer.committed(tp) is None:
                fresh[tp] = await self.consumer.position(tp)
        if fresh:
            await self.consumer.commit(fresh)


async def _commit(sub: Subscription, consumer: Any, tp: Any, offset: int) -> bool:
    """Record progress up to `offset`; False if the partition moved to another replica (which
    resends from the last commit: that one event may arrive twice, with the same webhook-id)."""
    from aiokafka.errors import CommitFailedError, IllegalStateError

    try:
        await consumer.commit({tp: offset + 1})
    except (CommitFailedError, IllegalStateError) as exc:
        log.warning("webhooks %s: commit failed (%s)", sub.name, exc)
        return False
    return True
