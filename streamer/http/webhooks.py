"""Webhook delivery: every wanted event POSTed once per subscription, in order, signed per
Standard Webhooks (the `standardwebhooks` package signs), retried with backoff and jitter.

Progress is the subscription's own Kafka consumer group: an event's offset is committed once
the receiver accepted it (2xx), so a restart resends at most the one event in flight and skips
none. Receivers de-duplicate on `webhook-id` (the event_id) for that one. A 410 Gone is
committed there too (`gone`), so the subscription stays disabled across restarts.
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

from streamer.codec import format_time
from streamer.http import gone
from streamer.http.metrics import ServeMetrics
from streamer.http.reader import connect_retrying
from streamer.http.subscriptions import PublicResolver, Subscription
from streamer.http.window import decode_event
from streamer.kafka.connection import stop_quietly, wait_for_admin
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
        listener = _StartHere(consumer)
        try:
            was_gone = await self._recorded_gone(sub)
            if was_gone is not None:
                self.metrics.enabled.labels(sub.name).set(0)
                log.error("webhooks %s: disabled: its url answered 410 Gone at %s (recorded in "
                          "consumer group %s); to deliver again, change its url, or add "
                          "reenabled_at = %s to it in %s and restart", sub.name,
                          format_time(was_gone.at), sub.group(s.app_id),
                          format_time(datetime.now(UTC).replace(microsecond=0)),
                          s.webhooks_file)
                listener.hold = True
            consumer.subscribe([s.output_topic], listener=listener)
            if not listener.hold:
                self.metrics.enabled.labels(sub.name).set(1)
                await self._deliver_all(sub, session, consumer)  # returns on a 410 Gone only
                listener.hold = True
                consumer.pause(*consumer.assignment())
            while True:  # in the group, delivering nothing: see _StartHere.hold
                await consumer.getmany(timeout_ms=60_000)
        finally:
            await stop_quietly(consumer)

    async def _recorded_gone(self, sub: Subscription) -> gone.Gone | None:
        """The 410 Gone the subscription's group recorded for its url, if one still applies
        (retried while the group's coordinator is not available, as on a new cluster)."""
        from aiokafka.errors import KafkaError

        group, delay = sub.group(self.settings.app_id), 0.25
        admin = await wait_for_admin(self.settings, 30.0)
        try:
            while True:
                try:
                    offsets = await admin.list_consumer_group_offsets(group)
                    break
                except KafkaError as exc:
                    if not exc.retriable:
                        raise
                    log.info("webhooks %s: reading group %s: %s; retrying in %.2f s",
                             sub.name, group, exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
        finally:
            await stop_quietly(admin)
        return gone.recorded(sub, (o.metadata for o in offsets.values()))

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
                        kept = await _commit_gone(sub, consumer, tp, record.offset)
                        self.metrics.enabled.labels(sub.name).set(0)
                        log.error("webhooks %s: the receiver answered 410 Gone; subscription "
                                  "disabled%s", sub.name,
                                  " (recorded in its consumer group: also after a restart, "
                                  "until its url changes or reenabled_at is set)" if kept else
                                  " until restart (recording it in its consumer group failed)")
                        return
                    # each delivered event is committed at once; skipped ones with the batch
                    last = record is records[-1]
                    if (wanted or last) and not await _commit(sub, consumer,
                                                              {tp: record.offset + 1}):
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
    delivery must not skip what was published meanwhile.

    Once `hold` is set (disabled by a 410 Gone) its partitions are paused: the consumer stays in
    the group so that Kafka keeps the group's offsets and their gone marks (it drops them
    `offsets.retention.minutes`, 7 days by default, after a group empties)."""

    def __init__(self, consumer: Any) -> None:
        self.consumer = consumer
        self.hold = False

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        if self.hold:
            self.consumer.pause(*assigned)
        fresh = {}
        for tp in assigned:
            if await self.consumer.committed(tp) is None:
                fresh[tp] = await self.consumer.position(tp)
        if fresh:
            await self.consumer.commit(fresh)


async def _commit(sub: Subscription, consumer: Any, offsets: dict[Any, Any]) -> bool:
    """Record progress (the next offset to send, per partition); False if a partition moved to
    another replica (which resends from the last commit: that one event may arrive twice, with
    the same webhook-id)."""
    from aiokafka.errors import CommitFailedError, IllegalStateError

    try:
        await consumer.commit(offsets)
    except (CommitFailedError, IllegalStateError) as exc:
        log.warning("webhooks %s: commit failed (%s)", sub.name, exc)
        return False
    return True


async def _commit_gone(sub: Subscription, consumer: Any, tp: Any, offset: int) -> bool:
    """Mark the partitions this replica holds gone for the url: `tp` at the refused event (not
    delivered: a new url starts there), the others where they were committed."""
    from aiokafka.structs import OffsetAndMetadata

    note = gone.mark(sub.url, datetime.now(UTC))
    offsets = {tp: OffsetAndMetadata(offset, note)}
    for other in consumer.assignment() - {tp}:
        done = await consumer.committed(other)
        if done is not None:
            offsets[other] = OffsetAndMetadata(done, note)
    return await _commit(sub, consumer, offsets)
