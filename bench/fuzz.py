"""A longer fuzz campaign, and the hostile-input figures of the README.

    python -m bench.fuzz campaign --records 100000   # generated hostile records through the engine
    python -m bench.fuzz pages                       # time per adversarial page, 10 KB .. 1 MB
    python -m bench.fuzz sources --count 100000      # RSS after that many distinct sources
    python -m bench.fuzz bigpages --count 200        # RSS after that many distinct 5 MB pages

`campaign` feeds records from `bench.hostile.hostile_record` (envelopes, headers, times, URLs,
text and HTML pages, about one in a thousand up to 1 MB) to the engine host exactly as the
worker does (`Host.handle("process", ...)`, decoding included), shows every event through
`tail`'s formatter, and every 50th record also restores mutated state records. A crash is any
error reply or exception: the target is 0. The memory figures run in a fresh process each.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench.hostile import PAGES, hostile_record
from streamer.cli.tailview import format_event
from streamer.codec import event_to_dict
from streamer.kafka.enginehost import Host
from streamer.kafka.statekeys import state_key

NOW = 1.75e9  # 2025-06-15: the worker's clock for every record
MAX = 5 * 1024 * 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _state_records(rng: random.Random, valid: dict[str, object]) -> list[tuple[bytes, bytes, int]]:
    junk: list[object] = [None, 1, "soon", [], {}, [1, 2], float("inf"), "A" * 7, -1, 2**40]
    out = []
    for i in range(rng.randint(1, 6)):
        value = dict(valid)
        for name in rng.sample(sorted(value), rng.randint(0, 3)):
            value[name] = rng.choice(junk)
        raw = json.dumps(value if rng.random() < 0.9 else rng.choice(junk)).encode()
        if rng.random() < 0.1:
            raw = raw[: rng.randint(0, len(raw))]
        out.append((state_key("fuzz.example", rng.randint(-1, 50)), raw, i))
    return out


def campaign(records: int, seed: int) -> None:
    rng = random.Random(seed)
    host = Host()
    crashes: list[str] = []
    slowest = (0.0, 0, "")
    dead = events = restored = skipped = 0
    valid: dict[str, object] | None = None
    start = time.perf_counter()
    for n in range(records):
        value, headers, timestamp = hostile_record(rng, big=rng.random() < 0.001)
        size = len(value or b"") + sum(len(v) for _, v in headers)
        t = time.perf_counter()
        try:
            status, reply = host.handle(("process", (value, headers or None, timestamp, MAX, NOW)))
            if status != "ok":
                crashes.append(f"record {n}: {reply}")
                continue
            _, evs, changes, dead_letter, *_ = reply
            dead += dead_letter is not None
            events += len(evs)
            for event in evs:
                format_event(event_to_dict(event))
            if changes and changes[0][1] is not None and valid is None:
                valid = json.loads(changes[0][1])
            if n % 50 == 0 and valid is not None:
                status, count = host.handle(("apply", (_state_records(rng, valid),)))
                if status != "ok":
                    crashes.append(f"state at record {n}: {count}")
                else:
                    restored += 1
                    skipped += count
        except Exception as exc:
            crashes.append(f"record {n}: {exc!r}")
        took = time.perf_counter() - t
        if took > slowest[0]:
            slowest = (took, size, (value or b"")[:60].decode("utf-8", "replace"))
    elapsed = time.perf_counter() - start
    print("| records | crashes | dead letters | events | state batches (records skipped) | "
          "slowest record | its size | total | peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {records:,} | {len(crashes)} | {dead:,} | {events:,} | {restored:,} "
          f"({skipped:,}) | {slowest[0] * 1000:.0f} ms | {slowest[1]:,} B | {elapsed:.0f} s | "
          f"{peak_rss_mb():.0f} MB |")
    for crash in crashes[:20]:
        print("crash:", crash)


def pages() -> None:
    from streamer.codec import make_snapshot
    from streamer.core.clean import fold
    from streamer.core.engine import Deduplicator
    from streamer.core.extract import _window_lines
    from streamer.core.index import cleaned

    sizes = (10_000, 100_000, 1_000_000)
    print("| adversarial page (time to process it, first sight) | "
          + " | ".join(f"{s // 1000:,} KB" for s in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name, (ctype, make) in PAGES.items():
        cells = []
        for size in sizes:
            content = make(size)
            page = make_snapshot(url="https://news.example/live", content=content,
                                 fetched_at="2025-03-03T08:00:00Z", content_type=ctype)
            best = float("inf")
            for _ in range(3):  # each time a first sight: a fresh engine, caches emptied
                engine = Deduplicator()
                for cache in (_window_lines, cleaned, fold):
                    cache.cache_clear()  # type: ignore[attr-defined]
                t = time.perf_counter()
                engine.process(page)
                best = min(best, time.perf_counter() - t)
            cells.append(f"{best * 1000:.2f} ms")
        print(f"| {name} | " + " | ".join(cells) + " |")


def sources(count: int, with_flash: bool) -> None:
    host = Host()
    base = rss_mb()
    for i in range(count):
        body = (f"BREAKING\nCouncil {i} of district {i}: budget vote {i} postponed\n\n"
                if with_flash else "Just an article, no ticker.\n")
        value = json.dumps({"url": f"https://site{i}.example/live", "content": body,
                            "fetched_at": "2025-03-03T08:00:00Z"}).encode()
        host.handle(("process", (value, None, None, MAX, NOW)))
    live = host.engine.live_flashes()
    print(f"{count:,} distinct sources ({'one flash each' if with_flash else 'no ticker'}): "
          f"RSS {base:.0f} MB before, {rss_mb():.0f} MB after, peak {peak_rss_mb():.0f} MB; "
          f"{len(host.engine.sources):,} sources and {live:,} flashes kept")


def bigpages(count: int) -> None:
    host = Host()
    base = rss_mb()
    for i in range(count):
        emoji = "\U0001f600" * ((MAX - 2000) // 12)  # ~5 MB of JSON-escaped emoji after a ticker
        content = (f"<html><body><h2>BREAKING</h2><ul><li>Page {i}: flash number {i}</li><li>"
                   + emoji)
        value = json.dumps({"url": f"https://big{i}.example/", "content": content,
                            "fetched_at": "2025-03-03T08:00:00Z", "content_type": "text/html"},
                           ensure_ascii=False).encode()
        assert len(value) <= MAX, len(value)
        host.handle(("process", (value, None, None, MAX, NOW)))
    print(f"{count} distinct {MAX / 2**20:.0f} MB pages: RSS {base:.0f} MB before, "
          f"{rss_mb():.0f} MB after, peak {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    c = sub.add_parser("campaign")
    c.add_argument("--records", type=int, default=100_000)
    c.add_argument("--seed", type=int, default=1)
    sub.add_parser("pages")
    s = sub.add_parser("sources")
    s.add_argument("--count", type=int, default=100_000)
    s.add_argument("--with-flash", action="store_true")
    s.add_argument("--fresh", action="store_true", help=argparse.SUPPRESS)
    b = sub.add_parser("bigpages")
    b.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    if args.what == "campaign":
        campaign(args.records, args.seed)
    elif args.what == "pages":
        pages()
    elif args.what == "sources" and not args.fresh:
        for flag in ([], ["--with-flash"]) if not args.with_flash else (["--with-flash"],):
            subprocess.run([sys.executable, "-m", "bench.fuzz", "sources", "--count",
                            str(args.count), "--fresh", *flag], check=True)
    elif args.what == "sources":
        sources(args.count, args.with_flash)
    else:
        bigpages(args.count)


if __name__ == "__main__":
    main()
