"""`streamer serve` as a subprocess, events produced straight to a topic, and an SSE reader:
the helpers of the serve integration tests and of bench/serve_bench.py (no pytest here)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiokafka import AIOKafkaProducer

from tests.integration.workers import REPO, free_port


class Serve:
    """`python -m streamer serve` on a free port, STREAMER_* from `env` only, output in `log`."""

    def __init__(self, bootstrap: str, topic: str, log: Path,
                 env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        base = {k: v for k, v in os.environ.items() if not k.startswith("STREAMER_")}
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamer", "serve", "--bootstrap-servers", bootstrap,
                 "--output-topic", topic, "--serve-port", str(self.port)],
                cwd=REPO, env={**base, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)

    async def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, f"serve exited early:\n{self.output()}"
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + "/ready") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise AssertionError(f"serve not ready after {timeout}s:\n{self.output()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(15)
        return int(self.proc.returncode)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@contextlib.asynccontextmanager
async def serving(bootstrap: str, topic: str, tmp_path: Path, name: str = "serve",
                  env: dict[str, str] | None = None, port: int | None = None
                  ) -> AsyncIterator[Serve]:
    server = Serve(bootstrap, topic, tmp_path / f"{name}.log", env, port)
    try:
        await server.wait_ready()
        yield server
    finally:
        server.kill()


def make_event(n: int, source: str = "site.example", **kw: Any) -> dict[str, Any]:
    """An event in the codec's shape (what `streamer run` writes to the event topic)."""
    return {"event_id": f"{source}-{n:04d}", "kind": "new", "source": source,
            "text": f"Police: flash number {n} from {source}", "attribution": "Police",
            "first_seen": "2026-12-01T10:00:00Z", "url": f"https://{source}/live",
            "snapshot": f"snap-{n}", **kw}


async def produce(bootstrap: str, topic: str, events: list[dict[str, Any]]) -> None:
    """Keyed by source, as the worker does, so one source's events stay in one partition."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for ev in events:
            await producer.send(topic, json.dumps(ev).encode(), key=ev["source"].encode())
        await producer.flush()
    finally:
        await producer.stop()


@dataclass
class Message:
    id: str | None
    event: str | None
    data: dict[str, Any] | None


async def sse_messages(resp: aiohttp.ClientResponse, pings: list[float] | None = None
                       ) -> AsyncIterator[Message]:
    """Parse a text/event-stream body; comment lines (heartbeats) are noted in `pings`."""
    fields: dict[str, str] = {}
    async for raw in resp.content:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if "data" in fields:
                yield Message(fields.get("id"), fields.get("event"), json.loads(fields["data"]))
            fields = {}
        elif line.startswith(":"):
            if pings is not None:
                pings.append(time.monotonic())
        else:
            key, _, value = line.partition(":")
            fields[key] = value[1:] if value.startswith(" ") else value


async def read_sse(http: aiohttp.ClientSession, url: str, count: int,
                   headers: dict[str, str] | None = None, timeout: float = 20.0
                   ) -> list[Message]:
    """The first `count` messages of the stream at `url`, then disconnect."""
    got: list[Message] = []
    async with asyncio.timeout(timeout), http.get(url, headers=headers or {}) as resp:
        assert resp.status == 200, await resp.text()
        async for msg in sse_messages(resp):
            got.append(msg)
            if len(got) == count:
                break
    return got
