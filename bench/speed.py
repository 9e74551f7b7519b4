"""Speed and memory of the dedup engine, against the plain datasketch recipe in the same run.

    python -m bench.speed [--hours 48] [--memory-days 7] [--out DIR]

1. Engine in-process on a long synthetic stream (several sites, ~10 lines a snapshot, mostly
   repeats), and the plain recipe on the same snapshots: extract the ticker the same way, then
   MinHash every line (128 permutations, word shingles) and query, then insert, a MinHashLSH.
2. `streamer dedup` end to end (JSON in, events out) pinned to one core with taskset, as users
   run it, interpreter start-up included.
3. Memory: a multi-day stream with a 24 h TTL, RSS sampled every simulated 12 h in a fresh
   process: it should stop growing once the TTL window is full.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.synth import generate
from streamer.codec import dumps
from streamer.core.engine import Deduplicator
from streamer.core.extract import Profiles, ticker_lines
from streamer.core.model import Snapshot


def write_stream(hours: float, seed: int, path: Path) -> int:
    stream = generate(seed=seed, hours=hours, sources=4)
    with path.open("wb") as fh:
        for env in stream.snapshots:
            fh.write(dumps(env) + b"\n")
    return len(stream.snapshots)


def load(path: Path) -> list[Snapshot]:
    from streamer.codec import decode_snapshot

    return [decode_snapshot(line) for line in path.read_bytes().splitlines() if line.strip()]


def run_engine(snaps: list[Snapshot]) -> tuple[float, int, int]:
    engine = Deduplicator()
    t = time.perf_counter()
    events = sum(len(engine.process(s).events) for s in snaps)
    return time.perf_counter() - t, engine.stats.lines, events


def run_plain_recipe(snaps: list[Snapshot]) -> tuple[float, int, int]:
    """The datasketch README recipe: MinHash each line, query, insert when nothing matched."""
    from datasketch import MinHash, MinHashLSH

    profiles = Profiles.load()
    lsh = {}
    lines = kept = 0
    t = time.perf_counter()
    for snap in snaps:
        index = lsh.setdefault(snap.source, MinHashLSH(threshold=0.5, num_perm=128))
        for line in reversed(ticker_lines(snap, profiles) or []):
            lines += 1
            m = MinHash(num_perm=128)
            m.update_batch([w.encode() for w in line.lower().split()])
            if not index.query(m):
                index.insert(f"{lines}", m)
                kept += 1
    return time.perf_counter() - t, lines, kept


def end_to_end(path: Path) -> tuple[float, str]:
    """Wall time of `streamer dedup PATH > /dev/null` on one core, and its summary line."""
    cmd = [sys.executable, "-m", "streamer", "dedup", str(path)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    t = time.perf_counter()
    proc = subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True
    )
    return time.perf_counter() - t, proc.stderr.strip().splitlines()[-1]


MEMORY_PROBE = """
import sys, time
from streamer.core.engine import Deduplicator
from streamer.cli.inputs import read_inputs
from streamer.settings import DedupConfig
engine = Deduplicator(DedupConfig(ttl_seconds=24 * 3600))
def rss_mb():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
start = None
next_mark = None
for _, snap in read_inputs([sys.argv[1]]):
    engine.process(snap)
    t = snap.fetched_at.timestamp()
    start = start or t
    if next_mark is None or t >= next_mark:
        next_mark = t + 12 * 3600
        print(f"{(t - start) / 3600:6.0f} h  live flashes {engine.live_flashes():6d}"
              f"  lines {engine.stats.lines:8d}  RSS {rss_mb():7.1f} MB", flush=True)
print(f"   end  live flashes {engine.live_flashes():6d}  lines {engine.stats.lines:8d}"
      f"  RSS {rss_mb():7.1f} MB  evicted {engine.stats.evicted}")
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=48.0, help="length of the speed stream")
    ap.add_argument("--e2e-hours", type=float, default=288.0,
                    help="length of the stream for streamer dedup end to end")
    ap.add_argument("--memory-days", type=float, default=7.0, help="length of the memory stream")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="keep the generated streams here")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="streamer-bench-"))
    out.mkdir(parents=True, exist_ok=True)

    stream = out / "speed.jsonl"
    n = write_stream(args.hours, args.seed, stream)
    snaps = load(stream)
    print(
        f"stream: {n} snapshots, {stream.stat().st_size / 1e6:.1f} MB, 4 sites, "
        f"{args.hours:g} h simulated"
    )
    run_engine(snaps[:500])  # warm caches and imports for both
    e_time, e_lines, e_events = run_engine(snaps)
    p_time, p_lines, p_kept = run_plain_recipe(snaps)
    e_rate, p_rate = e_lines / e_time, p_lines / p_time
    print(
        f"engine in-process:   {e_lines} lines in {e_time:.2f} s = {e_rate:,.0f} lines/s "
        f"({e_events} events)"
    )
    print(
        f"plain recipe:        {p_lines} lines in {p_time:.2f} s = {p_rate:,.0f} lines/s "
        f"({p_kept} kept)"
    )
    print(f"speed-up:            {e_rate / p_rate:.1f}x  (target >= 5x)")
    long = out / "e2e.jsonl"
    n = write_stream(args.e2e_hours, args.seed + 2, long)
    profiles = Profiles.load()
    lines = sum(len(ticker_lines(s, profiles) or []) for s in load(long))
    empty = out / "empty.jsonl"
    empty.write_bytes(b"")
    startup, _ = end_to_end(empty)
    wall, summary = end_to_end(long)
    print(f"streamer dedup on one core, {n} snapshots / {lines:,} lines ({args.e2e_hours:g} h): "
          f"{lines / wall:,.0f} lines/s in {wall:.2f} s including {startup:.2f} s of start-up "
          f"({lines / (wall - startup):,.0f} lines/s after it)  (target >= 30,000)\n    {summary}")

    mem = out / "memory.jsonl"
    n = write_stream(args.memory_days * 24, args.seed + 1, mem)
    print(f"\nmemory: {n} snapshots over {args.memory_days:g} days, TTL 24 h")
    subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(mem)], check=True)
    if not args.out:
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
