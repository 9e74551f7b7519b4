"""Benchmark: `streamer tail --from-beginning --exit-at-end --json` against kcat on one topic.

Fills a fresh 3-partition topic with synthetic events (about 300 bytes of JSON each, keyed by
source, one in ten a revision), then times both readers draining it to /dev/null, alternating,
and prints events/s for each and their ratio. The target is tail >= 50% of kcat.

    python bench/tail_bench.py                       # starts deploy/kafka/local_kafka.py
    python bench/tail_bench.py --bootstrap 127.0.0.1:9092 --events 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    "almayadeen.net", "aljazeera.net", "bbc.co.uk", "reuters.com", "apnews.com", "france24.com",
    "dw.com", "skynews.com", "aa.com.tr", "tass.ru", "nhk.or.jp", "abc.net.au",
]
ATTRIBUTIONS = [None, "Dutch Police", "Health Ministry", "Army spokesman", "UN envoy", "Mayor"]
WORDS = [
    "shooter", "arrested", "rotterdam", "police", "ministry", "says", "killed", "wounded",
    "strike", "city", "border", "talks", "ceasefire", "earthquake", "magnitude", "coast",
    "evacuation", "election", "results", "parliament", "minister", "resigns", "explosion",
    "port", "fire", "airport", "closed", "storm", "flooding", "hospital", "officials", "confirm",
]


def synthetic_events(n: int, seed: int = 7) -> list[tuple[bytes, bytes, int]]:
    """(key, value, timestamp_ms) of `n` events shaped like `codec.event_to_dict` output.

    Times end now (brokers reject record timestamps far in the future), half a second apart.
    """
    import orjson  # the benchmark is not part of the package; streamer.codec stays the only user

    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(seconds=n * 0.5)
    out: list[tuple[bytes, bytes, int]] = []
    recent: list[dict[str, object]] = []
    for i in range(n):
        source = rng.choice(SOURCES)
        when = start + timedelta(seconds=i * 0.5)
        attribution = rng.choice(ATTRIBUTIONS)
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(7, 14))).capitalize()
        text = f"{attribution}: {body}" if attribution else body
        event: dict[str, object] = {
            "event_id": uuid.UUID(int=rng.getrandbits(128)).hex[:16],
            "kind": "new",
            "source": source,
            "text": text,
            "attribution": attribution,
            "first_seen": when.isoformat().replace("+00:00", "Z"),
            "url": f"https://www.{source}/breaking",
            "snapshot": f"{source}-{i:08d}",
        }
        if recent and rng.random() < 0.1:
            original = rng.choice(recent)
            event.update(kind="revised", source=original["source"], url=original["url"],
                         snapshot=f"{original['source']}-{i:08d}",
                         revision_of=original["event_id"], previous_text=original["text"])
        recent = [*recent[-50:], event]
        key = str(event["source"]).encode()
        out.append((key, orjson.dumps(event), int(when.timestamp() * 1000)))
    return out


async def fill(bootstrap: str, topic: str, events: list[tuple[bytes, bytes, int]]) -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20,
                                max_batch_size=512 * 1024, acks=1)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k, timestamp_ms=ts)
                   for k, v, ts in events]
        await producer.flush()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def check_command(cmd: list[str], expected: int) -> None:
    """Run `cmd` once, capturing output, and check that it prints exactly `expected` lines."""
    proc = subprocess.run(cmd, capture_output=True, check=False, cwd=ROOT)
    lines = proc.stdout.count(b"\n")
    if proc.returncode != 0 or lines != expected:
        sys.exit(f"{cmd[0]} failed (exit {proc.returncode}, {lines} lines, want {expected}):\n"
                 f"{proc.stderr.decode(errors='replace')[-2000:]}")


def time_command(cmd: list[str]) -> float:
    """Wall seconds for `cmd` to drain the topic into /dev/null, process start included."""
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
    return time.perf_counter() - started


def start_broker() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy/kafka/local_kafka.py")],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("bootstrap:"):
            return proc, line.split(":", 1)[1].strip()
    proc.wait()
    sys.exit("the local broker did not start (see deploy/kafka/local_kafka.py)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="an existing broker (default: start a local one)")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    kcat = shutil.which("kcat") or shutil.which("kafkacat")
    if not kcat:
        sys.exit("kcat is missing: apt-get update && apt-get install -y kcat")

    broker = None
    bootstrap = args.bootstrap
    if bootstrap is None:
        broker, bootstrap = start_broker()
    try:
        topic = f"bench-tail-{uuid.uuid4().hex[:8]}"
        events = synthetic_events(args.events)
        size = statistics.mean(len(v) for _, v, _ in events)
        t0 = time.perf_counter()
        asyncio.run(fill(bootstrap, topic, events))
        print(f"filled {topic}: {len(events)} events, mean value {size:.0f} bytes, "
              f"3 partitions, in {time.perf_counter() - t0:.1f}s")

        tail = [sys.executable, "-m", "streamer", "tail", "--bootstrap-servers", bootstrap,
                "--topic", topic, "--from-beginning", "--exit-at-end", "--json"]
        kc = [kcat, "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-f", "%s\n"]
        env_note = "python -m streamer tail (process start included), kcat likewise"
        check_command(kc, len(events))
        check_command(tail, len(events))
        times: dict[str, list[float]] = {"tail": [], "kcat": []}
        for _ in range(args.repeat):  # alternate, so both see the same machine load
            times["kcat"].append(time_command(kc))
            times["tail"].append(time_command(tail))
        # What `streamer` costs before tail runs at all (imports of every subcommand module).
        startup = min(time_command([sys.executable, "-m", "streamer", "--version"])
                      for _ in range(args.repeat))
        rate = {name: len(events) / min(ts) for name, ts in times.items()}
        for name, ts in times.items():
            runs = ", ".join(f"{t:.3f}s" for t in ts)
            print(f"{name:5} best {rate[name]:>10,.0f} events/s   runs: {runs}")
        ratio = rate["tail"] / rate["kcat"]
        print(f"tail/kcat = {ratio:.0%}  (target >= 50%; {env_note}; {os.cpu_count()} cpus)")
        net = min(times["tail"]) - startup
        if net > 0:
            print(f"`streamer --version` alone takes {startup:.3f}s; tail without it: "
                  f"{len(events) / net:,.0f} events/s = {len(events) / net / rate['kcat']:.0%} "
                  "of kcat")
        return 0 if ratio >= 0.5 else 1
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(timeout=60)


if __name__ == "__main__":
    raise SystemExit(main())
