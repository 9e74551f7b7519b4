"""The aiohttp application of `streamer serve`: routes, thin handlers, start-up and shut-down.
The logic lives in stream, feeds, filters and webhooks; handlers parse and hand off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources

from aiohttp import web
from aiohttp_sse import EventSourceResponse

from streamer.codec import BadRecord, parse_time
from streamer.http import cursor, feeds
from streamer.http.filters import EventFilter
from streamer.http.metrics import CONTENT_TYPE_LATEST, ServeMetrics
from streamer.http.reader import Reader
from streamer.http.stream import Client, Dropped, catch_up, follow, start_live
from streamer.http.webhooks import Dispatcher
from streamer.http.window import Entry, Window
from streamer.kafka.connection import KafkaUnavailable
from streamer.settings import Settings

log = logging.getLogger("streamer.serve")

SETTINGS = web.AppKey("settings", Settings)
READER = web.AppKey("reader", Reader)
METRICS = web.AppKey("metrics", ServeMetrics)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
TASKS = web.AppKey("tasks", list[asyncio.Task[None]])
RETRY = b"retry: 2000\r\n\r\n"  # browsers reconnect 2 s after a lost stream
_STATIC = {"/": ("index.html", "text/html"), "/ticker.js": ("ticker.js", "text/javascript"),
           "/ticker.css": ("ticker.css", "text/css")}
# The page loads nothing from elsewhere and runs no inline script.
_CSP = "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"


def create_app(settings: Settings, metrics: ServeMetrics | None = None,
               dispatcher: Dispatcher | None = None) -> web.Application:
    metrics = metrics or ServeMetrics()
    app = web.Application()
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app[READER] = Reader(settings, metrics)
    app[DISPATCHER] = dispatcher or Dispatcher(settings, [], metrics)
    app.router.add_get("/events", sse)
    app.router.add_get("/events/{event_id}", one_event)
    app.router.add_get("/feed.json", json_feed)
    app.router.add_get("/feed.atom", atom_feed)
    app.router.add_get("/live", live)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", prometheus)
    for path in _STATIC:
        app.router.add_get(path, static)
    app.cleanup_ctx.append(_background)
    return app


async def _background(app: web.Application) -> AsyncIterator[None]:
    """Read the topic and deliver webhooks while the server runs; /ready says when caught up."""

    async def read() -> None:
        await app[READER].start()
        await app[READER].run()

    tasks = [asyncio.create_task(read(), name="serve-reader"),
             asyncio.create_task(app[DISPATCHER].run(), name="webhooks")]
    for task in tasks:
        task.add_done_callback(_report)
    app[TASKS] = tasks
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):  # failures: reported
            await task


def _report(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("serve: %s stopped: %r (/live now answers 503)", task.get_name(),
                  task.exception(), exc_info=task.exception())


def _window(request: web.Request) -> Window:
    window = request.app[READER].window
    if window is None:
        raise web.HTTPServiceUnavailable(text="not connected to Kafka yet\n")
    return window


def _filter(request: web.Request) -> EventFilter:
    try:
        return EventFilter.from_query(request.query)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None


def _int(request: web.Request, name: str, default: int | None, most: int) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise web.HTTPBadRequest(text=f"{name} must be a whole number from 1 to {most}\n")
    return int(raw)


async def sse(request: web.Request) -> web.StreamResponse:
    """GET /events: Server-Sent Events from now, `?last=N`, `?since=TIME` or `Last-Event-ID`."""
    settings, metrics, reader = request.app[SETTINGS], request.app[METRICS], request.app[READER]
    window = _window(request)
    client = Client(filter=_filter(request), send=_no_send)
    resume = request.headers.get("Last-Event-ID") or request.query.get("cursor")
    since = request.query.get("since")
    try:
        if resume:
            client.position = cursor.decode(resume, len(window.positions))
        elif since:
            # like `tail --since`: every partition from its first record timestamped since then
            ms = int(parse_time(since).timestamp() * 1000)
            client.position = await reader.offsets_for_time(max(ms, 0))
    except (cursor.BadCursor, BadRecord) as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None
    last = _int(request, "last", None, settings.serve_history)

    resp = EventSourceResponse(ping_interval=settings.serve_heartbeat_seconds)
    await resp.prepare(request)
    await resp.write(RETRY)

    async def send(frames: bytes) -> None:
        # EventSourceResponse.send formats one message; the window formats each message once
        # for every client, so the bytes are written as they are. A peer that stops reading:
        # the kernel aborts the connection (prepare set TCP_USER_TIMEOUT to the send timeout),
        # and the window drops a client that falls its buffer behind.
        await resp.write(frames)

    client.send = send
    transport = request.transport

    def drop() -> None:  # the window found it a buffer behind while writing
        metrics.dropped.inc()
        log.info("serve: dropped a client %d events behind", settings.serve_client_buffer)
        if transport is not None:
            transport.abort()

    client.abort = drop

    async def refill(c: Client) -> None:
        await catch_up(c, window, settings, reader.topic)

    metrics.subscribers.inc()
    try:
        if client.position is None:
            start_live(client, window, last)
        else:
            client.seq = -1  # before the window: follow refills from Kafka first
        await follow(client, window, settings.serve_client_buffer, metrics.events_sent.inc,
                     refill)
    except (Dropped, ConnectionError, RuntimeError):
        pass  # the client went away, or was dropped (counted by drop)
    except KafkaUnavailable as exc:  # reading from before the window: the client retries
        log.warning("serve: a client's catch-up from Kafka failed: %s", exc)
    finally:
        metrics.subscribers.dec()
        with contextlib.suppress(RuntimeError):
            resp.stop_streaming()
    return resp


async def _no_send(frames: bytes) -> None:
    raise RuntimeError("the stream is not open yet")


async def one_event(request: web.Request) -> web.Response:
    """GET /events/{id}: one event still held in the window (revisions link their original)."""
    entry = _window(request).by_id.get(request.match_info["event_id"])
    if entry is None:
        raise web.HTTPNotFound(text="no such event among the newest held\n")
    return web.Response(text=entry.data, content_type="application/json")


def _page(request: web.Request) -> tuple[list[Entry], str | None, str]:
    window, flt = _window(request), _filter(request)
    limit = _int(request, "limit", 50, 500) or 50
    try:
        before = feeds.decode_key(request.query["before"]) if "before" in request.query else None
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"{exc}\n") from None
    items, more = feeds.page(window.entries, flt, limit, before)
    base = str(request.url.origin())
    return items, feeds.next_link(base, request.path, flt, limit, more), base


async def json_feed(request: web.Request) -> web.Response:
    items, next_url, base = _page(request)
    body = feeds.json_feed(items, base, str(request.url), next_url)
    return web.Response(body=body, content_type="application/feed+json")


async def atom_feed(request: web.Request) -> web.Response:
    items, next_url, base = _page(request)
    body = feeds.atom_feed(items, base, str(request.url), next_url)
    return web.Response(body=body, content_type="application/atom+xml")


async def live(request: web.Request) -> web.Response:
    """200 while the topic reader and the webhook deliveries run; 503 once one has failed."""
    failed = [t.get_name() for t in request.app.get(TASKS, [])
              if t.done() and not t.cancelled() and t.exception() is not None]
    if failed:
        return web.json_response({"live": False, "failed": failed}, status=503)
    return web.json_response({"live": True})


async def ready(request: web.Request) -> web.Response:
    """200 once the window holds the topic's backlog; 503 while connecting or reading it."""
    reader = request.app[READER]
    ok = reader.ready.is_set()
    return web.json_response({"ready": ok}, status=200 if ok else 503)


async def prometheus(request: web.Request) -> web.Response:
    body = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def static(request: web.Request) -> web.Response:
    """The ticker page and its script and style, from the package."""
    name, ctype = _STATIC[request.path]
    body = resources.files("streamer.http").joinpath("static", name).read_bytes()
    return web.Response(body=body, content_type=ctype,
                        headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-cache"})
