"""The engine on real headline streams: the BBC front-page archive, labelled by article URL.

    python -m bench.real [--from 2021-07] [--to 2022-12] [--quarter] [--html] [-v]

For each window (a month, or a quarter with --quarter) the archive's own tools build and score
the stream: `make_stream.py` writes the snapshots and the truth, `streamer dedup` runs on them
with a profile that lets the bbc.co.uk ticker hold ~45 lines, and `score.py` scores the sightings.
In the same run a plain datasketch recipe (an exact-line dict, then MinHashLSH over word
shingles at threshold 0.5 and 0.3) decides the same lines, written as sightings and scored by
the same `score.py`, so every figure has the scorer's definitions.

Figures per window and in total: light edits, light-edit leaks (a light edit that opened a second,
unlinked event), linked revisions, stories and merged stories, and the engine's lines/s end to end.
`-v` lists every leak and merge (engine only) for reading by hand.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"
ARCHIVE = "bbc-headlines-2021-2022.tsv.gz"
SOURCE = "bbc.co.uk"
PROFILE = {"sites": {SOURCE: {"max_lines": 45}}}
RECIPES = (0.5, 0.3)
_FIGURES = re.compile(
    r"stories=(\d+) events=(\d+) missing_lines=(\d+) merged_stories=(\d+) .*"
    r"light_edits=(\d+) leaked=(\d+) .*linked_revisions=(\d+)"
)


@dataclass(slots=True)
class Figures:
    """What score.py says about one run (one window, one matcher), or a sum of them."""

    stories: int = 0
    events: int = 0
    missing: int = 0
    merged: int = 0
    light: int = 0
    leaked: int = 0
    linked: int = 0
    lines: int = 0
    seconds: float = 0.0
    listing: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name in ("stories", "events", "missing", "merged", "light", "leaked", "linked",
                     "lines", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def row(self, name: str) -> str:
        leak = 100.0 * self.leaked / max(self.light, 1)
        merge = 100.0 * self.merged / max(self.stories, 1)
        speed = f"{self.lines / self.seconds:>9,.0f}" if self.seconds else " " * 9
        return (f"  {name:<14} {self.light:>6} {self.leaked:>6} {leak:>6.1f}% {self.linked:>7} "
                f"{self.stories:>7} {self.merged:>6} {merge:>6.2f}% {self.events:>7} {speed}")


HEADER = ("  matcher         light  leaks  leak%  linked stories merged merge%  events   lines/s")


def months(lo: str, hi: str) -> list[str]:
    """YYYY-MM months from lo to hi, both included."""
    y, m = map(int, lo.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= hi:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def windows(lo: str, hi: str, quarter: bool) -> list[tuple[str, str, str]]:
    """(name, from, to) per month or per quarter; `to` is exclusive, as make_stream.py wants."""
    ms = months(lo, hi)
    groups: dict[str, list[str]] = {}
    for m in ms:
        y, mo = m.split("-")
        name = f"{y}Q{(int(mo) - 1) // 3 + 1}" if quarter else m
        groups.setdefault(name, []).append(m)
    out = []
    for name, group in groups.items():
        y, mo = map(int, group[-1].split("-"))
        nxt = f"{y + 1:04d}-01" if mo == 12 else f"{y:04d}-{mo + 1:02d}"
        out.append((name, f"{group[0]}-01", f"{nxt}-01"))
    return out


def score(real: Path, truth: Path, sightings: Path, verbose: bool) -> Figures:
    cmd = [sys.executable, str(real / "score.py"), str(truth), str(sightings)]
    out = subprocess.run(cmd + (["-v"] if verbose else []), capture_output=True, text=True,
                         check=True).stdout.splitlines()
    m = _FIGURES.search(out[-1])
    if m is None:
        raise RuntimeError(f"cannot read score.py's figures: {out[-1]!r}")
    stories, events, missing, merged, light, leaked, linked = map(int, m.groups())
    return Figures(stories, events, missing, merged, light, leaked, linked, listing=out[:-1])


def run_engine(snapshots: Path, profile: Path, sightings: Path, cpu: str | None) -> float:
    """`streamer dedup` end to end (start-up included); its wall time."""
    cmd = [sys.executable, "-m", "streamer", "dedup", str(snapshots), "--profiles", str(profile),
           "--sightings", str(sightings)]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", cpu, *cmd]
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise RuntimeError(f"streamer dedup failed ({proc.returncode}): {proc.stderr}")
    return time.perf_counter() - t


_WORD = re.compile(r"\w+")


def run_recipe(truth_rows: list[dict[str, object]], threshold: float, sightings: Path) -> None:
    """What a competent user writes with datasketch: an exact-line dict first, then MinHash
    (128 permutations, lower-cased word shingles) queried in a MinHashLSH; a line matching
    nothing opens an event and is inserted. Lines go bottom (oldest) first, like the engine's."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    exact: dict[str, str] = {}
    by_key: dict[str, str] = {}
    snaps: dict[str, list[dict[str, object]]] = {}
    for row in truth_rows:
        snaps.setdefault(str(row["snapshot"]), []).append(row)
    n = 0
    with sightings.open("w", encoding="utf-8") as fh:
        for sid, rows in snaps.items():
            for row in sorted(rows, key=lambda r: -int(str(r["position"]))):
                line = str(row["title"])
                decision, event = "duplicate", exact.get(line)
                if event is None:
                    m = MinHash(num_perm=128)
                    m.update_batch([w.encode() for w in _WORD.findall(line.lower())] or [b""])
                    hits = lsh.query(m)
                    if hits:
                        event = by_key[min(hits)]
                    else:
                        n += 1
                        key = f"{n}"
                        event, decision = f"e{n}", "new"
                        lsh.insert(key, m)
                        by_key[key] = event
                    exact[line] = event
                fh.write(json.dumps({"snapshot": sid, "position": row["position"],
                                     "event_id": event, "decision": decision}) + "\n")


def evaluate_window(args: argparse.Namespace, name: str, lo: str, hi: str,
                    tmp: Path) -> dict[str, Figures]:
    out = tmp / name
    cmd = [sys.executable, str(args.real / "make_stream.py"), str(args.real / ARCHIVE), lo, hi,
           str(out)]
    subprocess.run(cmd + (["--html"] if args.html else []), check=True, stdout=subprocess.DEVNULL)
    profile = out / "profiles.json"
    profile.write_text(json.dumps(PROFILE), encoding="utf-8")
    truth = out / "truth.jsonl"
    rows = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines()]
    seconds = run_engine(out / "snapshots.jsonl", profile, out / "engine.jsonl", args.cpu)
    figures = {"engine": score(args.real, truth, out / "engine.jsonl", args.verbose)}
    figures["engine"].lines, figures["engine"].seconds = len(rows), seconds
    if not args.no_recipe:
        for threshold in RECIPES:
            path = out / f"recipe-{threshold}.jsonl"
            run_recipe(rows, threshold, path)
            figures[f"recipe@{threshold}"] = score(args.real, truth, path, False)
    shutil.rmtree(out)
    return figures


def speed(args: argparse.Namespace) -> int:
    """`streamer dedup` on one window, this tree against a git ref, interleaved, one core."""
    with tempfile.TemporaryDirectory(prefix="streamer-speed-") as tmp:
        out = Path(tmp)
        old = out / "ref"
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.speed_against], capture_output=True,
                                 check=True, cwd=Path(__file__).resolve().parents[1]).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        lo, hi = f"{args.lo}-01", windows(args.hi, args.hi, False)[0][2]
        cmd = [sys.executable, str(args.real / "make_stream.py"), str(args.real / ARCHIVE), lo, hi,
               str(out)]
        subprocess.run(cmd + (["--html"] if args.html else []), check=True,
                       stdout=subprocess.DEVNULL)
        profile = out / "profiles.json"
        profile.write_text(json.dumps(PROFILE), encoding="utf-8")
        lines = sum(1 for _ in (out / "truth.jsonl").open(encoding="utf-8"))
        here = Path(__file__).resolve().parents[1]
        print(f"streamer dedup on {lo}..{hi} ({lines:,} lines), core {args.cpu}, "
              f"{args.repeat} runs each, interleaved: wall lines/s (CPU lines/s)")
        results: dict[str, list[tuple[float, float]]] = {"this tree": [], args.speed_against: []}
        for _ in range(args.repeat):
            for label, root in (("this tree", here), (args.speed_against, old)):
                results[label].append(_timed(out, profile, root, args.cpu))
        for label, runs in results.items():
            walls = sorted(lines / w for w, _ in runs)
            cpus = sorted(lines / c for _, c in runs)
            print(f"  {label:<12} median {walls[len(walls) // 2]:>9,.0f} "
                  f"(min {walls[0]:,.0f}, max {walls[-1]:,.0f})   "
                  f"CPU {cpus[len(cpus) // 2]:>9,.0f}")
    return 0


def _timed(out: Path, profile: Path, root: Path, cpu: str | None) -> tuple[float, float]:
    """Wall and CPU seconds of one `streamer dedup` run of the package at `root`."""
    import os
    import resource

    cmd = [sys.executable, "-m", "streamer", "dedup", str(out / "snapshots.jsonl"),
           "--profiles", str(profile)]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", cpu, *cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.real", description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="lo", default="2021-07", help="first month, YYYY-MM")
    ap.add_argument("--to", dest="hi", default="2022-12", help="last month, YYYY-MM (included)")
    ap.add_argument("--quarter", action="store_true", help="one window per quarter, not month")
    ap.add_argument("--html", action="store_true", help="snapshots as HTML pages, not text")
    ap.add_argument("--no-recipe", action="store_true", help="skip the plain datasketch recipe")
    ap.add_argument("--cpu", default="1", help="taskset core for streamer dedup ('' for none)")
    ap.add_argument("--real", type=Path, default=REAL, help="the archive's directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the engine's leaks, merges")
    ap.add_argument("--speed-against", metavar="GIT_REF",
                    help="instead: time streamer dedup on the window --from..--to, this tree "
                         "against GIT_REF, interleaved")
    ap.add_argument("--repeat", type=int, default=3, help="runs each, with --speed-against")
    args = ap.parse_args(argv)
    args.cpu = args.cpu or None
    if args.speed_against:
        return speed(args)
    total: dict[str, Figures] = {}
    print(HEADER)
    with tempfile.TemporaryDirectory(prefix="streamer-real-") as tmp:
        for name, lo, hi in windows(args.lo, args.hi, args.quarter):
            figures = evaluate_window(args, name, lo, hi, Path(tmp))
            print(f"{name} ({figures['engine'].lines:,} lines)")
            for matcher, f in figures.items():
                print(f.row(matcher))
                total.setdefault(matcher, Figures()).add(f)
            for line in figures["engine"].listing:
                print("    " + line)
            sys.stdout.flush()
    print(f"total {args.lo}..{args.hi}{' (html)' if args.html else ''}")
    for matcher, f in total.items():
        print(f.row(matcher))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
