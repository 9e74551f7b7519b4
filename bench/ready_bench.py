"""How soon `streamer run` is ready: after its topics appear, and from its start.

    python -m bench.ready_bench [--bootstrap HOST:PORT] [--repeat N] [--against GIT_REF]

Issue #12: readiness follows within a second of the topics appearing. Each run has fresh topic
names and app id (a new consumer group, an empty state topic):

- *late topics*: `streamer -v run` (the README's line, without `--create-topics`) is started
  before its topics exist; once it says it waits for its input topic (and `--settle` seconds
  more: its engine process is up by then, as for a worker that has waited a while),
  `streamer topics create` runs; timed from that command returning to `/ready` answering 200
  (polled every 10 ms);
- *topics exist*: the topics are created first; timed from the worker's process start to 200.

Where the late-topics time goes is read from the worker's own log (`-v`, millisecond
timestamps): until faust starts (the look for the topic, the topics the worker makes itself),
faust's start until it subscribes, the consumer group join, the partitions' state restore, and
the rest (restored to a 200 seen). Medians with min and max; with --against, GIT_REF's
`streamer run` too, interleaved run by run (this tree's `topics create` for both). Starts the
project's local broker unless --bootstrap names one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from functools import partial
from pathlib import Path

from bench.broker import broker_for

REPO = Path(__file__).resolve().parents[1]
POLL = 0.01  # seconds between looks at /ready
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ", re.M)
# log lines that end each phase (first match, except the last partition restored)
MARKS = {"faust starts": "[^Worker]: Starting...", "subscribed": "Subscribed to topic(s)",
         "partitions assigned": "Setting newly assigned partitions",
         "restored": "restored partition"}
PHASES = ["until faust starts", "faust start to subscribe", "group join", "restore",
          "rest (restored to 200 seen)"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Run:
    """One worker on fresh topics, its log in `workdir`."""

    def __init__(self, bootstrap: str, tree: Path, workdir: Path) -> None:
        self.tree, self.port = tree, free_port()
        stem = f"ready-{uuid.uuid4().hex[:10]}"
        self.names = [f"{stem}-in", f"{stem}-out", f"{stem}-dlq", f"{stem}-dedup-state"]
        self.flags = ["--bootstrap-servers", bootstrap, "--input-topic", self.names[0],
                      "--output-topic", self.names[1], "--dlq-topic", self.names[2],
                      "--app-id", stem]
        self.log = workdir / f"{stem}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self, tree: Path) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("STREAMER_")}
        return {**base, "PYTHONPATH": str(tree)}

    def create_topics(self) -> float:
        """`streamer topics create` (this tree's); the time it returned."""
        done = subprocess.run([sys.executable, "-m", "streamer", "topics", "create",
                               *self.flags], cwd=REPO, env=self.env(REPO), capture_output=True)
        if done.returncode:
            raise RuntimeError(f"topics create exited {done.returncode}: {done.stderr!r}")
        return time.time()

    def start(self) -> float:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamer", "-v", "run", *self.flags,
                 "--web-port", str(self.port), "--data-dir", str(self.log.with_suffix(""))],
                cwd=self.tree, env=self.env(self.tree), stdout=log, stderr=subprocess.STDOUT)
        return time.time()

    def ready(self, timeout: float = 60.0) -> float:
        """The time /ready first answered 200."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}: {self.log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=1):
                    return time.time()
            except (OSError, urllib.error.HTTPError):
                time.sleep(POLL)
        raise RuntimeError(f"worker not ready after {timeout} s: {self.log}")

    def wait_for_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no {text!r} in {self.log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def phases(self, since: float, ready: float) -> dict[str, float]:
        """The phases from `since` to `ready`, from the worker's log timestamps."""
        text = self.log.read_text(errors="replace")
        marks: dict[str, float] = {}
        for match in LOG_TIME.finditer(text):
            line = text[match.end():text.find("\n", match.end())]
            for name, needle in MARKS.items():
                if needle in line and (name == "restored" or name not in marks):
                    marks[name] = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        points = [since, *(marks.get(name, float("nan")) for name in MARKS), ready]
        return {phase: b - a for phase, a, b in zip(PHASES, points, points[1:], strict=False)}


async def delete_topics(bootstrap: str, names: list[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics(names)
    except Exception as exc:  # a clean-up failure loses no figure
        print(f"  (could not delete the run's topics: {exc!r})", file=sys.stderr)
    finally:
        await admin.close()


def late_topics(bootstrap: str, tree: Path, workdir: Path, settle: float
                ) -> tuple[float, dict[str, float]]:
    """Worker first, topics `settle` s after it says it waits: topics created to ready."""
    run = Run(bootstrap, tree, workdir)
    try:
        run.start()
        run.wait_for_log("does not exist yet")
        time.sleep(settle)
        created = run.create_topics()
        ready = run.ready()
        return ready - created, run.phases(created, ready)
    finally:
        run.stop()
        asyncio.run(delete_topics(bootstrap, run.names))


def topics_exist(bootstrap: str, tree: Path, workdir: Path) -> tuple[float, dict[str, float]]:
    """Topics first, then the worker: its process start to ready."""
    run = Run(bootstrap, tree, workdir)
    try:
        run.create_topics()
        started = run.start()
        ready = run.ready()
        return ready - started, run.phases(started, ready)
    finally:
        run.stop()
        asyncio.run(delete_topics(bootstrap, run.names))


def summary(values: list[float]) -> str:
    return (f"median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})")


def revision(tree: Path) -> str:
    out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=tree,
                         capture_output=True, text=True, check=False).stdout.strip()
    return out or "?"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ready_bench",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", help="use this broker (default: start a local one)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each kind (default 3)")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="seconds the worker waits for its topics before they are created")
    ap.add_argument("--against", metavar="GIT_REF", help="also time GIT_REF's worker, "
                    "interleaved")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ready-bench-") as tmp, \
            broker_for(args.bootstrap) as (bootstrap, _):
        workdir = Path(tmp)
        trees = {f"this tree ({revision(REPO)})": REPO}
        if args.against:
            ref = workdir / "ref"
            ref.mkdir()
            archive = subprocess.run(["git", "archive", args.against], capture_output=True,
                                     check=True, cwd=REPO).stdout
            subprocess.run(["tar", "-x", "-C", str(ref)], input=archive, check=True)
            trees[args.against] = ref
        print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, "
              f"broker {bootstrap}", file=sys.stderr)
        # untimed: a new broker's first consumer group creates __consumer_offsets first
        topics_exist(bootstrap, REPO, workdir)
        kinds = {"topics created -> /ready 200": partial(late_topics, settle=args.settle),
                 "process start -> /ready 200 (topics exist)": topics_exist}
        runs: dict[tuple[str, str], list[tuple[float, dict[str, float]]]] = {
            (name, kind): [] for name in trees for kind in kinds}
        for i in range(args.repeat):
            for name, tree in trees.items():
                for kind, timed in kinds.items():
                    took, parts = timed(bootstrap, tree, workdir)
                    runs[name, kind].append((took, parts))
                    print(f"  run {i + 1}, {name}, {kind}: {took:.2f} s ("
                          + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()) + ")",
                          file=sys.stderr)
        for name in trees:
            print(f"{name}:")
            for kind in kinds:
                done = runs[name, kind]
                print(f"  {kind}: {summary([took for took, _ in done])}")
                print("    medians: " + ", ".join(
                    f"{phase} {statistics.median(parts[phase] for _, parts in done):.3f} s"
                    for phase in PHASES))
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
