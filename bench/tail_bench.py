"""Benchmark: `streamer tail --from-beginning --exit-at-end` against kcat, per output mode.

Fills a fresh 3-partition topic with synthetic events (about 300 bytes of JSON each, keyed by
source, one in ten a revision), then times each pair of readers draining it to /dev/null,
interleaved (tail, kcat, tail, kcat ...), and prints medians with min and max, events/s and
the ratio. The target is tail >= 50% of kcat in every mode:

- `--json` against `kcat -C -e -J` (kcat's JSON envelope);
- the readable default against plain `kcat -C -e` (the value as it is);
- `--grep WORD` and `--source NAME` against plain kcat piped through `grep` (kcat has no filter).

Start-up (`streamer --version`, `kcat -V`) is measured apart and reported, not subtracted. Each
mode also shows the median CPU seconds of each side (a pipe's processes together), which says
more than wall time on a machine that other work shares.

    python bench/tail_bench.py                       # starts deploy/kafka/local_kafka.py
    python bench/tail_bench.py --bootstrap 127.0.0.1:9092 --events 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import shlex
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
    if proc.returncode not in (0, 1) or lines != expected:  # grep exits 1 on no match
        sys.exit(f"{cmd} failed (exit {proc.returncode}, {lines} lines, want {expected}):\n"
                 f"{proc.stderr.decode(errors='replace')[-2000:]}")


def time_command(cmd: list[str], cpu: list[float] | None = None) -> float:
    """Wall seconds for `cmd` to drain the topic into /dev/null, process start included; its CPU
    seconds (user + system, with a pipe's every process) are appended to `cpu`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def spread(ts: list[float]) -> str:
    return f"median {statistics.median(ts):.3f}s (min {min(ts):.3f}, max {max(ts):.3f})"


def start_broker() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, str(ROOT / "deploy/kafka/local_kafka.py")],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("bootstrap:"):
            return proc, line.split(":", 1)[1].strip()
    proc.wait()
    sys.exit("the local broker did not start (see deploy/kafka/local_kafka.py)")


def cases(kcat: str, bootstrap: str, topic: str,
          events: list[tuple[bytes, bytes, int]]) -> list[tuple[str, list[str], list[str], int]]:
    """(mode, tail command, kcat command, expected lines) for each mode measured."""
    import orjson

    tail = [sys.executable, "-m", "streamer", "tail", "--bootstrap-servers", bootstrap,
            "--topic", topic, "--from-beginning", "--exit-at-end"]
    plain = [kcat, "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-f", "%s\n"]
    decoded = [orjson.loads(v) for _, v, _ in events]
    word, source = WORDS[0], SOURCES[0]
    grep_n = sum(1 for e in decoded if any(word in str(e.get(k) or "").lower()
                                           for k in ("attribution", "text", "previous_text")))
    source_n = sum(1 for e in decoded if e["source"] == source)
    pipe = " ".join(shlex.quote(a) for a in plain)
    return [
        ("--json", [*tail, "--json"], [kcat, "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-J"],
         len(events)),
        ("readable", tail, plain, len(events)),
        (f"--grep {word}", [*tail, "--grep", word], ["sh", "-c", f"{pipe} | grep -i {word}"],
         grep_n),
        (f"--source {source}", [*tail, "--source", source],
         ["sh", "-c", f"{pipe} | grep -F '\"source\":\"{source}\"'"], source_n),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="an existing broker (default: start a local one)")
    parser.add_argument("--events", type=int, default=1_000_000)
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
              f"3 partitions, in {time.perf_counter() - t0:.1f}s; load average "
              f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
        startup = {name: [time_command(cmd) for _ in range(args.repeat)] for name, cmd in
                   (("streamer --version", [sys.executable, "-m", "streamer", "--version"]),
                    ("kcat -V", [kcat, "-V"]))}
        for name, ts in startup.items():
            print(f"start-up {name:<20} {spread(ts)}")
        worst = float("inf")
        for mode, tail, kc, expected in cases(kcat, bootstrap, topic, events):
            check_command(kc, expected)
            check_command(tail, expected)
            times: dict[str, list[float]] = {"tail": [], "kcat": []}
            cpu: dict[str, list[float]] = {"tail": [], "kcat": []}
            for _ in range(args.repeat):  # interleaved, so both see the same machine load
                times["tail"].append(time_command(tail, cpu["tail"]))
                times["kcat"].append(time_command(kc, cpu["kcat"]))
            rate = {name: len(events) / statistics.median(ts) for name, ts in times.items()}
            ratio = rate["tail"] / rate["kcat"]
            worst = min(worst, ratio)
            print(f"{mode:<22} ({expected} shown)  tail {spread(times['tail'])} "
                  f"{rate['tail']:>9,.0f} ev/s | kcat {spread(times['kcat'])} "
                  f"{rate['kcat']:>9,.0f} ev/s | tail/kcat {ratio:.0%} | CPU median tail "
                  f"{statistics.median(cpu['tail']):.2f}s, "
                  f"kcat {statistics.median(cpu['kcat']):.2f}s")
        print(f"worst mode: tail/kcat = {worst:.0%} (target >= 50% in every mode; process "
              "start included on both sides)")
        return 0 if worst >= 0.5 else 1
    finally:
        if broker is not None:
            broker.terminate()
            broker.wait(timeout=60)


if __name__ == "__main__":
    raise SystemExit(main())
