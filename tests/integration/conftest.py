"""Fixtures for tests that talk to a real Kafka broker.

One local KRaft broker (deploy/kafka/local_kafka.py) serves the whole session, unless
STREAMER_TEST_BOOTSTRAP names a running broker to use instead.
"""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from bench.broker import load_local_kafka

HERE = Path(__file__).resolve().parent
BOOTSTRAP_ENV = "STREAMER_TEST_BOOTSTRAP"

NewTopics = Callable[..., Awaitable[list[str]]]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/integration needs a broker: mark it `kafka`."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def _local_broker() -> Iterator[Any | None]:
    """The session's local broker, or None when STREAMER_TEST_BOOTSTRAP names another one."""
    if os.environ.get(BOOTSTRAP_ENV):
        yield None
        return
    broker = load_local_kafka().start(sasl_port=0, ssl_port=0)
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(_local_broker: Any | None) -> str:
    """host:port of the broker under test."""
    if _local_broker is None:
        return os.environ[BOOTSTRAP_ENV]
    return str(_local_broker.bootstrap)


@pytest.fixture
def kafka_broker(_local_broker: Any | None) -> Iterator[Any]:
    """The local broker's handle (stop, kill, restart, log_path); skips on an external broker.

    A test that stops or kills the broker leaves it running again for the next test.
    """
    if _local_broker is None:
        pytest.skip(f"{BOOTSTRAP_ENV} names an external broker: it cannot be stopped or restarted")
    yield _local_broker
    if not _local_broker.running:
        _local_broker.restart()


@pytest.fixture
def kafka_sasl_bootstrap(_local_broker: Any | None) -> tuple[str, str, str]:
    """(host:port, user, password) of the local broker's SASL_PLAINTEXT/PLAIN listener."""
    if _local_broker is None:
        pytest.skip(f"{BOOTSTRAP_ENV} names an external broker: no known SASL listener")
    module = load_local_kafka()
    return str(_local_broker.sasl_bootstrap), module.SASL_USER, module.SASL_PASSWORD


@pytest.fixture
def kafka_ssl_bootstrap(_local_broker: Any | None) -> tuple[str, str, str, str]:
    """(host:port, user, password, CA file) of the local broker's SASL_SSL/PLAIN listener."""
    if _local_broker is None:
        pytest.skip(f"{BOOTSTRAP_ENV} names an external broker: no known SASL_SSL listener")
    module = load_local_kafka()
    return (str(_local_broker.ssl_bootstrap), module.SASL_USER, module.SASL_PASSWORD,
            str(_local_broker.ssl_cafile))


@pytest.fixture
async def new_topics(
    kafka_bootstrap: str, request: pytest.FixtureRequest
) -> AsyncIterator[NewTopics]:
    """Factory: `await new_topics(count=1, partitions=1, config=None)` creates topics with unique
    names (the test's name plus a random suffix), waits until every partition has a leader and
    returns the names. They are deleted after the test."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=15_000)
    await admin.start()
    created: list[str] = []
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name)[:60].strip("-")

    async def make(
        count: int = 1, partitions: int = 1, config: dict[str, str] | None = None
    ) -> list[str]:
        names = [f"test-{stem}-{uuid.uuid4().hex[:8]}" for _ in range(count)]
        topics = [NewTopic(name, partitions, 1, topic_configs=config or {}) for name in names]
        response = await admin.create_topics(topics, timeout_ms=15_000)
        errors = [(name, code) for name, code, *_ in response.topic_errors if code]
        if errors:
            raise RuntimeError(f"could not create topics: {errors}")
        created.extend(names)
        await _wait_for_leaders(admin, names, partitions)
        return names

    try:
        yield make
    finally:
        try:
            if created:
                await asyncio.wait_for(admin.delete_topics(created, timeout_ms=10_000), 15)
        except (KafkaError, TimeoutError):
            pass  # the broker is per-session and thrown away; a failed clean-up loses nothing
        finally:
            await admin.close()


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], partitions: int, timeout: float = 15.0
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        described = await admin.describe_topics(names)
        ready = [
            topic
            for topic in described
            if not topic["error_code"]
            and len(topic["partitions"]) == partitions
            and all(p["leader"] >= 0 for p in topic["partitions"])
        ]
        if len(ready) == len(names):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"topics {names} have no leaders after {timeout}s: {described}")
        await asyncio.sleep(0.1)
