"""`streamer serve` under load: many concurrent SSE clients on one serve process, and webhook
delivery to a local receiver.

    python bench/serve_bench.py [--clients 1000] [--rate 200] [--seconds 20] [--webhooks 2000]

SSE: `--clients` connections to one serve process while events are produced to the event topic
at `--rate` per second; `--probes` of the clients parse every message and time publish ->
client (the publish time rides in the event's `snapshot` field), the others drain bytes.
Reports p50/p99/max latency, the serve process's RSS and CPU over the publishing window.
Webhooks: a backlog of `--webhooks` events delivered to a local aiohttp receiver (throughput),
then events at `--webhook-rate` per second (publish -> accepted latency p50/p99).
Starts its own local broker unless --bootstrap names one. Clients, receiver, producer and
broker share the machine with serve: figures are for this machine as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.broker import broker_for
from tests.integration.serving import Serve, make_event
from tests.integration.workers import free_port

SECRET = "whsec_YmVuY2gtc2VjcmV0LWZvci1zdHJlYW1lci13ZWJob29rcw"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def make_topic(bootstrap: str, partitions: int) -> str:
    topic = f"bench-serve-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()
    await asyncio.sleep(1.0)
    return topic


async def publish(producer: AIOKafkaProducer, topic: str, rate: float, seconds: float,
                  tag: str) -> int:
    """Events at `rate` per second for `seconds`, each carrying its publish time."""
    sent, start = 0, time.monotonic()
    sources = [f"site{i}.example" for i in range(12)]
    while (elapsed := time.monotonic() - start) < seconds:
        due = int(elapsed * rate) + 1
        for n in range(sent, due):
            ev = make_event(n, sources[n % len(sources)], snapshot=f"{time.time():.6f}")
            ev["event_id"] = f"{tag}-{n}"
            await producer.send(topic, json.dumps(ev).encode(), key=ev["source"].encode())
        sent = due
        await asyncio.sleep(0.005)
    await producer.flush()
    return sent


class Drain(asyncio.Protocol):
    """A client that reads and throws away: as cheap as a connection can be, so that a
    thousand of them measure the server, not this process."""

    def __init__(self, request: bytes, connected: list[int]) -> None:
        self.request, self.connected, self.received = request, connected, 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self.request)
        self.connected.append(1)

    def data_received(self, data: bytes) -> None:
        self.received += len(data)


async def drain_client(port: int, connected: list[int]) -> asyncio.BaseTransport:
    request = (f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_connection(lambda: Drain(request, connected),
                                                "127.0.0.1", port)
    return transport


async def probe_client(http: aiohttp.ClientSession, url: str, latencies: list[float],
                       connected: list[int]) -> None:
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=None)) as resp:
        connected.append(1)
        async for raw in resp.content:
            if raw.startswith(b"data: "):
                ev = json.loads(raw[6:])
                latencies.append(time.time() - float(ev["snapshot"]))


async def _subscribed(http: aiohttp.ClientSession, url: str, clients: int) -> bool:
    async with http.get(url + "/metrics") as resp:
        return f"streamer_serve_subscribers {clients:.1f}" in await resp.text()


async def bench_sse(args: argparse.Namespace, bootstrap: str, workdir: Path) -> None:
    topic = await make_topic(bootstrap, 6)
    server = Serve(bootstrap, topic, workdir / "serve-sse.log",
                   {"STREAMER_SERVE_CLIENT_BUFFER": "5000",
                    "STREAMER_SERVE_WAKE_SECONDS": str(args.wake)})
    await server.wait_ready()
    latencies: list[float] = []
    connected: list[int] = []
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn) as http:
        tasks = [asyncio.create_task(probe_client(http, server.url + "/events", latencies,
                                                  connected)) for _ in range(args.probes)]
        drains = [await drain_client(server.port, connected)
                  for _ in range(args.clients - args.probes)]
        async with asyncio.timeout(60):
            while len(connected) < args.clients or not await _subscribed(http, server.url,
                                                                         args.clients):
                await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2)
        await producer.start()
        cpu0, t0 = cpu_seconds(server.proc.pid), time.monotonic()
        own0 = time.process_time()
        sent = await publish(producer, topic, args.rate, args.seconds, "sse")
        await asyncio.sleep(1.0)
        cpu_used = cpu_seconds(server.proc.pid) - cpu0
        cpu = cpu_used / (time.monotonic() - t0)
        own = (time.process_time() - own0) / (time.monotonic() - t0)
        rss = rss_bytes(server.proc.pid)
        await producer.stop()
        async with http.get(server.url + "/metrics") as resp:
            metrics = await resp.text()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for transport in drains:
            transport.close()
    server.stop()
    def metric(name: str) -> float:
        return next((float(line.split()[1]) for line in metrics.splitlines()
                     if line.startswith(name + " ")), float("nan"))

    dropped = metric("streamer_serve_clients_dropped_total")
    read_age = metric("streamer_serve_read_age_seconds_sum") / metric(
        "streamer_serve_read_age_seconds_count")
    expected = sent * args.probes
    print(f"SSE: {args.clients} clients on one serve process, {sent} events at "
          f"{args.rate:g}/s for {args.seconds:g} s ({args.probes} clients timing every event)")
    print(f"  publish -> client: p50 {pct(latencies, .5) * 1e3:.0f} ms, "
          f"p99 {pct(latencies, .99) * 1e3:.0f} ms, max {max(latencies) * 1e3:.0f} ms "
          f"({len(latencies)}/{expected} received by the probes)")
    print(f"  serve process: RSS {rss / 2**20:.0f} MiB, CPU {cpu * 100:.0f}% of one core; "
          f"clients dropped: {dropped:.0f}; this process (clients, producer): CPU {own * 100:.0f}%")
    print(f"  publish -> read by serve: mean {read_age * 1e3:.0f} ms")
    per_message = cpu_used / max(1, sent * args.clients)
    print(f"  serve CPU per message delivered: {per_message * 1e6:.1f} us")


async def bench_webhooks(args: argparse.Namespace, bootstrap: str, workdir: Path) -> None:
    topic = await make_topic(bootstrap, 6)
    received: dict[str, float] = {}  # webhook-id -> arrival
    lat: list[float] = []  # publish -> accepted, for events carrying their publish time

    async def hook(request: web.Request) -> web.Response:
        event = json.loads(await request.read())
        ident = request.headers["webhook-id"]
        if ident not in received:
            received[ident] = now = time.time()
            if ident.startswith("live-"):
                lat.append(now - float(event["snapshot"]))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    config = workdir / "webhooks.toml"
    config.write_text(f'[[subscription]]\nname = "bench"\nurl = "http://127.0.0.1:{port}/hook"\n'
                      f'secret = "{SECRET}"\nfrom_beginning = true\nallow_private = true\n')
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    backlog = args.webhooks
    for n in range(backlog):
        ev = make_event(n, f"site{n % 12}.example")
        ev["event_id"] = f"backlog-{n}"
        await producer.send(topic, json.dumps(ev).encode(), key=ev["source"].encode())
    await producer.flush()
    server = Serve(bootstrap, topic, workdir / "serve-webhooks.log",
                   {"STREAMER_WEBHOOKS_FILE": str(config), "STREAMER_APP_ID": topic})
    await server.wait_ready()
    while len(received) < backlog:
        assert server.proc.poll() is None, server.output()
        await asyncio.sleep(0.1)
    times = sorted(received.values())
    rate = (backlog - 1) / (times[-1] - times[0])
    sent = await publish(producer, topic, args.webhook_rate, args.seconds / 2, "live")
    deadline = time.monotonic() + 30
    while sum(k.startswith("live-") for k in received) < sent and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await producer.stop()
    server.stop()
    await runner.cleanup()
    print(f"webhooks: one subscription, local receiver: backlog of {backlog} delivered at "
          f"{rate:.0f}/s (one at a time, committed after each)")
    print(f"  at {args.webhook_rate:g} events/s: publish -> accepted "
          f"p50 {pct(lat, .5) * 1e3:.0f} ms, p99 {pct(lat, .99) * 1e3:.0f} ms "
          f"({len(lat)}/{sent} delivered)")


async def bench_main(args: argparse.Namespace) -> None:
    with broker_for(args.bootstrap) as (bootstrap, _):
        print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        try:
            with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
                if args.clients:
                    await bench_sse(args, bootstrap, Path(tmp))
                if args.webhooks:
                    await bench_webhooks(args, bootstrap, Path(tmp))
        finally:
            print(f"load average at end: {os.getloadavg()[0]:.1f}")


def _enough_files(clients: int) -> None:
    """A socket per client here and in serve (which inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 2 * clients + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/serve_bench.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", help="use this broker (default: start a local one)")
    parser.add_argument("--clients", type=int, default=1000, help="SSE clients (0: skip)")
    parser.add_argument("--probes", type=int, default=20, help="clients that time every event")
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="publishing time")
    parser.add_argument("--wake", type=float, default=0.025,
                        help="STREAMER_SERVE_WAKE_SECONDS of the serve process")
    parser.add_argument("--webhooks", type=int, default=2000,
                        help="backlog of webhook deliveries (0: skip)")
    parser.add_argument("--webhook-rate", type=float, default=50.0,
                        help="events per second for the webhook latency")
    args = parser.parse_args(argv)
    _enough_files(args.clients)
    asyncio.run(bench_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
