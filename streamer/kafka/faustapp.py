"""The faust App of `streamer run`: its settings from ours, and its web pages.

faust reads nothing from the environment (`env={}`): Settings is the only config source. The
web port serves /live (the agent has not failed), /ready (partitions assigned and restored,
not rebalancing) and /metrics (Prometheus); faust's own pages are off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import faust

from streamer.kafka.metrics import CONTENT_TYPE
from streamer.kafka.tablemanager import PromptTableManager
from streamer.settings import Settings

log = logging.getLogger("streamer.worker")


def broker_urls(settings: Settings) -> list[str]:
    return [f"kafka://{h.strip()}" for h in settings.bootstrap_servers.split(",") if h.strip()]


def broker_credentials(settings: Settings) -> Any:
    """faust credentials for SASL/SSL, or None for PLAINTEXT (secrets stay inside the object)."""
    kw = settings.kafka_client_kwargs()
    ssl_context = kw.get("ssl_context")
    if settings.security_protocol.startswith("SASL"):
        return faust.SASLCredentials(
            username=str(kw["sasl_plain_username"]),
            password=str(kw["sasl_plain_password"]),
            mechanism=str(kw["sasl_mechanism"]),
            ssl_context=ssl_context,  # type: ignore[arg-type]
        )
    if settings.security_protocol == "SSL":
        return faust.SSLCredentials(ssl_context)  # type: ignore[arg-type]
    return None


def faust_app(settings: Settings, record_limit: int) -> faust.App:
    """`record_limit`: the largest record the worker reads or writes, envelope included."""
    return faust.App(
        settings.app_id,
        env={},  # faust must not read the environment: Settings is the only config source
        broker=broker_urls(settings),
        broker_credentials=broker_credentials(settings),
        datadir=str(settings.data_dir),
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        # aiokafka sends a broker its next fetch only once every partition it holds there was
        # read out: larger fetches keep a worker that is behind from idling between them
        # (4 MB capped one worker near 3,000 snapshots/s, bench.worker_bench)
        consumer_max_fetch_size=max(16 * 1024 * 1024, record_limit),
        producer_acks=-1,
        # a worker killed with -9 hands its partitions over after this, not faust's 60 s
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=max(1.0, settings.session_timeout_seconds / 4),
        producer_max_request_size=record_limit,
        producer_linger_ms=1,
        topic_partitions=settings.topic_partitions,
        topic_disable_leader=True,
        stream_wait_empty=True,
        TableManager=PromptTableManager,  # subscribe without faust's 1 s wait for late tables
        web_enabled=True,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_tables_enabled=False,
        web_router_enabled=False,
        web_stats_enabled=False,
        web_graph_enabled=False,
        web_metrics_enabled=False,
    )


@dataclass(slots=True)
class Health:
    """What /live and /ready report."""

    agent_running: bool = False
    failure: str | None = None


def add_pages(app: faust.App, settings: Settings,
              readiness: Callable[[], tuple[bool, dict[str, Any]]],
              expose: Callable[[], bytes], health: Health) -> None:
    @app.page("/ready")
    async def ready(web: Any, request: Any) -> Any:
        ok, body = readiness()
        return web.json({"ready": ok, **body}, status=200 if ok else 503)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(expose(), headers={"Content-Type": CONTENT_TYPE})

    @app.page("/live")
    async def live(web: Any, request: Any) -> Any:
        ok = health.failure is None
        return web.json({"live": ok, "failure": health.failure}, status=200 if ok else 503)

    @app.task  # type: ignore[untyped-decorator]
    async def announce() -> None:
        log.warning("streamer worker %s: %s -> %s (dead letters: %s), brokers %s (%s), "
                    "web http://%s:%d", settings.app_id, settings.input_topic,
                    settings.output_topic, settings.dlq_topic, settings.bootstrap_servers,
                    settings.security_protocol, settings.web_host, settings.web_port)
