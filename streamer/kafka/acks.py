"""Acknowledge input records only after everything they produced is delivered, in offset order.

Faust commits an input offset once the record is acked. We ack a record only when every record
it produced (events, or its dead-letter copy) has been acknowledged by the broker, and only after
all earlier records of the same partition were acked: faust's commit logic assumes acks arrive
without a gap at the head of a partition (an out-of-order ack can commit past a record that is
still in flight), so the order is kept here rather than trusted to it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any


@dataclass(slots=True)
class _Entry:
    ack: Callable[[], object]
    remaining: int
    failed: bool = False


class InOrderAcks:
    """Per-partition FIFO of records waiting for their deliveries; acks the done prefix.

    `on_failure(exc)` is called once per failed delivery; the record is then never acked, so its
    offset (and every later one of its partition) stays uncommitted and is read again after a
    restart: at-least-once.
    """

    def __init__(self, on_failure: Callable[[BaseException], object]) -> None:
        self._queues: dict[Hashable, deque[_Entry]] = {}
        self._on_failure = on_failure

    def add(self, partition: Hashable, ack: Callable[[], object],
            deliveries: Iterable[asyncio.Future[Any]]) -> None:
        """Ack via `ack()` once `deliveries` are done and every earlier record was acked."""
        futures = list(deliveries)
        entry = _Entry(ack, len(futures))
        self._queues.setdefault(partition, deque()).append(entry)
        for fut in futures:
            fut.add_done_callback(partial(self._done, partition, entry))
        if not futures:
            self._drain(partition)

    def _done(self, partition: Hashable, entry: _Entry, fut: asyncio.Future[Any]) -> None:
        exc = asyncio.CancelledError() if fut.cancelled() else fut.exception()
        if exc is not None:
            entry.failed = True
            self._on_failure(exc)
            return
        entry.remaining -= 1
        if entry.remaining == 0:
            self._drain(partition)

    def _drain(self, partition: Hashable) -> None:
        queue = self._queues.get(partition)
        while queue and queue[0].remaining == 0 and not queue[0].failed:
            queue.popleft().ack()
        if queue is not None and not queue:
            del self._queues[partition]

    def pending(self) -> int:
        """Records not acked yet (waiting for a delivery or for an earlier record)."""
        return sum(len(q) for q in self._queues.values())

    def forget(self, partitions: Iterable[Hashable]) -> None:
        """Drop revoked partitions: their unacked records will be read again by their new owner."""
        for p in partitions:
            self._queues.pop(p, None)


def when_delivered(deliveries: list[asyncio.Future[Any]], then: Callable[[], object]) -> None:
    """Call `then()` once every delivery succeeded (a failed one stops the worker anyway)."""
    left = len(deliveries)

    def one_done(fut: asyncio.Future[Any]) -> None:
        nonlocal left
        left -= 1
        if left == 0 and not any(f.cancelled() or f.exception() for f in deliveries):
            then()

    if not deliveries:
        then()
    for fut in deliveries:
        fut.add_done_callback(one_done)
