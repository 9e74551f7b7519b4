"""Starting an aiokafka client within a deadline, and turning failures into one clear line.

Shared by the `publish` and `tail` subcommands; aiokafka is imported inside functions only.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

# OpenSSL's codes for a certificate chain that ends in a CA the client does not trust.
_UNTRUSTED_CHAIN = {18, 19, 20, 21}  # self-signed leaf / in chain, unknown issuer, unverifiable


class KafkaUnavailable(Exception):
    """The broker cannot be reached or a topic is missing; the message is what users see."""


class _Capture(logging.Handler):
    """Keeps the OS errors aiokafka logs while bootstrapping, instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors: list[BaseException] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        self.errors.extend(a for a in args if isinstance(a, BaseException))


@contextlib.contextmanager
def bootstrap_errors() -> Iterator[list[BaseException]]:
    """Collects the errors aiokafka logs while connecting, and keeps its log quiet meanwhile:
    the caller reports the last one as the reason, in one line of its own."""
    log = logging.getLogger("aiokafka")
    capture = _Capture()
    log.addHandler(capture)
    propagate, log.propagate = log.propagate, False
    try:
        yield capture.errors
    finally:
        log.removeHandler(capture)
        log.propagate = propagate


def describe_error(exc: BaseException) -> str:
    """A short reason for humans: 'connection refused', 'name or service not known', ..."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = f"TLS certificate verification failed: {exc.verify_message}"
        if exc.verify_code in _UNTRUSTED_CHAIN:
            reason += " (STREAMER_SSL_CAFILE names the CA to trust)"
        return reason
    if isinstance(exc, ssl.SSLError):
        return "TLS handshake failed: " + (exc.reason or str(exc)).replace("_", " ").lower()
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno == errno.ECONNREFUSED:
            return "connection refused"
        if exc.strerror:
            return str(exc.strerror).lower()
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def unreachable_message(bootstrap: str, reason: str) -> str:
    return f"cannot reach Kafka at {bootstrap}: {reason}"


async def connect(client: Any, bootstrap: str, timeout: float,
                  then: Callable[[], Awaitable[T]]) -> T:
    """Start `client`, then run `then()` (a metadata look-up), all within `timeout` seconds.

    On failure the client is stopped and KafkaUnavailable says "cannot reach Kafka at HOST:PORT:
    reason". KafkaUnavailable raised by `then` (say, a missing topic) passes through unchanged.
    """
    from aiokafka.errors import KafkaError

    with bootstrap_errors() as errors:
        try:
            async with asyncio.timeout(timeout):
                await client.start()
                return await then()
        except (TimeoutError, KafkaError, OSError) as exc:
            await stop_quietly(client)
            if errors:
                reason = describe_error(errors[-1])
            elif isinstance(exc, TimeoutError):
                reason = f"no answer within {timeout:g} s"
            else:
                reason = describe_error(exc)
            raise KafkaUnavailable(unreachable_message(bootstrap, reason)) from exc
        except BaseException:
            await stop_quietly(client)
            raise


async def wait_for_admin(settings: Any, timeout: float) -> Any:
    """A started admin client, retrying (0.25 s doubling to 2 s) while Kafka does not answer,
    for at most `timeout` seconds; then KafkaUnavailable with the last reason."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + timeout, 0.25
    while True:
        admin = AIOKafkaAdminClient(request_timeout_ms=10_000, **settings.kafka_client_kwargs())
        with bootstrap_errors() as errors:
            try:
                await admin.start()
                return admin
            except (KafkaError, OSError) as exc:
                await stop_quietly(admin)
                reason = describe_error(errors[-1] if errors else exc)
        if loop.time() + delay > deadline:
            raise KafkaUnavailable(unreachable_message(settings.bootstrap_servers, reason))
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


async def stop_quietly(client: Any, timeout: float = 5.0) -> None:
    """Best-effort stop, used when the real failure is already being reported."""
    try:
        await asyncio.wait_for(client.stop(), timeout)
    except Exception:
        logging.getLogger(__name__).debug("error stopping Kafka client", exc_info=True)


def partitions_of(cluster: Any, topic: str) -> list[int]:
    """Partition ids of `topic` in cluster metadata; KafkaUnavailable if it does not exist."""
    parts = cluster.partitions_for_topic(topic)
    if not parts:
        raise KafkaUnavailable(f"topic {topic!r} does not exist")
    return sorted(parts)
