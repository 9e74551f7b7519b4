"""`streamer serve`: events to subscribers without Kafka, over HTTP.

SSE at /events, JSON Feed at /feed.json, Atom at /feed.atom, a live ticker page at /, signed
webhooks from STREAMER_WEBHOOKS_FILE, and /live, /ready, /metrics. Stateless: run any number
behind a load balancer. Exit 0 on SIGINT/SIGTERM, 2 on a configuration error.
"""

from __future__ import annotations

import argparse
import sys

from streamer.cli.flags import add_connection_flags, add_setting_flag, add_setting_flags
from streamer.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_flags(parser)
    add_setting_flags(parser, "output_topic", "app_id")
    add_setting_flag(parser, "serve_host", help="address to listen on")
    add_setting_flag(parser, "serve_port", help="port to listen on")
    add_setting_flag(parser, "serve_history", type=int,
                     help="newest events held in memory for resuming, feeds and ?last=")
    add_setting_flag(parser, "webhooks_file", help="TOML file of webhook subscriptions")
    add_setting_flag(parser, "serve_client_buffer",
                     help="events a client may lag behind before it is dropped")
    add_setting_flag(parser, "serve_heartbeat_seconds", help="SSE heartbeat interval")
    add_setting_flag(parser, "serve_wake_seconds",
                     help="wake SSE clients at most this often (new events wait that long)")
    add_setting_flag(parser, "webhook_timeout_seconds", help="timeout of one webhook delivery")
    add_setting_flag(parser, "webhook_backoff_seconds",
                     help="first retry delay of a failed webhook (doubles, with jitter)")
    add_setting_flag(parser, "webhook_backoff_max_seconds", help="longest retry delay")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from aiohttp import web

    from streamer.http.app import create_app
    from streamer.http.metrics import ServeMetrics
    from streamer.http.subscriptions import BadSubscriptions, load
    from streamer.http.webhooks import Dispatcher

    try:
        subscriptions = load(settings)
    except BadSubscriptions as exc:
        print(f"streamer serve: {exc}", file=sys.stderr)
        return 2
    metrics = ServeMetrics()
    app = create_app(settings, metrics, Dispatcher(settings, subscriptions, metrics))
    try:
        web.run_app(app, host=settings.serve_host, port=settings.serve_port, print=None,
                    access_log=None, shutdown_timeout=5, handler_cancellation=True)
    except OSError as exc:
        print(f"streamer serve: cannot listen on {settings.serve_host}:{settings.serve_port}: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
