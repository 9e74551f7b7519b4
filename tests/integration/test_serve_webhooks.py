"""Webhooks of `streamer serve` against the real broker and a local receiver that verifies
every signature: retries until accepted, exactly once per event, across kill -9."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from standardwebhooks import Webhook

from tests.integration.conftest import NewTopics
from tests.integration.serving import Serve, make_event, produce, serving
from tests.integration.workers import free_port

SECRET = "whsec_dGVzdC1zZWNyZXQtZm9yLXN0cmVhbWVyLXdlYmhvb2tz"


class Receiver:
    """Answers 500 to the first `failures` attempts of each event, then 200 (after `delay`);
    counts every POST on the wire and accepts each webhook-id once."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures, self.delay = failures, delay
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.wire: collections.Counter[str] = collections.Counter()
        self.accepted: list[str] = []
        self.order: list[str] = []
        self.bad_signatures = 0

    async def hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = Webhook(SECRET).verify(body, dict(request.headers))
        except Exception:
            self.bad_signatures += 1
            return web.Response(status=400)
        ident = request.headers["webhook-id"]
        assert ident == event["event_id"]
        self.wire[ident] += 1
        if self.wire[ident] <= self.failures:
            return web.Response(status=500)
        await asyncio.sleep(self.delay)
        if ident not in self.accepted:
            self.accepted.append(ident)
        return web.Response(status=204)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Receiver]:
        app = web.Application()
        app.router.add_post("/hook", self.hook)
        runner = web.AppRunner(app, handler_cancellation=True)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        try:
            yield self
        finally:
            await runner.cleanup()

    async def wait_accepted(self, count: int, server: Serve, timeout: float = 30.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.accepted) < count:
                assert server.proc.poll() is None, server.output()
                await asyncio.sleep(0.05)


def subscriptions(tmp_path: Path, url: str, name: str, extra: str = "") -> dict[str, str]:
    path = tmp_path / "webhooks.toml"
    path.write_text(f'[[subscription]]\nname = "{name}"\nurl = "{url}"\n'
                    f'secret = "${{TEST_HOOK_SECRET}}"\nfrom_beginning = true\n'
                    f"allow_private = true  # the receiver is on loopback\n{extra}")
    return {"STREAMER_WEBHOOKS_FILE": str(path), "TEST_HOOK_SECRET": SECRET,
            "STREAMER_WEBHOOK_BACKOFF_SECONDS": "0.05", "STREAMER_SESSION_TIMEOUT_SECONDS": "6",
            "STREAMER_APP_ID": f"test-{name}"}


async def test_failed_deliveries_are_retried_until_accepted_once_in_order(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=2)
    events = [make_event(n, "a.example") for n in range(5)]
    events += [make_event(n, "b.example", kind="revised") for n in range(5)]
    await produce(kafka_bootstrap, topic, events)
    receiver = Receiver(failures=2)
    env = subscriptions(tmp_path, receiver.url, topic[-8:], 'kind = "new"\n')
    async with receiver.running(), serving(kafka_bootstrap, topic, tmp_path, env=env) as server:
        await receiver.wait_accepted(5, server)
        await asyncio.sleep(0.5)  # nothing else is coming: the revised events are filtered out
    assert receiver.accepted == [e["event_id"] for e in events[:5]]  # one source: in order
    assert receiver.wire == dict.fromkeys(receiver.accepted, 3)  # 2 x 500, then accepted
    assert receiver.bad_signatures == 0


async def test_kill_9_mid_delivery_then_restart_delivers_each_event_once(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=3)
    events = [make_event(n, src) for n in range(8) for src in ("a.example", "b.example")]
    await produce(kafka_bootstrap, topic, events)
    receiver = Receiver(delay=0.1)
    env = subscriptions(tmp_path, receiver.url, topic[-8:])
    async with receiver.running():
        first = Serve(kafka_bootstrap, topic, tmp_path / "first.log", env)
        try:
            await receiver.wait_accepted(5, first)
            await asyncio.sleep(0.05)  # a delivery is in flight (each takes 0.1 s)
        finally:
            first.kill()
        async with serving(kafka_bootstrap, topic, tmp_path, "second", env) as second:
            await receiver.wait_accepted(len(events), second, timeout=45)
            await asyncio.sleep(0.5)
    assert sorted(receiver.accepted) == sorted(e["event_id"] for e in events)
    assert max(receiver.wire.values()) <= 2  # at most the one in flight is sent again
    assert sum(receiver.wire.values()) <= len(events) + 1
    assert receiver.bad_signatures == 0
