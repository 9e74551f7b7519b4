"""Webhooks of `streamer serve` against the real broker and a local receiver that verifies
every signature: retries until accepted, exactly once per event, across kill -9."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web
from aiokafka.admin import AIOKafkaAdminClient
from standardwebhooks import Webhook

from tests.integration.conftest import NewTopics
from tests.integration.serving import Serve, make_event, produce, serving
from tests.integration.workers import free_port

SECRET = "whsec_dGVzdC1zZWNyZXQtZm9yLXN0cmVhbWVyLXdlYmhvb2tz"


class Receiver:
    """Answers 500 to the first `failures` attempts of each event, then 200 (after `delay`);
    counts every POST on the wire and accepts each webhook-id once."""

    def __init__(self, failures: int = 0, delay: float = 0.0, status: int = 204) -> None:
        self.failures, self.delay, self.status = failures, delay, status
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
        if ident not in self.accepted and self.status < 300:
            self.accepted.append(ident)
        return web.Response(status=self.status)

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


async def committed(bootstrap: str, group: str, partitions: int) -> None:
    """Until `group` has committed an offset for `partitions` partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(30):
            while len(await admin.list_consumer_group_offsets(group)) < partitions:
                await asyncio.sleep(0.2)
    finally:
        await admin.close()


def subscription(name: str, url: str, extra: str = "") -> str:
    return (f'[[subscription]]\nname = "{name}"\nurl = "{url}"\n'
            f'secret = "${{TEST_HOOK_SECRET}}"\nfrom_beginning = true\n'
            f"allow_private = true  # the receiver is on loopback\n{extra}\n")


def subscriptions(tmp_path: Path, url: str, name: str, extra: str = "",
                  more: str = "") -> dict[str, str]:
    path = tmp_path / "webhooks.toml"
    path.write_text(subscription(name, url, extra) + more)
    return {"STREAMER_WEBHOOKS_FILE": str(path), "TEST_HOOK_SECRET": SECRET,
            "STREAMER_WEBHOOK_BACKOFF_SECONDS": "0.05", "STREAMER_SESSION_TIMEOUT_SECONDS": "6",
            "STREAMER_APP_ID": f"test-{name}"}


async def test_failed_deliveries_are_retried_until_accepted_once_in_order(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=2)
    events = [make_event(n, "a.example") for n in range(5)]
    events += [make_event(n, "b.example", kind="revised") for n in range(5)]
    await produce(kafka_bootstrap, topic, events)
    receiver, gone = Receiver(failures=2), Receiver(status=410)
    env = subscriptions(tmp_path, receiver.url, topic[-8:], 'kind = "new"',
                        more=subscription("gone", gone.url))
    async with receiver.running(), gone.running(), \
            serving(kafka_bootstrap, topic, tmp_path, env=env) as server:
        await receiver.wait_accepted(5, server)
        await asyncio.sleep(0.5)  # nothing else is coming: the revised events are filtered out
        async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as resp:
            metrics = await resp.text()
    assert receiver.accepted == [e["event_id"] for e in events[:5]]  # one source: in order
    assert receiver.wire == dict.fromkeys(receiver.accepted, 3)  # 2 x 500, then accepted
    assert receiver.bad_signatures == 0
    assert sum(gone.wire.values()) == 1  # 410 Gone: that subscription stops at once
    assert 'streamer_webhook_subscription_enabled{subscription="gone"} 0.0' in metrics
    failed = f'streamer_webhook_deliveries_total{{outcome="failed",subscription="{topic[-8:]}"}}'
    assert f"{failed} 10.0" in metrics


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


async def test_a_new_subscription_restarted_before_its_first_event_misses_nothing(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=2)
    await produce(kafka_bootstrap, topic, [make_event(0)])  # before the subscription: not sent
    receiver = Receiver()
    env = subscriptions(tmp_path, receiver.url, topic[-8:])
    env["STREAMER_WEBHOOKS_FILE"] = str(tmp_path / "latest.toml")
    (tmp_path / "latest.toml").write_text(
        (tmp_path / "webhooks.toml").read_text().replace("from_beginning = true",
                                                         "from_beginning = false"))
    async with receiver.running():
        async with serving(kafka_bootstrap, topic, tmp_path, "first", env):
            # joined its group (which holds its starting point), nothing to deliver
            await committed(kafka_bootstrap, f"test-{topic[-8:]}-webhook-{topic[-8:]}", 2)
        events = [make_event(n) for n in range(1, 4)]
        await produce(kafka_bootstrap, topic, events)  # while no serve runs
        async with serving(kafka_bootstrap, topic, tmp_path, "second", env) as second:
            await receiver.wait_accepted(3, second)
    assert receiver.accepted == [e["event_id"] for e in events]


async def enabled(server: Serve, name: str, value: int, timeout: float = 30.0) -> None:
    """Until serve's metrics say subscription `name` is enabled (1) or disabled (0)."""
    line = f'streamer_webhook_subscription_enabled{{subscription="{name}"}} {value:.1f}'
    async with asyncio.timeout(timeout), aiohttp.ClientSession() as http:
        while True:
            assert server.proc.poll() is None, server.output()
            async with http.get(server.url + "/metrics") as resp:
                if line in await resp.text():
                    return
            await asyncio.sleep(0.1)


async def held(bootstrap: str, group: str) -> None:
    """Until `group` is stable with one member: a disabled subscription stays in its group, so
    Kafka keeps the group's offsets (it expires those of a group without members)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        async with asyncio.timeout(30):
            while True:
                (described,) = await admin.describe_consumer_groups([group])
                _, _, state, _, _, members, *_ = described.groups[0]
                if state == "Stable" and len(members) == 1:
                    return
                await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def test_a_410_gone_is_remembered_across_restarts_until_the_url_changes(
        kafka_bootstrap: str, new_topics: NewTopics, tmp_path: Path) -> None:
    (topic,) = await new_topics(partitions=2)
    events = [make_event(n, src) for n in range(3) for src in ("a.example", "b.example")]
    await produce(kafka_bootstrap, topic, events)
    name, gone, fresh = topic[-8:], Receiver(status=410), Receiver()
    env = subscriptions(tmp_path, gone.url, name)
    async with gone.running(), fresh.running():
        async with serving(kafka_bootstrap, topic, tmp_path, "first", env) as first:
            await enabled(first, name, 0)
            assert first.stop() == 0
        assert sum(gone.wire.values()) == 1  # stopped at its first 410
        later = [make_event(n, "a.example") for n in range(3, 5)]
        await produce(kafka_bootstrap, topic, later)

        async with serving(kafka_bootstrap, topic, tmp_path, "second", env) as second:
            await enabled(second, name, 0)
            assert sum(gone.wire.values()) == 1  # nothing more after the restart
            log = second.output()
            assert f"webhooks {name}: disabled: its url answered 410 Gone at" in log
            assert "change its url, or add reenabled_at = " in log
            await held(kafka_bootstrap, f"test-{name}-webhook-{name}")
            assert second.stop() == 0

        (tmp_path / "webhooks.toml").write_text(subscription(name, fresh.url))
        async with serving(kafka_bootstrap, topic, tmp_path, "third", env) as third:
            await fresh.wait_accepted(len(events) + len(later), third)
            await enabled(third, name, 1)
    assert sum(gone.wire.values()) == 1
    assert sorted(fresh.accepted) == sorted(e["event_id"] for e in events + later)
    in_a = [e["event_id"] for e in events + later if e["source"] == "a.example"]
    assert [i for i in fresh.accepted if i.startswith("a.example")] == in_a  # in order
