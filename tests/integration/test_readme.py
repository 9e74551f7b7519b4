"""The README's "Without Docker" lines, read from README.md and run as written against the test
broker: topics, worker, publish, tail. A change to the commands or flags there that stops
working fails here.

The broker line is played by the session's test broker (its address replaces 127.0.0.1:9092);
topic names, group, web port and data dir come from STREAMER_* env vars, so the commands stay
exactly as printed while the test shares the broker with the others.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.integration.workers import REPO, free_port

README = REPO / "README.md"
EVENTS = 72  # the sample snapshots' events (README, first command: 54 new + 18 revised)


def readme_lines() -> list[str]:
    """The commands of the "Without Docker" block, comments dropped, in order."""
    text = README.read_text("utf-8")
    section = text.split("### Without Docker", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "no bash block under 'Without Docker'"
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def test_readme_block_has_the_documented_steps() -> None:
    lines = readme_lines()
    assert lines[0] == "pip install -e '.[dev]'"
    assert lines[1].startswith("python deploy/kafka/local_kafka.py --port 9092")
    assert [line.split()[1] for line in lines[2:]] == ["topics", "run", "publish", "tail"]


def test_readme_local_path_works_as_written(kafka_bootstrap: str, tmp_path: Path) -> None:
    lines = readme_lines()[2:]  # after the install and the broker
    tag = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMER_")}
    env.update(STREAMER_INPUT_TOPIC=f"readme-{tag}-in", STREAMER_OUTPUT_TOPIC=f"readme-{tag}-ev",
               STREAMER_DLQ_TOPIC=f"readme-{tag}-dlq", STREAMER_APP_ID=f"readme-{tag}",
               STREAMER_WEB_PORT=str(free_port()), STREAMER_DATA_DIR=str(tmp_path / "data"))
    started = time.monotonic()
    background: list[subprocess.Popen[bytes]] = []
    worker_log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed below
    try:
        for line in lines:
            argv = shlex.split(line.rstrip("&").replace("127.0.0.1:9092", kafka_bootstrap))
            assert argv[0] == "streamer", line
            cmd = [sys.executable, "-m", "streamer", *argv[1:]]
            if line.endswith("&"):
                background.append(subprocess.Popen(cmd, cwd=REPO, env=env, stdout=worker_log,
                                                   stderr=subprocess.STDOUT))
            elif argv[1] == "tail":
                shown, first = _tail(cmd, env, started)
            else:
                done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, timeout=120)
                assert done.returncode == 0, f"{line}\n{done.stderr.decode()}"
    finally:
        for proc in background:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        worker_log.close()
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert len(shown) == EVENTS, f"{len(shown)} events:\n{log[-4000:]}"
    assert sum("[REVISED of #" in line for line in shown) == 18
    print(f"first event {first:.1f} s after the first command")
    # A clean start logs nothing alarming, and no terminal escapes in a file.
    assert "\x1b[" not in log
    assert not re.search(r"\b(ERROR|Traceback)\b", log), log[-4000:]


def _tail(cmd: list[str], env: dict[str, str], started: float,
          timeout: float = 120.0) -> tuple[list[str], float]:
    """`tail` follows forever: read until every event is shown, then stop it like Ctrl-C."""
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    shown: list[str] = []
    first = 0.0
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while len(shown) < EVENTS and time.monotonic() < deadline:
            chunk = proc.stdout.read()
            if chunk:
                buf += chunk
                *lines, buf = buf.split(b"\n")
                shown += [line.decode() for line in lines if line.strip()]
                if shown and not first:
                    first = time.monotonic() - started
            elif proc.poll() is not None:
                pytest.fail(f"tail exited {proc.returncode}: {buf.decode()}")
            else:
                time.sleep(0.1)
    finally:
        proc.send_signal(2)
        proc.wait(20)
        proc.stdout.close()
    return shown, first
