"""Fault tests of `streamer run` (marker `faults`): every flash published once, none lost,
across kill -9 of the worker or of its engine process, a broker restart, a second worker
joining and leaving, and Kafka being down at start-up.

Each test runs real worker subprocesses against a real broker on a bench.synth crawl and
compares the whole event topic with the in-process engine's output on the same input (see
tests/integration/faultkit.py): no duplicate ids, no lost ids, no unexpected ids, every event in
its input partition's partition, and no worker exit nobody asked for.
`python -m bench.faults --runs N` runs the same scenarios on larger streams, N times each.
Run only these: `python -m pytest -m faults`; skip them: `-m "not faults"`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.integration import faultkit

pytestmark = pytest.mark.faults
BOOTSTRAP_ENV = "STREAMER_TEST_BOOTSTRAP"  # as in conftest.py


def check(outcome: faultkit.Outcome) -> None:
    assert outcome.expected > 20, outcome.report()
    assert outcome.ok, outcome.report()
    assert outcome.worker_exits == 0, outcome.report()


@pytest.mark.timeout(150)
async def test_kill_9_at_random_points_sends_every_event_once(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    outcome = await faultkit.kill_worker(kafka_bootstrap, tmp_path, seed=1, snapshots=5000,
                                         kills=3, early_kills=1)
    assert outcome.expected > 150
    assert sum("SIGKILL" in n for n in outcome.notes) == 4, outcome.report()
    check(outcome)


@pytest.mark.timeout(150)
async def test_kill_9_of_the_engine_process_stops_the_worker_and_loses_nothing(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    outcome = await faultkit.kill_engine(kafka_bootstrap, tmp_path, seed=4, snapshots=2500,
                                         kills=2)
    assert sum("stopped by itself" in n for n in outcome.notes) == 2, outcome.report()
    check(outcome)


@pytest.mark.timeout(100)
@pytest.mark.parametrize("how", ["stop", "kill"])
async def test_broker_restart_mid_stream_the_worker_carries_on(
        kafka_broker: Any, tmp_path: Path, how: str) -> None:
    check(await faultkit.restart_broker(kafka_broker, tmp_path, seed=2, snapshots=2000,
                                        how=how))


@pytest.mark.timeout(100)
async def test_second_worker_joins_and_leaves_no_duplicate_no_loss(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    check(await faultkit.second_worker(kafka_bootstrap, tmp_path, seed=3, snapshots=2500))


@pytest.mark.timeout(100)
async def test_kafka_down_at_start_up_worker_waits_then_proceeds(tmp_path: Path) -> None:
    if os.environ.get(BOOTSTRAP_ENV):
        pytest.skip(f"{BOOTSTRAP_ENV} names an external broker: no local one to start late")
    check(await faultkit.kafka_down_at_start(tmp_path, seed=4, snapshots=400))
