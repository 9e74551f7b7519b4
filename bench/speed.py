"""Speed of `streamer dedup` against the recipe a competent user would write, in the same run.

    python -m bench.speed [--repeat 3] [--synth-hours 45] [--real-from 2022-05-01 --real-to
        2022-07-01] [--memory-days 7] [--memory-sources 100] [--memory-flashes-per-day 60000]
        [--memory-only] [--cpu 1] [--out DIR]

1. End to end, one core each (`taskset -c CPU`), start-up included, on the same input, runs
   interleaved A B C A B C ...: `streamer dedup`, the fair recipe (`bench.recipe`: streamer's
   own extraction, an exact-line dict, then MinHashLSH; the headline comparison) and the recipe
   without the dict (labelled "no cache": MinHash every line, as datasketch's README shows it).
   Two inputs: a 12-site synthetic stream (~59k lines at 45 h) and a two-month window of the real
   BBC headline archive in ../shared/real (~125k lines). Medians with min and max.
2. Start-up: `streamer dedup` of an empty file, against `python -c pass`.
3. Steady state: the engine on repeat-heavy input, lines/s, each run in a fresh process (the
   engine's caches are per process: a second run in one would find its work done): the
   synthetic stream after a warm-up (its own mix of repeats, new flashes and new wordings),
   and the same pages seen again (every line known).
4. Memory: a multi-day stream with a 24 h TTL, RSS sampled every simulated 12 h in a fresh
   process running the engine as the worker does (its state changes taken after every
   snapshot): it should stop growing once the TTL window is full. The stream (`write_wide`) holds
   about `--memory-flashes-per-day` live flashes once the TTL is full (60,000 by default),
   over `--memory-sources` sites fetched every 10 minutes, each ticker the newest 10 flashes.
Run it on a quiet machine: it says the load average it started and ended with. streamer's and
bench's bytecode is compiled first, as `pip install` does (a source checkout with
PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every start).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.synth import generate
from streamer.codec import dumps

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"
BBC_PROFILE = {"sites": {"bbc.co.uk": {"max_lines": 45}}}


def write_synth(hours: float, seed: int, sources: int, path: Path) -> int:
    stream = generate(seed=seed, hours=hours, sources=sources)
    with path.open("wb") as fh:
        for env in stream.snapshots:
            fh.write(dumps(env) + b"\n")
    return len(stream.snapshots)


def write_real(lo: str, hi: str, out: Path) -> Path:
    """The archive's own make_stream.py; returns the snapshots file."""
    archive = REAL / "bbc-headlines-2021-2022.tsv.gz"
    cmd = [sys.executable, str(REAL / "make_stream.py"), str(archive), lo, hi, str(out)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out / "snapshots.jsonl"


def pinned(cmd: list[str], cpu: str | None) -> list[str]:
    return ["taskset", "-c", cpu, *cmd] if cpu and shutil.which("taskset") else cmd


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:  # a crash must not pass for a fast run
        raise RuntimeError(f"{cmd} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return time.perf_counter() - t


def spread(xs: list[float]) -> str:
    med = statistics.median(xs)
    return f"median {med:6.2f} s  (min {min(xs):.2f}, max {max(xs):.2f}, n={len(xs)})"


def interleaved(runs: dict[str, Callable[[], float]], repeat: int) -> dict[str, list[float]]:
    """A B C A B C ...: slow drifts of the machine hit every contender alike."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            times[name].append(run())
    return times


def count_lines(path: Path, profiles: Path | None) -> int:
    from streamer.codec import decode_snapshot
    from streamer.core.extract import Profiles, ticker_lines

    p = Profiles.load(profiles)
    with path.open("rb") as fh:
        return sum(len(ticker_lines(decode_snapshot(r), p) or []) for r in fh if r.strip())


def compare(name: str, path: Path, profiles: Path | None, args: argparse.Namespace) -> None:
    lines = count_lines(path, profiles)
    prof = ["--profiles", str(profiles)] if profiles else []
    py = sys.executable
    runs: dict[str, Callable[[], float]] = {
        "streamer dedup": lambda: timed(pinned([py, "-m", "streamer", "dedup", str(path), *prof],
                                               args.cpu)),
        "fair recipe (exact dict + LSH)": lambda: timed(pinned(
            [py, "-m", "bench.recipe", str(path), *prof], args.cpu)),
    }
    if not args.skip_no_cache:
        runs["recipe, no cache"] = lambda: timed(pinned(
            [py, "-m", "bench.recipe", str(path), *prof, "--no-cache"], args.cpu))
    times = interleaved(runs, args.repeat)
    print(f"\n{name}: {lines:,} ticker lines, {path.stat().st_size / 1e6:.1f} MB")
    ours = statistics.median(times["streamer dedup"])
    for who, xs in times.items():
        ratio = statistics.median(xs) / ours
        print(f"  {who:<32} {spread(xs)}  {lines / statistics.median(xs):>9,.0f} lines/s"
              f"  streamer is {ratio:.2f}x as fast")


def startup(args: argparse.Namespace, tmp: Path) -> None:
    empty = tmp / "empty.jsonl"
    empty.write_bytes(b"")
    py = sys.executable
    times = interleaved({
        "streamer dedup (empty file)": lambda: timed(pinned([py, "-m", "streamer", "dedup",
                                                             str(empty)], args.cpu)),
        "python -c pass": lambda: timed(pinned([py, "-c", "pass"], args.cpu)),
    }, max(args.repeat, 5))
    print("\nstart-up (target <= 0.25 s)")
    for who, xs in times.items():
        print(f"  {who:<32} {spread(xs)}")


STEADY_PROBE = """
import sys, time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from streamer.codec import decode_snapshot
from streamer.core.engine import Deduplicator
snaps = [decode_snapshot(r) for r in Path(sys.argv[1]).read_bytes().splitlines() if r.strip()]
engine = Deduplicator()
if sys.argv[2] == "mix":  # after 500 snapshots, the rest: new flashes and wordings among repeats
    warm, timed = snaps[:500], snaps[500:]
else:  # the whole stream, then every page again an hour later: every line known
    later = timedelta(hours=1)
    warm, timed = snaps, [replace(s, fetched_at=s.fetched_at + later) for s in snaps]
for s in warm:
    engine.process(s)
t = time.perf_counter()
before, exact = engine.stats.lines, engine.stats.exact
new = engine.stats.new + engine.stats.revised
for s in timed:
    engine.process(s)
lines = engine.stats.lines - before
rate = lines / (time.perf_counter() - t)
assert sys.argv[2] == "mix" or engine.stats.new + engine.stats.revised == new
print((engine.stats.exact - exact) / lines, rate)  # (exact: seen as it is, or as its text)
"""


def steady(path: Path, args: argparse.Namespace) -> None:
    """The engine alone, each run in a fresh process (the engine's caches are per process: the
    words' stems, a pair's typo and derivation checks; a second run in the same one would find
    its lines' work done), on two inputs: the stream after a warm-up on its first 500
    snapshots (its mix: most lines repeats, the rest new flashes and new wordings, each cleaned
    and decided), and the whole stream's pages seen again (every line a known one: the repeat
    path and extraction alone)."""
    print("\nsteady state, engine in a fresh process (target >= 100,000 lines/s)")
    for mode, what in (("mix", "after 500 snapshots, the stream's own mix"),
                       ("known", "the same pages again, every line known")):
        rates, exact = [], 0.0
        for _ in range(args.repeat):
            out = subprocess.run(pinned([sys.executable, "-c", STEADY_PROBE, str(path), mode],
                                        args.cpu), capture_output=True, text=True,
                                 check=True).stdout
            exact, rate = map(float, out.split()[-2:])
            rates.append(rate)
        print(f"  {what:<44} median {statistics.median(rates):,.0f} lines/s (min "
              f"{min(rates):,.0f}, max {max(rates):,.0f}, n={len(rates)}); {exact:.1%} of its "
              "lines known as they are or as their cleaned text")


def write_wide(days: float, sources: int, per_day: int, seed: int, path: Path) -> int:
    """A stream for the memory run: `per_day` new flashes a day spread over `sources` sites,
    each fetched every 10 minutes, its ticker the newest 10 (so each flash is seen a few times).
    Made-up words, as in bench.state_bench, so that flashes differ like real ones."""
    import random
    from datetime import UTC, datetime, timedelta

    from bench.state_bench import page, vocabulary

    rng = random.Random(seed)
    words = vocabulary(20_000, rng)
    speakers = [" ".join(rng.sample(words, 2)).title() for _ in range(200)]
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    per_fetch = per_day / sources / 144
    tickers: list[list[str]] = [[] for _ in range(sources)]
    n = 0
    with path.open("wb") as fh:
        for step in range(int(days * 144)):
            for s, ticker in enumerate(tickers):
                due = int(per_fetch) + (rng.random() < per_fetch % 1)
                for _ in range(due):
                    ticker.insert(0, f"{rng.choice(speakers)}: "
                                     f"{' '.join(rng.sample(words, rng.randint(6, 14)))}")
                del ticker[10:]
                when = t0 + timedelta(minutes=10 * step, seconds=s)
                fh.write(dumps({"url": f"https://site{s}.example/", "content": page(ticker),
                                "fetched_at": when.isoformat()}) + b"\n")
                n += 1
    return n


MEMORY_PROBE = """
import sys
from streamer.core.engine import Deduplicator
from streamer.core.state import drain_changes
from streamer.cli.inputs import read_inputs
from streamer.settings import DedupConfig
engine = Deduplicator(DedupConfig(ttl_seconds=24 * 3600))
# as the worker: the state changes of each snapshot are taken (and would be saved)
def rss_mb():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
start = next_mark = None
for _, snap in read_inputs([sys.argv[1]]):
    engine.process(snap)
    drain_changes(engine)
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
    ap = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each contender, interleaved")
    ap.add_argument("--synth-hours", type=float, default=45.0)
    ap.add_argument("--synth-sources", type=int, default=12)
    ap.add_argument("--real-from", default="2022-05-01")
    ap.add_argument("--real-to", default="2022-07-01")
    ap.add_argument("--memory-days", type=float, default=7.0, help="0 skips the memory run")
    ap.add_argument("--memory-sources", type=int, default=100)
    ap.add_argument("--memory-flashes-per-day", type=int, default=60_000)
    ap.add_argument("--memory-only", action="store_true", help="only the memory run")
    ap.add_argument("--cpu", default="1", help="taskset core for every timed process ('' none)")
    ap.add_argument("--skip-no-cache", action="store_true", help="leave out the no-cache recipe")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, help="keep the generated streams here")
    args = ap.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="streamer-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    root = Path(__file__).resolve().parents[1]
    for package in ("streamer", "bench"):  # as an install does; sources are still checked
        compileall.compile_dir(root / package, quiet=1)

    if not args.memory_only:
        synth = out / "synth.jsonl"
        n = write_synth(args.synth_hours, args.seed, args.synth_sources, synth)
        compare(f"synthetic, {args.synth_sources} sites, {args.synth_hours:g} h, {n} snapshots",
                synth, None, args)
        if (REAL / "make_stream.py").exists():
            real = write_real(args.real_from, args.real_to, out / "real")
            profile = out / "real" / "profiles.json"
            profile.write_text(json.dumps(BBC_PROFILE), encoding="utf-8")
            compare(f"BBC front page {args.real_from} .. {args.real_to}", real, profile, args)
        startup(args, out)
        steady(synth, args)
    if args.memory_days:
        mem = out / "memory.jsonl"
        n = write_wide(args.memory_days, args.memory_sources, args.memory_flashes_per_day,
                       args.seed + 1, mem)
        print(f"\nmemory: {n} snapshots of {args.memory_sources} sites over "
              f"{args.memory_days:g} days, {args.memory_flashes_per_day:,} new flashes a day, "
              "TTL 24 h")
        subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(mem)], check=True)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    if not args.out:
        shutil.rmtree(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
