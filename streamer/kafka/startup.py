"""Before the worker starts: wait for Kafka and the input topic, create the worker's topics.

Kafka down at start-up is normal in a container stack: the worker retries with backoff and,
meanwhile, answers `/live` 200 and `/ready` 503 on its health port, so orchestrators see a live
process that is not ready yet instead of a crash loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from streamer.codec import dumps
from streamer.kafka.connection import bootstrap_errors, describe_error
from streamer.kafka.topics import ensure, partition_counts
from streamer.settings import Settings

log = logging.getLogger("streamer.startup")

BACKOFF_START, BACKOFF_MAX = 0.25, 15.0
TOPIC_POLL = 0.25  # seconds between looks for the input topic, once Kafka answers


class NotReadyServer:
    """A tiny health server for the wait: /live 200, /ready 503 with what we wait for."""

    def __init__(self, host: str, port: int) -> None:
        self.waiting_for = "kafka"
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                live = self.path.startswith("/live")
                body = dumps({"live": True} if live else
                             {"ready": False, "waiting_for": store.waiting_for})
                self.send_response(200 if live else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> NotReadyServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def prepare(settings: Settings, health: NotReadyServer | None = None,
                  create_topics: bool = False) -> int:
    """Wait until Kafka answers and the input topic exists (or create every topic, with
    `create_topics`); create the event and state topics with the input's partition count if
    missing. Returns that count.

    Kafka unreachable: retry with backoff (0.25 s doubling to 15 s). Kafka up, input topic
    missing: look again every TOPIC_POLL seconds, so the worker starts within about a second
    of the topic appearing."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    delay, told = BACKOFF_START, False
    while True:
        admin = AIOKafkaAdminClient(request_timeout_ms=10_000, **settings.kafka_client_kwargs())
        errors: list[BaseException] = []
        try:
            with bootstrap_errors() as errors:  # the reason: refused, TLS, authentication...
                await admin.start()
            if health:
                health.waiting_for = f"input topic {settings.input_topic}"
            delay = BACKOFF_START
            while True:
                described = await admin.describe_topics([settings.input_topic])
                if create_topics or partition_counts(described):
                    created, counts = await ensure(admin, settings)
                    if created:
                        log.info("created topics %s", ", ".join(created))
                    return counts[settings.input_topic]
                if not told:  # once: the polling itself is not news
                    log.warning("input topic %s does not exist yet (create it with `streamer "
                                "topics create`, or run with --create-topics); waiting",
                                settings.input_topic)
                    told = True
                await asyncio.sleep(TOPIC_POLL)
        except KafkaError as exc:
            log.warning("cannot reach Kafka at %s: %s; retrying in %.2g s",
                        settings.bootstrap_servers, describe_error(errors[-1] if errors else exc),
                        delay)
        finally:
            await admin.close()
        await asyncio.sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX)
