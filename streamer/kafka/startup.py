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
from streamer.kafka.statestore import topic_specs
from streamer.settings import Settings

log = logging.getLogger("streamer.startup")

BACKOFF_START, BACKOFF_MAX = 0.5, 15.0


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


async def prepare(settings: Settings, health: NotReadyServer | None = None) -> int:
    """Wait (with backoff) until Kafka answers and the input topic exists; create the event and
    state topics with the input's partition count if missing. Returns that count."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import KafkaError

    delay = BACKOFF_START
    while True:
        admin = AIOKafkaAdminClient(request_timeout_ms=10_000, **settings.kafka_client_kwargs())
        errors: list[BaseException] = []
        try:
            with bootstrap_errors() as errors:  # the reason: refused, TLS, authentication...
                await admin.start()
            if health:
                health.waiting_for = f"input topic {settings.input_topic}"
            meta = {t["topic"]: t for t in await admin.describe_topics(
                [settings.input_topic, settings.output_topic, settings.state_topic_name])}
            inp = meta.get(settings.input_topic)
            if inp is not None and not inp["error_code"] and inp["partitions"]:
                partitions = len(inp["partitions"])
                brokers = len((await admin.describe_cluster())["brokers"])
                missing = [
                    NewTopic(name, spec["partitions"], min(3, brokers),
                             topic_configs=spec["config"])
                    for name, spec in topic_specs(settings, partitions).items()
                    if name not in meta or meta[name]["error_code"] or not meta[name]["partitions"]
                ]
                if missing:
                    await admin.create_topics(missing)
                    log.warning("created topics %s", ", ".join(t.name for t in missing))
                check_partitions(settings, partitions, meta)
                return partitions
            log.warning("input topic %s does not exist yet; retrying in %.1f s",
                        settings.input_topic, delay)
        except KafkaError as exc:
            log.warning("cannot reach Kafka at %s: %s; retrying in %.1f s",
                        settings.bootstrap_servers, describe_error(errors[-1] if errors else exc),
                        delay)
        finally:
            await admin.close()
        await asyncio.sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX)


class TopicLayoutError(ValueError):
    pass


def check_partitions(settings: Settings, partitions: int, meta: dict[str, Any]) -> None:
    """Events and state of input partition p live in partition p of their topics."""
    out = meta.get(settings.output_topic)
    if out and out["partitions"] and len(out["partitions"]) < partitions:
        raise TopicLayoutError(
            f"event topic {settings.output_topic} has {len(out['partitions'])} partitions, "
            f"fewer than input topic {settings.input_topic} ({partitions}): add partitions")
    state = meta.get(settings.state_topic_name)
    if state and state["partitions"] and len(state["partitions"]) != partitions:
        raise TopicLayoutError(
            f"state topic {settings.state_topic_name} has {len(state['partitions'])} partitions, "
            f"input topic {settings.input_topic} has {partitions}: they must match")
