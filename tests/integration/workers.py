"""`streamer run` as a subprocess for the integration tests, and the topic reads they check it with.

No pytest here: faultkit (and through it `python -m bench.faults`) imports `free_port` too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A local TCP port nothing listens on (just now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Worker:
    """`python -m streamer [-v...] run ...` with its readiness endpoint, its own env (STREAMER_*
    from `env` only) and its output in `data_dir`/worker.log."""

    def __init__(self, bootstrap: str, topics: list[str], app_id: str, data_dir: Path,
                 env: dict[str, str] | None = None, verbose: int = 0) -> None:
        self.port = free_port()
        self.app_id = app_id
        self.log = data_dir / "worker.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith("STREAMER_")}
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamer", *["-v"] * verbose, "run",
                 "--bootstrap-servers", bootstrap, "--input-topic", topics[0],
                 "--output-topic", topics[1], "--dlq-topic", topics[2], "--app-id", app_id,
                 "--web-port", str(self.port), "--data-dir", str(data_dir / "faust")],
                cwd=REPO, env={**base, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as r:
                return int(r.status), json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), json.loads(exc.read() or b"{}")

    async def wait_ready(self, timeout: float = 60.0) -> dict[str, Any]:
        """The /ready body once it answers 200; fails if the worker exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"worker exited early:\n{self.output()}"
            with contextlib.suppress(OSError):
                status, body = self.get("/ready")
                if status == 200:
                    return body
            await asyncio.sleep(0.2)
        raise AssertionError(f"worker not ready after {timeout}s:\n{self.output()}")

    def peak_rss(self) -> int:
        """The process's high-water resident set size, in bytes (Linux)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM in /proc status")

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and the exit code; SIGKILL (and fail) if the worker does not stop."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"worker ignored SIGTERM:\n{self.output()}") from None
        return int(self.proc.returncode)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@contextlib.asynccontextmanager
async def running_worker(bootstrap: str, topics: list[str], tmp_path: Path,
                         **kw: Any) -> AsyncIterator[Worker]:
    """A Worker whose app id follows from the input topic, killed on the way out if still up."""
    worker = Worker(bootstrap, topics, f"test-worker-{topics[0][-8:]}", tmp_path / "worker", **kw)
    try:
        yield worker
    finally:
        worker.kill()


async def wait_committed(bootstrap: str, group: str, topic: str, worker: Worker,
                         timeout: float = 40.0) -> None:
    """Until the worker's group has committed every input offset (so all output is acked)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        parts = await _partitions(consumer, topic)
        ends = await consumer.end_offsets(parts)
        deadline = time.monotonic() + timeout
        while True:
            committed = await admin.list_consumer_group_offsets(group)
            got = {tp: committed[tp].offset for tp in parts if tp in committed}
            if all(got.get(tp, 0) == ends[tp] for tp in parts):
                return
            assert worker.proc.poll() is None, f"worker exited:\n{worker.output()}"
            if time.monotonic() > deadline:
                raise AssertionError(f"committed {got}, end offsets {ends}:\n{worker.output()}")
            await asyncio.sleep(0.3)
    finally:
        await consumer.stop()
        await admin.close()


async def read_all(bootstrap: str, topic: str) -> list[Any]:
    """Every record of `topic` up to its current end, partition by partition in offset order.

    Done is "the last offset received is end - 1" on every partition, not "position >= end":
    right after a seek, aiokafka's position can already read as the end with nothing fetched.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = await _partitions(consumer, topic)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        firsts = await consumer.beginning_offsets(parts)
        out: dict[TopicPartition, list[Any]] = {tp: [] for tp in parts}
        last = {tp: firsts[tp] - 1 for tp in parts}
        deadline = time.monotonic() + 20
        while any(last[tp] < ends[tp] - 1 for tp in parts):
            assert time.monotonic() < deadline, "could not read the topic to its end"
            for tp, msgs in (await consumer.getmany(timeout_ms=500)).items():
                out[tp].extend(m for m in msgs if m.offset < ends[tp])
                if msgs:
                    last[tp] = max(last[tp], msgs[-1].offset)
        return [m for tp in parts for m in out[tp]]
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    cluster = await consumer._client.fetch_all_metadata()
    parts = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
    assert parts, f"topic {topic} not found"
    return parts
