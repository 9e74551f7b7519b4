"""`streamer serve`'s HTTP surface without a broker: the page and its headers, and what /live,
/ready and /events say while Kafka is unreachable or a background task has failed."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer

from streamer.http.app import create_app
from streamer.http.metrics import ServeMetrics
from streamer.http.webhooks import Dispatcher
from streamer.settings import Settings


class Broken(Dispatcher):
    async def run(self) -> None:
        raise RuntimeError("webhook deliveries failed")


async def test_without_kafka_the_page_loads_and_probes_say_so() -> None:
    settings = Settings(bootstrap_servers="127.0.0.1:9")  # nothing listens there
    metrics = ServeMetrics()
    app = create_app(settings, metrics, Broken(settings, [], metrics))
    async with TestClient(TestServer(app)) as client:
        await asyncio.sleep(0.05)
        page = await client.get("/")
        assert page.status == 200
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        assert '<script src="/ticker.js"></script>' in await page.text()
        script = await client.get("/ticker.js")
        assert "textContent" in await script.text()
        assert "innerHTML" not in await script.text()
        live = await client.get("/live")
        assert live.status == 503
        assert (await live.json())["failed"] == ["webhooks"]
        assert (await client.get("/ready")).status == 503
        assert (await client.get("/events")).status == 503
        assert (await client.get("/feed.json")).status == 503
        text = await (await client.get("/metrics")).text()
        assert "streamer_serve_subscribers 0.0" in text
