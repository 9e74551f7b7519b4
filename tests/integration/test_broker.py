"""Smoke tests of the broker the integration suite runs against, and of its restart."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

NewTopics = Callable[..., Awaitable[list[str]]]  # the `new_topics` fixture from conftest.py

pytestmark = pytest.mark.timeout(120)


async def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        batch = [await producer.send(topic, value, key=key) for key, value in records]
        for delivery in batch:
            await delivery
    finally:
        await producer.stop()


async def consume_all(bootstrap: str, topic: str, expected: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"{topic}-reader",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        while len(records) < expected:
            batches = await consumer.getmany(timeout_ms=10_000)
            if not batches:
                break
            for partition_records in batches.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def test_records_round_trip_in_key_order(kafka_bootstrap: str, new_topics: NewTopics) -> None:
    [topic] = await new_topics(partitions=3)
    keys = [f"site-{n}".encode() for n in range(6)]
    sent = [(key, f"{key.decode()}:{seq}".encode()) for seq in range(20) for key in keys]

    await produce(kafka_bootstrap, topic, sent)
    got = await consume_all(kafka_bootstrap, topic, len(sent))

    assert sorted((r.key, r.value) for r in got) == sorted(sent)
    for key in keys:
        assert [r.value for r in got if r.key == key] == [v for k, v in sent if k == key]
    assert len({r.partition for r in got}) > 1, "six keys should spread over three partitions"
    by_key = {r.key: r.partition for r in got}
    assert all(r.partition == by_key[r.key] for r in got), "a key must stay on one partition"


async def test_restart_keeps_records(kafka_broker: Any, new_topics: NewTopics) -> None:
    [topic] = await new_topics(partitions=2)
    before = [(f"k{n % 3}".encode(), f"before-{n}".encode()) for n in range(30)]
    await produce(kafka_broker.bootstrap, topic, before)

    old_pid = kafka_broker.pid
    kafka_broker.restart()
    assert kafka_broker.pid != old_pid

    after = [(b"k0", b"after-0")]
    await produce(kafka_broker.bootstrap, topic, after)
    got = await consume_all(kafka_broker.bootstrap, topic, len(before) + 1)
    assert sorted((r.key, r.value) for r in got) == sorted(before + after)


async def test_killed_broker_comes_back_with_acknowledged_records(
    kafka_broker: Any, new_topics: NewTopics
) -> None:
    [topic] = await new_topics()
    await produce(kafka_broker.bootstrap, topic, [(b"k", b"acked")])

    kafka_broker.kill()
    assert not kafka_broker.running
    kafka_broker.restart()

    got = await consume_all(kafka_broker.bootstrap, topic, 1)
    assert [(r.key, r.value) for r in got] == [(b"k", b"acked")]


async def test_sasl_listener_checks_the_password(
    kafka_sasl_bootstrap: tuple[str, str, str], new_topics: NewTopics
) -> None:
    [topic] = await new_topics()
    bootstrap, user, password = kafka_sasl_bootstrap

    def producer(secret: str) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN",
            sasl_plain_username=user,
            sasl_plain_password=secret,
            request_timeout_ms=5_000,
        )

    good = producer(password)
    await good.start()
    try:
        meta = await good.send_and_wait(topic, b"over sasl")
    finally:
        await good.stop()
    assert meta.offset == 0

    bad = producer("not-the-password")
    with pytest.raises(KafkaConnectionError):
        await bad.start()
    await bad.stop()


def test_tls_listener_proves_itself_with_a_certificate_from_its_ca(
    kafka_ssl_bootstrap: tuple[str, str, str, str],
) -> None:
    bootstrap, _, _, cafile = kafka_ssl_bootstrap
    host, port = bootstrap.rsplit(":", 1)

    def handshake(context: ssl.SSLContext) -> dict[str, Any]:
        with (
            socket.create_connection((host, int(port)), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            return tls.getpeercert() or {}

    cert = handshake(ssl.create_default_context(cafile=cafile))  # checks the host name too
    assert ("IP Address", "127.0.0.1") in cert["subjectAltName"]
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(ssl.create_default_context())  # a throwaway CA, trusted by no one else
